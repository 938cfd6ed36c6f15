/**
 * Accelerated per-pair training and top-k scoring, with a start-up choice of the fastest path.
 *
 * <h2>Kernels</h2>
 * <ul>
 *   <li><b>Training</b> ({@link io.relstream.core.accel.PairTrainer}): a mini-batch of (u, i, Y, &theta;)
 *       tuples, each applied as one clipped-IPS SGD or Adam update of p<sub>u</sub> and q<sub>i</sub>
 *       (math in {@link io.relstream.core.accel.PairRule}).</li>
 *   <li><b>Scoring</b> ({@link io.relstream.core.accel.TopKScorer}): a batch of users against all items,
 *       the k best per user under the total order (score descending, item ascending), with an
 *       exclude-seen mask ({@link io.relstream.core.accel.SeenItems}).</li>
 * </ul>
 *
 * <h2>Paths</h2>
 * Each kernel has a scalar reference, which defines the results, and faster paths:
 * <table>
 *   <caption>Implementations</caption>
 *   <tr><th>kernel</th><th>scalar reference</th><th>fast plain Java</th><th>OpenCL (Aparapi)</th></tr>
 *   <tr><td>train</td><td>{@code ScalarPairTrainer}</td><td>{@code JavaPairTrainer}: blocks of 32 pairs,
 *       the block's rows touched first, all dots then all updates; dot and row updates in the Java Vector
 *       API ({@code VectorRows}) when the JVM has {@code jdk.incubator.vector}.
 *       {@code ParallelPairTrainer}: those blocks dealt round-robin to threads, a block waiting only for
 *       a running earlier block it shares a row with</td>
 *       <td>{@code OpenClAccel}: tables and Adam state resident, conflict-free rounds</td></tr>
 *   <tr><td>score</td><td>{@code ScalarTopK}</td><td>{@code JavaTopK}: item table tiled and transposed,
 *       so the score loop is an axpy (in the Vector API when present, same bits); threads over tiles</td>
 *       <td>{@code OpenClAccel}: per-chunk heaps on the device, then device merge passes</td></tr>
 * </table>
 * {@link io.relstream.core.accel.KernelSelector} measures the candidates at start-up and picks one per
 * kernel; {@link io.relstream.core.accel.Accel} creates any of them directly.
 *
 * <h2>Conflicting rows within a batch</h2>
 * The result of a batch is defined as applying its pairs one after the other in batch order
 * (sequential SGD). Every path reproduces that: the scalar reference literally; the fast Java path
 * processes a block with its dots first only when the block has no repeated user or item, otherwise
 * pair by pair; the multi-threaded Java path runs a block only once every earlier block sharing a row
 * with it has finished; the OpenCL path schedules the batch into rounds (round of pair k = 1 + the
 * latest round of an earlier pair sharing its user or item), runs the rounds one after the other (one
 * launch pass each), and pairs within a round touch disjoint rows, so any order or split inside a round
 * gives the sequential result. Paths whose dot products are summed in another order (OpenCL, the
 * Vector API) match the reference up to float rounding; the others bit for bit. The
 * OpenCL path also offers {@link io.relstream.core.accel.Conflicts#HOGWILD} (one pass, racing updates on
 * shared rows), whose cost in accuracy is what {@code ./relstream bench kernels} reports.
 *
 * <p>Aparapi is used only by {@code OpenClAccel}, {@code AccelKernel} and {@code OpenClDevices}. Those
 * classes must keep their debug information (Aparapi reads the local variable table).
 */
package io.relstream.core.accel;
