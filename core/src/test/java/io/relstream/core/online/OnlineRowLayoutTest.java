package io.relstream.core.online;

import static io.relstream.core.online.OnlineTrainerTest.assertSameUpdates;
import static io.relstream.core.online.OnlineTrainerTest.feed;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.relstream.core.kernel.BatchMaths.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The row layout: a trainer persisted as its changed rows at each "barrier" (into a map that keeps the
 * latest value per key, as keyed state does) plus its small globals, restored, continues bit for bit.
 */
class OnlineRowLayoutTest {

  private static OnlineConfig config() {
    return OnlineConfig.defaults().withDim(8).withBatchSize(32).withLearningRate(0.02f).withSeed(11)
        .withReservoir(200, 2).withReservoirStepMs(0).withRelativeClip(0.1f, 1f);
  }

  private static OnlinePropensity propensity() {
    return new OnlinePropensity(OnlinePropensity.Mode.AUTO, 0.5, 3_600_000L);
  }

  @Test
  void restoredFromChangedRowsContinuesBitForBit() {
    List<TasteGroups.Event> events = new TasteGroups(40, 50, 5).events(3000, 4);
    int[] barriers = {97, 500, 1001, 1313};
    try (OnlineTrainer whole = new OnlineTrainer(config(), Path.JAVA);
        OnlineTrainer first = new OnlineTrainer(config(), Path.JAVA)) {
      List<BatchUpdate> all = feed(whole, propensity(), events);
      OnlinePropensity p1 = propensity();
      Map<String, byte[]> store = new HashMap<>();
      List<BatchUpdate> before = new ArrayList<>();
      int from = 0;
      for (int cut : barriers) {
        before.addAll(feed(first, p1, events.subList(from, cut)));
        first.writeChangedRows(store::put);
        from = cut;
      }
      byte[] globals = first.globals();
      assertEquals(1313 % 32, first.pending(), "the cut is inside a batch");
      assertTrue(first.reservoirEvents() == 200, "the ring wrapped");
      try (OnlineTrainer second = OnlineTrainer.restore(globals, store.values(), Path.JAVA)) {
        assertArrayEquals(first.snapshot(), second.snapshot(), "restored from rows = the trainer at the barrier");
        List<BatchUpdate> after = feed(second, OnlinePropensity.restore(p1.snapshot()),
            events.subList(1313, events.size()));
        List<BatchUpdate> joined = new ArrayList<>(before);
        joined.addAll(after);
        assertSameUpdates(all, joined);
        assertArrayEquals(whole.snapshot(), second.snapshot(), "final state identical");
      }
    }
  }

  @Test
  void aBarrierWritesOnlyWhatChanged() {
    List<TasteGroups.Event> events = new TasteGroups(40, 50, 5).events(2000, 4);
    try (OnlineTrainer t = new OnlineTrainer(config().withReservoir(0, 0), Path.JAVA)) {
      feed(t, propensity(), events.subList(0, 1920));
      Map<String, byte[]> store = new HashMap<>();
      int firstWrite = t.writeChangedRows(store::put);
      assertEquals(t.numUsers() + t.numItems(), firstWrite, "the first barrier writes every row");
      assertEquals(0, t.changedRows());
      // one batch of one user's events: that user, its items and the sampled negatives change
      Set<String> written = new HashSet<>();
      List<TasteGroups.Event> own = events.stream().filter(e -> e.user().equals(events.get(0).user())).toList();
      List<TasteGroups.Event> oneUser = new ArrayList<>();
      for (int k = 0; oneUser.size() < 32; k++) {
        oneUser.add(own.get(k % own.size()));
      }
      List<BatchUpdate> b = feed(t, propensity(), oneUser);
      assertEquals(1, b.size(), "one batch trained");
      int again = t.writeChangedRows((k, v) -> written.add(k));
      Set<String> expected = new HashSet<>();
      for (BatchUpdate u : b) {
        u.users().forEach(r -> expected.add(OnlineTrainer.userKey(r.id())));
        u.items().forEach(r -> expected.add(OnlineTrainer.itemKey(r.id())));
      }
      oneUser.forEach(e -> expected.add(OnlineTrainer.itemKey(e.item())));
      expected.add(OnlineTrainer.userKey(oneUser.get(0).user()));
      assertEquals(expected, written, "the rows the batch changed, and only those");
      assertEquals(again, written.size());
      assertTrue(again < firstWrite, again + " rows of " + firstWrite);
    }
  }

  @Test
  void aSnapshotMovesIntoTheRowLayout() {
    List<TasteGroups.Event> events = new TasteGroups(20, 30, 9).events(1500, 3);
    try (OnlineTrainer t = new OnlineTrainer(config(), Path.JAVA)) {
      feed(t, propensity(), events.subList(0, 1000));
      try (OnlineTrainer moved = OnlineTrainer.restore(t.snapshot(), Path.JAVA)) {
        Map<String, byte[]> store = new HashMap<>();
        assertEquals(0, moved.writeChangedRows(store::put), "a restored trainer starts with nothing changed");
        moved.markAllChanged();
        moved.writeChangedRows(store::put);
        try (OnlineTrainer back = OnlineTrainer.restore(moved.globals(), store.values(), Path.JAVA)) {
          assertArrayEquals(t.snapshot(), back.snapshot());
        }
      }
    }
  }

  @Test
  void refusesMissingRowsAndForeignGlobals() {
    List<TasteGroups.Event> events = new TasteGroups(10, 10, 2).events(300, 2);
    try (OnlineTrainer t = new OnlineTrainer(config(), Path.JAVA)) {
      feed(t, propensity(), events);
      Map<String, byte[]> store = new HashMap<>();
      t.writeChangedRows(store::put);
      byte[] globals = t.globals();
      String user = OnlineTrainer.userKey(events.get(0).user());
      Map<String, byte[]> lacking = new HashMap<>(store);
      lacking.remove(user);
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> OnlineTrainer.restore(globals, lacking.values(), Path.JAVA));
      assertTrue(e.getMessage().contains("lack user"), e.getMessage());
      assertThrows(IllegalArgumentException.class, () -> OnlineTrainer.restore(t.snapshot(), store.values(),
          Path.JAVA), "a whole-model snapshot is not the globals");
      byte[] truncated = java.util.Arrays.copyOf(globals, globals.length - 3);
      assertThrows(IllegalArgumentException.class, () -> OnlineTrainer.restore(truncated, store.values(),
          Path.JAVA));
    }
  }
}
