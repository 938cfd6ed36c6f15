package io.relstream.core.online;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.relstream.core.data.Ratings;
import io.relstream.core.kernel.BatchMaths.Path;
import io.relstream.core.metrics.RankingMetrics;
import io.relstream.core.metrics.TestSet;
import io.relstream.core.synthetic.SemiSyntheticEvents;
import io.relstream.core.synthetic.SemiSyntheticLog;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The reservoir steps and the relative clip of {@link OnlineTrainer}. */
class OnlineReservoirTest {

  /** A reservoir that wraps within the test: 200 events, batches of 32, 3 steps per batch. */
  private static OnlineConfig wrapping() {
    return OnlineConfig.defaults().withDim(8).withBatchSize(32).withSeed(11).withReservoir(200, 3);
  }

  private static List<TasteGroups.Event> events() {
    return new TasteGroups(40, 50, 3).events(2000, 4);
  }

  @Test
  void sameEventsAndSeedGiveTheSameModelAndAnotherSeedAnother() {
    try (OnlineTrainer a = new OnlineTrainer(wrapping(), Path.JAVA);
        OnlineTrainer b = new OnlineTrainer(wrapping(), Path.JAVA);
        OnlineTrainer c = new OnlineTrainer(wrapping().withSeed(12), Path.JAVA)) {
      List<BatchUpdate> ua = OnlineTrainerTest.feed(a, propensity(), events());
      List<BatchUpdate> ub = OnlineTrainerTest.feed(b, propensity(), events());
      OnlineTrainerTest.feed(c, propensity(), events());
      OnlineTrainerTest.assertSameUpdates(ua, ub);
      assertArrayEquals(a.snapshot(), b.snapshot());
      assertTrue(!java.util.Arrays.equals(a.userVector("u1"), c.userVector("u1")), "the seed fixes the draws");
    }
  }

  private static OnlinePropensity propensity() {
    return new OnlinePropensity(OnlinePropensity.Mode.AUTO, 0.5, 3_600_000L);
  }

  @Test
  void restoredWithAWrappedReservoirContinuesBitForBit() {
    List<TasteGroups.Event> events = events();
    int cut = 1001; // 31 batches of 32 trained (992 events: the ring of 200 has wrapped), 9 pending
    try (OnlineTrainer whole = new OnlineTrainer(wrapping(), Path.JAVA);
        OnlineTrainer first = new OnlineTrainer(wrapping(), Path.JAVA)) {
      List<BatchUpdate> all = OnlineTrainerTest.feed(whole, propensity(), events);
      OnlinePropensity p1 = propensity();
      List<BatchUpdate> before = OnlineTrainerTest.feed(first, p1, events.subList(0, cut));
      assertEquals(200, first.reservoirEvents(), "full");
      assertEquals(9, first.pending());
      byte[] snap = first.snapshot();
      try (OnlineTrainer second = OnlineTrainer.restore(snap, Path.JAVA)) {
        assertArrayEquals(snap, second.snapshot(), "restore then snapshot is the identity");
        assertEquals(wrapping(), second.config(), "the reservoir settings travel with the state");
        List<BatchUpdate> joined = new ArrayList<>(before);
        joined.addAll(OnlineTrainerTest.feed(second, OnlinePropensity.restore(p1.snapshot()),
            events.subList(cut, events.size())));
        OnlineTrainerTest.assertSameUpdates(all, joined);
        assertArrayEquals(whole.snapshot(), second.snapshot(), "final state identical");
      }
    }
  }

  @Test
  void theReservoirAndTheSnapshotStayBounded() {
    OnlineConfig small = wrapping();
    try (OnlineTrainer t = new OnlineTrainer(small, Path.JAVA);
        OnlineTrainer none = new OnlineTrainer(small.withReservoir(0, 0), Path.JAVA)) {
      List<TasteGroups.Event> ev = new TasteGroups(20, 20, 5).events(6400, 6); // 200 batches
      OnlineTrainerTest.feed(t, propensity(), ev);
      OnlineTrainerTest.feed(none, propensity(), ev);
      assertEquals(200, t.reservoirEvents());
      // the reservoir's share of the snapshot: 16 bytes per held event (size and head are written either way)
      assertEquals(16 * 200, t.snapshot().length - none.snapshot().length);
    }
  }

  @Test
  void withoutReservoirStepsTheReservoirChangesNothingButTheState() {
    OnlineConfig base = wrapping().withReservoir(0, 0);
    try (OnlineTrainer plain = new OnlineTrainer(base, Path.JAVA);
        OnlineTrainer held = new OnlineTrainer(base.withReservoir(500, 0), Path.JAVA)) {
      OnlineTrainerTest.assertSameUpdates(OnlineTrainerTest.feed(plain, propensity(), events()),
          OnlineTrainerTest.feed(held, propensity(), events()));
    }
    assertThrows(IllegalArgumentException.class, () -> base.withReservoir(0, 2), "steps need a reservoir");
  }

  @Test
  void batchRowsIncludeTheRowsTheReservoirStepsTouched() {
    OnlineConfig cfg = OnlineConfig.defaults().withDim(4).withBatchSize(2).withNegativesPerPositive(0)
        .withReservoir(10, 4);
    try (OnlineTrainer t = new OnlineTrainer(cfg, Path.JAVA)) {
      t.add("alice", "x", 1, 0.5f, 1, 1);
      BatchUpdate first = t.add("bob", "y", 1, 0.5f, 1, 2);
      assertEquals(1, first.modelVersion());
      t.add("carol", "z", 1, 0.5f, 1, 3);
      BatchUpdate second = t.add("carol", "w", 1, 0.5f, 1, 4);
      assertEquals(2, second.events(), "events count the stream's own only");
      // 4 steps x 2 draws from 4 held events: the published rows are the touched ones, and each is current
      for (ModelRow r : second.users()) {
        assertArrayEquals(t.userVector(r.id()), r.vector(), r.id());
      }
      assertTrue(second.users().size() >= 1 && second.users().get(0).id().equals("carol"));
    }
  }

  @Test
  void theRelativeClipFollowsTheClicksPropensityScale() {
    // logged propensities all below 0.1: a fixed M = 0.1 clips every one (a reweighted naive model)
    OnlineConfig cfg = OnlineConfig.defaults().withDim(4).withBatchSize(1000).withRelativeClip(0.1f, 0.1f);
    try (OnlineTrainer t = new OnlineTrainer(cfg, Path.JAVA);
        OnlineTrainer fixed = new OnlineTrainer(cfg.withClip(0.1f), Path.JAVA)) {
      assertEquals(0.1f, t.currentClip(), "before any click: the cap");
      for (int k = 0; k < 100; k++) {
        float theta = 0.001f * (k + 1) * 0.9f; // 0.0009 .. 0.09, uniform
        t.add("u" + k, "i" + k, 1, theta, 1, k);
        fixed.add("u" + k, "i" + k, 1, theta, 1, k);
        t.add("u" + k, "j" + k, 0, 0.5f, 0, k); // unclicked impressions do not count
      }
      // the 10% quantile is 0.009; the bin's upper edge is within 12% above it
      float m = t.currentClip();
      assertTrue(m >= 0.009f && m <= 0.009f * 1.13f, "M = " + m);
      assertEquals(0.1f, fixed.currentClip());
      assertTrue(!cfg.withClip(0.1f).relativeClip(), "withClip fixes M");
    }
    // a log on the usual scale keeps the cap
    try (OnlineTrainer t = new OnlineTrainer(cfg, Path.JAVA)) {
      for (int k = 0; k < 100; k++) t.add("u" + k, "i" + k, 1, 0.2f + 0.008f * k, 1, k);
      assertEquals(0.1f, t.currentClip());
    }
  }

  @Test
  void clipQuantileBinsAreLogSpaced() {
    assertEquals(0, ClipQuantile.bin(0f));
    assertEquals(0, ClipQuantile.bin(1e-6f));
    assertEquals(ClipQuantile.BINS - 1, ClipQuantile.bin(1f));
    for (float theta : new float[] {3e-5f, 0.009f, 0.1f, 0.37f}) {
      int k = ClipQuantile.bin(theta);
      assertTrue(theta <= ClipQuantile.upperEdge(k) * 1.000001f && (k == 0 || theta > ClipQuantile.upperEdge(k - 1)),
          theta + " in bin " + k);
    }
  }

  /**
   * Known truth: the defaults (reservoir steps, lr 0.02) learn more from one pass over a semi-synthetic
   * log with logged propensities than the old defaults (no reservoir, lr 0.01), measured as DCG@5 on a
   * MAR set of the log's relevance. Measured (3 seeds, validation MAR set of StreamTune): old 1.081, new
   * 1.229, +14%; the test asserts +5% on another MAR set and seeds, which the old defaults cannot meet
   * by noise (their seed-to-seed std is about 2%).
   */
  @Test
  void newDefaultsLearnMoreFromOnePassOfASemiSyntheticLog() {
    SemiSyntheticLog log = SemiSyntheticLog.generate(new SemiSyntheticLog.Params(600, 300, 4, 2.0, -1.5, 0.5, 0.9,
        0.001), 5);
    SemiSyntheticEvents events = SemiSyntheticEvents.of(log, 5);
    TestSet mar = TestSet.of(events.marSet(10, 77), log.numUsers());
    OnlineConfig old = OnlineConfig.defaults().withLearningRate(0.01f).withReservoir(0, 0);
    double before = 0;
    double after = 0;
    for (long seed = 1; seed <= 2; seed++) {
      before += onePass(events, old.withSeed(seed), mar);
      after += onePass(events, OnlineConfig.defaults().withSeed(seed), mar);
    }
    assertTrue(after >= 1.05 * before, "DCG@5 old defaults " + before / 2 + ", new " + after / 2);
  }

  static double onePass(SemiSyntheticEvents e, OnlineConfig cfg, TestSet test) {
    try (OnlineTrainer t = new OnlineTrainer(cfg, Path.JAVA)) {
      for (int k = 0; k < e.size(); k++) {
        t.add(SemiSyntheticEvents.userId(e.user(k)), SemiSyntheticEvents.itemId(e.item(k)), e.clicked(k) ? 1 : 0,
            e.propensity(k), 0, e.timestamp(k));
      }
      t.flush();
      RankingMetrics.Scorer s = (u, i) -> {
        float v = t.score(SemiSyntheticEvents.userId(u), SemiSyntheticEvents.itemId(i));
        return Float.isNaN(v) ? 0f : v;
      };
      return RankingMetrics.evaluate(test, s, new int[] {5}).get("DCG@5");
    }
  }

  @Test
  void marSetsAreUniformAndSeeded() {
    SemiSyntheticLog log = SemiSyntheticLog.generate(SemiSyntheticLog.Params.defaults(50, 40), 3);
    SemiSyntheticEvents e = SemiSyntheticEvents.of(log, 1);
    Ratings a = e.marSet(10, 9);
    assertEquals(500, a.size());
    assertArrayEquals(a.items(), e.marSet(10, 9).items());
    assertTrue(!java.util.Arrays.equals(a.items(), e.marSet(10, 10).items()));
    for (int k = 0; k < a.size(); k++) {
      assertEquals(log.relevant(a.users()[k], a.items()[k]), a.relevant(k));
    }
  }

  @Test
  void reservoirStepsAreBudgetedByTheEventTimeABatchSpans() {
    OnlineConfig cfg = OnlineConfig.defaults().withDim(4).withBatchSize(4).withReservoir(64, 8).withReservoirStepMs(10);
    // batch 1 takes K = 8 whatever its span; batch 2's events move the newest timestamp on by {0, 20, 4000} ms
    long[][] spacings = {{1000, 0}, {1000, 5}, {1000, 1000}};
    int[] expected = {(1 + 8) + (1 + 0), (1 + 8) + (1 + 2), (1 + 8) + (1 + 8)};
    for (int run = 0; run < spacings.length; run++) {
      try (OnlineTrainer t = new OnlineTrainer(cfg, Path.JAVA)) {
        long ts = 0;
        for (int k = 0; k < 8; k++) {
          ts += k < 4 ? spacings[run][0] : spacings[run][1];
          t.add("u" + (k % 3), "i" + (k % 5), k % 2, 0.5f, 1.0, ts);
        }
        assertEquals(expected[run], t.adamSteps(), "run " + run + ": Adam steps after two batches");
      }
    }
    // without the budget every batch takes K
    try (OnlineTrainer t = new OnlineTrainer(cfg.withReservoirStepMs(0), Path.JAVA)) {
      for (int k = 0; k < 8; k++) {
        t.add("u" + (k % 3), "i" + (k % 5), k % 2, 0.5f, 1.0, 1000L);
      }
      assertEquals(18, t.adamSteps());
    }
  }
}
