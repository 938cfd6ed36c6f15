package io.relstream.bench;

import io.relstream.core.accel.Accel;
import io.relstream.core.accel.TopKScorer;
import io.relstream.core.model.FactorModel;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Latency of one top-100 call for a batch of users over all items at d = 64 (the item table, N x 64 x 4
 * bytes, streams once per call: divide by the time for bytes per second).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xmx8g", "--add-modules", "jdk.incubator.vector"})
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 5, time = 2)
public class ScoreBenchmark {
  static final int K = 100;

  @Param({"100000", "1000000", "10000000"})
  int items;

  @Param({"1", "256"})
  int users;

  @Param({"java", "opencl"})
  String path;

  private TopKScorer scorer;
  private int[] batch;
  private int[] outItems;
  private float[] outScores;

  @Setup
  public void setup() {
    FactorModel model = Workloads.model(10_000, items, 64, 3);
    scorer = "opencl".equals(path) ? Accel.openClScorer(model, 0)
        : Accel.javaScorer(model, Runtime.getRuntime().availableProcessors());
    batch = Workloads.users(users, 10_000, 4);
    outItems = new int[users * K];
    outScores = new float[users * K];
  }

  @Benchmark
  public int topK() {
    scorer.topK(batch, K, null, outItems, outScores);
    return outItems[0];
  }

  @TearDown
  public void tearDown() {
    scorer.close();
  }
}
