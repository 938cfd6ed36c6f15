package io.relstream.demo;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.OptionalLong;

/**
 * When to restart a child that exited: after {@code firstDelayMs}, then doubling (1 s, 2 s, 4 s ...)
 * up to {@code maxDelayMs}, counting the restarts of the last {@code windowMs}; once
 * {@code maxRestarts} restarts fall in the window, the next exit gives up. The delay grows with the
 * number of restarts in the window, so a child that stays up longer than the window starts again at
 * the first delay.
 */
final class RestartPolicy {
  static final RestartPolicy DEFAULT = new RestartPolicy(5, 10 * 60_000L, 1_000, 30_000);

  final int maxRestarts;
  final long windowMs;
  final long firstDelayMs;
  final long maxDelayMs;
  private final Deque<Long> restarts = new ArrayDeque<>();

  RestartPolicy(int maxRestarts, long windowMs, long firstDelayMs, long maxDelayMs) {
    this.maxRestarts = maxRestarts;
    this.windowMs = windowMs;
    this.firstDelayMs = firstDelayMs;
    this.maxDelayMs = maxDelayMs;
  }

  /** A fresh policy with the same settings (each child keeps its own history). */
  RestartPolicy copy() {
    return new RestartPolicy(maxRestarts, windowMs, firstDelayMs, maxDelayMs);
  }

  /**
   * Records an exit at {@code nowMs}: the delay before the restart, or empty when the child has used up
   * its restarts in the window.
   */
  synchronized OptionalLong onExit(long nowMs) {
    while (!restarts.isEmpty() && restarts.peekFirst() <= nowMs - windowMs) {
      restarts.removeFirst();
    }
    if (restarts.size() >= maxRestarts) {
      return OptionalLong.empty();
    }
    int n = restarts.size();
    restarts.addLast(nowMs);
    long delay = firstDelayMs << Math.min(n, 20);
    return OptionalLong.of(Math.min(maxDelayMs, delay));
  }

  /** Restarts counted in the window ending at the last exit. */
  synchronized int recentRestarts() {
    return restarts.size();
  }
}
