package io.relstream.core.online;

import io.relstream.core.estimator.LocalLoss;
import io.relstream.core.kernel.Batch;
import io.relstream.core.kernel.BatchMath;
import io.relstream.core.kernel.BatchMaths;
import io.relstream.core.kernel.Objective;
import io.relstream.core.model.Adam;
import io.relstream.core.model.FactorModel;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Trains a Rel-MF factor model on a stream of interactions, one mini-batch per {@code batchSize} events.
 *
 * <p><b>Ids.</b> String user and item ids get dense indices in order of first appearance; the tables grow
 * by doubling ({@link #ensureCapacity}), keeping values and Adam state. Item row r starts uniform in
 * [-a, a], a = {@value #INIT_RANGE}, drawn from a generator seeded by (seed, table, r) only, so a row's
 * initial value does not depend on when the tables grew. User rows start at zero (fold-in): a new user's
 * first gradient is then -sum of g q_i over its pairs, so its first steps point the row at the items it
 * clicked and away from its negatives, instead of wandering from a random start that a few lazy-Adam
 * steps cannot overcome. The random item rows break the symmetry.
 *
 * <p><b>Batches.</b> Events are buffered; the {@code batchSize}-th completes batch b (b = 1, 2, ...). The
 * batch holds, in event order, each event's pair (u, i, Y, &theta;) (Y = 1 clicked, Y = 0 shown without a
 * click: the estimator treats it as unlabeled with weight c, so it needs no special case) and, after each
 * clicked event, {@code negativesPerPositive} items j drawn uniformly from the known items that u has not
 * clicked so far (rejection sampling, at most {@value #SAMPLE_TRIES} draws per negative, skipped when all
 * draws hit clicked items) with Y = 0 and j's latest &theta;. The draws use a generator seeded by
 * (seed, b) only, so a replayed batch samples the same negatives. Items are "known" and clicks "remembered"
 * as the events are added, before the batch trains.
 *
 * <p><b>Step.</b> The batch's clipped-IPS gradient (data term, normalised by sum(Y + c (1 - Y)), see
 * {@link io.relstream.core.estimator.ClippedIps}) goes through {@link BatchMath#gradients} and one lazy
 * Adam step {@link BatchMath#sparseAdamStep} updates the touched rows (L2 on those rows only, global step
 * counter t = b). The result lists every touched user and item row with modelVersion b.
 *
 * <p><b>State.</b> {@link #snapshot()} writes everything that determines the future (config, id maps,
 * rows, moments, step, batch counter, remembered clicks, item side data, the pending partial batch) in a
 * versioned binary format starting with {@link #MAGIC}; {@link #restore} continues bit for bit on the Java
 * path. There is no other random state: every generator is derived from (seed, b) or (seed, table, row).
 *
 * <p>Not thread-safe. {@link #close()} releases the batch math (device buffers on OpenCL).
 */
public final class OnlineTrainer implements AutoCloseable {

  /** First four bytes of a snapshot: "RSOT". */
  public static final int MAGIC = 0x52534f54;
  /** Snapshot format version. */
  public static final int VERSION = 1;
  /** Initial rows are uniform in [-INIT_RANGE, INIT_RANGE]. */
  public static final float INIT_RANGE = 0.1f;
  static final int SAMPLE_TRIES = 16;
  private static final int INITIAL_CAPACITY = 64;

  private final OnlineConfig config;
  private final BatchMaths.Path path;
  private final Objective objective;
  private final Adam adam;
  private final IdIndex users;
  private final IdIndex items;
  /** Pairs (u, i) with a click: key u << 32 | i. */
  private final LongSet clicked;

  private FactorModel model;
  private BatchMath math;
  private float[] itemTheta;
  private double[] itemClicks;

  // pending partial batch
  private int pending;
  private int[] pendUser;
  private int[] pendItem;
  private float[] pendLabel;
  private float[] pendTheta;
  private long[] pendTime;

  private long batches;
  private long newestTrained = Long.MIN_VALUE;
  private Batch batch;

  /** A new, empty model. */
  public OnlineTrainer(OnlineConfig config, BatchMaths.Path path) {
    this(config, path, new IdIndex(), new IdIndex(), new LongSet());
    allocate(INITIAL_CAPACITY, INITIAL_CAPACITY);
    math = BatchMaths.create(path, model);
  }

  private OnlineTrainer(OnlineConfig config, BatchMaths.Path path, IdIndex users, IdIndex items,
      LongSet clicked) {
    this.config = config;
    this.path = path;
    this.objective = config.objective();
    this.adam = config.adam();
    this.users = users;
    this.items = items;
    this.clicked = clicked;
    int b = config.batchSize();
    pendUser = new int[b];
    pendItem = new int[b];
    pendLabel = new float[b];
    pendTheta = new float[b];
    pendTime = new long[b];
    batch = new Batch(b * (1 + config.negativesPerPositive()));
  }

  /** Tables of the given capacity with every row at its initial value, item side data empty. */
  private void allocate(int userCap, int itemCap) {
    model = new FactorModel(userCap, itemCap, config.dim());
    initRows(model.userFactors, 0, userCap, 0);
    initRows(model.itemFactors, 0, itemCap, 1);
    itemTheta = new float[itemCap];
    itemClicks = new double[itemCap];
  }

  private void initRows(float[] table, int from, int to, int kind) {
    int dim = config.dim();
    if (kind == 0) {
      java.util.Arrays.fill(table, from * dim, to * dim, 0f); // users: fold-in from zero
      return;
    }
    for (int r = from; r < to; r++) {
      SplittableRandom rng = new SplittableRandom(mix(config.seed(), kind, r));
      for (int d = 0; d < dim; d++) {
        table[r * dim + d] = (float) ((rng.nextDouble() * 2 - 1) * INIT_RANGE);
      }
    }
  }

  static long mix(long seed, long a, long b) {
    long h = seed * 0x9E3779B97F4A7C15L + a;
    h = (h ^ (h >>> 31)) * 0xBF58476D1CE4E5B9L + b;
    h = (h ^ (h >>> 29)) * 0x94D049BB133111EBL;
    return h ^ (h >>> 32);
  }

  public OnlineConfig config() {
    return config;
  }

  /** Batches trained so far = the version of the current model (0 before the first batch). */
  public long modelVersion() {
    return batches;
  }

  /** Events buffered for the next batch. */
  public int pending() {
    return pending;
  }

  public int numUsers() {
    return users.size();
  }

  public int numItems() {
    return items.size();
  }

  /** "java" or "opencl". */
  public String kernelPath() {
    return math.path();
  }

  /** The device the batch math last ran on. */
  public String device() {
    return math.device();
  }

  /**
   * Grows the tables (to at least double) so that they hold {@code numUsers} users and {@code numItems}
   * items; values, Adam moments and the step counter are kept, new rows get their initial values.
   */
  public void ensureCapacity(int numUsers, int numItems) {
    if (numUsers <= model.numUsers && numItems <= model.numItems) {
      return;
    }
    int userCap = numUsers <= model.numUsers ? model.numUsers : Math.max(numUsers, 2 * model.numUsers);
    int itemCap = numItems <= model.numItems ? model.numItems : Math.max(numItems, 2 * model.numItems);
    FactorModel old = model;
    math.syncToModel();
    float[] um = new float[old.userFactors.length];
    float[] uv = new float[old.userFactors.length];
    float[] im = new float[old.itemFactors.length];
    float[] iv = new float[old.itemFactors.length];
    math.copyMoments(um, uv, im, iv);
    int step = math.step();
    float[] oldTheta = itemTheta;
    double[] oldClicks = itemClicks;
    allocate(userCap, itemCap);
    System.arraycopy(old.userFactors, 0, model.userFactors, 0, old.userFactors.length);
    System.arraycopy(old.itemFactors, 0, model.itemFactors, 0, old.itemFactors.length);
    System.arraycopy(oldTheta, 0, itemTheta, 0, oldTheta.length);
    System.arraycopy(oldClicks, 0, itemClicks, 0, oldClicks.length);
    math.close();
    math = BatchMaths.create(path, model);
    math.loadState(Arrays.copyOf(um, model.userFactors.length), Arrays.copyOf(uv, model.userFactors.length),
        Arrays.copyOf(im, model.itemFactors.length), Arrays.copyOf(iv, model.itemFactors.length), step);
  }

  /**
   * Adds one interaction; trains and returns the batch it completes, else null.
   *
   * @param label 1 clicked, 0 shown without a click
   * @param theta the propensity &theta; of this event (from the propensity operator)
   * @param clicks the item's decayed click count as reported with the event (published with item rows)
   */
  public BatchUpdate add(String user, String item, int label, float theta, double clicks, long timestamp) {
    if (user == null || user.isEmpty() || item == null || item.isEmpty()) {
      throw new IllegalArgumentException("user and item ids must be non-empty");
    }
    if (label != 0 && label != 1) {
      throw new IllegalArgumentException("label must be 0 or 1, got " + label);
    }
    if (!(theta >= 0 && theta <= 1)) {
      throw new IllegalArgumentException("theta must be in [0, 1], got " + theta);
    }
    int u = users.indexOf(user);
    int i = items.indexOf(item);
    ensureCapacity(users.size(), items.size());
    itemTheta[i] = theta;
    itemClicks[i] = clicks;
    if (label == 1) {
      clicked.add(pairKey(u, i));
    }
    pendUser[pending] = u;
    pendItem[pending] = i;
    pendLabel[pending] = label;
    pendTheta[pending] = theta;
    pendTime[pending] = timestamp;
    pending++;
    return pending == config.batchSize() ? train() : null;
  }

  /** Trains the pending partial batch, if any (end of a bounded stream); null when nothing is pending. */
  public BatchUpdate flush() {
    return pending == 0 ? null : train();
  }

  private static long pairKey(int u, int i) {
    return ((long) u << 32) | (i & 0xffffffffL);
  }

  private BatchUpdate train() {
    long b = batches + 1;
    SplittableRandom rng = new SplittableRandom(mix(config.seed(), 2, b));
    batch.clear();
    int known = items.size();
    int negatives = config.negativesPerPositive();
    long newest = newestTrained;
    for (int k = 0; k < pending; k++) {
      int u = pendUser[k];
      batch.add(u, pendItem[k], pendLabel[k], pendTheta[k]);
      newest = Math.max(newest, pendTime[k]);
      if (pendLabel[k] > 0) {
        for (int n = 0; n < negatives; n++) {
          int j = sampleUnclicked(rng, u, known);
          if (j >= 0) {
            batch.add(u, j, 0f, itemTheta[j]);
          }
        }
      }
    }
    int events = pending;
    double loss = math.gradients(batch, objective);
    math.sparseAdamStep(adam);
    math.syncToModel();
    batches = b;
    newestTrained = newest;
    pending = 0;
    return new BatchUpdate(b, newest, events, loss, userRows(), itemRows());
  }

  private int sampleUnclicked(SplittableRandom rng, int u, int known) {
    for (int t = 0; t < SAMPLE_TRIES; t++) {
      int j = rng.nextInt(known);
      if (!clicked.contains(pairKey(u, j))) {
        return j;
      }
    }
    return -1;
  }

  private List<ModelRow> userRows() {
    boolean[] seen = new boolean[users.size()];
    List<ModelRow> out = new ArrayList<>();
    for (int k = 0; k < batch.size(); k++) {
      int u = batch.users[k];
      if (!seen[u]) {
        seen[u] = true;
        out.add(new ModelRow(users.id(u), row(model.userFactors, u), Float.NaN, Double.NaN));
      }
    }
    return out;
  }

  private List<ModelRow> itemRows() {
    boolean[] seen = new boolean[items.size()];
    List<ModelRow> out = new ArrayList<>();
    for (int k = 0; k < batch.size(); k++) {
      int i = batch.items[k];
      if (!seen[i]) {
        seen[i] = true;
        out.add(new ModelRow(items.id(i), row(model.itemFactors, i), itemTheta[i], itemClicks[i]));
      }
    }
    return out;
  }

  private float[] row(float[] table, int r) {
    int dim = config.dim();
    return Arrays.copyOfRange(table, r * dim, (r + 1) * dim);
  }

  /** The user's factors (a copy), or null when the user is unknown. */
  public float[] userVector(String user) {
    int u = users.find(user);
    return u < 0 ? null : row(model.userFactors, u);
  }

  /** The item's factors (a copy), or null when the item is unknown. */
  public float[] itemVector(String item) {
    int i = items.find(item);
    return i < 0 ? null : row(model.itemFactors, i);
  }

  /** The latest &theta; trained with for {@code item}, NaN when unknown. */
  public float itemTheta(String item) {
    int i = items.find(item);
    return i < 0 ? Float.NaN : itemTheta[i];
  }

  /**
   * The {@code k} known items with the highest score p_u . q_i that {@code user} has not clicked, best
   * first (ties by first appearance); empty for an unknown user.
   */
  public List<String> recommend(String user, int k) {
    int u = users.find(user);
    List<String> out = new ArrayList<>();
    if (u < 0) {
      return out;
    }
    int n = items.size();
    Integer[] order = new Integer[n];
    float[] score = new float[n];
    for (int i = 0; i < n; i++) {
      order[i] = i;
      score[i] = model.score(u, i);
    }
    Arrays.sort(order, (x, y) -> Float.compare(score[y], score[x]));
    for (int r = 0; r < n && out.size() < k; r++) {
      if (!clicked.contains(pairKey(u, order[r]))) {
        out.add(items.id(order[r]));
      }
    }
    return out;
  }

  // ------------------------------------------------------------------ snapshot

  /**
   * The whole state (see the class comment), big-endian:
   * <pre>
   *   int MAGIC, int VERSION,
   *   config: int d, float lr, float &lambda;, int batchSize, int negativesPerPositive, int loss code,
   *           float M, float c, long seed,
   *   long batches, long newestTrained, int adamStep,
   *   users: int n, n x (int len, UTF-8 bytes);   items: the same,
   *   item side data: numItems x (float &theta;, double clicks),
   *   user rows, user m, user v: 3 x numUsers x d floats;   item rows, m, v: 3 x numItems x d floats,
   *   clicked pairs: int n, n x long (increasing),
   *   pending: int n, n x (int u, int i, float Y, float &theta;, long time)
   * </pre>
   */
  public byte[] snapshot() {
    math.syncToModel();
    int nu = users.size();
    int ni = items.size();
    int dim = config.dim();
    float[] um = new float[model.userFactors.length];
    float[] uv = new float[model.userFactors.length];
    float[] im = new float[model.itemFactors.length];
    float[] iv = new float[model.itemFactors.length];
    math.copyMoments(um, uv, im, iv);
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(128 + 12 * dim * (nu + ni) + 8 * clicked.size());
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      out.writeInt(MAGIC);
      out.writeInt(VERSION);
      out.writeInt(dim);
      out.writeFloat(config.learningRate());
      out.writeFloat(config.l2());
      out.writeInt(config.batchSize());
      out.writeInt(config.negativesPerPositive());
      out.writeInt(config.loss().ordinal());
      out.writeFloat(config.clip());
      out.writeFloat(config.negativeWeight());
      out.writeLong(config.seed());
      out.writeLong(batches);
      out.writeLong(newestTrained);
      out.writeInt(math.step());
      users.write(out);
      items.write(out);
      for (int i = 0; i < ni; i++) {
        out.writeFloat(itemTheta[i]);
        out.writeDouble(itemClicks[i]);
      }
      writeFloats(out, model.userFactors, nu * dim);
      writeFloats(out, um, nu * dim);
      writeFloats(out, uv, nu * dim);
      writeFloats(out, model.itemFactors, ni * dim);
      writeFloats(out, im, ni * dim);
      writeFloats(out, iv, ni * dim);
      long[] pairs = clicked.sorted();
      out.writeInt(pairs.length);
      for (long p : pairs) {
        out.writeLong(p);
      }
      out.writeInt(pending);
      for (int k = 0; k < pending; k++) {
        out.writeInt(pendUser[k]);
        out.writeInt(pendItem[k]);
        out.writeFloat(pendLabel[k]);
        out.writeFloat(pendTheta[k]);
        out.writeLong(pendTime[k]);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bytes.toByteArray();
  }

  private static void writeFloats(DataOutputStream out, float[] a, int n) throws IOException {
    for (int k = 0; k < n; k++) {
      out.writeFloat(a[k]);
    }
  }

  private static void readFloats(DataInputStream in, float[] a, int n) throws IOException {
    for (int k = 0; k < n; k++) {
      a[k] = in.readFloat();
    }
  }

  /**
   * A trainer that continues from {@link #snapshot()} bytes, running its batch math on {@code path}.
   *
   * @throws IllegalArgumentException when the bytes are not a trainer snapshot of a known version, or are
   *     truncated or inconsistent
   */
  public static OnlineTrainer restore(byte[] snapshot, BatchMaths.Path path) {
    try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(snapshot))) {
      int magic = in.readInt();
      if (magic != MAGIC) {
        throw new IllegalArgumentException(String.format("not an online trainer snapshot (magic %08x)", magic));
      }
      int version = in.readInt();
      if (version != VERSION) {
        throw new IllegalArgumentException("unsupported online trainer snapshot version " + version
            + " (this build reads " + VERSION + ")");
      }
      int dim = in.readInt();
      float lr = in.readFloat();
      float l2 = in.readFloat();
      int batchSize = in.readInt();
      int negatives = in.readInt();
      int lossCode = in.readInt();
      if (lossCode < 0 || lossCode >= LocalLoss.values().length) {
        throw new IllegalArgumentException("bad loss code " + lossCode);
      }
      float clip = in.readFloat();
      float c = in.readFloat();
      long seed = in.readLong();
      OnlineConfig config = new OnlineConfig(dim, lr, l2, batchSize, negatives,
          LocalLoss.values()[lossCode], clip, c, seed);
      long batches = in.readLong();
      long newest = in.readLong();
      int step = in.readInt();
      IdIndex users = IdIndex.read(in);
      IdIndex items = IdIndex.read(in);
      OnlineTrainer t = new OnlineTrainer(config, path, users, items, new LongSet());
      int nu = users.size();
      int ni = items.size();
      t.allocate(capacityFor(nu), capacityFor(ni));
      for (int i = 0; i < ni; i++) {
        t.itemTheta[i] = in.readFloat();
        t.itemClicks[i] = in.readDouble();
      }
      float[] um = new float[t.model.userFactors.length];
      float[] uv = new float[um.length];
      float[] im = new float[t.model.itemFactors.length];
      float[] iv = new float[im.length];
      readFloats(in, t.model.userFactors, nu * dim);
      readFloats(in, um, nu * dim);
      readFloats(in, uv, nu * dim);
      readFloats(in, t.model.itemFactors, ni * dim);
      readFloats(in, im, ni * dim);
      readFloats(in, iv, ni * dim);
      int pairs = in.readInt();
      if (pairs < 0) {
        throw new IllegalArgumentException("bad clicked-pair count " + pairs);
      }
      for (int k = 0; k < pairs; k++) {
        long p = in.readLong();
        if ((p >>> 32) >= nu || (p & 0xffffffffL) >= ni) {
          throw new IllegalArgumentException("clicked pair outside the id maps");
        }
        t.clicked.add(p);
      }
      int pending = in.readInt();
      if (pending < 0 || pending >= batchSize) {
        throw new IllegalArgumentException("bad pending count " + pending + " for batch size " + batchSize);
      }
      for (int k = 0; k < pending; k++) {
        t.pendUser[k] = in.readInt();
        t.pendItem[k] = in.readInt();
        t.pendLabel[k] = in.readFloat();
        t.pendTheta[k] = in.readFloat();
        t.pendTime[k] = in.readLong();
        if (t.pendUser[k] < 0 || t.pendUser[k] >= nu || t.pendItem[k] < 0 || t.pendItem[k] >= ni) {
          throw new IllegalArgumentException("pending event outside the id maps");
        }
      }
      if (in.read() != -1) {
        throw new IllegalArgumentException("trailing bytes after an online trainer snapshot");
      }
      t.pending = pending;
      t.batches = batches;
      t.newestTrained = newest;
      t.math = BatchMaths.create(path, t.model);
      t.math.loadState(um, uv, im, iv, step);
      return t;
    } catch (IOException e) {
      throw new IllegalArgumentException("truncated online trainer snapshot: " + e, e);
    }
  }

  private static int capacityFor(int n) {
    int cap = INITIAL_CAPACITY;
    while (cap < n) {
      cap *= 2;
    }
    return cap;
  }

  @Override
  public void close() {
    math.close();
  }
}
