package io.relstream.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class DatasetEventsTest {
  static final Path DATA = Path.of("..", "..", "shared", "data");
  static final long END = 1_764_300_000_000L;

  @Test
  void coatRatingsBecomeImpressionsAndRelevantOnesClicks() throws Exception {
    assumeTrue(Files.isDirectory(DATA.resolve("coat")), "Coat not found");
    List<ObjectNode> events = DatasetEvents.coat(DATA.resolve("coat"), END);
    long impressions = events.stream().filter(e -> e.get("type").asText().equals("impression")).count();
    long clicks = events.size() - impressions;
    assertEquals(6960, impressions); // every training rating
    assertTrue(clicks > 1000 && clicks < impressions, "clicks " + clicks);
    long last = 0;
    for (ObjectNode e : events) {
      long t = e.get("timestamp").asLong();
      assertTrue(t >= last, "time order");
      assertTrue(t < END);
      last = t;
    }
    ObjectNode first = events.get(0);
    assertTrue(first.get("user").asText().startsWith("coat-u"));
    assertTrue(!first.has("propensity"), "Coat logs no propensity");
  }

  @Test
  void openBanditRowsCarryPositionAndLoggedPropensity() throws Exception {
    assumeTrue(Files.isDirectory(DATA.resolve("open-bandit")), "Open Bandit not found");
    List<ObjectNode> events = DatasetEvents.openBandit(DATA.resolve("open-bandit"), END);
    List<ObjectNode> imps = events.stream().filter(e -> e.get("type").asText().equals("impression")).toList();
    assertEquals(20_000, imps.size()); // random policy, men and women campaigns
    for (ObjectNode e : imps) {
      int pos = e.get("position").asInt();
      double p = e.get("propensity").asDouble();
      assertTrue(pos >= 1 && pos <= 3);
      assertTrue(p > 0 && p <= 1);
    }
    ObjectNode click = events.stream().filter(e -> e.get("type").asText().equals("click")).findFirst().orElseThrow();
    assertTrue(click.has("requestId"));
    // the click follows an impression of the same user, item and request
    assertTrue(imps.stream().anyMatch(i -> i.get("requestId").asText().equals(click.get("requestId").asText())
        && i.get("item").asText().equals(click.get("item").asText())
        && i.get("user").asText().equals(click.get("user").asText())));
    assertTrue(imps.get(imps.size() - 1).get("timestamp").asLong() <= END - 3_600_000L);
  }
}
