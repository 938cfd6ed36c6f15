package io.relstream.events;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.relstream.schemas.avro.Click;
import io.relstream.schemas.avro.Erasure;
import io.relstream.schemas.avro.Event;
import io.relstream.schemas.avro.Impression;
import io.relstream.schemas.avro.Interaction;
import io.relstream.schemas.avro.InteractionSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class JoinerTest {
  static final long W = 60_000;
  static final long T0 = 1_764_300_000_000L;
  static final Joiner.Settings SETTINGS = new Joiner.Settings(W, 3_600_000L, 1000);

  static Event imp(String id, String user, String item, long ts, String req) {
    return Event.newBuilder().setPayload(Impression.newBuilder().setEventId(id).setUser(user).setItem(item)
        .setTimestamp(ts).setRequestId(req).setPosition(1).setPropensity(0.5).build()).build();
  }

  static Event click(String id, String user, String item, long ts, String req) {
    return Event.newBuilder().setPayload(Click.newBuilder().setEventId(id).setUser(user).setItem(item)
        .setTimestamp(ts).setRequestId(req).build()).build();
  }

  /** Runs {@code log} through one joiner, expiring every {@code every} events (0: only at the end). */
  static List<Interaction> run(List<Event> log, int every) {
    List<Interaction> out = new ArrayList<>();
    Joiner j = Joiner.inMemory(SETTINGS, out::add);
    long st = 0;
    int n = 0;
    for (Event e : log) {
      if (!Joiner.isErasure(e)) {
        st = Math.max(st, Joiner.timestamp(e));
      }
      j.process(e, st);
      if (every > 0 && ++n % every == 0) {
        j.expire(st);
      }
    }
    j.finish();
    return out;
  }

  static Event erase(String user, String requestId, long requestedAt) {
    return Event.newBuilder().setPayload(Erasure.newBuilder().setUser(user).setRequestId(requestId)
        .setRequestedAt(requestedAt).build()).setArrivalTime(requestedAt).build();
  }

  static Map<String, String> byEventId(List<Interaction> out) {
    Map<String, String> m = new TreeMap<>();
    for (Interaction i : out) {
      assertEquals(null, m.put(i.getEventId(), i.getLabel() + " " + i.getSource()), "one interaction per event: " + i);
    }
    return m;
  }

  /** The event ids whose outcome differs, with both outcomes (a short message when a test fails). */
  static Map<String, String> diff(Map<String, String> a, Map<String, String> b) {
    Map<String, String> d = new TreeMap<>();
    java.util.Set<String> ids = new java.util.TreeSet<>(a.keySet());
    ids.addAll(b.keySet());
    for (String id : ids) {
      if (!java.util.Objects.equals(a.get(id), b.get(id))) {
        d.put(id, a.get(id) + " vs " + b.get(id));
      }
    }
    return d;
  }

  @Test
  void theRules() {
    List<Event> log = List.of(
        imp("a", "u", "x", T0, "r1"),
        click("ca", "u", "x", T0 + 10, "r1"),                  // joins a by request
        click("ca2", "u", "x", T0 + 20, "r1"),                 // repeat click: dropped
        click("cb", "u", "y", T0 + 100, null),                 // before its impression
        imp("b", "u", "y", T0 + 50, null),                     // claims cb (50 <= 100 <= 50 + W)
        imp("c", "u", "z", T0 + 200, null),                    // never clicked
        click("orphan", "v", "q", T0 + 300, null),             // no impression ever
        imp("a", "u", "x", T0 + 400, "r1"),                    // duplicate id
        click("late", "u", "z", T0 + 200 + W + 1, null),       // one ms past c's window
        imp("end", "w", "e", T0 + 10 * W, null));              // moves stream time past every deadline
    List<Interaction> out = run(log, 1);
    Map<String, String> m = byEventId(out);
    assertEquals("1 CLICKED_IMPRESSION", m.get("a"));
    assertEquals("1 CLICKED_IMPRESSION", m.get("b"));
    assertEquals("0 UNCLICKED_IMPRESSION", m.get("c"));
    assertEquals("1 CLICK_WITHOUT_IMPRESSION", m.get("orphan"));
    assertEquals("1 CLICK_WITHOUT_IMPRESSION", m.get("late"));
    assertEquals("0 UNCLICKED_IMPRESSION", m.get("end"), "finish resolves what is still held");
    assertEquals(6, out.size(), m.toString());
  }

  @Test
  void aHeldImpressionPastItsDeadlineCannotBeClickedEvenBeforeExpiryRan() {
    // stream time passes imp's deadline (T0 + W) with an event for another user; no expire call in between
    List<Event> log = List.of(imp("i", "u", "x", T0, null), imp("o", "v", "y", T0 + W + 1, null),
        click("c", "u", "x", T0 + W, null));
    Map<String, String> never = byEventId(run(log, 0));
    Map<String, String> always = byEventId(run(log, 1));
    assertEquals(always, never);
    assertEquals("0 UNCLICKED_IMPRESSION", never.get("i"));
    assertEquals("1 CLICK_WITHOUT_IMPRESSION", never.get("c"));
  }

  @Test
  void theInteractionsOfALogDoNotDependOnWhenExpiryRuns() {
    for (long seed = 1; seed <= 5; seed++) {
      List<Event> log = RandomEventLog.generate(seed, 3000, T0, W, T0 + 100 * W);
      Map<String, String> eager = byEventId(run(log, 1));
      assertEquals(Map.of(), diff(eager, byEventId(run(log, 37))), "seed " + seed + ", expiry every 37 events");
      assertEquals(Map.of(), diff(eager, byEventId(run(log, 0))), "seed " + seed + ", expiry only at the end");
      long sources = eager.values().stream().distinct().count();
      assertEquals(3, sources, "the log exercises every outcome: " + eager.values().stream().distinct().toList());
    }
  }

  @Test
  void aDuplicateIsOneSeenWithinTheRetentionOnly() {
    Joiner.Settings s = new Joiner.Settings(W, 1000, 1000);
    List<Interaction> out = new ArrayList<>();
    Joiner j = Joiner.inMemory(s, out::add);
    assertEquals(Joiner.Outcome.ACCEPTED, j.process(click("c", "u", "x", T0, null), T0).outcome());
    assertEquals(Joiner.Outcome.DUPLICATE, j.process(click("c", "u", "x", T0, null), T0 + 1000).outcome());
    // past the retention, with no expiry run: remembered no longer
    assertEquals(Joiner.Outcome.ACCEPTED, j.process(click("c", "u", "x", T0, null), T0 + 1001).outcome());
  }

  @Test
  void heldEventsPerKeyAreBoundedCountingOnlyThoseStillHeld() {
    Joiner.Settings s = new Joiner.Settings(W, 3_600_000L, 3);
    Joiner j = Joiner.inMemory(s, i -> { });
    for (int n = 0; n < 3; n++) {
      assertEquals(Joiner.Outcome.ACCEPTED, j.process(imp("i" + n, "u", "x", T0, null), T0).outcome());
    }
    Joiner.Verdict v = j.process(imp("i3", "u", "x", T0, null), T0);
    assertEquals(Joiner.Outcome.REFUSED, v.outcome());
    assertTrue(v.reason().contains("3 impressions of this user and item"), v.reason());
    // once stream time passes their deadline the three no longer count, expired or not
    assertEquals(Joiner.Outcome.ACCEPTED, j.process(imp("i4", "u", "x", T0 + W + 1, null), T0 + W + 1).outcome());
  }

  @Test
  void anErasureDropsTheUsersHeldEventsForGoodAndEmitsOneMarker() {
    for (int every : new int[] {0, 1}) {
      List<Event> log = List.of(
          imp("a", "u", "x", T0, "r1"),                      // held, never clicked before the erasure
          click("cb", "u", "y", T0 + 100, null),             // held, before its impression
          imp("c", "u", "z", T0 + 200, null),
          click("cc", "u", "z", T0 + 300, null),             // joins c: emitted before the erasure
          imp("o", "v", "x", T0 + 400, "r1"),                // another user's, held: stays
          click("oc", "u1", "x", T0 + 450, null),            // user "u1" is not "u": stays held
          erase("u", "req-9", T0 + 500),
          click("ca", "u", "x", T0 + 600, "r1"),             // after the erasure: a is gone, nothing to join
          imp("b", "u", "y", T0 + 700, null),                // cannot claim cb: dropped with the erasure
          imp("end", "w", "e", T0 + 10 * W, null));          // moves stream time past every deadline
      List<Interaction> out = run(log, every);
      Map<String, String> m = byEventId(out);
      assertEquals("1 CLICKED_IMPRESSION", m.get("c"), "decided before the erasure");
      assertEquals(null, m.get("a"), "a held impression of u is never emitted after the erasure");
      assertEquals(null, m.get("cb"), "nor a held click");
      assertEquals("0 ERASE_USER", m.get("req-9"));
      assertEquals("1 CLICK_WITHOUT_IMPRESSION", m.get("ca"), "u's later events are joined afresh");
      assertEquals("0 UNCLICKED_IMPRESSION", m.get("b"));
      assertEquals("0 UNCLICKED_IMPRESSION", m.get("o"), "v's held impression is kept");
      assertEquals("1 CLICK_WITHOUT_IMPRESSION", m.get("oc"), "u1's held click is kept");
      assertEquals(7, out.size(), m.toString());
      Interaction marker = out.stream().filter(i -> i.getSource() == InteractionSource.ERASE_USER).findFirst()
          .orElseThrow();
      assertEquals(Interaction.newBuilder().setEventId("req-9").setUser("u").setItem("").setTimestamp(T0 + 500)
          .setLabel(0).setSource(InteractionSource.ERASE_USER).setRequestId(null).setPosition(null)
          .setPropensity(null).build(), marker, "the contract's marker");
      List<String> order = out.stream().map(Interaction::getEventId).toList();
      assertTrue(order.indexOf("c") < order.indexOf("req-9") && order.indexOf("req-9") < order.indexOf("ca"),
          "the marker sits between u's events before and after the erasure: " + order);
    }
  }

  @Test
  void whatWasDecidedBeforeAnErasureIsEmittedBeforeItWhetherOrNotExpiryRan() {
    // stream time passes i's deadline with v's event; the erasure comes before any expiry in run(log, 0)
    List<Event> log = List.of(imp("i", "u", "x", T0, null), click("k", "u", "q", T0 + 10, null),
        imp("h", "u", "y", T0 + W, null), imp("o", "v", "y", T0 + W + 11, null), erase("u", "req", T0 + W + 20));
    for (int every : new int[] {0, 1}) {
      List<Interaction> out = run(log, every);
      List<String> order = out.stream().map(i -> i.getEventId() + " " + i.getSource()).toList();
      assertEquals(List.of("i UNCLICKED_IMPRESSION", "k CLICK_WITHOUT_IMPRESSION", "req ERASE_USER"),
          order.subList(0, 3).stream().sorted().toList(), "expiry every " + every + ": " + order);
      assertEquals("req ERASE_USER", order.get(2), "decided ones first: " + order);
      assertEquals(List.of("o UNCLICKED_IMPRESSION"), order.subList(3, order.size()), "h (still held) is dropped");
    }
  }

  @Test
  void anErasureCountsWhatItDroppedAndNeverTouchesUsersWithSimilarIds() {
    List<Interaction> out = new ArrayList<>();
    int[] dropped = {-1};
    Joiner j = Joiner.inMemory(SETTINGS, new Joiner.Output() {
      @Override
      public void interaction(Interaction i) {
        out.add(i);
      }

      @Override
      public void erased(Erasure e, int n) {
        dropped[0] = n;
      }
    });
    // ids chosen against the index layout U|kind|len:user len:item|: a prefix or a length-looking id
    List<String> others = List.of("1", "u1", "1:u", "uu", "u|", "");
    for (String user : others) {
      if (!user.isEmpty()) {
        j.process(imp("i-" + user, user, "1:ux", T0, null), T0);
      }
    }
    j.process(imp("i-u", "u", "x", T0, null), T0);
    j.process(click("c-u", "u", "1:u", T0, null), T0);
    j.process(imp("i2-u", "u", "1:u", T0 - 1, "r"), T0);  // claims c-u: emitted, held for repeats
    assertEquals(Joiner.Outcome.ACCEPTED, j.process(erase("u", "req", T0), T0).outcome());
    assertEquals(1, dropped[0], "i-u only: c-u and i2-u were emitted already");
    j.finish();
    List<String> ids = out.stream().map(Interaction::getEventId).sorted().toList();
    assertEquals(List.of("i-1", "i-1:u", "i-u1", "i-uu", "i-u|", "i2-u", "req"), ids);
  }

  @Test
  void logJoinAppliesAnErasureWithoutMovingStreamTime() {
    List<Interaction> out = new ArrayList<>();
    LogJoin lj = new LogJoin(SETTINGS, out::add);
    lj.offer(imp("i", "v", "x", T0, null), T0);
    lj.offer(imp("j", "u", "x", T0, null), T0);
    // requested (and arrived) long after: were it stream time, i would be resolved now
    assertTrue(lj.offer(erase("u", "req", T0 + 10 * W), T0 + 10 * W).isEmpty());
    assertEquals(List.of("req"), out.stream().map(Interaction::getEventId).toList());
    assertEquals(1, lj.erasures());
    assertTrue(lj.offer(erase("", "bad", T0), T0).isPresent(), "an erasure of a bad user id is rejected");
    assertEquals(Map.of("bad_id", 1L), lj.rejected());
    lj.finish();
    assertEquals(List.of("req", "i"), out.stream().map(Interaction::getEventId).toList(), "j was dropped");
  }

  @Test
  void logJoinCountsAndResolvesEverything() {
    List<Event> log = RandomEventLog.generate(9, 2000, T0, W, T0 + 100 * W);
    List<Interaction> out = new ArrayList<>();
    LogJoin lj = new LogJoin(SETTINGS, out::add);
    for (Event e : log) {
      lj.offer(e, 0);
    }
    Event bad = imp("", "u", "x", T0, null);
    assertTrue(lj.offer(bad, 0).isPresent());
    lj.finish();
    assertEquals(Map.of("bad_id", 1L), lj.rejected());
    assertNotEquals(0, lj.duplicates());
    assertEquals(out.size(), lj.emitted());
    assertEquals(Map.of(), diff(byEventId(run(log, 1)), byEventId(out)));
    long impressions = log.stream().filter(e -> e.getPayload() instanceof Impression).map(Joiner::eventId).distinct()
        .count();
    assertEquals(impressions, out.stream().filter(i -> i.getSource() != InteractionSource.CLICK_WITHOUT_IMPRESSION)
        .count(), "every impression comes out exactly once");
  }
}
