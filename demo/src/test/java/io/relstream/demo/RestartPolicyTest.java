package io.relstream.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

class RestartPolicyTest {
  @Test
  void backsOffExponentiallyUpToTheCapThenGivesUp() {
    RestartPolicy p = new RestartPolicy(7, 600_000, 1_000, 30_000);
    long[] expected = {1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000};
    for (long e : expected) {
      assertEquals(OptionalLong.of(e), p.onExit(1_000));
    }
    assertTrue(p.onExit(2_000).isEmpty(), "the 8th exit in the window gives up");
  }

  @Test
  void restartsOutsideTheWindowAreForgotten() {
    RestartPolicy p = RestartPolicy.DEFAULT.copy();
    for (int k = 0; k < 5; k++) {
      assertTrue(p.onExit(k * 1000L).isPresent());
    }
    assertTrue(p.onExit(10_000).isEmpty(), "5 restarts in 10 minutes, then it gives up");
    // ten minutes after the first ones, the history has aged out: back to the first delay
    assertEquals(OptionalLong.of(1_000), p.onExit(10 * 60_000L + 5_000));
  }
}
