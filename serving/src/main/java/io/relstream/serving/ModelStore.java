package io.relstream.serving;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.relstream.core.propensity.EpsilonSlots;
import io.relstream.core.topk.DebiasedPopularity;
import io.relstream.core.accel.TileScan;
import io.relstream.core.topk.TopK;
import io.relstream.schemas.Codecs;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import org.apache.kafka.common.TopicPartition;
import org.rocksdb.ColumnFamilyDescriptor;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.ColumnFamilyOptions;
import org.rocksdb.DBOptions;
import org.rocksdb.ReadOptions;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.Snapshot;
import org.rocksdb.WriteBatch;
import org.rocksdb.WriteOptions;

/**
 * Serving's model, in RocksDB (the source of truth) with the item rows mirrored in memory for top-k.
 *
 * <p>Column families (keys are UTF-8 ids; values in {@link Values}' format):
 * <ul>
 *   <li>{@code users}: user id -&gt; USER (factors)</li>
 *   <li>{@code items}: item id -&gt; ITEM (factors, propensity &theta;, decayed clicks)</li>
 *   <li>{@code clicks}: u16 length of the user id, user id, item id -&gt; CLICK (timestamp): the items
 *       each user clicked (label-1 interactions)</li>
 *   <li>{@code meta}: {@code offset/TOPIC/PARTITION} -&gt; LONG (offset of the last consumed record),
 *       {@code modelVersion} -&gt; LONG (highest seen), {@code appliedRecords} -&gt; LONG (rows and
 *       clicks applied since the store was created)</li>
 * </ul>
 *
 * <p>Atomicity: {@link #apply} writes one {@link Batch} (rows, clicks, erasures, the consumed offsets and
 * the counters) as one RocksDB {@code WriteBatch} with a synced WAL write, so after a crash either all of
 * a poll is in the store with its offsets, or none of it: resuming from {@link #offsets()} + 1 applies
 * every record exactly once. One thread may call {@link #apply}; queries may run concurrently from any
 * thread, and a query reads the user's row and clicks from one RocksDB snapshot, so it sees a batch
 * wholly or not at all (an erased user's row and clicks go together). The vector dimension is fixed by
 * the first row ever stored; rows of another dimension are rejected.
 *
 * <p>Erasure ({@link Batch#eraseUser}, {@link Batch#eraseItem}, {@link Batch#eraseClicks}) deletes the rows
 * and clicks from RocksDB, so a reopened store does not bring them back; an erased user gets the
 * popularity fallback without any exclusion of their own; an erased item leaves the item snapshot (which
 * is rebuilt, copy-on-write as for any change).
 */
final class ModelStore implements AutoCloseable {
  static final String CF_USERS = "users";
  static final String CF_ITEMS = "items";
  static final String CF_CLICKS = "clicks";
  static final String CF_META = "meta";
  static final byte[] KEY_MODEL_VERSION = "modelVersion".getBytes(StandardCharsets.UTF_8);
  static final byte[] KEY_APPLIED = "appliedRecords".getBytes(StandardCharsets.UTF_8);
  private static final String OFFSET_PREFIX = "offset/";

  static {
    RocksDB.loadLibrary();
  }

  /**
   * One returned slot: the item, its score, the propensity &theta; the model holds for it and, in an answer
   * to a recommendation query, {@code inclusion}: the probability that the serving policy
   * ({@link #explore}) showed this item in the answer at all (1 for every item of a deterministic answer),
   * and {@code explored}: whether the policy put it there in place of the model's choice. Both null in a
   * similar-items answer.
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  record Slot(String item, float score, double propensity, Double inclusion, Boolean explored) {
    Slot(String item, float score, double propensity) {
      this(item, score, propensity, null, null);
    }
  }

  /** The serving policy of recommendation answers: greedy unless {@link #explore} says otherwise. */
  private volatile EpsilonSlots policy = new EpsilonSlots(0);

  /**
   * Answers from now on follow {@code p}: each greedy slot is replaced with probability &epsilon; by an
   * eligible item outside the greedy list (the filters hold for it too), and every slot carries its exact
   * inclusion probability.
   */
  void explore(EpsilonSlots p) {
    policy = Objects.requireNonNull(p);
  }

  /**
   * Answer of {@link #recommend}.
   *
   * @param modelVersion the version of the item snapshot the answer was scored on (the user's row is at
   *     least as new: it is written to RocksDB before the snapshot is published)
   * @param modelUpdatedAtMs when this server published that snapshot (wall clock, epoch ms; -1: none): the
   *     answer's {@code modelAgeMs} is the time since, so it measures how long the served model has not
   *     changed, not how old the events behind it are
   * @param ignored ids of the filter that name no item, in the order given
   */
  record Recommendation(String user, long modelVersion, List<Slot> items, boolean fallback, List<String> ignored,
      long modelUpdatedAtMs) {}

  /**
   * The business filters of a query: items never returned ({@code exclude}, besides the user's clicks) and,
   * when {@code include} is not null, the only items scored (a re-ranking call). Unknown ids are ignored.
   */
  record Filter(List<String> exclude, List<String> include) {
    static final Filter NONE = new Filter(List.of(), null);

    Filter {
      exclude = List.copyOf(exclude);
      include = include == null ? null : List.copyOf(include);
    }
  }

  /** Answer of {@link #similar}. */
  record Similar(String item, long modelVersion, List<Slot> items) {}

  private final DBOptions dbOptions;
  private final ColumnFamilyOptions cfOptions;
  private final WriteOptions syncWrite;
  private final RocksDB db;
  private final List<ColumnFamilyHandle> handles;
  private final ColumnFamilyHandle users;
  private final ColumnFamilyHandle items;
  private final ColumnFamilyHandle clicks;
  private final ColumnFamilyHandle meta;
  private final ReadWriteLock lock = new ReentrantReadWriteLock();
  private Scorer scorer;
  /** The published item snapshot: replaced (never modified) by {@link #apply}, read without a lock. */
  private volatile ItemTable table;
  private final Map<TopicPartition, Long> offsets = new HashMap<>();
  private volatile long modelVersion = -1;
  private volatile long applied;
  private volatile int dim;
  private boolean closed;

  private ModelStore(Path dir, DebiasedPopularity popularity) throws RocksDBException {
    this.table = ItemTable.empty(popularity);
    this.dbOptions = new DBOptions().setCreateIfMissing(true).setCreateMissingColumnFamilies(true);
    this.cfOptions = new ColumnFamilyOptions();
    this.syncWrite = new WriteOptions().setSync(true);
    List<ColumnFamilyDescriptor> descriptors = List.of(
        new ColumnFamilyDescriptor(RocksDB.DEFAULT_COLUMN_FAMILY, cfOptions),
        new ColumnFamilyDescriptor(utf8(CF_USERS), cfOptions),
        new ColumnFamilyDescriptor(utf8(CF_ITEMS), cfOptions),
        new ColumnFamilyDescriptor(utf8(CF_CLICKS), cfOptions),
        new ColumnFamilyDescriptor(utf8(CF_META), cfOptions));
    this.handles = new ArrayList<>();
    try {
      this.db = RocksDB.open(dbOptions, dir.toString(), descriptors, handles);
    } catch (RocksDBException e) {
      syncWrite.close();
      cfOptions.close();
      dbOptions.close();
      throw e;
    }
    this.users = handles.get(1);
    this.items = handles.get(2);
    this.clicks = handles.get(3);
    this.meta = handles.get(4);
  }

  /**
   * Opens the store in {@code dir} (created if missing), loads the item rows into memory and reads
   * the stored offsets, model version and counters.
   *
   * @param popularity the fallback ranking (its clip M)
   * @throws IllegalStateException when a stored value is corrupt
   */
  static ModelStore open(Path dir, DebiasedPopularity popularity) throws RocksDBException {
    return open(dir, popularity, t -> Scorer.basic());
  }

  /**
   * As {@link #open(Path, DebiasedPopularity)}, scanning with the scorer {@code scorerFor} makes for the
   * loaded table (so a start-up measurement can use the model's shape); the store closes it.
   */
  static ModelStore open(Path dir, DebiasedPopularity popularity,
      java.util.function.Function<ItemTable, Scorer> scorerFor) throws RocksDBException {
    try {
      Files.createDirectories(dir);
    } catch (java.io.IOException e) {
      throw new IllegalStateException("cannot create " + dir + ": " + e.getMessage(), e);
    }
    ModelStore store = new ModelStore(dir, popularity);
    try {
      store.load();
      store.scorer = scorerFor.apply(store.table);
      return store;
    } catch (RuntimeException | RocksDBException e) {
      store.close();
      throw e;
    }
  }

  private void load() throws RocksDBException {
    List<Map.Entry<String, Values.ItemRow>> rows = new ArrayList<>();
    try (RocksIterator it = db.newIterator(items)) {
      for (it.seekToFirst(); it.isValid(); it.next()) {
        rows.add(new AbstractMap.SimpleImmutableEntry<>(str(it.key()), decodeItem(it.key(), it.value())));
      }
      it.status();
    }
    byte[] v0 = db.get(meta, KEY_MODEL_VERSION);
    table = table.with(rows, v0 == null ? -1 : Values.decodeLong(v0));
    dim = table.dim();
    if (dim == 0) {
      try (RocksIterator it = db.newIterator(users)) {
        it.seekToFirst();
        if (it.isValid()) {
          dim = Values.decodeUser(it.value()).vector().length;
        }
        it.status();
      }
    }
    byte[] prefix = utf8(OFFSET_PREFIX);
    try (RocksIterator it = db.newIterator(meta)) {
      for (it.seek(prefix); it.isValid() && startsWith(it.key(), prefix); it.next()) {
        String key = str(it.key()).substring(OFFSET_PREFIX.length());
        int slash = key.lastIndexOf('/');
        offsets.put(new TopicPartition(key.substring(0, slash), Integer.parseInt(key.substring(slash + 1))),
            Values.decodeLong(it.value()));
      }
      it.status();
    }
    byte[] v = db.get(meta, KEY_MODEL_VERSION);
    modelVersion = v == null ? -1 : Values.decodeLong(v);
    byte[] a = db.get(meta, KEY_APPLIED);
    applied = a == null ? 0 : Values.decodeLong(a);
  }

  private static Values.ItemRow decodeItem(byte[] key, byte[] value) {
    try {
      return Values.decodeItem(value);
    } catch (IllegalArgumentException e) {
      throw new IllegalStateException("corrupt item row " + str(key) + ": " + e.getMessage(), e);
    }
  }

  /** Offsets of the last consumed record per topic-partition (a copy). */
  synchronized Map<TopicPartition, Long> offsets() {
    return new HashMap<>(offsets);
  }

  /** Highest model version stored, or -1 before the first row. */
  long modelVersion() {
    return modelVersion;
  }

  /** Rows and clicks applied since the store was created (persisted with them). */
  long appliedRecords() {
    return applied;
  }

  /** Items in the in-memory table. */
  int itemCount() {
    return table.count();
  }

  /** RocksDB's estimate of a column family's keys (users, items, clicks), -1 when closed or unknown. */
  long estimatedKeys(String cf) {
    return property(cf, "rocksdb.estimate-num-keys");
  }

  /** Bytes of the store: SST files plus memtables, over the column families (-1 when closed). */
  long storeBytes() {
    long sum = 0;
    for (String cf : List.of(CF_USERS, CF_ITEMS, CF_CLICKS, CF_META)) {
      long sst = property(cf, "rocksdb.total-sst-files-size");
      long mem = property(cf, "rocksdb.cur-size-all-mem-tables");
      if (sst < 0 || mem < 0) {
        return -1;
      }
      sum += sst + mem;
    }
    return sum;
  }

  private long property(String cf, String name) {
    ColumnFamilyHandle h = switch (cf) {
      case CF_USERS -> users;
      case CF_ITEMS -> items;
      case CF_CLICKS -> clicks;
      default -> meta;
    };
    lock.readLock().lock();
    try {
      return closed ? -1 : db.getLongProperty(h, name);
    } catch (RocksDBException e) {
      return -1;
    } finally {
      lock.readLock().unlock();
    }
  }

  /** The published item snapshot. */
  ItemTable table() {
    return table;
  }

  /** The scan's path ("java-tiled-vector", ...) and its description. */
  TileScan scan() {
    return scorer.scan();
  }

  Scorer scorer() {
    return scorer;
  }

  /** A model is loaded when at least one item row is. */
  boolean ready() {
    return itemCount() > 0;
  }

  /** A new empty batch, validated against this store's dimension. */
  Batch newBatch() {
    return new Batch(dim);
  }

  /**
   * Writes the batch atomically (synced), then updates the in-memory table and counters. On an
   * exception nothing of the batch is applied, in RocksDB or in memory.
   *
   * @throws IllegalStateException when the store is closed
   */
  void apply(Batch batch) throws RocksDBException {
    if (batch.isEmpty()) {
      return;
    }
    long newVersion = Math.max(modelVersion, batch.maxVersion);
    long newApplied = applied + batch.appliedCount();
    lock.readLock().lock();
    try (WriteBatch wb = new WriteBatch()) {
      checkOpen();
      for (Map.Entry<String, Values.UserRow> e : batch.users.entrySet()) {
        if (e.getValue() == null) {
          wb.delete(users, utf8(e.getKey()));
        } else {
          wb.put(users, utf8(e.getKey()), Values.encodeUser(e.getValue()));
        }
      }
      for (Map.Entry<String, Values.ItemRow> e : batch.items.entrySet()) {
        if (e.getValue() == null) {
          wb.delete(items, utf8(e.getKey()));
        } else {
          wb.put(items, utf8(e.getKey()), Values.encodeItem(e.getValue()));
        }
      }
      // the stored clicks of erased users go first; the batch holds only clicks added after each erasure
      for (String user : batch.clicksErased) {
        for (byte[] key : clickKeysLocked(user)) {
          wb.delete(clicks, key);
        }
      }
      for (Map.Entry<ByteBuffer, Long> e : batch.clicks.entrySet()) {
        wb.put(clicks, toArray(e.getKey()), Values.encodeClick(e.getValue()));
      }
      for (Map.Entry<TopicPartition, Long> e : batch.offsets.entrySet()) {
        wb.put(meta, offsetKey(e.getKey()), Values.encodeLong(e.getValue()));
      }
      wb.put(meta, KEY_MODEL_VERSION, Values.encodeLong(newVersion));
      wb.put(meta, KEY_APPLIED, Values.encodeLong(newApplied));
      db.write(syncWrite, wb);
    } finally {
      lock.readLock().unlock();
    }
    // publish: the new snapshot shares the untouched tiles of the old one; readers switch at once
    List<Map.Entry<String, Values.ItemRow>> rows = new ArrayList<>();
    List<String> removed = new ArrayList<>();
    for (Map.Entry<String, Values.ItemRow> e : batch.items.entrySet()) {
      if (e.getValue() == null) {
        removed.add(e.getKey());
      } else {
        rows.add(e);
      }
    }
    ItemTable next = table.with(rows, removed, newVersion);
    if (dim == 0) {
      dim = batch.dim;
    }
    synchronized (this) {
      offsets.putAll(batch.offsets);
    }
    modelVersion = newVersion;
    applied = newApplied;
    table = next;
  }

  /**
   * The top k items for {@code user} by dot product with the user's factors, excluding items the user
   * clicked; for a user without factors the top k by {@link DebiasedPopularity} ({@code fallback}
   * true), with the same exclusion.
   */
  Recommendation recommend(String user, int k) throws RocksDBException {
    return recommend(user, k, Filter.NONE);
  }

  /** As {@link #recommend(String, int)}, with the filter applied during the scan (fallback included). */
  Recommendation recommend(String user, int k, Filter filter) throws RocksDBException {
    return recommendAll(List.of(user), k, filter).get(0);
  }

  /**
   * Answers for many users in request order, one snapshot for all: the users with factors are scored
   * together in blocked scans ({@link Scorer}), users without on the filtered popularity fallback.
   */
  List<Recommendation> recommendAll(List<String> userIds, int k, Filter filter) throws RocksDBException {
    ItemTable snap;
    List<String> ignored = new ArrayList<>();
    int[] exclude;
    int[] include;
    float[][] vectors = new float[userIds.size()][];
    int[][] excluded = new int[userIds.size()][];
    lock.readLock().lock();
    try {
      checkOpen();
      snap = table;
      exclude = indices(snap, filter.exclude(), ignored);
      include = filter.include() == null ? null : indices(snap, filter.include(), ignored);
      // one RocksDB snapshot (taken after the item table: rows are written before a table is published) for
      // every user's row and clicks: a batch applied meanwhile is seen wholly or not at all
      Snapshot at = db.getSnapshot();
      try (ReadOptions read = new ReadOptions().setSnapshot(at)) {
        for (int u = 0; u < vectors.length; u++) {
          byte[] uv = db.get(users, read, utf8(userIds.get(u)));
          vectors[u] = uv == null || snap.count() == 0 ? null : Values.decodeUser(uv).vector();
          if (uv != null && vectors[u] != null && vectors[u].length != snap.dim()) {
            vectors[u] = null; // cannot happen through apply (dimensions are checked); answer the fallback
          }
          excluded[u] = union(exclude, indices(snap, clickedItemsLocked(userIds.get(u), read), null));
        }
      } finally {
        db.releaseSnapshot(at);
      }
    } finally {
      lock.readLock().unlock();
    }
    List<String> ign = List.copyOf(ignored);
    Recommendation[] out = new Recommendation[vectors.length];
    List<Integer> scanned = new ArrayList<>();
    for (int u = 0; u < vectors.length; u++) {
      String user = userIds.get(u);
      if (snap.count() == 0) {
        out[u] = new Recommendation(user, snap.modelVersion(), List.of(), vectors[u] == null, ign,
            snap.publishedAtMs());
      } else if (vectors[u] == null) {
        int[] cand = include == null ? null : minus(include, excluded[u]);
        int[] items = new int[k];
        float[] scores = new float[k];
        TileScan.topKOfScores(snap.popularityChunks(), ItemTable.CHUNK, snap.count(), k, excluded[u], cand, items,
            scores);
        out[u] = answer(snap, user, items, scores, true, ign, null, excluded[u], cand);
      } else if (include != null) {
        int[] cand = minus(include, excluded[u]);
        Scorer.Ranked r = scorer.topKOf(snap, vectors[u], k, cand);
        out[u] = answer(snap, user, r.items(), r.scores(), false, ign, vectors[u], excluded[u], cand);
      } else {
        scanned.add(u);
      }
    }
    if (!scanned.isEmpty()) {
      float[][] q = new float[scanned.size()][];
      int[][] ex = new int[scanned.size()][];
      for (int j = 0; j < q.length; j++) {
        q[j] = vectors[scanned.get(j)];
        ex[j] = excluded[scanned.get(j)];
      }
      Scorer.Ranked[] r = scorer.topK(snap, q, k, ex);
      for (int j = 0; j < q.length; j++) {
        int u = scanned.get(j);
        out[u] = answer(snap, userIds.get(u), r[j].items(), r[j].scores(), false, ign, vectors[u], excluded[u], null);
      }
    }
    return List.of(out);
  }

  /**
   * The answer of the greedy top list {@code items} (scores {@code scores}, -1 past its end) under the
   * serving policy: the eligible items are {@code cand} when not null (already without the excluded), else
   * every item of {@code snap} not in {@code excluded} (ascending, distinct). An explored slot is scored as
   * the greedy ones are: by {@code vector}, or by popularity for a fallback ({@code vector} null).
   */
  private Recommendation answer(ItemTable snap, String user, int[] items, float[] scores, boolean fallback,
      List<String> ignored, float[] vector, int[] excluded, int[] cand) {
    int n = 0;
    while (n < items.length && items[n] >= 0) {
      n++;
    }
    int[] greedy = java.util.Arrays.copyOf(items, n);
    EpsilonSlots p = policy;
    int eligible = cand != null ? cand.length : snap.count() - excluded.length;
    boolean[] explored = new boolean[n];
    int[] shown = greedy;
    if (p.epsilon() > 0 && eligible > n) {
      EpsilonSlots.Others others = cand != null
          ? EpsilonSlots.outsideOf(cand, new int[0], greedy)
          : EpsilonSlots.outside(snap.count(), excluded, greedy);
      shown = p.choose(greedy, others, ThreadLocalRandom.current(), explored);
    }
    double kept = p.greedyInclusion(n, eligible);
    double other = p.otherInclusion(n, eligible);
    List<Slot> slots = new ArrayList<>(n);
    for (int j = 0; j < n; j++) {
      int i = shown[j];
      float score = !explored[j] ? scores[j] : vector == null ? snap.popularityScore(i) : snap.tiles().dot(i, vector);
      slots.add(new Slot(snap.id(i), score, snap.propensity(i), explored[j] ? other : kept, explored[j]));
    }
    return new Recommendation(user, snap.modelVersion(), slots, fallback, ignored, snap.publishedAtMs());
  }

  /** Ascending distinct indices of the known ids; unknown ones go to {@code ignored} (when not null). */
  private static int[] indices(ItemTable snap, List<String> ids, List<String> ignored) {
    int[] out = new int[ids.size()];
    int n = 0;
    for (String id : ids) {
      int i = snap.indexOf(id);
      if (i >= 0) {
        out[n++] = i;
      } else if (ignored != null && !ignored.contains(id)) {
        ignored.add(id);
      }
    }
    return java.util.Arrays.stream(out, 0, n).sorted().distinct().toArray();
  }

  private static int[] union(int[] a, int[] b) {
    if (a.length == 0) {
      return b;
    }
    if (b.length == 0) {
      return a;
    }
    return java.util.stream.IntStream.concat(java.util.Arrays.stream(a), java.util.Arrays.stream(b)).sorted()
        .distinct().toArray();
  }

  /** The elements of ascending {@code a} not in ascending {@code b}. */
  private static int[] minus(int[] a, int[] b) {
    int[] out = new int[a.length];
    int n = 0;
    int p = 0;
    for (int x : a) {
      while (p < b.length && b[p] < x) {
        p++;
      }
      if (p >= b.length || b[p] != x) {
        out[n++] = x;
      }
    }
    return java.util.Arrays.copyOf(out, n);
  }

  /** The k items most similar to {@code item} by cosine of the factors; empty when it is unknown. */
  Optional<Similar> similar(String item, int k) {
    ItemTable snap = table;
    int i = snap.indexOf(item);
    if (i < 0) {
      return Optional.empty();
    }
    float[] rows = new float[snap.count() * snap.dim()];
    for (int j = 0; j < snap.count(); j++) {
      snap.tiles().row(j, rows, j * snap.dim());
    }
    TopK.Result r = TopK.similar(rows, snap.count(), snap.dim(), i, k, null);
    List<Slot> out = new ArrayList<>(r.size());
    for (int rank = 0; rank < r.size(); rank++) {
      out.add(new Slot(snap.id(r.index(rank)), r.score(rank), snap.propensity(r.index(rank))));
    }
    return Optional.of(new Similar(item, snap.modelVersion(), out));
  }

  /** Items {@code user} clicked, in key order. */
  List<String> clickedItems(String user) throws RocksDBException {
    lock.readLock().lock();
    try (ReadOptions read = new ReadOptions()) {
      checkOpen();
      return clickedItemsLocked(user, read);
    } finally {
      lock.readLock().unlock();
    }
  }

  private List<String> clickedItemsLocked(String user, ReadOptions read) throws RocksDBException {
    byte[] prefix = clickPrefix(user);
    List<String> out = new ArrayList<>();
    try (RocksIterator it = db.newIterator(clicks, read)) {
      for (it.seek(prefix); it.isValid() && startsWith(it.key(), prefix); it.next()) {
        byte[] key = it.key();
        out.add(new String(key, prefix.length, key.length - prefix.length, StandardCharsets.UTF_8));
      }
      it.status();
    }
    return out;
  }

  /** The stored click keys of {@code user} (the caller holds the lock). */
  private List<byte[]> clickKeysLocked(String user) throws RocksDBException {
    byte[] prefix = clickPrefix(user);
    List<byte[]> out = new ArrayList<>();
    try (RocksIterator it = db.newIterator(clicks)) {
      for (it.seek(prefix); it.isValid() && startsWith(it.key(), prefix); it.next()) {
        out.add(it.key());
      }
      it.status();
    }
    return out;
  }

  /** The stored user row, if any. */
  Optional<Values.UserRow> user(String id) throws RocksDBException {
    byte[] v = raw(CF_USERS, utf8(id));
    return v == null ? Optional.empty() : Optional.of(Values.decodeUser(v));
  }

  /** The stored item row, if any (read from RocksDB, not the memory table). */
  Optional<Values.ItemRow> item(String id) throws RocksDBException {
    byte[] v = raw(CF_ITEMS, utf8(id));
    return v == null ? Optional.empty() : Optional.of(Values.decodeItem(v));
  }

  /** Raw stored value of {@code key} in column family {@code cf} (for tests and tools). */
  byte[] raw(String cf, byte[] key) throws RocksDBException {
    ColumnFamilyHandle h = switch (cf) {
      case CF_USERS -> users;
      case CF_ITEMS -> items;
      case CF_CLICKS -> clicks;
      case CF_META -> meta;
      default -> throw new IllegalArgumentException("no column family " + cf);
    };
    lock.readLock().lock();
    try {
      checkOpen();
      return db.get(h, key);
    } finally {
      lock.readLock().unlock();
    }
  }

  /** Callers hold the read or write lock. */
  private void checkOpen() {
    if (closed) {
      throw new IllegalStateException("the model store is closed");
    }
  }

  @Override
  public void close() {
    lock.writeLock().lock();
    try {
      if (closed) {
        return;
      }
      closed = true;
      for (ColumnFamilyHandle h : handles) {
        h.close();
      }
      db.close();
      if (scorer != null) {
        scorer.close();
      }
      syncWrite.close();
      cfOptions.close();
      dbOptions.close();
    } finally {
      lock.writeLock().unlock();
    }
  }

  static byte[] offsetKey(TopicPartition tp) {
    return utf8(OFFSET_PREFIX + tp.topic() + "/" + tp.partition());
  }

  /** u16 length of the user id's UTF-8, then the bytes. */
  static byte[] clickPrefix(String user) {
    byte[] u = utf8(user);
    return ByteBuffer.allocate(2 + u.length).putShort((short) u.length).put(u).array();
  }

  static byte[] clickKey(String user, String item) {
    byte[] p = clickPrefix(user);
    byte[] i = utf8(item);
    return ByteBuffer.allocate(p.length + i.length).put(p).put(i).array();
  }

  private static boolean startsWith(byte[] key, byte[] prefix) {
    if (key.length < prefix.length) {
      return false;
    }
    for (int j = 0; j < prefix.length; j++) {
      if (key[j] != prefix[j]) {
        return false;
      }
    }
    return true;
  }

  private static byte[] toArray(ByteBuffer b) {
    byte[] out = new byte[b.remaining()];
    b.duplicate().get(out);
    return out;
  }

  static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static String str(byte[] b) {
    return new String(b, StandardCharsets.UTF_8);
  }

  /** Checks an id: non-empty, at most {@link Codecs#MAX_ID_BYTES} UTF-8 bytes. */
  static String checkId(String what, String id) {
    if (id == null || id.isEmpty()) {
      throw new IllegalArgumentException(what + " id is empty");
    }
    if (utf8(id).length > Codecs.MAX_ID_BYTES) {
      throw new IllegalArgumentException(what + " id is longer than " + Codecs.MAX_ID_BYTES + " bytes");
    }
    return id;
  }

  /**
   * The changes of one poll: rows, clicks and the offset of the last consumed record per partition.
   * Adders validate and throw {@link IllegalArgumentException} with the reason for a row that cannot
   * be stored; the batch is then unchanged. Later rows for the same id replace earlier ones.
   */
  static final class Batch {
    /** User rows; null: the user is erased (the row deleted). */
    private final Map<String, Values.UserRow> users = new LinkedHashMap<>();
    /** Item rows; null: the item is erased. */
    private final Map<String, Values.ItemRow> items = new LinkedHashMap<>();
    private final Map<ByteBuffer, Long> clicks = new LinkedHashMap<>();
    /** Users whose stored clicks are deleted before this batch's clicks are written. */
    private final java.util.Set<String> clicksErased = new java.util.LinkedHashSet<>();
    private final Map<TopicPartition, Long> offsets = new HashMap<>();
    private long maxVersion = -1;
    private int dim;
    private long count;
    private long usersErased;
    private long itemsErased;
    private long clickHistoriesErased;

    private Batch(int dim) {
      this.dim = dim;
    }

    void putUser(String id, float[] vector, long modelVersion, long timestamp) {
      checkId("user", id);
      checkVector(vector);
      users.put(id, new Values.UserRow(vector.clone(), modelVersion, timestamp));
      accept(vector, modelVersion);
    }

    void putItem(String id, float[] vector, Double propensity, Double clicks, long modelVersion,
        long timestamp) {
      checkId("item", id);
      checkVector(vector);
      if (propensity == null || !(propensity >= 0 && propensity <= 1)) {
        throw new IllegalArgumentException("item propensity must be in [0, 1], got " + propensity);
      }
      if (clicks == null || !(clicks >= 0) || clicks.isInfinite()) {
        throw new IllegalArgumentException("item clicks must be finite and >= 0, got " + clicks);
      }
      items.put(id, new Values.ItemRow(vector.clone(), propensity, clicks, modelVersion, timestamp));
      accept(vector, modelVersion);
    }

    void addClick(String user, String item, long timestamp) {
      checkId("user", user);
      checkId("item", item);
      clicks.put(ByteBuffer.wrap(clickKey(user, item)), timestamp);
      count++;
    }

    /**
     * Erases {@code user} (a {@code user:ID} tombstone): the row and every click, stored or earlier in this
     * batch, are deleted; a later row or click of the same id in this batch is kept.
     */
    void eraseUser(String user) {
      checkId("user", user);
      users.put(user, null);
      dropClicks(user);
      usersErased++;
      count++;
    }

    /** Erases {@code item} (an {@code item:ID} tombstone): its row is deleted and it leaves the item table. */
    void eraseItem(String item) {
      checkId("item", item);
      items.put(item, null);
      itemsErased++;
      count++;
    }

    /** Deletes {@code user}'s clicks, stored or earlier in this batch (an ERASE_USER interaction). */
    void eraseClicks(String user) {
      checkId("user", user);
      dropClicks(user);
      clickHistoriesErased++;
      count++;
    }

    private void dropClicks(String user) {
      byte[] prefix = clickPrefix(user);
      clicks.keySet().removeIf(k -> startsWith(toArray(k), prefix));
      clicksErased.add(user);
    }

    /** Erasures in this batch: users, items, click histories (ERASE_USER interactions). */
    long usersErased() {
      return usersErased;
    }

    long itemsErased() {
      return itemsErased;
    }

    long clickHistoriesErased() {
      return clickHistoriesErased;
    }

    /** Records that {@code offset} of {@code tp} was consumed (applied or skipped). */
    void consumed(TopicPartition tp, long offset) {
      offsets.merge(tp, offset, Math::max);
    }

    boolean isEmpty() {
      return users.isEmpty() && items.isEmpty() && clicks.isEmpty() && clicksErased.isEmpty() && offsets.isEmpty();
    }

    /** Rows and clicks added (replaced ones included: each record applied counts once). */
    long appliedCount() {
      return count;
    }

    Map<TopicPartition, Long> offsets() {
      return Collections.unmodifiableMap(offsets);
    }

    private void checkVector(float[] v) {
      if (v.length == 0) {
        throw new IllegalArgumentException("vector is empty");
      }
      if (dim != 0 && v.length != dim) {
        throw new IllegalArgumentException("vector has dimension " + v.length + ", the model " + dim);
      }
      for (float x : v) {
        if (!Float.isFinite(x)) {
          throw new IllegalArgumentException("vector has a non-finite coordinate");
        }
      }
    }

    private void accept(float[] vector, long modelVersion) {
      dim = vector.length;
      maxVersion = Math.max(maxVersion, modelVersion);
      count++;
    }
  }
}
