/** Progress reporting for long work (training, replay, data loading), shared by every entry point. */
package io.relstream.core.progress;
