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
 * <p>Known answer: users of group A click only items a0..a19 and users of group B only b0..b19. Each user
 * is shown a fixed half of its own group's items (all clicked) and any of the other group's (none
 * clicked); the other half of its own group is the held-out answer. The trained item factors must place A
 * items next to A items ({@code /similar}), and an A user must be recommended mostly A items it was never
 * shown. A new user first gets the fallback, then, once its clicks are trained, the model's answer: other
 * A items, without the ones it clicked.
 *
 * <p>An earlier version let every user see any item of both groups; by the end of the stream a user had
 * clicked most of its group, so fewer than three unclicked own-group items were sometimes left to
 * recommend, and the known answer did not exist (about one run in four, measured on the same stream fed
 * to the core trainer directly).
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
      JsonNode before = get(base + "/recommend/a-newcomer?k=5");
      assertTrue(before.get("fallback").asBoolean(), "an unknown user gets the fallback: " + before);

      long t = System.currentTimeMillis() - 600_000;
      List<String> lines = new ArrayList<>();
      SplittableRandom rng = new SplittableRandom(7);
      int[][] shown = new int[40][];
      for (int u = 0; u < 40; u++) {
        shown[u] = halfOfTwenty(rng);
      }
      int n = 0;
      for (int round = 0; round < 30; round++) {
        for (int u = 0; u < 40; u++) {
          String group = u % 2 == 0 ? "a" : "b";
          String other = u % 2 == 0 ? "b" : "a";
          String user = group + "-user" + u;
          for (int s = 0; s < 2; s++) {
            String item = rng.nextBoolean() ? group + shown[u][rng.nextInt(10)] : other + rng.nextInt(20);
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
      awaitModelAnswer(base, "a-user0");
      // the stream goes on after the first model; give the last batches time to be served
      awaitVersionStable(base);
      JsonNode similar = get(base + "/similar/a0?k=5");
      assertTrue(countGroup(similar, "a") >= 4, "items like a0 are A items: " + similar);
      for (String user : new String[] {"a-user0", "b-user1"}) {
        JsonNode r = get(base + "/recommend/" + user + "?k=5");
        assertTrue(countGroup(r, user.substring(0, 1)) >= 3, user + " is recommended its group's items: " + r);
      }

      // A newcomer clicks a0..a4: once trained, the model answers for it, without those items, and mostly
      // with other A items (user rows start at zero, so its first steps point at what it clicked).
      List<String> newcomer = new ArrayList<>();
      for (int k = 0; k < 5; k++) {
        String id = "new" + k;
        newcomer.add(DatasetEvents.impression(id + "i", "a-newcomer", "a" + k, t, id, 1, null).toString());
        newcomer.add(DatasetEvents.click(id + "c", "a-newcomer", "a" + k, t + 10, id).toString());
        t += 50;
      }
      post(base, newcomer);
      JsonNode a = awaitModelAnswer(base, "a-newcomer");
      assertEquals(false, a.get("fallback").asBoolean());
      for (JsonNode it : a.get("items")) {
        String item = it.get("item").asText();
        assertTrue(!List.of("a0", "a1", "a2", "a3", "a4").contains(item), "clicked items are excluded: " + a);
      }
      assertTrue(countGroup(a, "a") >= 3, "a newcomer who clicked A items is recommended A items: " + a);

      // The newcomer asks to be forgotten: DELETE through the front, in order with its events through
      // ingest, the job (rows, clicks, held events dropped; a tombstone for user:a-newcomer) and serving,
      // which answers it the fallback again while the others keep their model answers.
      HttpResponse<String> del = http.send(HttpRequest.newBuilder(URI.create(base + "/users/a-newcomer"))
          .DELETE().build(), HttpResponse.BodyHandlers.ofString());
      assertEquals(202, del.statusCode(), del.body());
      assertEquals("a-newcomer", JSON.readTree(del.body()).get("user").asText());
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
      JsonNode gone = get(base + "/recommend/a-newcomer?k=5");
      while (!gone.get("fallback").asBoolean() && System.nanoTime() < deadline) {
        Thread.sleep(500);
        gone = get(base + "/recommend/a-newcomer?k=5");
      }
      assertTrue(gone.get("fallback").asBoolean(), "the erased user is answered the fallback: " + gone);
      assertTrue(!get(base + "/recommend/a-user0?k=5").get("fallback").asBoolean(), "others keep their model");
      String metrics = http.send(HttpRequest.newBuilder(URI.create(base + "/metrics")).build(),
          HttpResponse.BodyHandlers.ofString()).body();
      assertTrue(metrics.contains("relstream_serving_users_erased_total 1"), "serving counted the erasure");
    }
  }

  /** A random 10 of 0..19. */
  private static int[] halfOfTwenty(SplittableRandom rng) {
    int[] p = new int[20];
    for (int i = 0; i < 20; i++) {
      p[i] = i;
    }
    for (int i = 19; i > 0; i--) {
      int j = rng.nextInt(i + 1);
      int x = p[i];
      p[i] = p[j];
      p[j] = x;
    }
    return java.util.Arrays.copyOf(p, 10);
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

  private static int countGroup(JsonNode answer, String group) {
    int n = 0;
    for (JsonNode it : answer.get("items")) {
      if (it.get("item").asText().startsWith(group)) n++;
    }
    return n;
  }

  /** Waits until the served model version has not changed for 3 s (at most 60 s). */
  private void awaitVersionStable(String base) throws Exception {
    long version = -2;
    long since = System.nanoTime();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (System.nanoTime() < deadline) {
      long v = get(base + "/recommend/a-user0?k=1").get("modelVersion").asLong();
      if (v != version) {
        version = v;
        since = System.nanoTime();
      } else if (System.nanoTime() - since > TimeUnit.SECONDS.toNanos(3)) {
        return;
      }
      Thread.sleep(250);
    }
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
