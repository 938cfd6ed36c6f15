package io.relstream.bench;

import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The machine's memory bandwidth as the kernels see it: a copy loop over two 256 MiB arrays. One
 * operation is one float copied, i.e. 8 bytes moved (read + write); ops/s x 8 = bytes/s.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xmx2g", "--add-modules", "jdk.incubator.vector"})
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 5, time = 1)
public class CopyBenchmark {
  static final int FLOATS = 1 << 26;

  private float[] a;
  private float[] b;

  @Setup
  public void setup() {
    a = new float[FLOATS];
    b = new float[FLOATS];
  }

  @Benchmark
  @OperationsPerInvocation(FLOATS)
  public float copy() {
    Workloads.copy(a, b);
    return b[FLOATS - 1];
  }
}
