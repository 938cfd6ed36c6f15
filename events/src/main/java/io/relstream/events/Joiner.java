package io.relstream.events;

import io.relstream.schemas.Codecs;
import io.relstream.schemas.avro.Click;
import io.relstream.schemas.avro.Erasure;
import io.relstream.schemas.avro.Event;
import io.relstream.schemas.avro.Impression;
import io.relstream.schemas.avro.Interaction;
import io.relstream.schemas.avro.InteractionSource;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * The impression-click join and the de-duplication, over four {@link JoinStore}s, driven by stream time;
 * free of Kafka so that the ingest streams app and a replay of a log run the same rules. The caller
 * validates events first ({@link EventValidator}) and keeps stream time: the largest timestamp of the valid
 * events seen so far, the current one included.
 *
 * <p><b>Join rules</b> (W = join window). "Stream time passes T" means stream time {@code > T}.
 * <ol>
 *   <li>A click with a requestId joins a held impression of the same user with the same (requestId, item);
 *       otherwise it joins by (user, item): the latest not yet clicked impression with
 *       {@code imp.ts <= click.ts <= imp.ts + W}.</li>
 *   <li>A joined click emits label 1, {@code CLICKED_IMPRESSION}, with the impression's event id, timestamp,
 *       requestId, position and propensity, at once.</li>
 *   <li>An impression is held until stream time passes {@code ts + W}; if it was never clicked it is then
 *       emitted as label 0, {@code UNCLICKED_IMPRESSION}. One impression yields exactly one interaction: a
 *       further click that can only match an already clicked impression is a repeat click: reported, dropped.</li>
 *   <li>A click that arrives before its impression is held until stream time passes {@code click.ts + W}. An
 *       impression that arrives meanwhile claims it, by (requestId, item) first, else by (user, item) with
 *       {@code imp.ts <= click.ts <= imp.ts + W} (earliest click first), and is emitted as clicked. A held
 *       click nobody claimed is emitted as label 1, {@code CLICK_WITHOUT_IMPRESSION}.</li>
 *   <li>An event that arrives when stream time has already passed its deadline is resolved at once by the same
 *       rules.</li>
 * </ol>
 *
 * <p><b>A function of the input order alone.</b> A held event whose deadline stream time has passed is gone
 * for every rule at once, whether or not {@link #expire} has emitted it yet: the ingest app runs expire from a
 * punctuation, every 100 ms of stream time and after a batch of records, and the join must not depend on
 * when that ran. So the interactions of a log are the same set live and in a replay, whatever the
 * punctuation's schedule; only the order in which expired ones come out may differ. The same holds for
 * remembered event ids (a duplicate is one seen within the retention) and for the bound on held events.
 *
 * <p><b>Bounded state per key.</b> At most {@link Settings#maxHeldPerKey} events of one kind are held under
 * one (user, item) or (requestId, item); a further one is refused.
 *
 * <p><b>Erasure.</b> An {@link Erasure} of user U (applied in the order of U's events: the events topic is
 * keyed by user) is neither de-duplicated nor held, and it does not move stream time (the caller keeps it
 * out of stream time: its {@code requestedAt} is the collector's clock, not an event of the join). It
 * <ol>
 *   <li>resolves U's held events whose deadline stream time has already passed as {@link #expire} would
 *       (they are decided: "gone for every rule at once"), so that the output stays a function of the input
 *       order whether or not the punctuation ran before the erasure;</li>
 *   <li>drops every other held impression and click of U, with their index and expiry entries: none of them
 *       is ever emitted;</li>
 *   <li>emits one marker, {@link #eraseMarker}: {@code eventId} = requestId, {@code item} = "",
 *       {@code timestamp} = requestedAt, label 0, {@code ERASE_USER}, the optional fields null.</li>
 * </ol>
 * U's held events are found by a range scan of the (user, item) index of each kind (rare: erasures are);
 * remembered event ids hold no user id and expire with the retention as before.
 *
 * <p>Not thread-safe: one per partition (a Kafka Streams task).
 */
public final class Joiner {
  /** The ingest app's defaults. */
  public static final Duration DEFAULT_WINDOW = Duration.ofMinutes(30);
  public static final Duration DEFAULT_DEDUPE_RETENTION = Duration.ofHours(1);
  /** Held events of one kind under one join-index key (bounds a changelog record to about 300 KB). */
  public static final int MAX_HELD_PER_KEY = 1000;

  private static final char IMP = 'I';
  private static final char CLICK = 'C';
  private static final char SEEN = 'D';

  /**
   * @param windowMs W, the join window
   * @param dedupeRetentionMs how long, in stream time after first sight, an event id is remembered
   * @param maxHeldPerKey held events of one kind under one index key
   */
  public record Settings(long windowMs, long dedupeRetentionMs, int maxHeldPerKey) {
    public Settings {
      if (windowMs <= 0 || dedupeRetentionMs <= 0 || maxHeldPerKey <= 0) {
        throw new IllegalArgumentException("join settings must be positive: window " + windowMs + " ms, retention "
            + dedupeRetentionMs + " ms, max held " + maxHeldPerKey);
      }
    }

    public static Settings defaults() {
      return new Settings(DEFAULT_WINDOW.toMillis(), DEFAULT_DEDUPE_RETENTION.toMillis(), MAX_HELD_PER_KEY);
    }
  }

  /** Where the join's results go. */
  public interface Output {
    /** An interaction is decided. */
    void interaction(Interaction i);

    /** A click was dropped because it could only match an already clicked impression. */
    default void repeatClick(Click c) {}

    /** An erasure was applied: {@code dropped} held events of its user were discarded unemitted. */
    default void erased(Erasure e, int dropped) {}
  }

  /** What became of one event. */
  public enum Outcome { ACCEPTED, DUPLICATE, REFUSED }

  /** @param reason why the event was refused (null unless {@link Outcome#REFUSED}) */
  public record Verdict(Outcome outcome, String reason) {
    static final Verdict ACCEPTED = new Verdict(Outcome.ACCEPTED, null);
    static final Verdict DUPLICATE = new Verdict(Outcome.DUPLICATE, null);
  }

  private final Settings settings;
  private final long window;
  private final JoinStore<String> seen;
  private final JoinStore<byte[]> pending;
  private final JoinStore<String> index;
  private final JoinStore<String> expiry;
  private final Output out;
  /**
   * Every expiry entry has a deadline >= this (in memory; 0 after a restart). Scanning from it rather than
   * from 0 keeps each expiry from walking the tombstones RocksDB keeps for entries already expired.
   */
  private long lowestDeadline;

  /**
   * @param seen event id -> stream time of its first sight
   * @param pending event id -> the held {@link Interaction}
   * @param index join-index key -> {@link IndexList} of held event ids
   * @param expiry {@link #expiryKey} -> ""
   */
  public Joiner(Settings settings, JoinStore<String> seen, JoinStore<byte[]> pending, JoinStore<String> index,
      JoinStore<String> expiry, Output out) {
    this.settings = Objects.requireNonNull(settings);
    this.window = settings.windowMs();
    this.seen = Objects.requireNonNull(seen);
    this.pending = Objects.requireNonNull(pending);
    this.index = Objects.requireNonNull(index);
    this.expiry = Objects.requireNonNull(expiry);
    this.out = Objects.requireNonNull(out);
  }

  /** An in-memory joiner (a replay's). */
  public static Joiner inMemory(Settings settings, Output out) {
    return new Joiner(settings, new MemoryJoinStore<>(), new MemoryJoinStore<>(), new MemoryJoinStore<>(),
        new MemoryJoinStore<>(), out);
  }

  /** The event's own timestamp (an erasure's {@code requestedAt}). */
  public static long timestamp(Event e) {
    Object p = e.getPayload();
    return p instanceof Impression i ? i.getTimestamp() : p instanceof Erasure x ? x.getRequestedAt()
        : ((Click) p).getTimestamp();
  }

  /** The event's id (an erasure's {@code requestId}). */
  public static String eventId(Event e) {
    Object p = e.getPayload();
    return p instanceof Impression i ? i.getEventId() : p instanceof Erasure x ? x.getRequestId()
        : ((Click) p).getEventId();
  }

  /** The user of the event. */
  public static String user(Event e) {
    Object p = e.getPayload();
    return p instanceof Impression i ? i.getUser() : p instanceof Erasure x ? x.getUser() : ((Click) p).getUser();
  }

  /** Whether the event is an erasure (which stream time must not count). */
  public static boolean isErasure(Event e) {
    return e.getPayload() instanceof Erasure;
  }

  /** The interaction that marks an erasure on the interactions topic. */
  public static Interaction eraseMarker(Erasure e) {
    return Interaction.newBuilder().setEventId(e.getRequestId()).setUser(e.getUser()).setItem("")
        .setTimestamp(e.getRequestedAt()).setLabel(0).setSource(InteractionSource.ERASE_USER).setRequestId(null)
        .setPosition(null).setPropensity(null).build();
  }

  /**
   * Takes one valid event.
   *
   * @param streamTime the largest timestamp of the valid events seen so far, this one's included
   */
  public Verdict process(Event event, long streamTime) {
    if (event.getPayload() instanceof Erasure e) {
      erase(e, streamTime);
      return Verdict.ACCEPTED;
    }
    String crowded = crowded(event, streamTime);
    if (crowded != null) {
      return new Verdict(Outcome.REFUSED, crowded);
    }
    String eventId = eventId(event);
    String firstSeen = seen.get(eventId);
    if (firstSeen != null && Long.parseLong(firstSeen) + settings.dedupeRetentionMs() >= streamTime) {
      return Verdict.DUPLICATE;
    }
    seen.put(eventId, Long.toString(streamTime));
    addExpiry(streamTime + settings.dedupeRetentionMs(), SEEN, eventId);
    if (event.getPayload() instanceof Impression imp) {
      onImpression(imp, streamTime);
    } else {
      onClick((Click) event.getPayload(), streamTime);
    }
    return Verdict.ACCEPTED;
  }

  /** Resolves everything whose deadline stream time has passed, in deadline order. */
  public void expire(long streamTime) {
    if (streamTime - 1 < lowestDeadline) {
      return;
    }
    long upTo = streamTime == Long.MAX_VALUE ? Long.MAX_VALUE : streamTime - 1;
    var due = expiry.keysBetween(pad(lowestDeadline), pad(upTo) + "}");
    lowestDeadline = streamTime;
    for (String key : due) {
      expiry.delete(key);
      char kind = key.charAt(20);
      String eventId = key.substring(22);
      if (kind == SEEN) {
        seen.delete(eventId);
        continue;
      }
      Interaction i = get(eventId);
      if (i == null) {
        continue;
      }
      if (kind == IMP && i.getLabel() == 0 || kind == CLICK) {
        out.interaction(i);
      }
      remove(i, kind);
    }
  }

  /** Applies an erasure (see the class comment). */
  private void erase(Erasure e, long streamTime) {
    int dropped = 0;
    for (char kind : new char[] {IMP, CLICK}) {
      String prefix = userIndexPrefix(kind, e.getUser());
      // every key of this user and kind is prefix + lp(item) + "|", and lp(item) starts with a digit (< ':')
      List<String> keys = index.keysBetween(prefix, prefix + ":");
      for (String key : keys) {
        for (String id : IndexList.ids(index.get(key))) {
          Interaction i = get(id);
          if (i == null) {
            continue;
          }
          // a clicked impression was emitted when clicked and is held only to recognise repeat clicks
          boolean emitted = kind == IMP && i.getLabel() == 1;
          if (!emitted && expired(i.getTimestamp(), streamTime)) {
            out.interaction(i); // decided before the erasure: what expire would emit
          } else if (!emitted) {
            dropped++;
          }
          remove(i, kind);
        }
      }
    }
    out.interaction(eraseMarker(e));
    out.erased(e, dropped);
  }

  /** Resolves everything still held, as if stream time passed every deadline: the end of a log. */
  public void finish() {
    expire(Long.MAX_VALUE);
  }

  /** Null when the event's join-index lists have room, else why not. */
  private String crowded(Event event, long streamTime) {
    boolean impression = event.getPayload() instanceof Impression;
    char kind = impression ? IMP : CLICK;
    String user = impression ? ((Impression) event.getPayload()).getUser() : ((Click) event.getPayload()).getUser();
    String item = impression ? ((Impression) event.getPayload()).getItem() : ((Click) event.getPayload()).getItem();
    String req = impression ? ((Impression) event.getPayload()).getRequestId()
        : ((Click) event.getPayload()).getRequestId();
    String what = impression ? "impressions" : "clicks";
    if (held(index.get(userItemIndexPrefix(kind, user, item)), streamTime) >= settings.maxHeldPerKey()) {
      return settings.maxHeldPerKey() + " " + what + " of this user and item are already held within the join window";
    }
    if (req != null && held(index.get(requestIndexPrefix(kind, req, item)), streamTime) >= settings.maxHeldPerKey()) {
      return settings.maxHeldPerKey() + " " + what + " of this request and item are already held within the join"
          + " window";
    }
    return null;
  }

  /** Entries of an index list still held at {@code streamTime} (parsed only when the list is full). */
  private int held(String list, long streamTime) {
    int n = IndexList.size(list);
    if (n < settings.maxHeldPerKey()) {
      return n;
    }
    int live = 0;
    for (IndexList.Entry e : IndexList.parse(list)) {
      if (!expired(e.timestamp(), streamTime)) {
        live++;
      }
    }
    return live;
  }

  /** Whether a held event of timestamp {@code ts} is past its deadline. */
  private boolean expired(long ts, long streamTime) {
    return ts + window < streamTime;
  }

  private void onImpression(Impression imp, long streamTime) {
    Interaction click = null;
    if (imp.getRequestId() != null) {
      for (String id : IndexList.ids(index.get(requestIndexPrefix(CLICK, imp.getRequestId(), imp.getItem())))) {
        Interaction c = get(id);
        if (c != null && c.getUser().equals(imp.getUser()) && !expired(c.getTimestamp(), streamTime)) {
          click = c;
          break;
        }
      }
    }
    if (click == null) {
      String key = userItemIndexPrefix(CLICK, imp.getUser(), imp.getItem());
      for (String id : IndexList.idsBetween(index.get(key), imp.getTimestamp(), imp.getTimestamp() + window)) {
        Interaction c = get(id);
        if (c != null && !expired(c.getTimestamp(), streamTime)) {
          click = c;
          break;
        }
      }
    }
    Interaction i = Interaction.newBuilder().setEventId(imp.getEventId()).setUser(imp.getUser())
        .setItem(imp.getItem()).setTimestamp(imp.getTimestamp()).setLabel(0)
        .setSource(InteractionSource.UNCLICKED_IMPRESSION).setRequestId(imp.getRequestId())
        .setPosition(imp.getPosition()).setPropensity(imp.getPropensity()).build();
    if (click != null) {
      remove(click, CLICK);
      markClicked(i);
      out.interaction(i);
    }
    if (expired(imp.getTimestamp(), streamTime)) {
      if (click == null) {
        out.interaction(i);
      }
      return;
    }
    hold(i, IMP);
  }

  private void onClick(Click c, long streamTime) {
    Interaction target = null;
    boolean repeat = false;
    if (c.getRequestId() != null) {
      for (String id : IndexList.ids(index.get(requestIndexPrefix(IMP, c.getRequestId(), c.getItem())))) {
        Interaction imp = get(id);
        if (imp == null || !imp.getUser().equals(c.getUser()) || expired(imp.getTimestamp(), streamTime)) {
          continue;
        }
        if (imp.getLabel() == 0) {
          target = imp;
          break;
        }
        repeat = true;
      }
    }
    if (target == null && !repeat) {
      String key = userItemIndexPrefix(IMP, c.getUser(), c.getItem());
      for (String id : IndexList.idsBetween(index.get(key), c.getTimestamp() - window, c.getTimestamp())) {
        Interaction imp = get(id);
        if (imp == null || expired(imp.getTimestamp(), streamTime)) {
          continue;
        }
        if (imp.getLabel() == 0) {
          target = imp; // ascending time: the last one seen is the latest
        } else {
          repeat = true;
        }
      }
    }
    if (target != null) {
      markClicked(target);
      pending.put(target.getEventId(), Codecs.INTERACTION.encode(target));
      out.interaction(target);
      return;
    }
    if (repeat) {
      out.repeatClick(c);
      return;
    }
    Interaction i = Interaction.newBuilder().setEventId(c.getEventId()).setUser(c.getUser()).setItem(c.getItem())
        .setTimestamp(c.getTimestamp()).setLabel(1).setSource(InteractionSource.CLICK_WITHOUT_IMPRESSION)
        .setRequestId(c.getRequestId()).setPosition(null).setPropensity(null).build();
    if (expired(c.getTimestamp(), streamTime)) {
      out.interaction(i);
      return;
    }
    hold(i, CLICK);
  }

  private static void markClicked(Interaction imp) {
    imp.setLabel(1);
    imp.setSource(InteractionSource.CLICKED_IMPRESSION);
  }

  /** Stores an impression or click with its index and expiry entries. */
  private void hold(Interaction i, char kind) {
    pending.put(i.getEventId(), Codecs.INTERACTION.encode(i));
    if (i.getRequestId() != null) {
      String key = requestIndexPrefix(kind, i.getRequestId(), i.getItem());
      index.put(key, IndexList.add(index.get(key), i.getTimestamp(), i.getEventId()));
    }
    String key = userItemIndexPrefix(kind, i.getUser(), i.getItem());
    index.put(key, IndexList.add(index.get(key), i.getTimestamp(), i.getEventId()));
    addExpiry(i.getTimestamp() + window, kind, i.getEventId());
  }

  /** Removes what {@link #hold} stored. */
  private void remove(Interaction i, char kind) {
    pending.delete(i.getEventId());
    if (i.getRequestId() != null) {
      unindex(requestIndexPrefix(kind, i.getRequestId(), i.getItem()), i.getEventId());
    }
    unindex(userItemIndexPrefix(kind, i.getUser(), i.getItem()), i.getEventId());
    expiry.delete(expiryKey(i.getTimestamp() + window, kind, i.getEventId()));
  }

  private Interaction get(String eventId) {
    byte[] b = pending.get(eventId);
    return b == null ? null : Codecs.INTERACTION.decode(b);
  }

  private void unindex(String key, String eventId) {
    String rest = IndexList.remove(index.get(key), eventId);
    if (rest == null) {
      index.delete(key);
    } else {
      index.put(key, rest);
    }
  }

  private void addExpiry(long deadline, char kind, String eventId) {
    lowestDeadline = Math.min(lowestDeadline, Math.max(0, deadline));
    expiry.put(expiryKey(deadline, kind, eventId), "");
  }

  /** 19-digit zero-padded decimal: string order equals numeric order for non-negative longs. */
  public static String pad(long t) {
    String digits = Long.toString(Math.max(0, t)); // 19 digits hold any non-negative long
    return "0".repeat(19 - digits.length()) + digits;
  }

  /** Length-prefixed id: concatenations of these are unambiguous (ids may contain any character). */
  private static String lp(String s) {
    return s.length() + ":" + s;
  }

  static String requestIndexPrefix(char kind, String requestId, String item) {
    return "R|" + kind + "|" + lp(requestId) + lp(item) + "|";
  }

  static String userItemIndexPrefix(char kind, String user, String item) {
    return userIndexPrefix(kind, user) + lp(item) + "|";
  }

  /** The common start of every (user, item) index key of this user and kind (lp makes it unambiguous). */
  static String userIndexPrefix(char kind, String user) {
    return "U|" + kind + "|" + lp(user);
  }

  static String expiryKey(long deadline, char kind, String eventId) {
    return pad(deadline) + "|" + kind + "|" + eventId;
  }
}
