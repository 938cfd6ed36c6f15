/** The Flink training job: propensity and clipped-IPS trainer operators (streaming issue). */
package io.relstream.streamtrain;
