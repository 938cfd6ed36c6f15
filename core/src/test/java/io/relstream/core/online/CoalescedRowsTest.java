package io.relstream.core.online;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.relstream.core.kernel.BatchMaths.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * {@link OnlineTrainer#coalesceRows}: what {@link OnlineTrainer#drainChangedRows} hands over at each drain is
 * exactly the newest per-batch row of every key changed since the previous drain, with the version and time
 * of the batch that last changed it, as a twin trainer listing rows per batch says; training is unchanged.
 */
class CoalescedRowsTest {
  record Row(boolean item, String id, float[] vector, float theta, double clicks, long version, long time) {}

  private static OnlineConfig config() {
    return OnlineConfig.defaults().withDim(8).withBatchSize(32).withSeed(5).withReservoir(400, 2)
        .withReservoirStepMs(0);
  }

  @Test
  void eachDrainIsTheNewestPerBatchRowOfEveryChangedKey() {
    List<TasteGroups.Event> events = new TasteGroups(60, 50, 4).events(3000, 9);
    OnlineTrainer listing = new OnlineTrainer(config(), Path.JAVA);
    OnlineTrainer coalescing = new OnlineTrainer(config(), Path.JAVA);
    coalescing.coalesceRows();
    OnlinePropensity p1 = new OnlinePropensity(OnlinePropensity.Mode.AUTO, 0.5, 0);
    OnlinePropensity p2 = new OnlinePropensity(OnlinePropensity.Mode.AUTO, 0.5, 0);
    Map<String, Row> expected = new LinkedHashMap<>();
    int drains = 0;
    int batches = 0;
    for (int k = 0; k < events.size(); k++) {
      TasteGroups.Event e = events.get(k);
      OnlinePropensity.Estimate a = p1.observe(e.user(), e.item(), e.time(), e.label() == 1, e.shown(), -1, Double.NaN);
      OnlinePropensity.Estimate b = p2.observe(e.user(), e.item(), e.time(), e.label() == 1, e.shown(), -1, Double.NaN);
      BatchUpdate x = listing.add(e.user(), e.item(), e.label(), a.theta(), a.clicks(), e.time());
      BatchUpdate y = coalescing.add(e.user(), e.item(), e.label(), b.theta(), b.clicks(), e.time());
      assertEquals(x == null, y == null, "the same batches");
      if (x != null) {
        batches++;
        assertEquals(x.modelVersion(), y.modelVersion());
        assertEquals(x.loss(), y.loss(), "training is unchanged by coalescing");
        assertTrue(y.users().isEmpty() && y.items().isEmpty(), "a coalescing trainer's batches list no rows");
        assertFalse(x.users().isEmpty());
        for (ModelRow r : x.users()) {
          expected.put("u:" + r.id(), new Row(false, r.id(), r.vector(), r.theta(), r.clicks(), x.modelVersion(),
              x.timestamp()));
        }
        for (ModelRow r : x.items()) {
          expected.put("i:" + r.id(), new Row(true, r.id(), r.vector(), r.theta(), r.clicks(), x.modelVersion(),
              x.timestamp()));
        }
      }
      if (k % 437 == 436) { // drains at barriers that fall between and inside batches
        assertDrainIs(expected, coalescing);
        drains++;
        expected.clear();
      }
    }
    assertDrainIs(expected, coalescing);
    assertTrue(batches > 50 && drains > 5, batches + " batches, " + drains + " drains");
    assertEquals(0, coalescing.drainChangedRows((i, id, v, t, c, m, ts) -> { }), "a second drain hands over nothing");
  }

  @Test
  void anErasedUsersRowIsNotHandedOver() {
    List<TasteGroups.Event> events = new TasteGroups(20, 30, 3).events(400, 2);
    OnlineTrainer t = new OnlineTrainer(config(), Path.JAVA);
    t.coalesceRows();
    OnlinePropensity p = new OnlinePropensity(OnlinePropensity.Mode.AUTO, 0.5, 0);
    OnlineTrainerTest.feed(t, p, events);
    String gone = events.get(0).user();
    assertTrue(t.eraseUser(gone));
    int[] rows = {0};
    t.drainChangedRows((item, id, v, th, c, m, ts) -> {
      assertFalse(!item && id.equals(gone), "the erased user's row was handed over");
      rows[0]++;
    });
    assertTrue(rows[0] > 0);
  }

  @Test
  void drainingWithoutCoalescingIsRefused() {
    OnlineTrainer t = new OnlineTrainer(config(), Path.JAVA);
    assertThrows(IllegalStateException.class, () -> t.drainChangedRows((i, id, v, th, c, m, ts) -> { }));
  }

  private static void assertDrainIs(Map<String, Row> expected, OnlineTrainer t) {
    Map<String, Row> got = new LinkedHashMap<>();
    int n = t.drainChangedRows((item, id, v, th, c, m, ts) -> got.put((item ? "i:" : "u:") + id,
        new Row(item, id, v, th, c, m, ts)));
    assertEquals(expected.size(), n, "rows handed over");
    assertEquals(expected.keySet(), got.keySet());
    for (Map.Entry<String, Row> e : expected.entrySet()) {
      Row want = e.getValue();
      Row have = got.get(e.getKey());
      assertArrayEquals(want.vector(), have.vector(), e.getKey());
      assertEquals(want.version(), have.version(), e.getKey() + " version");
      assertEquals(want.time(), have.time(), e.getKey() + " time");
      assertEquals(want.theta(), have.theta(), 0f, e.getKey() + " theta");
      assertEquals(want.clicks(), have.clicks(), 0.0, e.getKey() + " clicks");
    }
  }
}
