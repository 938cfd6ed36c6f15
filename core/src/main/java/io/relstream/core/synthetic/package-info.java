/**
 * A seeded semi-synthetic click log with known truth, for testing the estimator: relevance
 * &gamma;<sub>u,i</sub>, exposure &theta;<sub>u,i</sub>, observation O ~ Bernoulli(&theta;), relevance
 * R ~ Bernoulli(&gamma;) and click Y = O R (the position-based model of Rel-MF, where
 * P(Y = 1) = &theta; &gamma;). See {@link io.relstream.core.synthetic.SemiSyntheticLog}.
 */
package io.relstream.core.synthetic;
