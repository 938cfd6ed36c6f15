package io.relstream.serving;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.relstream.core.topk.DebiasedPopularity;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelStoreTest {
  static final TopicPartition MU0 = new TopicPartition("model-updates", 0);
  static final TopicPartition IN1 = new TopicPartition("interactions", 1);

  @TempDir
  Path dir;

  static ModelStore open(Path dir) throws Exception {
    return ModelStore.open(dir, new DebiasedPopularity());
  }

  /** Items a (1,0) b (0,1) c (1,1) d (-1,0); user u (2,1); u clicked c. */
  static void fill(ModelStore store) throws Exception {
    ModelStore.Batch b = store.newBatch();
    b.putItem("b", new float[] {0, 1}, 0.5, 10.0, 3, 100);
    b.putItem("a", new float[] {1, 0}, 1.0, 100.0, 3, 100);
    b.putItem("d", new float[] {-1, 0}, 0.001, 1.0, 3, 100);
    b.putItem("c", new float[] {1, 1}, 0.02, 5.0, 3, 100);
    b.putUser("u", new float[] {2, 1}, 4, 100);
    b.addClick("u", "c", 99);
    b.consumed(MU0, 4);
    b.consumed(IN1, 0);
    store.apply(b);
  }

  @Test
  void batchWritesRowsOffsetsAndCountersTogether() throws Exception {
    try (ModelStore store = open(dir)) {
      assertEquals(Map.of(), store.offsets());
      assertFalse(store.ready());
      fill(store);
      assertEquals(Map.of(MU0, 4L, IN1, 0L), store.offsets());
      assertEquals(4, store.modelVersion());
      assertEquals(6, store.appliedRecords());
      assertTrue(store.ready());
      // the same values are in RocksDB, next to the rows
      assertEquals(4L, Values.decodeLong(store.raw(ModelStore.CF_META, ModelStore.offsetKey(MU0))));
      assertEquals(6L, Values.decodeLong(store.raw(ModelStore.CF_META, ModelStore.KEY_APPLIED)));
      assertEquals(List.of("c"), store.clickedItems("u"));
      assertEquals(List.of(), store.clickedItems("v"));
    }
  }

  @Test
  void invalidRowsAreRejectedBeforeTheWrite() throws Exception {
    try (ModelStore store = open(dir)) {
      fill(store);
      ModelStore.Batch b = store.newBatch();
      assertThrows(IllegalArgumentException.class, () -> b.putUser("v", new float[] {1, 2, 3}, 5, 1));
      assertThrows(IllegalArgumentException.class, () -> b.putItem("x", new float[] {1, 2}, null, 1.0, 5, 1));
      assertThrows(IllegalArgumentException.class, () -> b.putItem("x", new float[] {1, 2}, 1.5, 1.0, 5, 1));
      assertThrows(IllegalArgumentException.class, () -> b.putItem("x", new float[] {1, Float.NaN}, 0.5, 1.0, 5, 1));
      assertThrows(IllegalArgumentException.class, () -> b.putUser("", new float[] {1, 2}, 5, 1));
      assertThrows(IllegalArgumentException.class, () -> b.putUser("x".repeat(257), new float[] {1, 2}, 5, 1));
      b.consumed(MU0, 9);
      store.apply(b);
      assertEquals(9L, store.offsets().get(MU0));
      assertEquals(6, store.appliedRecords());
      assertTrue(store.user("v").isEmpty());
      assertEquals(4, store.itemCount());
    }
  }

  @Test
  void reopenRestoresRowsOffsetsAndCounters() throws Exception {
    ModelStore.Recommendation before;
    try (ModelStore store = open(dir)) {
      fill(store);
      before = store.recommend("u", 10);
    }
    try (ModelStore store = open(dir)) {
      assertEquals(Map.of(MU0, 4L, IN1, 0L), store.offsets());
      assertEquals(4, store.modelVersion());
      assertEquals(6, store.appliedRecords());
      assertEquals(4, store.itemCount());
      // the same answer; only when the snapshot was published (wall clock) differs after a reopen
      ModelStore.Recommendation after = store.recommend("u", 10);
      assertEquals(before, new ModelStore.Recommendation(after.user(), after.modelVersion(), after.items(),
          after.fallback(), after.ignored(), before.modelUpdatedAtMs()));
      assertTrue(after.modelUpdatedAtMs() >= before.modelUpdatedAtMs(), "published again at the reopen");
      assertArrayEquals(new float[] {2, 1}, store.user("u").orElseThrow().vector());
      // the dimension survives too
      assertThrows(IllegalArgumentException.class, () -> store.newBatch().putItem("e", new float[] {1}, 0.5, 1.0, 5, 1));
    }
  }

  @Test
  void aBatchThatFailsLeavesNothingBehind() throws Exception {
    ModelStore store = open(dir);
    fill(store);
    ModelStore.Batch b = store.newBatch();
    b.putItem("e", new float[] {3, 3}, 0.5, 1.0, 5, 1);
    b.consumed(MU0, 5);
    store.close();
    // the write cannot happen on a closed store: neither row nor offset may appear
    assertThrows(Exception.class, () -> store.apply(b));
    try (ModelStore again = open(dir)) {
      assertEquals(4L, again.offsets().get(MU0));
      assertTrue(again.item("e").isEmpty());
      assertEquals(6, again.appliedRecords());
    }
  }

  @Test
  void recommendExcludesClickedAndRanksByDot() throws Exception {
    try (ModelStore store = open(dir)) {
      fill(store);
      ModelStore.Recommendation r = store.recommend("u", 10);
      assertFalse(r.fallback());
      assertEquals(4, r.modelVersion());
      // scores a=2, b=1, d=-2; c clicked
      assertEquals(List.of("a", "b", "d"), r.items().stream().map(ModelStore.Slot::item).collect(Collectors.toList()));
      assertEquals(2f, r.items().get(0).score());
      assertEquals(1.0, r.items().get(0).propensity());
      assertEquals(2, store.recommend("u", 2).items().size());
    }
  }

  @Test
  void unknownUserGetsDebiasedPopularity() throws Exception {
    try (ModelStore store = open(dir)) {
      fill(store);
      ModelStore.Batch b = store.newBatch();
      b.addClick("newbie", "c", 1);
      store.apply(b);
      // a: 100/1 = 100, b: 10/0.5 = 20, c: 5/0.02 = 250, d: 1/max(0.001, 0.009136) = 109.46
      ModelStore.Recommendation anon = store.recommend("nobody", 10);
      assertTrue(anon.fallback());
      assertEquals(List.of("c", "d", "a", "b"), anon.items().stream().map(ModelStore.Slot::item).toList());
      assertEquals(250f, anon.items().get(0).score(), 1e-3f);
      ModelStore.Recommendation newbie = store.recommend("newbie", 10);
      assertTrue(newbie.fallback());
      assertEquals(List.of("d", "a", "b"), newbie.items().stream().map(ModelStore.Slot::item).toList());
    }
  }

  @Test
  void similarByCosine() throws Exception {
    try (ModelStore store = open(dir)) {
      fill(store);
      ModelStore.Similar s = store.similar("a", 10).orElseThrow();
      assertEquals(List.of("c", "b", "d"), s.items().stream().map(ModelStore.Slot::item).toList());
      assertTrue(store.similar("zzz", 10).isEmpty());
    }
  }

  /** The ids of an answer. */
  static List<String> ids(ModelStore.Recommendation r) {
    return r.items().stream().map(ModelStore.Slot::item).toList();
  }

  @Test
  void anErasedUserGetsThePlainFallbackAndStaysErasedAfterAReopen() throws Exception {
    try (ModelStore store = open(dir)) {
      fill(store);
      ModelStore.Batch b = store.newBatch();
      b.putUser("w", new float[] {1, 0}, 5, 101);
      b.addClick("w", "a", 100);
      b.eraseUser("u");
      b.consumed(MU0, 5);
      store.apply(b);
      assertEquals(1, b.usersErased());
      assertTrue(store.user("u").isEmpty(), "the row is deleted");
      assertEquals(List.of(), store.clickedItems("u"), "and the clicks");
      ModelStore.Recommendation r = store.recommend("u", 10);
      assertTrue(r.fallback());
      // the fallback of a user nobody knows: c (clicked by u before) is no longer excluded
      assertEquals(ids(store.recommend("nobody", 10)), ids(r));
      assertEquals(List.of("c", "d", "a", "b"), ids(r));
      assertEquals(List.of("a"), store.clickedItems("w"), "another user's click is kept");
      assertEquals(9, store.appliedRecords(), "6 + w's row and click + the erasure");
    }
    try (ModelStore store = open(dir)) {
      assertTrue(store.user("u").isEmpty(), "a reopen does not bring the user back");
      assertEquals(List.of(), store.clickedItems("u"));
      assertTrue(store.recommend("u", 10).fallback());
      assertArrayEquals(new float[] {1, 0}, store.user("w").orElseThrow().vector());
      assertEquals(5L, store.offsets().get(MU0));
    }
  }

  @Test
  void anErasureInABatchDropsWhatCameBeforeItAndKeepsWhatCameAfter() throws Exception {
    try (ModelStore store = open(dir)) {
      fill(store);
      ModelStore.Batch b = store.newBatch();
      b.addClick("u", "a", 100);          // before the erasure: dropped with it
      b.eraseUser("u");
      b.addClick("u", "b", 101);          // after: the user is back, with this click only
      b.putUser("u", new float[] {0, 1}, 5, 102);
      b.addClick("v", "d", 100);
      b.eraseClicks("v");                 // an ERASE_USER interaction: v's clicks go, v's row (none) untouched
      store.apply(b);
      assertEquals(List.of("b"), store.clickedItems("u"));
      assertArrayEquals(new float[] {0, 1}, store.user("u").orElseThrow().vector());
      assertEquals(List.of(), store.clickedItems("v"));
      // (0, 1): c = 1, b = 1 (clicked), a = 0, d = 0
      assertEquals(List.of("c", "a", "d"), ids(store.recommend("u", 10)));
    }
  }

  @Test
  void anErasedItemLeavesTheAnswersAndStaysGoneAfterAReopen() throws Exception {
    try (ModelStore store = open(dir)) {
      fill(store);
      ItemTable before = store.table();
      ModelStore.Batch b = store.newBatch();
      b.eraseItem("a");
      b.eraseItem("never-seen");
      b.putItem("e", new float[] {3, 3}, 0.5, 1.0, 5, 1);
      store.apply(b);
      assertEquals(2, b.itemsErased());
      assertEquals(List.of("a", "b", "c", "d"), before.ids(), "a published snapshot is never modified");
      assertEquals(List.of("b", "c", "d", "e"), store.table().ids());
      assertEquals(-1, store.table().indexOf("a"));
      // u (2, 1): e = 9, b = 1, d = -2; c clicked
      assertEquals(List.of("e", "b", "d"), ids(store.recommend("u", 10)));
      assertTrue(store.similar("a", 10).isEmpty());
      assertEquals(List.of("b", "c", "d"), store.similar("e", 10).orElseThrow().items().stream()
          .map(ModelStore.Slot::item).sorted().toList());
      assertTrue(store.item("a").isEmpty());
    }
    try (ModelStore store = open(dir)) {
      assertEquals(List.of("b", "c", "d", "e"), store.table().ids());
      ModelStore.Batch b = store.newBatch();
      b.eraseItem("b");
      b.eraseItem("c");
      b.eraseItem("d");
      b.eraseItem("e");
      store.apply(b);
      assertEquals(0, store.itemCount(), "every item erased");
      assertFalse(store.ready());
      assertEquals(List.of(), store.recommend("u", 10).items());
      assertThrows(IllegalArgumentException.class, () -> store.newBatch().putItem("f", new float[] {1}, 0.5, 1.0, 6, 1),
          "the dimension stays the model's");
    }
  }

  @Test
  void itemOrderDoesNotDependOnArrival() throws Exception {
    try (ModelStore store = open(dir)) {
      fill(store);
      ModelStore.Batch b = store.newBatch();
      b.putItem("aa", new float[] {0, 0}, 0.5, 0.0, 5, 1);
      b.putItem("0", new float[] {0, 0}, 0.5, 0.0, 5, 1);
      store.apply(b);
      // all-zero popularity ties among 0, aa: broken by id
      ModelStore.Recommendation r = store.recommend("nobody", 10);
      assertEquals(List.of("c", "d", "a", "b", "0", "aa"), r.items().stream().map(ModelStore.Slot::item).toList());
    }
  }
}
