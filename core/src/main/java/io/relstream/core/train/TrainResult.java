package io.relstream.core.train;

import io.relstream.core.model.FactorModel;

/**
 * A trained model with the propensities it used and how training ran.
 *
 * @param itemTheta &theta;_i used in training (all 1 for the naive models)
 * @param finalLoss the last batch's data loss
 * @param seconds wall time of the training loop, excluding set-up
 * @param path "java" or "opencl"
 * @param device the device that really executed the kernels
 * @param ranOnOpenCL whether the kernels really ran on OpenCL
 */
public record TrainResult(FactorModel model, float[] itemTheta, double finalLoss, double seconds,
    String path, String device, boolean ranOnOpenCL) {}
