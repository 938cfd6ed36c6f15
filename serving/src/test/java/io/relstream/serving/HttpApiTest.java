package io.relstream.serving;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.relstream.core.topk.DebiasedPopularity;
import io.relstream.http.DiskFloor;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The HTTP API over loopback, against a store filled directly. */
class HttpApiTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final HttpClient client = HttpClient.newHttpClient();

  @TempDir
  Path dir;
  private ModelStore store;
  private Metrics metrics;
  private HttpApi api;
  /** What the (absent) consumer reports: caught up and running unless a test says otherwise. */
  private volatile UpdateConsumer.Snapshot consumer = snapshot("running", true, true, null);

  static UpdateConsumer.Snapshot snapshot(String state, boolean alive, boolean caughtUp, String error) {
    long now = System.currentTimeMillis();
    return new UpdateConsumer.Snapshot(state, alive, error, error == null ? -1 : now - 5, 0, 0, now, -1, caughtUp,
        caughtUp ? "caught up" : "catching up: 7 records behind the end offsets seen at start");
  }

  @BeforeEach
  void start() throws Exception {
    store = ModelStore.open(dir, new DebiasedPopularity());
    metrics = new Metrics();
    Serving.registerStoreGauges(metrics, store);
    api = new HttpApi(store, metrics, new InetSocketAddress("127.0.0.1", 0), 2, () -> consumer, new DiskFloor(dir, 0));
    api.start();
  }

  @AfterEach
  void stop() {
    api.close();
    store.close();
  }

  private HttpResponse<String> get(String pathAndQuery) throws Exception {
    return send("GET", pathAndQuery);
  }

  private HttpResponse<String> send(String method, String pathAndQuery) throws Exception {
    HttpRequest req = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + api.port() + pathAndQuery))
        .method(method, HttpRequest.BodyPublishers.noBody()).build();
    return client.send(req, HttpResponse.BodyHandlers.ofString());
  }

  private String rawGet(String path) throws Exception {
    try (java.net.Socket socket = new java.net.Socket("127.0.0.1", api.port())) {
      socket.getOutputStream().write(("GET " + path + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
          .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
      return new String(socket.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    }
  }

  private static JsonNode json(HttpResponse<String> r) throws Exception {
    assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("application/json"), r.toString());
    return JSON.readTree(r.body());
  }

  private static List<String> items(JsonNode body) {
    List<String> out = new ArrayList<>();
    body.get("items").forEach(n -> out.add(n.get("item").asText()));
    return out;
  }

  @Test
  void readyIs503UntilCaughtUpAndAnItemRowIsLoaded() throws Exception {
    consumer = snapshot("starting", true, false, null);
    assertEquals(200, get("/health").statusCode());
    HttpResponse<String> r = get("/ready");
    assertEquals(503, r.statusCode());
    assertFalse(json(r).get("ready").asBoolean());
    assertTrue(json(r).get("reason").asText().contains("not caught up"), r.body());
    assertTrue(json(r).get("reason").asText().contains("7 records behind"), r.body());
    // rows alone are not enough: the consumer must have reached the end offsets seen at start
    ModelStoreTest.fill(store);
    r = get("/ready");
    assertEquals(503, r.statusCode());
    assertFalse(json(r).get("caughtUp").asBoolean());
    consumer = snapshot("running", true, true, null);
    r = get("/ready");
    assertEquals(200, r.statusCode(), r.body());
    assertTrue(json(r).get("ready").asBoolean());
    assertFalse(json(r).has("reason"));
    assertEquals(4, json(r).get("items").asInt());
  }

  @Test
  void readyIs503WhenCaughtUpWithoutItems() throws Exception {
    HttpResponse<String> r = get("/ready");
    assertEquals(503, r.statusCode());
    assertTrue(json(r).get("caughtUp").asBoolean());
    assertEquals("caught up, but no item row loaded yet", json(r).get("reason").asText());
  }

  @Test
  void healthReportsTheConsumerAndTheDisk() throws Exception {
    ModelStoreTest.fill(store);
    HttpResponse<String> r = get("/health");
    assertEquals(200, r.statusCode(), r.body());
    JsonNode h = json(r);
    assertEquals("up", h.get("status").asText());
    assertEquals("running", h.get("consumer").get("state").asText());
    assertTrue(h.get("consumer").get("alive").asBoolean());
    assertEquals(0, h.get("consumer").get("lag").asLong());
    assertTrue(h.get("consumer").get("lastUpdateAgeMs").isNull());
    assertTrue(h.get("disk").get("ok").asBoolean());
    assertTrue(h.get("disk").get("freeBytes").asLong() > 0);
    assertEquals(0, h.get("disk").get("floorBytes").asLong());

    consumer = snapshot("retrying", true, true, "consumer loop: org.apache.kafka.common.KafkaException: boom");
    r = get("/health");
    assertEquals(503, r.statusCode());
    h = json(r);
    assertEquals("degraded", h.get("status").asText());
    assertTrue(h.get("consumer").get("lastError").asText().contains("boom"));
    assertTrue(h.get("consumer").get("lastErrorAgeMs").asLong() >= 0);
    assertEquals(200, get("/ready").statusCode(), "a retrying consumer keeps serving what it has");

    consumer = snapshot("dead", false, true, "consumer thread: java.lang.OutOfMemoryError");
    r = get("/health");
    assertEquals(503, r.statusCode());
    assertEquals("down", json(r).get("status").asText());
    r = get("/ready");
    assertEquals(503, r.statusCode());
    assertTrue(json(r).get("reason").asText().contains("not running"));
    assertEquals(0, Http.metric(api.port(), "relstream_serving_consumer_up"));
  }

  @Test
  void healthIsDegradedBelowTheDiskFloor() throws Exception {
    try (HttpApi low = new HttpApi(store, new Metrics(), new InetSocketAddress("127.0.0.1", 0), 2, () -> consumer,
        new DiskFloor(dir, Long.MAX_VALUE))) {
      low.start();
      HttpResponse<String> r = client.send(HttpRequest.newBuilder(
          URI.create("http://127.0.0.1:" + low.port() + "/health")).build(), HttpResponse.BodyHandlers.ofString());
      assertEquals(503, r.statusCode());
      JsonNode h = json(r);
      assertEquals("degraded", h.get("status").asText());
      assertFalse(h.get("disk").get("ok").asBoolean());
      assertEquals(Long.MAX_VALUE, h.get("disk").get("floorBytes").asLong());
      assertTrue(h.get("problems").get(0).asText().contains("below the floor"));
    }
  }

  @Test
  void recommendRanksAndExcludesClicked() throws Exception {
    ModelStoreTest.fill(store);
    HttpResponse<String> r = get("/recommend/u?k=2");
    assertEquals(200, r.statusCode());
    JsonNode body = json(r);
    assertEquals("u", body.get("user").asText());
    assertEquals(4, body.get("modelVersion").asLong());
    assertFalse(body.get("fallback").asBoolean());
    assertEquals(List.of("a", "b"), items(body));
    assertEquals(2.0, body.get("items").get(0).get("score").asDouble(), 1e-6);
    assertEquals(1.0, body.get("items").get(0).get("propensity").asDouble(), 1e-12);
    assertEquals(0.5, body.get("items").get(1).get("propensity").asDouble(), 1e-12);
    // default k = 10: every unclicked item
    assertEquals(List.of("a", "b", "d"), items(json(get("/recommend/u"))));
  }

  @Test
  void unknownUserFallsBackToDebiasedPopularity() throws Exception {
    ModelStoreTest.fill(store);
    ModelStore.Batch b = store.newBatch();
    b.addClick("new user", "c", 1);
    store.apply(b);
    JsonNode anon = json(get("/recommend/nobody"));
    assertTrue(anon.get("fallback").asBoolean());
    assertEquals(List.of("c", "d", "a", "b"), items(anon));
    // percent-decoded id; clicked item still excluded in the fallback
    JsonNode newbie = json(get("/recommend/new%20user?k=2"));
    assertTrue(newbie.get("fallback").asBoolean());
    assertEquals("new user", newbie.get("user").asText());
    assertEquals(List.of("d", "a"), items(newbie));
  }

  @Test
  void kValidation() throws Exception {
    ModelStoreTest.fill(store);
    for (String q : List.of("k=0", "k=1001", "k=abc", "k=1.5", "k=1&k=2", "k=", "k=-1", "k=%2B1", "k=99999999999",
        "k")) {
      HttpResponse<String> r = get("/recommend/u?" + q);
      assertEquals(400, r.statusCode(), q);
      assertTrue(json(r).get("error").asText().contains("k"), q);
    }
    assertEquals(200, get("/recommend/u?k=1").statusCode());
    assertEquals(200, get("/recommend/u?k=1000").statusCode());
    assertEquals(400, get("/recommend/u?other=x&k=3").statusCode(), "unknown parameters are refused");
    assertEquals(1, json(get("/recommend/u?k=1")).get("items").size());
  }

  @Test
  void idValidation() throws Exception {
    ModelStoreTest.fill(store);
    assertEquals(400, get("/recommend/" + "x".repeat(257)).statusCode());
    assertEquals(200, get("/recommend/" + "x".repeat(256)).statusCode());
    // 129 two-byte characters = 258 bytes
    assertEquals(400, get("/recommend/" + "%C3%A9".repeat(129)).statusCode());
    assertEquals(400, get("/recommend/").statusCode());
    // java.net.URI refuses malformed escapes: send those over a plain socket
    assertTrue(rawGet("/recommend/%zz").startsWith("HTTP/1.1 400"));
    assertTrue(rawGet("/recommend/%C3").startsWith("HTTP/1.1 400"));
    assertTrue(rawGet("/recommend/%C3").contains("{\"error\":"));
  }

  @Test
  void similarAndUnknownItem() throws Exception {
    ModelStoreTest.fill(store);
    JsonNode s = json(get("/similar/a?k=2"));
    assertEquals("a", s.get("item").asText());
    assertEquals(List.of("c", "b"), items(s));
    HttpResponse<String> r = get("/similar/nope");
    assertEquals(404, r.statusCode());
    assertTrue(json(r).get("error").asText().contains("nope"));
    assertEquals(400, get("/similar/a?k=0").statusCode());
  }

  @Test
  void unknownPathsAndMethods() throws Exception {
    for (String p : List.of("/nope", "/recommend/u/extra", "/health/x")) {
      HttpResponse<String> r = get(p);
      assertEquals(404, r.statusCode(), p);
      assertTrue(json(r).has("error"), p);
    }
    HttpResponse<String> batchOnly = get("/recommend");
    assertEquals(405, batchOnly.statusCode(), "/recommend is POST only");
    assertEquals("POST", batchOnly.headers().firstValue("Allow").orElse(""));
    HttpResponse<String> r = send("POST", "/recommend/u");
    assertEquals(405, r.statusCode());
    assertTrue(json(r).has("error"));
    assertEquals(405, send("DELETE", "/health").statusCode());
  }

  @Test
  void metricsText() throws Exception {
    ModelStoreTest.fill(store);
    get("/recommend/u");
    get("/recommend/u?k=0");
    get("/nope");
    metrics.consumed("model-updates");
    metrics.skipped("model-updates", "undecodable");
    HttpResponse<String> r = get("/metrics");
    assertEquals(200, r.statusCode());
    assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("text/plain"));
    String text = r.body();
    assertTrue(text.contains("relstream_serving_requests_total{endpoint=\"recommend\",status=\"200\"} 1\n"), text);
    assertTrue(text.contains("relstream_serving_requests_total{endpoint=\"recommend\",status=\"400\"} 1\n"), text);
    assertTrue(text.contains("relstream_serving_requests_total{endpoint=\"other\",status=\"404\"} 1\n"), text);
    assertTrue(text.contains("relstream_serving_request_seconds_count{endpoint=\"recommend\"} 2\n"), text);
    assertTrue(text.contains("relstream_serving_request_seconds_bucket{endpoint=\"recommend\",le=\"+Inf\"} 2\n"), text);
    assertTrue(text.contains("relstream_serving_consumed_records_total{topic=\"model-updates\"} 1\n"), text);
    assertTrue(text.contains(
        "relstream_serving_skipped_records_total{topic=\"model-updates\",reason=\"undecodable\"} 1\n"), text);
    assertTrue(text.contains("relstream_serving_model_version 4\n"), text);
    assertTrue(text.contains("relstream_serving_applied_records 6\n"), text);
    assertTrue(text.contains("relstream_serving_items 4\n"), text);
    assertTrue(text.contains("# TYPE relstream_serving_request_seconds histogram\n"), text);
  }
}
