package io.relstream.core.accel;

import io.relstream.core.kernel.Batch;
import io.relstream.core.kernel.Measured;
import io.relstream.core.kernel.Objective;
import io.relstream.core.model.FactorModel;
import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Picks, per kernel, the fastest path present by a short measurement at start-up.
 *
 * <p>Candidates: the fast plain-Java path (for training also its multi-threaded form on every core,
 * "java-threads", when there are several) and every OpenCL device ({@link Accel#openClDevices()}). Each
 * runs a small synthetic workload of the real shape (same d and rule; tables of at most 262,144 users
 * and 65,536 items, large enough to leave the caches for training): training applies batches of 16,384
 * random pairs for about {@code budgetMillis}, scoring ranks the top 100 of a batch of 32 users. The
 * highest rate wins. A candidate that fails (no OpenCL, a kernel that does not compile, an execution
 * that did not run on OpenCL) is never used and never silent: its reason is logged as a warning and
 * kept in {@link Choice#reason()}.
 *
 * <p>The choice of each kernel is logged once per {@link #select} call (System.Logger
 * "io.relstream.core.accel") and kept for {@link #lastSelection()}, which a metrics endpoint prints
 * with {@link Selection#prometheus()}.
 */
public final class KernelSelector {
  private static final System.Logger LOG = System.getLogger("io.relstream.core.accel");
  private static volatile Selection last;
  /** Rate key and {@link Choice#deviceIndex()} of the multi-threaded Java trainer (pipelined blocks on every core). */
  static final String JAVA_THREADS = "java-threads";
  static final int JAVA_THREADS_INDEX = -2;

  private KernelSelector() {}

  /**
   * The chosen path of one kernel.
   *
   * @param kernel "train" or "score"
   * @param path "java" or "opencl"
   * @param device the device description
   * @param deviceIndex the OpenCL device index, -1 for Java, -2 for Java on every core (training only)
   * @param reason why: the measured rates, and every candidate that was dropped and why
   * @param rates measured rate per candidate (pairs/s or users/s), in measurement order
   */
  public record Choice(String kernel, String path, String device, int deviceIndex, String reason,
      Map<String, Double> rates) {}

  /** Both choices. */
  public record Selection(Choice train, Choice score) {
    /** Prometheus text exposition of the choices (one info gauge per kernel). */
    public String prometheus() {
      StringBuilder b = new StringBuilder();
      b.append("# HELP relstream_kernel_path The kernel path chosen at start-up (1 = in use).\n");
      b.append("# TYPE relstream_kernel_path gauge\n");
      for (Choice c : List.of(train, score)) {
        b.append("relstream_kernel_path{kernel=\"").append(c.kernel()).append("\",path=\"").append(c.path())
            .append("\",device=\"").append(escape(c.device())).append("\",reason=\"")
            .append(escape(c.reason())).append("\"} 1\n");
      }
      return b.toString();
    }

    private static String escape(String s) {
      return s.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", " ");
    }
  }

  /** The most recent selection, or null before the first. */
  public static Selection lastSelection() {
    return last;
  }

  /**
   * Measures the candidates for a model of shape (numUsers, numItems, dim) trained with {@code rule}
   * and returns the fastest path per kernel.
   *
   * @param budgetMillis time per candidate and kernel (about 200 is enough)
   */
  public static Selection select(int numUsers, int numItems, int dim, StepRule rule, Objective objective,
      long budgetMillis) {
    int users = Math.min(numUsers, 1 << 18);
    int items = Math.min(numItems, 1 << 16);
    FactorModel model = FactorModel.xavier(users, items, dim, 7);
    RowAdamState state = new RowAdamState(model);
    List<String> devices = Accel.openClDevices();
    String unavailable = Accel.openClUnavailable();
    List<String> dropped = new ArrayList<>();
    if (unavailable != null) {
      dropped.add("opencl: " + unavailable);
    }

    Map<String, Double> trainRates = new LinkedHashMap<>();
    Batch batch = Measured.randomBatch(users, items, 1 << 14, 11);
    try (PairTrainer t = Accel.javaTrainer(model, state, rule, objective)) {
      trainRates.put("java", trainRate(t, batch, budgetMillis));
    }
    int threads = Runtime.getRuntime().availableProcessors();
    if (threads > 1) {
      try (PairTrainer t = Accel.parallelJavaTrainer(model, state, rule, objective, threads)) {
        trainRates.put(JAVA_THREADS, trainRate(t, batch, budgetMillis));
      }
    }
    List<String> trainDropped = new ArrayList<>(dropped);
    for (int d = 0; d < devices.size(); d++) {
      try (PairTrainer t = Accel.openClTrainer(model, state, rule, objective, d, Conflicts.ROUNDS,
          Accel.DEFAULT_BATCH_CAPACITY)) {
        trainRates.put("opencl:" + d, trainRate(t, batch, budgetMillis));
      } catch (RuntimeException e) {
        trainDropped.add("opencl " + devices.get(d) + ": " + e.getMessage());
        LOG.log(Level.WARNING, "train kernel: OpenCL on {0} dropped: {1}", devices.get(d), e.getMessage());
      }
    }

    Map<String, Double> scoreRates = new LinkedHashMap<>();
    int[] sample = new int[32];
    SplittableRandom rng = new SplittableRandom(13);
    for (int j = 0; j < sample.length; j++) {
      sample[j] = rng.nextInt(users);
    }
    try (TopKScorer s = Accel.javaScorer(model, Runtime.getRuntime().availableProcessors())) {
      scoreRates.put("java", scoreRate(s, sample, budgetMillis));
    }
    List<String> scoreDropped = new ArrayList<>(dropped);
    for (int d = 0; d < devices.size(); d++) {
      try (TopKScorer s = Accel.openClScorer(model, d)) {
        scoreRates.put("opencl:" + d, scoreRate(s, sample, budgetMillis));
      } catch (RuntimeException e) {
        scoreDropped.add("opencl " + devices.get(d) + ": " + e.getMessage());
        LOG.log(Level.WARNING, "score kernel: OpenCL on {0} dropped: {1}", devices.get(d), e.getMessage());
      }
    }
    Selection s = new Selection(choose("train", trainRates, trainDropped, devices, "pairs/s"),
        choose("score", scoreRates, scoreDropped, devices, "users/s"));
    LOG.log(Level.INFO, "kernel train: {0} on {1} ({2})", s.train().path(), s.train().device(), s.train().reason());
    LOG.log(Level.INFO, "kernel score: {0} on {1} ({2})", s.score().path(), s.score().device(), s.score().reason());
    last = s;
    return s;
  }

  /** Creates the chosen trainer. */
  public static PairTrainer trainer(Selection s, FactorModel model, RowAdamState state, StepRule rule,
      Objective objective) {
    if (s.train().deviceIndex() == JAVA_THREADS_INDEX) {
      return Accel.parallelJavaTrainer(model, state, rule, objective, Runtime.getRuntime().availableProcessors());
    }
    if (s.train().deviceIndex() < 0) {
      return Accel.javaTrainer(model, state, rule, objective);
    }
    return Accel.openClTrainer(model, state, rule, objective, s.train().deviceIndex(), Conflicts.ROUNDS,
        Accel.DEFAULT_BATCH_CAPACITY);
  }

  /** Creates the chosen scorer. */
  public static TopKScorer scorer(Selection s, FactorModel model) {
    if (s.score().deviceIndex() < 0) {
      return Accel.javaScorer(model, Runtime.getRuntime().availableProcessors());
    }
    return Accel.openClScorer(model, s.score().deviceIndex());
  }

  static Choice choose(String kernel, Map<String, Double> rates, List<String> dropped, List<String> devices,
      String unit) {
    String best = Measured.fastest(rates);
    int index = best.startsWith("opencl:") ? Integer.parseInt(best.substring(7))
        : best.equals(JAVA_THREADS) ? JAVA_THREADS_INDEX : -1;
    String device = index >= 0 ? devices.get(index)
        : index == JAVA_THREADS_INDEX ? "java (pipelined blocks, " + Runtime.getRuntime().availableProcessors() + " threads)"
        : "java";
    return new Choice(kernel, index < 0 ? "java" : "opencl", device, index,
        Measured.reason(rates, dropped, unit), Map.copyOf(rates));
  }

  private static double trainRate(PairTrainer t, Batch batch, long budgetMillis) {
    return Measured.rate(() -> t.train(batch), batch.size(), budgetMillis);
  }

  private static double scoreRate(TopKScorer s, int[] users, long budgetMillis) {
    int k = 100;
    int[] items = new int[users.length * k];
    float[] scores = new float[users.length * k];
    return Measured.rate(() -> s.topK(users, k, null, items, scores), users.length, budgetMillis);
  }
}
