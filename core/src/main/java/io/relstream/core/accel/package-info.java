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
 * Each kernel has three implementations; the scalar one defines the results:
 * <table>
 *   <caption>Implementations</caption>
 *   <tr><th>kernel</th><th>scalar reference</th><th>fast plain Java</th><th>OpenCL (Aparapi)</th></tr>
 *   <tr><td>train</td><td>{@code ScalarPairTrainer}</td><td>{@code JavaPairTrainer}: blocks of 8 pairs,
 *       touch-ahead of the next block's rows, "8 dots then 8 updates"</td>
 *       <td>{@code OpenClAccel}: tables and Adam state resident, conflict-free rounds</td></tr>
 *   <tr><td>score</td><td>{@code ScalarTopK}</td><td>{@code JavaTopK}: item table tiled and transposed,
 *       so the score loop is an axpy that C2 vectorises; threads over tiles</td>
 *       <td>{@code OpenClAccel}: per-chunk heaps on the device, then device merge passes</td></tr>
 * </table>
 * {@link io.relstream.core.accel.KernelSelector} measures the candidates at start-up and picks one per
 * kernel; {@link io.relstream.core.accel.Accel} creates any of them directly.
 *
 * <h2>Conflicting rows within a batch</h2>
 * The result of a batch is defined as applying its pairs one after the other in batch order
 * (sequential SGD). Every path reproduces that: the scalar reference literally; the fast Java path
 * processes a block of 8 pairs with its dots first only when the block has no repeated user or item,
 * otherwise pair by pair; the OpenCL path schedules the batch into rounds (round of pair k = 1 + the
 * latest round of an earlier pair sharing its user or item), runs one round per launch pass, and pairs
 * within a round touch disjoint rows, so any order inside a round gives the sequential result. The
 * OpenCL path also offers {@link io.relstream.core.accel.Conflicts#HOGWILD} (one pass, racing updates on
 * shared rows), whose cost in accuracy is what {@code ./relstream bench kernels} reports.
 *
 * <p>Aparapi is used only by {@code OpenClAccel}, {@code AccelKernel} and {@code OpenClDevices}. Those
 * classes must keep their debug information (Aparapi reads the local variable table).
 */
package io.relstream.core.accel;
