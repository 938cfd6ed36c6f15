package io.relstream.core.online;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The propensity estimator persisted as its changed rows at each "barrier" plus its small globals answers,
 * once restored, exactly as the estimator that never stopped.
 */
class OnlinePropensityRowsTest {

  /** A mixed stream: impressions with and without clicks, clicks without impressions, positions, logged. */
  record Ev(String user, String item, long time, boolean clicked, boolean shown, int position, double logged) {}

  static List<Ev> events(int n, long stepMs, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    List<Ev> out = new ArrayList<>();
    long t = 1_700_000_000_000L;
    for (int k = 0; k < n; k++) {
      t += r.nextLong(stepMs + 1);
      boolean shown = r.nextInt(5) != 0;
      boolean clicked = !shown || r.nextInt(3) == 0;
      out.add(new Ev("u" + r.nextInt(60), "i" + (int) Math.floor(Math.sqrt(r.nextInt(900))), t, clicked, shown,
          r.nextInt(4) == 0 ? r.nextInt(5) : -1, r.nextInt(6) == 0 ? 0.05 + 0.9 * r.nextDouble() : Double.NaN));
    }
    return out;
  }

  static List<OnlinePropensity.Estimate> feed(OnlinePropensity p, List<Ev> events) {
    List<OnlinePropensity.Estimate> out = new ArrayList<>();
    for (Ev e : events) {
      out.add(p.observe(e.user(), e.item(), e.time(), e.clicked(), e.shown(), e.position(), e.logged()));
    }
    return out;
  }

  private static void assertContinuesIdentically(long halfLifeMs, long stepMs) {
    List<Ev> events = events(4000, stepMs, 3);
    OnlinePropensity whole = new OnlinePropensity(OnlinePropensity.Mode.AUTO, 0.5, halfLifeMs);
    List<OnlinePropensity.Estimate> all = feed(whole, events);
    OnlinePropensity first = new OnlinePropensity(OnlinePropensity.Mode.AUTO, 0.5, halfLifeMs);
    Map<String, byte[]> store = new HashMap<>();
    int from = 0;
    for (int cut : new int[] {10, 700, 1500, 2222}) {
      feed(first, events.subList(from, cut));
      first.writeChangedRows(store::put);
      from = cut;
    }
    OnlinePropensity second = OnlinePropensity.restore(first.globals(), store.values());
    List<OnlinePropensity.Estimate> after = feed(second, events.subList(2222, events.size()));
    assertEquals(all.subList(2222, all.size()), after, "every estimate after the restore, bit for bit");
    long end = events.get(events.size() - 1).time();
    for (int pos = 0; pos < 5; pos++) {
      assertEquals(whole.positionClickRate(pos, end), second.positionClickRate(pos, end));
    }
    assertEquals(whole.clicks("i3", end), second.clicks("i3", end));
  }

  @Test
  void restoredFromChangedRowsAnswersBitForBit() {
    assertContinuesIdentically(3_600_000L, 1000);
    assertContinuesIdentically(0L, 1000);
  }

  @Test
  void aRescaleOfTheStoredWeightsRewritesEveryRow() {
    // a 100 ms half-life over events ~50 ms apart passes 512 half-lives every ~1,000 events
    assertContinuesIdentically(100L, 100);
  }

  @Test
  void aBarrierWritesOnlyWhatChanged() {
    List<Ev> events = events(3000, 1000, 5);
    OnlinePropensity p = new OnlinePropensity(OnlinePropensity.Mode.AUTO, 0.5, 3_600_000L);
    feed(p, events);
    Map<String, byte[]> store = new HashMap<>();
    int firstWrite = p.writeChangedRows(store::put);
    Ev a = new Ev("u1", "i2", events.get(events.size() - 1).time() + 1, false, true, -1, Double.NaN);
    Ev b = new Ev("u7", "i2", a.time() + 1, true, false, -1, Double.NaN);
    feed(p, List.of(a, b));
    Set<String> keys = new HashSet<>();
    p.writeChangedRows((k, v) -> keys.add(k));
    int u1 = -1;
    for (byte[] row : store.values()) {
      if (row[0] == 'U' && new String(row, 9, row.length - 9 - 17, java.nio.charset.StandardCharsets.UTF_8)
          .equals("u1")) {
        u1 = java.nio.ByteBuffer.wrap(row, 1, 4).getInt();
      }
    }
    int i2 = -1;
    for (byte[] row : store.values()) {
      if (row[0] == 'I' && new String(row, 9, row.length - 9 - 16, java.nio.charset.StandardCharsets.UTF_8)
          .equals("i2")) {
        i2 = java.nio.ByteBuffer.wrap(row, 1, 4).getInt();
      }
    }
    assertTrue(u1 >= 0 && i2 >= 0);
    assertEquals(Set.of("pu:u1", "pu:u7", "pi:i2", OnlinePropensity.pairKey(u1, i2)), keys);
    assertTrue(firstWrite > 100, "the first barrier wrote every row: " + firstWrite);
  }

  @Test
  void refusesMissingRowsAndForeignGlobals() {
    OnlinePropensity p = new OnlinePropensity(OnlinePropensity.Mode.AUTO, 0.5, 0L);
    feed(p, events(200, 1000, 8));
    Map<String, byte[]> store = new HashMap<>();
    p.writeChangedRows(store::put);
    byte[] globals = p.globals();
    Map<String, byte[]> lacking = new HashMap<>(store);
    lacking.remove("pi:i0");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> OnlinePropensity.restore(globals, lacking.values()));
    assertTrue(e.getMessage().contains("lack item"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> OnlinePropensity.restore(p.snapshot(), store.values()));
  }
}
