package io.relstream.streamreplay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.relstream.core.data.Dataset;
import io.relstream.core.data.ImplicitFeedback;
import io.relstream.core.data.Ratings;
import io.relstream.schemas.avro.Interaction;
import io.relstream.schemas.avro.InteractionSource;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Ratings to interactions: what each log mode sees, labels, sources, times, ids, seeded passes. */
class LoggedEventsTest {
  // 3 users x 4 items; ratings >= 4 are clicks
  static final Ratings TRAIN = new Ratings(new int[] {0, 0, 1, 1, 2, 2}, new int[] {0, 1, 1, 2, 3, 0},
      new byte[] {5, 2, 4, 1, 3, 4});
  static final Ratings TEST = new Ratings(new int[] {0}, new int[] {3}, new byte[] {5});

  static ImplicitFeedback data(String name) {
    return ImplicitFeedback.prepare(new Dataset(name, 3, 4, TRAIN, TEST), 0, 1);
  }

  @Test
  void clicksLogSeesOnlyRelevantRatingsAsClicksWithoutImpression() {
    LoggedEvents e = LoggedEvents.of(data("coat"), LoggedEvents.Log.CLICKS, 3, 1);
    assertEquals(3, e.size());
    List<Interaction> all = e.all();
    for (int k = 0; k < all.size(); k++) {
      Interaction in = all.get(k);
      assertEquals(1, in.getLabel());
      assertEquals(InteractionSource.CLICK_WITHOUT_IMPRESSION, in.getSource());
      assertNull(in.getPropensity());
      assertNull(in.getPosition());
      assertEquals(LoggedEvents.T0 + 120_000L * k + 30_000L, in.getTimestamp(), "a click 30 s after its slot");
    }
  }

  @Test
  void impressionsLogSeesEveryRatingOnceWithItsClick() {
    LoggedEvents e = LoggedEvents.of(data("coat"), LoggedEvents.Log.IMPRESSIONS, 3, 1);
    assertEquals(6, e.size());
    Map<String, Integer> labels = new HashMap<>();
    for (int k = 0; k < e.size(); k++) {
      Interaction in = e.event(k);
      assertEquals(LoggedEvents.T0 + 120_000L * k, in.getTimestamp());
      assertEquals(in.getLabel() == 1 ? InteractionSource.CLICKED_IMPRESSION : InteractionSource.UNCLICKED_IMPRESSION,
          in.getSource());
      labels.put(in.getUser() + "/" + in.getItem(), in.getLabel());
    }
    assertEquals(Map.of("0/0", 1, "0/1", 0, "1/1", 1, "1/2", 0, "2/3", 0, "2/0", 1), labels, "Coat ids are 0-based");
  }

  @Test
  void passesRepeatTheLogInFreshSeededOrdersAndYahooIdsAreOneBased() {
    LoggedEvents a = LoggedEvents.of(data("yahoo-r3"), LoggedEvents.Log.IMPRESSIONS, 5, 3);
    assertEquals(6, a.perPass());
    assertEquals(18, a.size());
    assertEquals(a.all(), LoggedEvents.of(data("yahoo-r3"), LoggedEvents.Log.IMPRESSIONS, 5, 3).all(), "seeded");
    Map<String, Integer> seen = new HashMap<>();
    for (Interaction in : a.all()) {
      seen.merge(in.getUser() + "/" + in.getItem(), 1, Integer::sum);
    }
    assertEquals(6, seen.size());
    seen.values().forEach(n -> assertEquals(3, n, "each rating once per pass"));
    assertEquals(1, seen.keySet().stream().filter(k -> k.equals("1/1")).count(), "user 0, item 0 is 1/1");
    List<String> orders = List.of(order(a, 0), order(a, 1), order(a, 2));
    assertNotEquals(order(LoggedEvents.of(data("yahoo-r3"), LoggedEvents.Log.IMPRESSIONS, 6, 3), 0)
        + order(LoggedEvents.of(data("yahoo-r3"), LoggedEvents.Log.IMPRESSIONS, 6, 3), 1), orders.get(0) + orders.get(1),
        "another seed, other orders");
  }

  private static String order(LoggedEvents e, int pass) {
    StringBuilder b = new StringBuilder();
    for (int k = pass * e.perPass(); k < (pass + 1) * e.perPass(); k++) {
      b.append(e.event(k).getUser()).append(e.event(k).getItem()).append(' ');
    }
    return b.toString();
  }
}
