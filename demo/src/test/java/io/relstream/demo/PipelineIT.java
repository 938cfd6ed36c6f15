package io.relstream.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole product end to end, each part real and in its own JVM: events posted over HTTP to the
 * collector flow through Kafka, the ingest Streams app and the Flink job to model-updates, and
 * change what serving answers.
 *
 * <p>Known answer: users of group A click only items a0..a9 and users of group B only b0..b9, each
 * seeing a random mix of both. A trained model must recommend A items to an A user. A new user first
 * gets the fallback; after clicking a few A items, the model's answer (not the fallback), made of A
 * items it has not clicked yet.
 */
class PipelineIT {
  static final ObjectMapper JSON = new ObjectMapper();
  static final Path HOME = Path.of("..").toAbsolutePath().normalize();
  final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  @Test
  void postedEventsChangeWhatIsRecommended(@TempDir Path work) throws Exception {
    PrintStream quiet = new PrintStream(new ByteArrayOutputStream());
    try (Stack stack = Stack.start(HOME, work, 0, List.of("--join-window-ms", "1000"),
        List.of("--checkpoint-interval-ms", "1000", "--batch-size", "64"), quiet)) {
      String base = stack.baseUrl();
      JsonNode before = get(base + "/recommend/newcomer?k=5");
      assertTrue(before.get("fallback").asBoolean(), "an unknown user gets the fallback: " + before);

      long t = System.currentTimeMillis() - 600_000;
      List<String> lines = new ArrayList<>();
      SplittableRandom rng = new SplittableRandom(7);
      int n = 0;
      for (int round = 0; round < 30; round++) {
        for (int u = 0; u < 40; u++) {
          String group = u % 2 == 0 ? "a" : "b";
          String user = group + "-user" + u;
          for (int s = 0; s < 2; s++) {
            String item = (rng.nextBoolean() ? "a" : "b") + rng.nextInt(10);
            String id = "e" + n++;
            lines.add(DatasetEvents.impression(id + "i", user, item, t, id, 1 + s, null).toString());
            if (item.startsWith(group)) {
              lines.add(DatasetEvents.click(id + "c", user, item, t + 10, id).toString());
            }
            t += 50;
          }
        }
      }
      post(base, lines);
      JsonNode a = awaitModelAnswer(base, "a-user0");
      int fromA = 0;
      for (JsonNode it : a.get("items")) {
        if (it.get("item").asText().startsWith("a")) fromA++;
      }
      assertTrue(fromA >= 4, "an A user is recommended A items: " + a);

      List<String> newcomer = new ArrayList<>();
      for (int k = 0; k < 3; k++) {
        String id = "new" + k;
        newcomer.add(DatasetEvents.impression(id + "i", "newcomer", "a" + k, t, id, 1, null).toString());
        newcomer.add(DatasetEvents.click(id + "c", "newcomer", "a" + k, t + 10, id).toString());
        t += 50;
      }
      post(base, newcomer);
      JsonNode after = awaitModelAnswer(base, "newcomer");
      assertEquals(false, after.get("fallback").asBoolean());
      for (JsonNode it : after.get("items")) {
        String item = it.get("item").asText();
        assertTrue(!List.of("a0", "a1", "a2").contains(item), "clicked items are excluded: " + after);
      }
    }
  }

  private void post(String base, List<String> lines) throws Exception {
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(base + "/events"))
        .POST(HttpRequest.BodyPublishers.ofString(String.join("\n", lines))).build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(202, r.statusCode(), r.body());
    assertEquals(lines.size(), JSON.readTree(r.body()).get("accepted").asInt(), r.body());
  }

  private JsonNode get(String url) throws Exception {
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(url)).build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(200, r.statusCode(), url + " -> " + r.body());
    return JSON.readTree(r.body());
  }

  /** Polls until the user's answer comes from the model rather than the fallback. */
  private JsonNode awaitModelAnswer(String base, String user) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);
    JsonNode last = null;
    while (System.nanoTime() < deadline) {
      last = get(base + "/recommend/" + user + "?k=5");
      if (!last.get("fallback").asBoolean()) return last;
      Thread.sleep(500);
    }
    throw new AssertionError("no model answer for " + user + " within 180 s; last: " + last);
  }
}
