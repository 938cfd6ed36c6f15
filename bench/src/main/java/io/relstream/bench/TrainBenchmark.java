package io.relstream.bench;

import io.relstream.core.accel.Accel;
import io.relstream.core.accel.Conflicts;
import io.relstream.core.accel.PairTrainer;
import io.relstream.core.accel.RowAdamState;
import io.relstream.core.accel.StepRule;
import io.relstream.core.kernel.Batch;
import io.relstream.core.model.FactorModel;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Training throughput in updates per second (one operation = one pair): 1,000,000 users x 100,000
 * items, uniformly random pairs, batches of 65,536. Multiply by 16 d + 16 (SGD) or 48 d + 32 (Adam)
 * for bytes per second, and compare with {@link CopyBenchmark}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
// transparent huge pages, committed up front, as the launcher gives `bench kernels`: random rows miss
// the TLB on 4 KiB pages
@Fork(value = 1, jvmArgsAppend = {"-Xmx6g", "-Xms6g", "-XX:+UseTransparentHugePages", "-XX:+AlwaysPreTouch",
    "--add-modules", "jdk.incubator.vector"})
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 5, time = 2)
public class TrainBenchmark {
  static final int BATCH = 65_536;

  @Param({"32", "64", "128", "200"})
  int dim;

  @Param({"sgd", "adam"})
  String optimizer;

  /**
   * java (one thread, Vector API when present), java-exact (reference float order), java-threads (every
   * core, pipelined blocks), opencl (device 0, deterministic rounds) or opencl-hogwild.
   */
  @Param({"java", "java-threads", "opencl"})
  String path;

  private PairTrainer trainer;
  private Batch[] batches;
  private int next;

  @Setup
  public void setup() {
    FactorModel model = Workloads.model(1_000_000, 100_000, dim, 1);
    StepRule rule = "adam".equals(optimizer) ? StepRule.adam(0.001f, 1e-4f) : StepRule.sgd(0.01f, 1e-4f);
    RowAdamState state = "adam".equals(optimizer) ? new RowAdamState(model) : null;
    batches = Workloads.batches(8, BATCH, 1_000_000, 100_000, 2);
    switch (path) {
      case "java":
        trainer = Accel.javaTrainer(model, state, rule, Workloads.OBJECTIVE);
        break;
      case "java-exact":
        trainer = Accel.exactJavaTrainer(model, state, rule, Workloads.OBJECTIVE);
        break;
      case "java-threads":
        trainer = Accel.parallelJavaTrainer(model, state, rule, Workloads.OBJECTIVE,
            Runtime.getRuntime().availableProcessors());
        break;
      case "opencl":
      case "opencl-hogwild":
        trainer = Accel.openClTrainer(model, state, rule, Workloads.OBJECTIVE, 0,
            path.endsWith("hogwild") ? Conflicts.HOGWILD : Conflicts.ROUNDS, BATCH);
        break;
      default:
        throw new IllegalArgumentException("unknown path " + path);
    }
  }

  @Benchmark
  @OperationsPerInvocation(BATCH)
  public int train() {
    return trainer.train(batches[next++ & 7]);
  }

  @TearDown
  public void tearDown() {
    trainer.close();
  }
}
