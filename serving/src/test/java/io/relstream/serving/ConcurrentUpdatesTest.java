package io.relstream.serving;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.relstream.core.topk.DebiasedPopularity;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Readers never see a half-applied batch and the model version of the answers never goes back, under
 * concurrent reads (single and batch queries, through the coalescing scorer) and a stream of updates.
 *
 * <p>Batch v (v = 1, 2, ...) sets every coordinate of every item to v at model version v, and the user's
 * factors are all ones, so in an answer of version V every score must be exactly dim x V (all the item rows
 * of one snapshot, none torn: a vector mixing two batches, or an item of another batch, scores otherwise)
 * and, all scores tied, the items are the first k ids in id order.
 */
class ConcurrentUpdatesTest {
  private static final TopicPartition TP = new TopicPartition("model-updates", 0);
  private static final int ITEMS = 3000;
  private static final int DIM = 16;

  @TempDir
  Path dir;

  private static void batch(ModelStore store, int v) throws Exception {
    ModelStore.Batch b = store.newBatch();
    float[] row = new float[DIM];
    Arrays.fill(row, v);
    for (int i = 0; i < ITEMS; i++) {
      b.putItem(String.format("i%05d", i), row, 0.5, 1.0, v, v);
    }
    if (v == 1) {
      float[] ones = new float[DIM];
      Arrays.fill(ones, 1f);
      b.putUser("u", ones, v, v);
    }
    b.consumed(TP, v);
    store.apply(b);
  }

  @Test
  void answersComeFromWholeSnapshotsWithMonotoneVersions() throws Exception {
    try (ModelStore store = ModelStore.open(dir, new DebiasedPopularity())) {
      batch(store, 1);
      int batches = 150;
      AtomicBoolean done = new AtomicBoolean();
      ConcurrentLinkedQueue<String> problems = new ConcurrentLinkedQueue<>();
      AtomicLong answers = new AtomicLong();
      List<String> firstIds = new ArrayList<>();
      for (int i = 0; i < 7; i++) {
        firstIds.add(String.format("i%05d", i));
      }
      List<Thread> readers = new ArrayList<>();
      for (int t = 0; t < 3; t++) {
        boolean batchReader = t == 2;
        Thread r = new Thread(() -> {
          long last = -1;
          try {
            while (!done.get()) {
              List<ModelStore.Recommendation> rs = batchReader
                  ? store.recommendAll(List.of("u", "u", "u", "u", "u"), 7, ModelStore.Filter.NONE)
                  : List.of(store.recommend("u", 7));
              for (ModelStore.Recommendation rec : rs) {
                long v = rec.modelVersion();
                if (v < last) {
                  problems.add("version went back from " + last + " to " + v);
                }
                last = Math.max(last, v);
                List<String> ids = new ArrayList<>();
                for (ModelStore.Slot s : rec.items()) {
                  ids.add(s.item());
                  if (s.score() != (float) (DIM * v)) {
                    problems.add("version " + v + ": " + s.item() + " scored " + s.score() + ", not " + DIM * v);
                  }
                }
                if (!ids.equals(firstIds)) {
                  problems.add("version " + v + ": items " + ids);
                }
                answers.incrementAndGet();
              }
              if (batchReader) {
                // answers of one batch request come from one snapshot
                if (rs.stream().mapToLong(ModelStore.Recommendation::modelVersion).distinct().count() != 1) {
                  problems.add("one batch request answered from several snapshots");
                }
              }
            }
          } catch (Exception e) {
            problems.add("reader failed: " + e);
          }
        }, "reader-" + t);
        readers.add(r);
        r.start();
      }
      for (int v = 2; v <= batches; v++) {
        batch(store, v);
      }
      done.set(true);
      for (Thread r : readers) {
        r.join(30_000);
      }
      assertEquals(List.of(), new ArrayList<>(problems).subList(0, Math.min(10, problems.size())));
      assertTrue(answers.get() > 0);
      ModelStore.Recommendation last = store.recommend("u", 7);
      assertEquals(batches, last.modelVersion());
      assertEquals((float) (DIM * batches), last.items().get(0).score());
    }
  }

  /**
   * A user put (row and a click on the top item x) and erased (row and clicks) in turn: every answer is
   * either personal without x or the plain fallback with x first, never a mix of the two states (the
   * user's row from one and the clicks from the other).
   */
  @Test
  void anErasureIsSeenWholeOrNotAtAll() throws Exception {
    try (ModelStore store = open(dir)) {
      ModelStore.Batch items = store.newBatch();
      // x tops both rankings: the dot product with (1, 1) and the popularity clicks / theta
      items.putItem("x", new float[] {5, 5}, 0.5, 100.0, 1, 1);
      items.putItem("y", new float[] {1, 0}, 0.5, 10.0, 1, 1);
      items.putItem("z", new float[] {0, 1}, 0.5, 1.0, 1, 1);
      store.apply(items);
      AtomicBoolean done = new AtomicBoolean();
      ConcurrentLinkedQueue<String> problems = new ConcurrentLinkedQueue<>();
      AtomicLong personal = new AtomicLong();
      AtomicLong fallback = new AtomicLong();
      List<Thread> readers = new ArrayList<>();
      for (int t = 0; t < 2; t++) {
        Thread r = new Thread(() -> {
          try {
            while (!done.get()) {
              ModelStore.Recommendation rec = store.recommend("u", 3);
              boolean hasX = rec.items().stream().anyMatch(s -> s.item().equals("x"));
              if (rec.fallback() != hasX) {
                problems.add((rec.fallback() ? "fallback" : "personal") + " answer " + rec.items());
              }
              (rec.fallback() ? fallback : personal).incrementAndGet();
            }
          } catch (Exception e) {
            problems.add("reader failed: " + e);
          }
        }, "erasure-reader-" + t);
        readers.add(r);
        r.start();
      }
      for (int v = 2; v < 200; v++) {
        ModelStore.Batch b = store.newBatch();
        if (v % 2 == 0) {
          b.putUser("u", new float[] {1, 1}, v, v);
          b.addClick("u", "x", v);
        } else {
          b.eraseUser("u");
        }
        store.apply(b);
      }
      done.set(true);
      for (Thread r : readers) {
        r.join(30_000);
      }
      assertEquals(List.of(), new ArrayList<>(problems).subList(0, Math.min(10, problems.size())));
      assertTrue(personal.get() > 0 && fallback.get() > 0, personal + " personal, " + fallback + " fallback answers");
    }
  }

  private ModelStore open(Path dir) throws Exception {
    return ModelStore.open(dir, new DebiasedPopularity());
  }
}
