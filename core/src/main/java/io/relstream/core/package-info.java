/**
 * relstream core: the framework-free math of the clipped inverse-propensity estimator of Rel-MF
 * (Saito et al., "Unbiased Recommender Learning from Missing-Not-At-Random Implicit Feedback", WSDM 2020).
 *
 * <h2>Notation</h2>
 * <table>
 *   <caption>Symbols used throughout core</caption>
 *   <tr><th>symbol</th><th>code</th><th>meaning</th></tr>
 *   <tr><td>u, i</td><td>{@code user}, {@code item}</td><td>dense 0-based user and item indices</td></tr>
 *   <tr><td>Y<sub>u,i</sub></td><td>{@code label}</td><td>click (1) or no click / unlabeled (0)</td></tr>
 *   <tr><td>&theta;<sub>u,i</sub></td><td>{@code theta}</td><td>exposure propensity P(O<sub>u,i</sub> = 1)</td></tr>
 *   <tr><td>M</td><td>{@code clip}</td><td>propensity clipping constant; M = 0 is the unclipped estimator</td></tr>
 *   <tr><td>&eta;</td><td>{@code eta}</td><td>power of the popularity propensity</td></tr>
 *   <tr><td>c</td><td>{@code negativeWeight}</td><td>weight on the negative local loss (1 except for WMF)</td></tr>
 *   <tr><td>w</td><td>{@code w}</td><td>positive weight Y / max(&theta;, M)</td></tr>
 *   <tr><td>s = p<sub>u</sub>&middot;q<sub>i</sub></td><td>{@code score}</td><td>logit; prediction &sigma;(s)</td></tr>
 *   <tr><td>&lambda;</td><td>{@code l2}</td><td>L2 coefficient: penalty (&lambda;/2)||table||&sup2;</td></tr>
 * </table>
 *
 * <p>Packages: {@code estimator} (weights and local losses), {@code propensity} (incremental
 * estimators of &theta;), {@code model} (factor tables, configurations, Adam), {@code kernel} (the
 * batch-math interface and its scalar reference), {@code kernel.opencl} (the Aparapi implementation),
 * {@code train} (sampling and the training loop), {@code metrics} (ranking metrics), {@code data}
 * (readers and splits) and {@code synthetic} (a seeded semi-synthetic log with known truth).
 */
package io.relstream.core;
