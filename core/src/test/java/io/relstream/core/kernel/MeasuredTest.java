package io.relstream.core.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The shared pieces of the start-up measurements. */
class MeasuredTest {

  @Test
  void fastestTakesTheHighestRateAndTheEarlierOnATie() {
    Map<String, Double> rates = new LinkedHashMap<>();
    rates.put("java", 3.0);
    rates.put("opencl", 3.0);
    assertEquals("java", Measured.fastest(rates));
    rates.put("gpu", 4.0);
    assertEquals("gpu", Measured.fastest(rates));
    assertThrows(IllegalArgumentException.class, () -> Measured.fastest(Map.of()));
  }

  @Test
  void reasonListsRatesThenDroppedPaths() {
    Map<String, Double> rates = new LinkedHashMap<>();
    rates.put("java", 1.5e6);
    assertEquals("fastest measured: java=1.50e+06 pairs/s; dropped opencl: no device",
        Measured.reason(rates, List.of("opencl: no device"), "pairs/s"));
  }

  @Test
  void rateCountsEveryTimedCallAfterOneWarmUp() {
    int[] calls = {0};
    double rate = Measured.rate(() -> calls[0]++, 10, 20);
    assertTrue(calls[0] >= 2, "warm-up and at least one timed call");
    assertTrue(rate > 0 && rate < 10.0 * calls[0] / 0.019, "rate " + rate + " for " + calls[0] + " calls");
  }
}
