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
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Filters and batch queries over loopback HTTP, against a real RocksDB store.
 *
 * <p>The model ({@link ModelStoreTest#fill} plus item "e,f"): user u = (2, 1) clicked c; items a = (1, 0),
 * b = (0, 1), c = (1, 1), d = (-1, 0), "e,f" = (0.5, 0.5), so u's scores are c 3 (clicked), a 2, "e,f" 1.5,
 * b 1, d -2. The fallback (clicks / max(theta, M), M = 0.009136): c 5 / 0.02 = 250, d 1 / M = 109.5,
 * a 100 / 1 = 100, "e,f" 30 / 0.5 = 60, b 10 / 0.5 = 20.
 */
class RecommendFiltersTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final HttpClient client = HttpClient.newHttpClient();

  @TempDir
  Path dir;
  private ModelStore store;
  private HttpApi api;

  @BeforeEach
  void start() throws Exception {
    store = ModelStore.open(dir, new DebiasedPopularity());
    ModelStoreTest.fill(store);
    ModelStore.Batch b = store.newBatch();
    b.putItem("e,f", new float[] {0.5f, 0.5f}, 0.5, 30.0, 5, 100);
    store.apply(b);
    Metrics metrics = new Metrics();
    Serving.registerStoreGauges(metrics, store);
    api = new HttpApi(store, metrics, new InetSocketAddress("127.0.0.1", 0), 4,
        () -> HttpApiTest.snapshot("running", true, true, null), new DiskFloor(dir, 0));
    api.start();
  }

  @AfterEach
  void stop() {
    api.close();
    store.close();
  }

  private HttpResponse<String> get(String pathAndQuery) throws Exception {
    return client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + api.port() + pathAndQuery)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<String> post(String body) throws Exception {
    return client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + api.port() + "/recommend"))
        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static List<String> strings(JsonNode array) {
    List<String> out = new ArrayList<>();
    array.forEach(n -> out.add(n.isTextual() ? n.asText() : n.get("item").asText()));
    return out;
  }

  private JsonNode ok(String pathAndQuery) throws Exception {
    HttpResponse<String> r = get(pathAndQuery);
    assertEquals(200, r.statusCode(), r.body());
    return JSON.readTree(r.body());
  }

  @Test
  void excludeIsAppliedDuringTheScanSoKIsHonouredExactly() throws Exception {
    JsonNode r = ok("/recommend/u?k=2&exclude=a");
    // filtering after a top-2 scan would leave only "e,f"
    assertEquals(List.of("e,f", "b"), strings(r.get("items")));
    assertFalse(r.get("fallback").asBoolean());
    assertEquals(List.of(), strings(r.get("ignored")));
    assertEquals(5, r.get("modelVersion").asLong());
    // the age since this server published the snapshot, not since the rows' event timestamps (1970 here)
    long age = r.get("modelAgeMs").asLong();
    assertTrue(age >= 0 && age < 60_000, "modelAgeMs " + age);
    assertEquals(1.5, r.get("items").get(0).get("score").asDouble(), 1e-6);
  }

  @Test
  void listsAreRepeatedOrCommaSeparatedAndAnEscapedCommaIsPartOfAnId() throws Exception {
    assertEquals(List.of("e,f"), strings(ok("/recommend/u?exclude=a&exclude=b,d").get("items")));
    assertEquals(List.of("a", "b", "d"), strings(ok("/recommend/u?exclude=e%2Cf").get("items")));
    JsonNode split = ok("/recommend/u?exclude=e,f");
    assertEquals(List.of("e", "f"), strings(split.get("ignored")));
    assertEquals(List.of("a", "e,f", "b", "d"), strings(split.get("items")));
  }

  @Test
  void includeScoresOnlyTheCandidatesAndUnknownIdsAreIgnored() throws Exception {
    JsonNode r = ok("/recommend/u?include=d,b,zz&include=c");
    assertEquals(List.of("b", "d"), strings(r.get("items")), "c was clicked: excluded even when included");
    assertEquals(List.of("zz"), strings(r.get("ignored")));
    assertEquals(List.of("b"), strings(ok("/recommend/u?include=b&k=10").get("items")), "fewer eligible than k");
    assertEquals(List.of(), strings(ok("/recommend/u?include=b&exclude=b").get("items")));
    assertEquals(List.of(), strings(ok("/recommend/u?include=").get("items")), "an empty include list");
  }

  @Test
  void theFallbackIsFilteredToo() throws Exception {
    JsonNode r = ok("/recommend/nobody?k=2&exclude=c");
    assertTrue(r.get("fallback").asBoolean());
    assertEquals(List.of("d", "a"), strings(r.get("items")));
    assertEquals(List.of("a", "b"), strings(ok("/recommend/nobody?include=b,a").get("items")));
    assertEquals(List.of("c", "d", "a", "e,f", "b"), strings(ok("/recommend/nobody").get("items")));
  }

  @Test
  void unknownParametersAre400AndLongListsAre414() throws Exception {
    HttpResponse<String> r = get("/recommend/u?k=2&kk=3");
    assertEquals(400, r.statusCode());
    assertTrue(r.body().contains("unknown query parameter 'kk'"), r.body());
    String ids = String.join(",", Collections.nCopies(1001, "q"));
    r = get("/recommend/u?exclude=" + ids);
    assertEquals(414, r.statusCode(), r.body());
    assertTrue(r.body().contains("POST"), r.body());
    assertEquals(200, get("/recommend/u?exclude=" + String.join(",", Collections.nCopies(1000, "q"))).statusCode());
  }

  @Test
  void postAnswersEveryUserInRequestOrder() throws Exception {
    HttpResponse<String> r = post("{\"users\": [\"u\", \"nobody\", \"u\"], \"k\": 2, \"exclude\": [\"a\", \"zz\"]}");
    assertEquals(200, r.statusCode(), r.body());
    JsonNode results = JSON.readTree(r.body()).get("results");
    assertEquals(3, results.size());
    assertEquals(List.of("u", "nobody", "u"), List.of(results.get(0).get("user").asText(),
        results.get(1).get("user").asText(), results.get(2).get("user").asText()));
    assertEquals(List.of("e,f", "b"), strings(results.get(0).get("items")));
    assertTrue(results.get(1).get("fallback").asBoolean());
    assertEquals(List.of("c", "d"), strings(results.get(1).get("items")));
    assertEquals(strings(results.get(0).get("items")), strings(results.get(2).get("items")));
    assertEquals(List.of("zz"), strings(results.get(0).get("ignored")));
    // the same answer as GET
    assertEquals(ok("/recommend/u?k=2&exclude=a,zz").get("items"), results.get(0).get("items"));

    JsonNode inc = JSON.readTree(post("{\"users\": [\"u\"], \"include\": [\"b\", \"d\"]}").body());
    assertEquals(List.of("b", "d"), strings(inc.get("results").get(0).get("items")));
  }

  @Test
  void postRejectsTooManyUsersUnknownFieldsAndBadTypes() throws Exception {
    List<String> users = new ArrayList<>();
    for (int i = 0; i < 1001; i++) {
      users.add("\"u" + i + "\"");
    }
    assertEquals(413, post("{\"users\": [" + String.join(",", users) + "]}").statusCode());
    assertEquals(200, post("{\"users\": [" + String.join(",", users.subList(0, 1000)) + "]}").statusCode());
    HttpResponse<String> r = post("{\"users\": [\"u\"], \"kk\": 1}");
    assertEquals(400, r.statusCode());
    assertTrue(r.body().contains("unknown field 'kk'"), r.body());
    assertEquals(400, post("{\"users\": []}").statusCode());
    assertEquals(400, post("{\"users\": [\"u\"], \"k\": 0}").statusCode());
    assertEquals(400, post("{\"users\": [\"u\"], \"exclude\": \"a\"}").statusCode());
    assertEquals(400, post("[1]").statusCode());
    assertEquals(400, post("{").statusCode());
  }

  @Test
  void metricsShowLatencyQuantilesErrorsByKindModelAgeStoreSizeAndTheScanPath() throws Exception {
    for (int i = 0; i < 20; i++) {
      ok("/recommend/u?k=2");
    }
    assertEquals(400, get("/recommend/u?bogus=1").statusCode());
    assertEquals(414, get("/recommend/u?exclude=" + String.join(",", Collections.nCopies(1001, "q"))).statusCode());
    String m = get("/metrics").body();
    java.util.regex.Matcher p99 = java.util.regex.Pattern
        .compile("(?m)^relstream_serving_recommend_latency_seconds\\{quantile=\"0.99\"\\} ([0-9.E-]+)$").matcher(m);
    assertTrue(p99.find(), m);
    assertTrue(Double.parseDouble(p99.group(1)) > 0);
    assertTrue(m.contains("relstream_serving_recommend_latency_seconds{quantile=\"0.999\"}"), m);
    assertTrue(m.contains("relstream_serving_recommend_latency_seconds_count 22"), m);
    assertTrue(m.contains("relstream_serving_errors_total{kind=\"bad_request\"} 1"), m);
    assertTrue(m.contains("relstream_serving_errors_total{kind=\"uri_too_long\"} 1"), m);
    assertTrue(m.matches("(?s).*relstream_serving_request_rate [0-9.]+\n.*"), m);
    assertTrue(m.matches("(?s).*relstream_serving_model_age_ms [0-9]+\n.*"), m);
    assertTrue(m.contains("relstream_serving_model_version 5"), m);
    assertTrue(m.matches("(?s).*relstream_serving_store_bytes [0-9]+\n.*"), m);
    assertTrue(m.matches("(?s).*relstream_serving_scan_path\\{path=\"java-tiled-(vector|scalar)\".*"), m);
    assertTrue(m.matches("(?s).*relstream_serving_scans_total [1-9][0-9]*\n.*"), m);
  }
}
