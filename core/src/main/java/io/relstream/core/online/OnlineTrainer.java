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
 * counter t advancing by one per step). The clip is M_b = {@link OnlineConfig#clip()}, or with a relative
 * clip ({@link OnlineConfig#clipQuantile()} q &gt; 0) M_b = min(clip, Q_q), Q_q the q-quantile of the
 * &theta; of every click added up to and including batch b ({@link ClipQuantile}; M_b = clip before any
 * click).
 *
 * <p><b>Reservoir.</b> With {@link OnlineConfig#reservoirSize()} R &gt; 0 the batch's events then join a
 * ring of the R most recent events ({@link Reservoir}), and {@link OnlineConfig#reservoirSteps()} K more
 * Adam steps follow, each on {@code batchSize} events drawn uniformly with replacement from the ring
 * (with their stored Y and &theta;, and fresh negatives as above) with M_b. The draws use a generator
 * seeded by (seed, b) only, apart from the one of the batch's own negatives, so a replayed stream draws
 * the same events and K = 0 trains exactly as without a reservoir. An event held for R / batchSize
 * batches is drawn K times in expectation: each event is learnt from about 1 + K times in one pass,
 * where a second pass over the log would cost a second read of it. The result lists every touched user
 * and item row (own events, draws, negatives) with modelVersion b.
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
  public static final int VERSION = 3;
  /** The reservoir without its event-time budget, still read (as reservoirStepMs 0). */
  static final int VERSION_2 = 2;
  /** The first version, still read: no relative clip, no reservoir. */
  static final int VERSION_1 = 1;
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
  private final ClipQuantile clickTheta;
  private final Reservoir reservoir;

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
  private final Touched touched = new Touched();

  // changed since the last writeChangedRows (the row layout)
  private final Touched dirty = new Touched();
  private final ClickLists clickLists = new ClickLists();
  private int reservoirAdded;
  /** Erased since the last writeChangedRows: (index, id). */
  private final List<Object[]> erased = new ArrayList<>();
  /** The ring's size before the first erasure since the last writeChangedRows, or -1. */
  private int reservoirSizeBefore = -1;

  // coalesced output ({@link #coalesceRows}): the rows batches changed since the last drainChangedRows,
  // the batch that last changed each, and the newest event time after each batch since then
  private boolean coalesce;
  private final IndexSet unsentUsers = new IndexSet();
  private final IndexSet unsentItems = new IndexSet();
  private long[] userLastBatch = new long[0];
  private long[] itemLastBatch = new long[0];
  private float[] itemBatchTheta = new float[0];
  private double[] itemBatchClicks = new double[0];
  private long firstUnsentBatch = -1;
  private long[] unsentBatchTime = new long[16];

  /** A new, empty model. */
  public OnlineTrainer(OnlineConfig config, BatchMaths.Path path) {
    this(config, path, new IdIndex(), new IdIndex(), new LongSet(), new ClipQuantile(),
        new Reservoir(config.reservoirSize()));
    allocate(INITIAL_CAPACITY, INITIAL_CAPACITY);
    math = BatchMaths.create(path, model);
  }

  private OnlineTrainer(OnlineConfig config, BatchMaths.Path path, IdIndex users, IdIndex items,
      LongSet clicked, ClipQuantile clickTheta, Reservoir reservoir) {
    this.config = config;
    this.path = path;
    this.objective = config.objective();
    this.adam = config.adam();
    this.users = users;
    this.items = items;
    this.clicked = clicked;
    this.clickTheta = clickTheta;
    this.reservoir = reservoir;
    int b = config.batchSize();
    pendUser = new int[b];
    pendItem = new int[b];
    pendLabel = new float[b];
    pendTheta = new float[b];
    pendTime = new long[b];
    batch = new Batch((config.reservoirSteps() > 0 ? 2 * b : b) * (1 + config.negativesPerPositive()));
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
    dirty.noteUser(u);
    dirty.noteItem(i);
    if (label == 1) {
      if (clicked.add(pairKey(u, i))) {
        clickLists.add(u, i);
      }
      clickTheta.add(theta);
    }
    pendUser[pending] = u;
    pendItem[pending] = i;
    pendLabel[pending] = label;
    pendTheta[pending] = theta;
    pendTime[pending] = timestamp;
    pending++;
    return pending == config.batchSize() ? train() : null;
  }

  /**
   * Forgets {@code user} (a request to be erased): its row and Adam moments, its remembered clicks, its
   * events in the pending batch and in the reservoir, and its id. Item rows keep what they learnt from its
   * past batches (they are the items' parameters, not the user's), and the batch counter does not move.
   * The same id arriving later is a new user, starting from zero. Returns false when the user is unknown.
   */
  public boolean eraseUser(String user) {
    int u = users.find(user);
    if (u < 0) {
      return false;
    }
    int kept = 0;
    for (int k = 0; k < pending; k++) {
      if (pendUser[k] != u) {
        pendUser[kept] = pendUser[k];
        pendItem[kept] = pendItem[k];
        pendLabel[kept] = pendLabel[k];
        pendTheta[kept] = pendTheta[k];
        pendTime[kept] = pendTime[k];
        kept++;
      }
    }
    pending = kept;
    int sizeBefore = reservoir.size();
    if (reservoir.removeUser(u) > 0) {
      if (reservoirSizeBefore < 0) {
        reservoirSizeBefore = sizeBefore;
      }
      reservoirAdded = reservoir.size(); // every kept slot moved
    }
    for (int k = 0; k < clickLists.count(u); k++) {
      clicked.remove(pairKey(u, clickLists.get(u, k)));
    }
    clickLists.clear(u);
    math.zeroRows(false, new int[] {u}, 1);
    math.syncToModel();
    erased.add(new Object[] {u, user});
    users.erase(u);
    return true;
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
    Objective step = objective(clip());
    int known = items.size();
    int negatives = config.negativesPerPositive();
    long newest = newestTrained;
    batch.clear();
    for (int k = 0; k < pending; k++) {
      addWithNegatives(rng, pendUser[k], pendItem[k], pendLabel[k], pendTheta[k], negatives, known);
      newest = Math.max(newest, pendTime[k]);
    }
    touched.clear();
    double loss = step(step);
    for (int k = 0; k < pending; k++) {
      reservoir.add(pendUser[k], pendItem[k], pendLabel[k], pendTheta[k]);
    }
    reservoirAdded = (int) Math.min(reservoir.capacity(), (long) reservoirAdded + pending);
    int extraSteps = reservoirSteps(newest);
    if (extraSteps > 0) {
      SplittableRandom draws = new SplittableRandom(mix(config.seed(), 3, b));
      for (int s = 0; s < extraSteps; s++) {
        batch.clear();
        for (int k = 0; k < pending; k++) {
          addWithNegatives(draws, pendUser[k], pendItem[k], pendLabel[k], pendTheta[k], negatives, known);
        }
        for (int k = 0; k < config.batchSize(); k++) {
          int slot = reservoir.draw(draws);
          addWithNegatives(draws, reservoir.user(slot), reservoir.item(slot), reservoir.label(slot),
              reservoir.theta(slot), negatives, known);
        }
        step(step);
      }
    }
    math.syncToModel();
    dirty.noteAll(touched);
    int events = pending;
    batches = b;
    newestTrained = newest;
    pending = 0;
    if (coalesce) {
      noteUnsent(b, newest);
      return new BatchUpdate(b, newest, events, loss, List.of(), List.of());
    }
    return new BatchUpdate(b, newest, events, loss, userRows(), itemRows());
  }

  /** A changed row, as {@link #drainChangedRows} hands it over. */
  @FunctionalInterface
  public interface ChangedRow {
    /**
     * @param item whether the row is an item's (else a user's)
     * @param id the user or item id
     * @param vector its factors now (a copy, length d)
     * @param theta for an item, the latest &theta; it was trained with (as that batch left it); NaN for a user
     * @param clicks for an item, the decayed click count reported with it then; NaN for a user
     * @param modelVersion the batch that last changed the row
     * @param timestamp the newest event time after that batch
     */
    void accept(boolean item, String id, float[] vector, float theta, double clicks, long modelVersion,
        long timestamp);
  }

  /**
   * From now on batches no longer list their rows ({@link BatchUpdate#users()} and {@link BatchUpdate#items()}
   * are empty): each changed row waits for {@link #drainChangedRows}, which hands it over once in its newest
   * version, however many batches changed it. For a caller that publishes rows at intervals (the Flink
   * trainer, at each checkpoint barrier) this replaces a copy of every touched row per batch, and a map of
   * them by key, with one bit per row. Not part of the model's state: a restored trainer starts with none.
   */
  public void coalesceRows() {
    coalesce = true;
  }

  private void noteUnsent(long b, long newest) {
    if (firstUnsentBatch < 0) {
      firstUnsentBatch = b;
    }
    int slot = (int) (b - firstUnsentBatch);
    if (slot == unsentBatchTime.length) {
      unsentBatchTime = Arrays.copyOf(unsentBatchTime, 2 * slot);
    }
    unsentBatchTime[slot] = newest;
    if (userLastBatch.length < model.numUsers) {
      userLastBatch = Arrays.copyOf(userLastBatch, model.numUsers);
    }
    if (itemLastBatch.length < model.numItems) {
      itemLastBatch = Arrays.copyOf(itemLastBatch, model.numItems);
      itemBatchTheta = Arrays.copyOf(itemBatchTheta, model.numItems);
      itemBatchClicks = Arrays.copyOf(itemBatchClicks, model.numItems);
    }
    for (int k = 0; k < touched.users.size(); k++) {
      int u = touched.users.get(k);
      unsentUsers.add(u);
      userLastBatch[u] = b;
    }
    for (int k = 0; k < touched.items.size(); k++) {
      int i = touched.items.get(k);
      unsentItems.add(i);
      itemLastBatch[i] = b;
      // as the batch left them: events after it (pending) move itemTheta on before their own batch
      itemBatchTheta[i] = itemTheta[i];
      itemBatchClicks[i] = itemClicks[i];
    }
  }

  /**
   * Hands every row changed by a batch since the last call to {@code out}, once, in its current version
   * (users first, then items, each in first-change order); an erased user's row is not handed over. Only
   * after {@link #coalesceRows}. Returns how many rows.
   */
  public int drainChangedRows(ChangedRow out) {
    if (!coalesce) {
      throw new IllegalStateException("drainChangedRows needs coalesceRows()");
    }
    math.syncToModel();
    int n = 0;
    for (int k = 0; k < unsentUsers.size(); k++) {
      int u = unsentUsers.get(k);
      String id = users.id(u);
      if (id != null) {
        long b = userLastBatch[u];
        out.accept(false, id, row(model.userFactors, u), Float.NaN, Double.NaN, b,
            unsentBatchTime[(int) (b - firstUnsentBatch)]);
        n++;
      }
    }
    for (int k = 0; k < unsentItems.size(); k++) {
      int i = unsentItems.get(k);
      long b = itemLastBatch[i];
      out.accept(true, items.id(i), row(model.itemFactors, i), itemBatchTheta[i], itemBatchClicks[i], b,
          unsentBatchTime[(int) (b - firstUnsentBatch)]);
      n++;
    }
    unsentUsers.clear();
    unsentItems.clear();
    firstUnsentBatch = -1;
    return n;
  }

  /**
   * Reservoir steps of the batch whose newest event is {@code newest}: K, or fewer when its events moved
   * the newest timestamp on by less than K x {@link OnlineConfig#reservoirStepMs} (the first batch takes K).
   */
  private int reservoirSteps(long newest) {
    int k = config.reservoirSteps();
    long stepMs = config.reservoirStepMs();
    if (k == 0 || stepMs == 0 || newestTrained == Long.MIN_VALUE) {
      return k;
    }
    long span = Math.max(0, newest - newestTrained);
    return (int) Math.min(k, span / stepMs);
  }

  private float clip() {
    return config.relativeClip() ? Math.min(config.clip(), clickTheta.quantile(config.clipQuantile(), config.clip()))
        : config.clip();
  }

  private Objective objective(float clip) {
    return clip == objective.clip() ? objective : new Objective(objective.loss(), clip, objective.negativeWeight());
  }

  private void addWithNegatives(SplittableRandom rng, int u, int i, float y, float theta, int negatives, int known) {
    batch.add(u, i, y, theta);
    if (y > 0) {
      for (int n = 0; n < negatives; n++) {
        int j = sampleUnclicked(rng, u, known);
        if (j >= 0) {
          batch.add(u, j, 0f, itemTheta[j]);
        }
      }
    }
  }

  /** One gradient and lazy Adam step on the batch; notes its rows as touched. Returns the loss. */
  private double step(Objective o) {
    touched.note(batch);
    double loss = math.gradients(batch, o);
    math.sparseAdamStep(adam);
    return loss;
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
    List<ModelRow> out = new ArrayList<>(touched.users.size());
    for (int k = 0; k < touched.users.size(); k++) {
      int u = touched.users.get(k);
      if (users.id(u) != null) {
        out.add(new ModelRow(users.id(u), row(model.userFactors, u), Float.NaN, Double.NaN));
      }
    }
    return out;
  }

  private List<ModelRow> itemRows() {
    List<ModelRow> out = new ArrayList<>(touched.items.size());
    for (int k = 0; k < touched.items.size(); k++) {
      int i = touched.items.get(k);
      out.add(new ModelRow(items.id(i), row(model.itemFactors, i), itemTheta[i], itemClicks[i]));
    }
    return out;
  }

  /** The distinct rows a batch's steps touched, in first-appearance order. */
  private static final class Touched {
    final IndexSet users = new IndexSet();
    final IndexSet items = new IndexSet();

    void clear() {
      users.clear();
      items.clear();
    }

    void note(Batch b) {
      for (int k = 0; k < b.size(); k++) {
        users.add(b.users[k]);
        items.add(b.items[k]);
      }
    }

    void noteUser(int u) {
      users.add(u);
    }

    void noteItem(int i) {
      items.add(i);
    }

    void noteAll(Touched other) {
      for (int k = 0; k < other.users.size(); k++) users.add(other.users.get(k));
      for (int k = 0; k < other.items.size(); k++) items.add(other.items.get(k));
    }
  }

  /** Each user's clicked items (dense indices, in click order): what a user row carries. */
  private static final class ClickLists {
    private int[][] items = new int[0][];
    private int[] count = new int[0];

    void add(int u, int i) {
      if (u >= count.length) {
        int n = Math.max(u + 1, 2 * count.length);
        items = Arrays.copyOf(items, n);
        count = Arrays.copyOf(count, n);
      }
      int[] a = items[u];
      if (a == null) {
        a = items[u] = new int[4];
      } else if (count[u] == a.length) {
        a = items[u] = Arrays.copyOf(a, 2 * a.length);
      }
      a[count[u]++] = i;
    }

    int count(int u) {
      return u < count.length ? count[u] : 0;
    }

    void clear(int u) {
      if (u < count.length) {
        items[u] = null;
        count[u] = 0;
      }
    }

    int get(int u, int k) {
      return items[u][k];
    }
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

  /** p_u . q_i, or NaN when the user or the item is unknown. */
  public float score(String user, String item) {
    int u = users.find(user);
    int i = items.find(item);
    return u < 0 || i < 0 ? Float.NaN : model.score(u, i);
  }

  /** The clip M the next batch trains with (fixed, or relative to the clicks' &theta; so far). */
  public float currentClip() {
    return clip();
  }

  /** Adam steps taken so far: one per batch plus its reservoir steps. */
  public int adamSteps() {
    return math.step();
  }

  /** Events held in the reservoir (at most {@link OnlineConfig#reservoirSize()}). */
  public int reservoirEvents() {
    return reservoir.size();
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
   *   pending: int n, n x (int u, int i, float Y, float &theta;, long time),
   *   since version 2: float q, int R, int K (the config's relative clip and reservoir),
   *           since version 3: long reservoirStepMs,
   *           clicks' &theta; histogram: int bins, bins x long,
   *           reservoir: int size, int head, size x (int u, int i, float Y, float &theta;)
   * </pre>
   * Version 1 (without the last lines) is still read, as q = 0, R = 0, K = 0; version 2 (without
   * reservoirStepMs) as reservoirStepMs = 0, which is how it trained.
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
      writeSettings(out, config);
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
      writePending(out);
      writeSettingsTail(out, config);
      clickTheta.write(out);
      reservoir.write(out);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bytes.toByteArray();
  }

  /** The settings every format starts with: d, lr, &lambda;, batch size, negatives, loss, M, c, seed. */
  private static void writeSettings(DataOutputStream out, OnlineConfig config) throws IOException {
    out.writeInt(config.dim());
    out.writeFloat(config.learningRate());
    out.writeFloat(config.l2());
    out.writeInt(config.batchSize());
    out.writeInt(config.negativesPerPositive());
    out.writeInt(config.loss().ordinal());
    out.writeFloat(config.clip());
    out.writeFloat(config.negativeWeight());
    out.writeLong(config.seed());
  }

  /** The settings added since snapshot version 2: q, R, K, and since version 3 reservoirStepMs. */
  private static void writeSettingsTail(DataOutputStream out, OnlineConfig config) throws IOException {
    out.writeFloat(config.clipQuantile());
    out.writeInt(config.reservoirSize());
    out.writeInt(config.reservoirSteps());
    out.writeLong(config.reservoirStepMs());
  }

  private static OnlineConfig readSettings(DataInputStream in) throws IOException {
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
    try {
      return new OnlineConfig(dim, lr, l2, batchSize, negatives, LocalLoss.values()[lossCode], clip, c, seed);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("bad trainer settings: " + e.getMessage(), e);
    }
  }

  /** {@code head} with the tail read after it (reservoirStepMs 0 when the format has none). */
  private static OnlineConfig readSettingsTail(DataInputStream in, OnlineConfig head, boolean withStepMs)
      throws IOException {
    float q = in.readFloat();
    int size = in.readInt();
    int steps = in.readInt();
    long stepMs = withStepMs ? in.readLong() : 0L;
    try {
      return new OnlineConfig(head.dim(), head.learningRate(), head.l2(), head.batchSize(),
          head.negativesPerPositive(), head.loss(), head.clip(), head.negativeWeight(), head.seed(), q, size, steps,
          stepMs);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("bad trainer settings: " + e.getMessage(), e);
    }
  }

  /** The pending partial batch: int n, n x (int u, int i, float Y, float &theta;, long time). */
  private void writePending(DataOutputStream out) throws IOException {
    out.writeInt(pending);
    for (int k = 0; k < pending; k++) {
      out.writeInt(pendUser[k]);
      out.writeInt(pendItem[k]);
      out.writeFloat(pendLabel[k]);
      out.writeFloat(pendTheta[k]);
      out.writeLong(pendTime[k]);
    }
  }

  /** {@code n} pending events as {@link #writePending} wrote them (after the count), checked against the ids. */
  private static void readPending(DataInputStream in, int n, int nu, int ni, int[] u, int[] i, float[] y,
      float[] theta, long[] time) throws IOException {
    for (int k = 0; k < n; k++) {
      u[k] = in.readInt();
      i[k] = in.readInt();
      y[k] = in.readFloat();
      theta[k] = in.readFloat();
      time[k] = in.readLong();
      if (u[k] < 0 || u[k] >= nu || i[k] < 0 || i[k] >= ni) {
        throw new IllegalArgumentException("pending event outside the id counts");
      }
    }
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
      if (version != VERSION && version != VERSION_2 && version != VERSION_1) {
        throw new IllegalArgumentException("unsupported online trainer snapshot version " + version
            + " (this build reads " + VERSION_1 + " to " + VERSION + ")");
      }
      OnlineConfig config = readSettings(in);
      int dim = config.dim();
      int batchSize = config.batchSize();
      long batches = in.readLong();
      long newest = in.readLong();
      int step = in.readInt();
      IdIndex users = IdIndex.read(in);
      IdIndex items = IdIndex.read(in);
      int nu = users.size();
      int ni = items.size();
      // the version-2 tail (the rest of the settings) follows the pending events
      Pending p = Pending.read(in, batchSize, nu, ni, dim);
      if (version != VERSION_1) {
        config = readSettingsTail(in, config, version != VERSION_2);
        p.clickTheta = ClipQuantile.read(in);
        p.reservoir = Reservoir.read(in, config.reservoirSize(), nu, ni);
      }
      OnlineTrainer t = new OnlineTrainer(config, path, users, items, p.clicked,
          p.clickTheta == null ? new ClipQuantile() : p.clickTheta,
          p.reservoir == null ? new Reservoir(0) : p.reservoir);
      for (long pair : p.clicked.sorted()) {
        t.clickLists.add((int) (pair >>> 32), (int) pair);
      }
      t.allocate(capacityFor(nu), capacityFor(ni));
      System.arraycopy(p.itemTheta, 0, t.itemTheta, 0, ni);
      System.arraycopy(p.itemClicks, 0, t.itemClicks, 0, ni);
      System.arraycopy(p.userFactors, 0, t.model.userFactors, 0, p.userFactors.length);
      System.arraycopy(p.itemFactors, 0, t.model.itemFactors, 0, p.itemFactors.length);
      float[] um = Arrays.copyOf(p.um, t.model.userFactors.length);
      float[] uv = Arrays.copyOf(p.uv, t.model.userFactors.length);
      float[] im = Arrays.copyOf(p.im, t.model.itemFactors.length);
      float[] iv = Arrays.copyOf(p.iv, t.model.itemFactors.length);
      int pending = p.pending;
      System.arraycopy(p.pendUser, 0, t.pendUser, 0, pending);
      System.arraycopy(p.pendItem, 0, t.pendItem, 0, pending);
      System.arraycopy(p.pendLabel, 0, t.pendLabel, 0, pending);
      System.arraycopy(p.pendTheta, 0, t.pendTheta, 0, pending);
      System.arraycopy(p.pendTime, 0, t.pendTime, 0, pending);
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

  /** The part of a snapshot between the id maps and the version-2 tail, as read. */
  private static final class Pending {
    float[] itemTheta;
    double[] itemClicks;
    float[] userFactors;
    float[] um;
    float[] uv;
    float[] itemFactors;
    float[] im;
    float[] iv;
    LongSet clicked = new LongSet();
    int pending;
    int[] pendUser;
    int[] pendItem;
    float[] pendLabel;
    float[] pendTheta;
    long[] pendTime;
    ClipQuantile clickTheta;
    Reservoir reservoir;

    static Pending read(DataInputStream in, int batchSize, int nu, int ni, int dim) throws IOException {
      Pending p = new Pending();
      p.itemTheta = new float[ni];
      p.itemClicks = new double[ni];
      for (int i = 0; i < ni; i++) {
        p.itemTheta[i] = in.readFloat();
        p.itemClicks[i] = in.readDouble();
      }
      p.userFactors = floats(in, nu * dim);
      p.um = floats(in, nu * dim);
      p.uv = floats(in, nu * dim);
      p.itemFactors = floats(in, ni * dim);
      p.im = floats(in, ni * dim);
      p.iv = floats(in, ni * dim);
      int pairs = in.readInt();
      if (pairs < 0) {
        throw new IllegalArgumentException("bad clicked-pair count " + pairs);
      }
      for (int k = 0; k < pairs; k++) {
        long pair = in.readLong();
        if ((pair >>> 32) >= nu || (pair & 0xffffffffL) >= ni) {
          throw new IllegalArgumentException("clicked pair outside the id maps");
        }
        p.clicked.add(pair);
      }
      int pending = in.readInt();
      if (pending < 0 || pending >= batchSize) {
        throw new IllegalArgumentException("bad pending count " + pending + " for batch size " + batchSize);
      }
      p.pending = pending;
      p.pendUser = new int[pending];
      p.pendItem = new int[pending];
      p.pendLabel = new float[pending];
      p.pendTheta = new float[pending];
      p.pendTime = new long[pending];
      readPending(in, pending, nu, ni, p.pendUser, p.pendItem, p.pendLabel, p.pendTheta, p.pendTime);
      return p;
    }

    private static float[] floats(DataInputStream in, int n) throws IOException {
      if (n > in.available() / 4) {
        throw new IOException("snapshot ends inside a table");
      }
      float[] a = new float[n];
      readFloats(in, a, n);
      return a;
    }
  }

  private static int capacityFor(int n) {
    int cap = INITIAL_CAPACITY;
    while (cap < n) {
      cap *= 2;
    }
    return cap;
  }

  // ------------------------------------------------------------------ row layout

  /** First four bytes of {@link #globals()}: "RSOK". */
  public static final int GLOBALS_MAGIC = 0x52534f4b;
  /** Format version of {@link #globals()} and of the rows {@link #writeChangedRows} writes. */
  public static final int ROWS_VERSION = 1;
  private static final byte USER_ROW = 'U';
  private static final byte ITEM_ROW = 'I';
  private static final byte RESERVOIR_ROW = 'R';
  private static final byte ERASED_USER_ROW = 'X';
  /** Rows encoded per moment copy in {@link #writeChangedRows}, bounding its scratch arrays. */
  private static final int WRITE_CHUNK = 4096;

  /** The row layout's key of a user row. */
  public static String userKey(String user) {
    return "u:" + user;
  }

  /** The row layout's key of an item row. */
  public static String itemKey(String item) {
    return "i:" + item;
  }

  /** The row layout's key of the hole an erased user left at its index (the id is gone). */
  public static String erasedUserKey(int index) {
    return "ux:" + index;
  }

  /** The row layout's key of a reservoir slot. */
  public static String reservoirKey(int slot) {
    return "r:" + slot;
  }

  /**
   * Writes every row changed since the previous call (or since the trainer was created or restored) and
   * forgets the changes: the state as one value per row (the row layout), for a store that checkpoints
   * what changed, such as Flink's keyed state on RocksDB with incremental checkpoints. Together with
   * {@link #globals()} taken at the same moment, the rows written so far (each key's latest value) are
   * what {@link #restore(byte[], Iterable, BatchMaths.Path)} continues from, bit for bit as after
   * {@link #snapshot()} on the Java path.
   *
   * <p>Rows, big-endian, keyed by {@link #userKey}, {@link #itemKey}, {@link #reservoirKey}:
   * <pre>
   *   user:      byte 'U', int index, int len, UTF-8 id, d floats factors, d floats m, d floats v,
   *              int n, n x int clicked item index (the remembered clicks for negative sampling)
   *   item:      byte 'I', int index, int len, UTF-8 id, d floats factors, d floats m, d floats v,
   *              float &theta;, double clicks
   *   reservoir: byte 'R', int slot, int u, int i, float Y, float &theta;
   *   erased user (key ux:INDEX): byte 'X', int index; the user's own key is deleted (a null value)
   * </pre>
   * A row changes when an event names its user or item, when a step touches it (own events, reservoir
   * draws, negatives), or, for a slot, when the ring stores an event in it.
   *
   * @return the number of rows written
   */
  public int writeChangedRows(RowWriter out) {
    math.syncToModel();
    int dim = config.dim();
    int written = 0;
    try {
      // erasures first: the same id may be back already, as a new user whose row follows
      for (Object[] e : erased) {
        out.put(userKey((String) e[1]), null);
        ByteArrayOutputStream hole = new ByteArrayOutputStream(5);
        DataOutputStream o = new DataOutputStream(hole);
        o.writeByte(ERASED_USER_ROW);
        o.writeInt((Integer) e[0]);
        out.put(erasedUserKey((Integer) e[0]), hole.toByteArray());
        written++;
      }
      for (int kind = 0; kind < 2; kind++) {
        IndexSet rows = kind == 0 ? dirty.users : dirty.items;
        int n = rows.size();
        int[] chunk = new int[Math.min(n, WRITE_CHUNK)];
        float[] m = new float[chunk.length * dim];
        float[] v = new float[chunk.length * dim];
        for (int from = 0; from < n; from += chunk.length) {
          int count = Math.min(chunk.length, n - from);
          for (int k = 0; k < count; k++) {
            chunk[k] = rows.get(from + k);
          }
          math.copyRowMoments(kind == 1, chunk, count, m, v);
          for (int k = 0; k < count; k++) {
            int r = chunk[k];
            if (kind == 0) {
              if (users.id(r) == null) {
                continue; // erased: deleted below
              }
              out.put(userKey(users.id(r)), userRow(r, m, v, k * dim));
            } else {
              out.put(itemKey(items.id(r)), itemRow(r, m, v, k * dim));
            }
          }
          written += count;
        }
      }
      for (int slot = reservoir.size(); slot < reservoirSizeBefore; slot++) {
        out.put(reservoirKey(slot), null);
      }
      for (int slot : reservoir.recentSlots(reservoirAdded)) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(21);
        DataOutputStream o = new DataOutputStream(bytes);
        o.writeByte(RESERVOIR_ROW);
        o.writeInt(slot);
        o.writeInt(reservoir.user(slot));
        o.writeInt(reservoir.item(slot));
        o.writeFloat(reservoir.label(slot));
        o.writeFloat(reservoir.theta(slot));
        out.put(reservoirKey(slot), bytes.toByteArray());
        written++;
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    dirty.clear();
    reservoirAdded = 0;
    erased.clear();
    reservoirSizeBefore = -1;
    return written;
  }

  /** Rows changed since the last {@link #writeChangedRows}: users plus items (reservoir slots not counted). */
  public int changedRows() {
    return dirty.users.size() + dirty.items.size();
  }

  // rows are encoded with ByteBuffer (big-endian, the bytes DataOutputStream would write): per-float
  // stream calls made the encoding and the restore of a million rows take seconds

  private byte[] userRow(int u, float[] m, float[] v, int off) {
    int dim = config.dim();
    int clicks = clickLists.count(u);
    byte[] id = users.id(u).getBytes(java.nio.charset.StandardCharsets.UTF_8);
    java.nio.ByteBuffer o = java.nio.ByteBuffer.allocate(13 + id.length + 12 * dim + 4 * clicks);
    o.put(USER_ROW).putInt(u).putInt(id.length).put(id);
    putFloats(o, model.userFactors, u * dim, dim);
    putFloats(o, m, off, dim);
    putFloats(o, v, off, dim);
    o.putInt(clicks);
    for (int k = 0; k < clicks; k++) {
      o.putInt(clickLists.get(u, k));
    }
    return o.array();
  }

  private byte[] itemRow(int i, float[] m, float[] v, int off) {
    int dim = config.dim();
    byte[] id = items.id(i).getBytes(java.nio.charset.StandardCharsets.UTF_8);
    java.nio.ByteBuffer o = java.nio.ByteBuffer.allocate(21 + id.length + 12 * dim);
    o.put(ITEM_ROW).putInt(i).putInt(id.length).put(id);
    putFloats(o, model.itemFactors, i * dim, dim);
    putFloats(o, m, off, dim);
    putFloats(o, v, off, dim);
    o.putFloat(itemTheta[i]).putDouble(itemClicks[i]);
    return o.array();
  }

  private static void putFloats(java.nio.ByteBuffer o, float[] a, int off, int n) {
    o.asFloatBuffer().put(a, off, n);
    o.position(o.position() + 4 * n);
  }

  private static void getFloats(java.nio.ByteBuffer in, float[] a, int off, int n) {
    in.asFloatBuffer().get(a, off, n);
    in.position(in.position() + 4 * n);
  }

  /**
   * Everything but the rows, small whatever the model's size (operator state):
   * <pre>
   *   int GLOBALS_MAGIC, int ROWS_VERSION,
   *   config: int d, float lr, float &lambda;, int batchSize, int negativesPerPositive, int loss code,
   *           float M, float c, long seed, float q, int R, int K, long reservoirStepMs,
   *   long batches, long newestTrained, int adamStep, int numUsers, int numItems,
   *   pending: int n, n x (int u, int i, float Y, float &theta;, long time),
   *   clicks' &theta; histogram: int bins, bins x long,
   *   reservoir: int size, int head
   * </pre>
   */
  public byte[] globals() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(1024 + 24 * pending);
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      out.writeInt(GLOBALS_MAGIC);
      out.writeInt(ROWS_VERSION);
      writeSettings(out, config);
      writeSettingsTail(out, config);
      out.writeLong(batches);
      out.writeLong(newestTrained);
      out.writeInt(math.step());
      out.writeInt(users.size());
      out.writeInt(items.size());
      writePending(out);
      clickTheta.write(out);
      out.writeInt(reservoir.size());
      out.writeInt(reservoir.head());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bytes.toByteArray();
  }

  /**
   * A trainer that continues from {@link #globals()} and the latest value of every key
   * {@link #writeChangedRows} wrote up to the same moment ({@code rows} in any order).
   *
   * @throws IllegalArgumentException when the globals are not of this layout, a row is malformed or
   *     outside the globals' id counts, or a row the globals count is missing
   */
  public static OnlineTrainer restore(byte[] globals, Iterable<byte[]> rows, BatchMaths.Path path) {
    RowRestore r = new RowRestore(globals, path);
    for (byte[] row : rows) {
      r.add(row);
    }
    return r.finish();
  }

  /**
   * {@link #restore(byte[], Iterable, BatchMaths.Path)} fed one row at a time, for a store that pushes
   * its values (Flink's {@code applyToAllKeys}) without holding them all: the rows go straight into the
   * new trainer's tables.
   */
  public static final class RowRestore {
    private final OnlineTrainer t;
    private final int dim;
    private final String[] userIds;
    private final String[] itemIds;
    private final float[] um;
    private final float[] uv;
    private final float[] im;
    private final float[] iv;
    private final boolean[] slotSeen;
    private final boolean[] erasedUsers;
    private final int step;
    private int slots;
    private boolean finished;

    /** Reads the globals; throws IllegalArgumentException when they are not of this layout. */
    public RowRestore(byte[] globals, BatchMaths.Path path) {
      try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(globals))) {
        int magic = in.readInt();
        if (magic != GLOBALS_MAGIC) {
          throw new IllegalArgumentException(String.format("not the globals of a trainer's row layout (magic %08x)",
              magic));
        }
        int version = in.readInt();
        if (version != ROWS_VERSION) {
          throw new IllegalArgumentException("unsupported row layout version " + version + " (this build reads "
              + ROWS_VERSION + ")");
        }
        OnlineConfig config = readSettingsTail(in, readSettings(in), true);
        dim = config.dim();
        int batchSize = config.batchSize();
        int size = config.reservoirSize();
        long batches = in.readLong();
        long newest = in.readLong();
        step = in.readInt();
        int nu = in.readInt();
        int ni = in.readInt();
        int pending = in.readInt();
        if (nu < 0 || ni < 0 || pending < 0 || pending >= batchSize || step < 0) {
          throw new IllegalArgumentException("bad counts in the globals: " + nu + " users, " + ni + " items, "
              + pending + " pending, step " + step);
        }
        int[] pu = new int[pending];
        int[] pi = new int[pending];
        float[] py = new float[pending];
        float[] pt = new float[pending];
        long[] ptime = new long[pending];
        readPending(in, pending, nu, ni, pu, pi, py, pt, ptime);
        ClipQuantile clickTheta = ClipQuantile.read(in);
        Reservoir reservoir = Reservoir.sized(size, in.readInt(), in.readInt());
        if (in.read() != -1) {
          throw new IllegalArgumentException("trailing bytes after the trainer's globals");
        }
        t = new OnlineTrainer(config, path, new IdIndex(), new IdIndex(), new LongSet(), clickTheta, reservoir);
        t.allocate(capacityFor(nu), capacityFor(ni));
        System.arraycopy(pu, 0, t.pendUser, 0, pending);
        System.arraycopy(pi, 0, t.pendItem, 0, pending);
        System.arraycopy(py, 0, t.pendLabel, 0, pending);
        System.arraycopy(pt, 0, t.pendTheta, 0, pending);
        System.arraycopy(ptime, 0, t.pendTime, 0, pending);
        t.pending = pending;
        t.batches = batches;
        t.newestTrained = newest;
        userIds = new String[nu];
        itemIds = new String[ni];
        erasedUsers = new boolean[nu];
        um = new float[t.model.userFactors.length];
        uv = new float[um.length];
        im = new float[t.model.itemFactors.length];
        iv = new float[im.length];
        slotSeen = new boolean[reservoir.size()];
      } catch (IOException e) {
        throw new IllegalArgumentException("truncated trainer globals: " + e, e);
      }
    }

    /** One stored row (any order; a key's latest value only). */
    public void add(byte[] row) {
      if (finished) {
        throw new IllegalStateException("already finished");
      }
      try {
        java.nio.ByteBuffer r = java.nio.ByteBuffer.wrap(row);
        byte kind = r.get();
        int nu = userIds.length;
        int ni = itemIds.length;
        if (kind == RESERVOIR_ROW) {
          int slot = r.getInt();
          int u = r.getInt();
          int i = r.getInt();
          float y = r.getFloat();
          float th = r.getFloat();
          if (slot < 0 || slot >= slotSeen.length || u < 0 || u >= nu || i < 0 || i >= ni) {
            throw new IllegalArgumentException("reservoir slot " + slot + " outside the ring or the id counts");
          }
          if (!slotSeen[slot]) {
            slotSeen[slot] = true;
            slots++;
          }
          t.reservoir.set(slot, u, i, y, th);
          return;
        }
        if (kind == ERASED_USER_ROW) {
          erasedUsers[RowBytes.readIndex(r, nu, "erased user")] = true;
          return;
        }
        if (kind != USER_ROW && kind != ITEM_ROW) {
          throw new IllegalArgumentException("unknown row kind " + kind);
        }
        boolean user = kind == USER_ROW;
        String[] ids = user ? userIds : itemIds;
        int index = RowBytes.readIndex(r, ids.length, user ? "user row" : "item row");
        ids[index] = RowBytes.readId(r);
        getFloats(r, user ? t.model.userFactors : t.model.itemFactors, index * dim, dim);
        getFloats(r, user ? um : im, index * dim, dim);
        getFloats(r, user ? uv : iv, index * dim, dim);
        if (user) {
          int n = r.getInt();
          for (int k = 0; k < n; k++) {
            int i = r.getInt();
            if (i < 0 || i >= ni) {
              throw new IllegalArgumentException("clicked item " + i + " outside the id counts");
            }
            if (t.clicked.add(pairKey(index, i))) {
              t.clickLists.add(index, i);
            }
          }
        } else {
          t.itemTheta[index] = r.getFloat();
          t.itemClicks[index] = r.getDouble();
        }
        if (r.hasRemaining()) {
          throw new IllegalArgumentException("trailing bytes after a " + (user ? "user" : "item") + " row");
        }
      } catch (java.nio.BufferUnderflowException e) {
        throw new IllegalArgumentException("truncated trainer row", e);
      }
    }

    /** The trainer, once every row was added; throws IllegalArgumentException when a row is missing. */
    public OnlineTrainer finish() {
      if (slots != slotSeen.length) {
        throw new IllegalArgumentException("the rows hold " + slots + " of the reservoir's " + slotSeen.length
            + " slots");
      }
      t.users.addAll(userIds, erasedUsers, "user");
      t.items.addAll(itemIds, "item");
      finished = true;
      t.math = BatchMaths.create(t.path, t.model);
      t.math.loadState(um, uv, im, iv, step);
      return t;
    }
  }

  /**
   * Marks every row and reservoir slot as changed, so that the next {@link #writeChangedRows} writes the
   * whole model (moving a trainer restored from a {@link #snapshot()} into the row layout).
   */
  public void markAllChanged() {
    for (int u = 0; u < users.size(); u++) dirty.noteUser(u);
    for (int i = 0; i < items.size(); i++) dirty.noteItem(i);
    reservoirAdded = reservoir.size();
  }

  @Override
  public void close() {
    math.close();
  }
}
