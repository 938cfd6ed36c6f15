package io.relstream.core.online;

import static io.relstream.core.online.OnlineTrainerTest.feed;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.relstream.core.kernel.BatchMaths.Path;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Erasing a user: gone from the trainer, the propensity estimator and every stored row. */
class EraseUserTest {

  private static OnlineConfig config() {
    return OnlineConfig.defaults().withDim(8).withBatchSize(32).withLearningRate(0.02f).withSeed(3)
        .withReservoir(300, 1).withReservoirStepMs(0);
  }

  /** Applies a row write to a map as keyed state would: a null value deletes the key. */
  private static RowWriter into(Map<String, byte[]> store) {
    return (k, v) -> {
      if (v == null) {
        store.remove(k);
      } else {
        store.put(k, v);
      }
    };
  }

  private static boolean anyRowMentions(Map<String, byte[]> store, String id) {
    // ids are stored as int length + UTF-8 bytes: search for exactly that
    byte[] raw = id.getBytes(StandardCharsets.UTF_8);
    byte[] needle = java.nio.ByteBuffer.allocate(4 + raw.length).putInt(raw.length).put(raw).array();
    for (Map.Entry<String, byte[]> e : store.entrySet()) {
      if (e.getKey().endsWith(":" + id)) {
        return true;
      }
      byte[] v = e.getValue();
      outer:
      for (int k = 0; k + needle.length <= v.length; k++) {
        for (int j = 0; j < needle.length; j++) {
          if (v[k + j] != needle[j]) {
            continue outer;
          }
        }
        return true;
      }
    }
    return false;
  }

  @Test
  void theTrainerForgetsTheUserAndItsRowsLeaveTheStore() {
    List<TasteGroups.Event> events = new TasteGroups(30, 40, 4).events(2000, 4);
    String victim = events.get(1990).user(); // one with events in the pending batch and the ring
    try (OnlineTrainer t = new OnlineTrainer(config(), Path.JAVA)) {
      OnlinePropensity p = new OnlinePropensity(OnlinePropensity.Mode.AUTO, 0.5, 0);
      Map<String, byte[]> store = new HashMap<>();
      feed(t, p, events.subList(0, 1000));
      t.writeChangedRows(into(store));
      feed(t, p, events.subList(1000, 1995));
      assertTrue(anyRowMentions(store, victim) && t.userVector(victim) != null, "the victim is known");
      int pendingBefore = t.pending();
      long victimPending = events.subList(1995 - pendingBefore, 1995).stream()
          .filter(e -> e.user().equals(victim)).count();
      assertTrue(victimPending > 0, "the victim has pending events");
      assertTrue(t.eraseUser(victim));
      assertFalse(t.eraseUser(victim), "a second erasure finds nothing");
      assertNull(t.userVector(victim));
      assertEquals(pendingBefore - victimPending, t.pending(), "its pending events are gone");
      t.writeChangedRows(into(store));
      assertFalse(anyRowMentions(store, victim), "no stored row names the erased user");
      assertTrue(p.eraseUser(victim));
      Map<String, byte[]> pstore = new HashMap<>();
      // the estimator's rows: written once before and once after the erasure
      OnlinePropensity q = new OnlinePropensity(OnlinePropensity.Mode.AUTO, 0.5, 0);
      feed(new OnlineTrainer(config(), Path.JAVA), q, events.subList(0, 1995));
      q.writeChangedRows(into(pstore));
      assertTrue(anyRowMentions(pstore, victim));
      q.eraseUser(victim);
      q.writeChangedRows(into(pstore));
      assertFalse(anyRowMentions(pstore, victim), "no propensity row names the erased user");
      // both restore from their rows (with the hole) and continue exactly as the live ones
      try (OnlineTrainer back = OnlineTrainer.restore(t.globals(), store.values(), Path.JAVA)) {
        assertArrayEquals(t.snapshot(), back.snapshot());
        OnlinePropensity qBack = OnlinePropensity.restore(q.globals(), pstore.values());
        List<TasteGroups.Event> rest = events.subList(1995, events.size());
        List<BatchUpdate> a = feed(t, q, rest);
        List<BatchUpdate> b = feed(back, qBack, rest);
        OnlineTrainerTest.assertSameUpdates(a, b);
        assertArrayEquals(t.snapshot(), back.snapshot());
      }
    }
  }

  @Test
  void aUserErasedAndBackWithinOneIntervalRestores() {
    List<TasteGroups.Event> events = new TasteGroups(30, 40, 4).events(2000, 4);
    String victim = events.get(0).user();
    try (OnlineTrainer t = new OnlineTrainer(config(), Path.JAVA)) {
      OnlinePropensity p = new OnlinePropensity(OnlinePropensity.Mode.AUTO, 0.5, 0);
      Map<String, byte[]> store = new HashMap<>();
      Map<String, byte[]> pstore = new HashMap<>();
      feed(t, p, events.subList(0, 700));
      t.writeChangedRows(into(store));
      p.writeChangedRows(into(pstore));
      t.eraseUser(victim);
      p.eraseUser(victim);
      feed(t, p, events.subList(700, 1400)); // the victim comes back as a new user
      assertTrue(t.userVector(victim) != null);
      t.writeChangedRows(into(store));
      p.writeChangedRows(into(pstore));
      try (OnlineTrainer back = OnlineTrainer.restore(t.globals(), store.values(), Path.JAVA)) {
        assertArrayEquals(t.snapshot(), back.snapshot());
        OnlinePropensity pBack = OnlinePropensity.restore(p.globals(), pstore.values());
        List<TasteGroups.Event> rest = events.subList(1400, events.size());
        OnlineTrainerTest.assertSameUpdates(feed(t, p, rest), feed(back, pBack, rest));
      }
    }
  }

  @Test
  void exposurePropensitiesAreThoseOfAStreamWithoutTheUser() {
    List<OnlinePropensityRowsTest.Ev> events = OnlinePropensityRowsTest.events(3000, 1000, 12);
    String victim = "u7";
    OnlinePropensity erased = new OnlinePropensity(OnlinePropensity.Mode.EXPOSURE, 0.5, 0);
    OnlinePropensityRowsTest.feed(erased, events);
    assertTrue(erased.eraseUser(victim));
    OnlinePropensity never = new OnlinePropensity(OnlinePropensity.Mode.EXPOSURE, 0.5, 0);
    OnlinePropensityRowsTest.feed(never, events.stream().filter(e -> !e.user().equals(victim)).toList());
    // one more impression per item, from a fresh user, reads theta = E_i / A on both
    long t = events.get(events.size() - 1).time() + 1;
    for (int i = 0; i < 30; i++) {
      OnlinePropensity.Estimate a = erased.observe("fresh", "i" + i, t, false, true, -1, Double.NaN);
      OnlinePropensity.Estimate b = never.observe("fresh", "i" + i, t, false, true, -1, Double.NaN);
      assertEquals(b.theta(), a.theta(), 1e-6, "item i" + i);
    }
  }
}
