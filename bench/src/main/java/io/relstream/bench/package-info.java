/**
 * Kernel benchmarks of {@code io.relstream.core.accel}: JMH benchmarks ({@code TrainBenchmark},
 * {@code ScoreBenchmark}, {@code CopyBenchmark}; run with
 * {@code java -cp bench/target/classes:$(cat bench/target/classpath.txt) org.openjdk.jmh.Main}) and the
 * bounded side-by-side run {@link io.relstream.bench.KernelBench} behind {@code ./relstream bench kernels}.
 */
package io.relstream.bench;
