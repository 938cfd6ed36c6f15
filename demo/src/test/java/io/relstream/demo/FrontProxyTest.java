package io.relstream.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.relstream.http.ApiResponse;
import io.relstream.http.HardenedHttpServer;
import io.relstream.http.HttpLimits;
import io.relstream.http.Routes;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The front over loopback, against real upstream servers standing in for ingest and serving. */
@Timeout(60)
class FrontProxyTest {
  private static final ObjectMapper M = new ObjectMapper();
  private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
  private final AtomicInteger eventsBytes = new AtomicInteger();
  private final AtomicInteger erasures = new AtomicInteger();
  private HardenedHttpServer ingest;
  private HardenedHttpServer serving;
  private FrontProxy front;
  private final Map<String, Boolean> alive = new LinkedHashMap<>();

  @BeforeEach
  void start() throws Exception {
    ingest = HardenedHttpServer.builder("ingest").bind("127.0.0.1").port(0)
        .limits(HttpLimits.defaults().withMaxBodyBytes(8 << 20))
        .routes(new Routes().post("/events", r -> {
          eventsBytes.set(r.body().length);
          return ApiResponse.json(202, Map.of("accepted", 1, "bytes", r.body().length));
        }).addPrefix("DELETE", "/users/", FrontProxyTest.this::collectorErasure)
            .get("/health", r -> ApiResponse.json(200, Map.of("streams", "RUNNING")))
            .get("/ready", r -> ApiResponse.json(503, Map.of("streams", "REBALANCING"))))
        .build();
    ingest.start();
    serving = HardenedHttpServer.builder("serving").bind("127.0.0.1").port(0)
        .routes(new Routes().getPrefix("/recommend/", r -> ApiResponse.json(200, Map.of("user", r.rawPath(),
                "k", String.valueOf(r.param("k")))))
            .post("/recommend", r -> ApiResponse.json(200, Map.of("batch", r.body().length)))
            .get("/health", r -> ApiResponse.json(200, Map.of("status", "up")))
            .get("/ready", r -> ApiResponse.json(200, Map.of("ready", true))))
        .build();
    serving.start();
    alive.put("ingest", true);
    alive.put("serving", true);
    front = new FrontProxy(0, ingest.port(), serving.port(), () -> alive);
  }

  /** The stand-in collector's DELETE /users/{id}: 503 for "busy", 400 for "", else 202 naming what it got. */
  private ApiResponse collectorErasure(io.relstream.http.ApiRequest r) {
    erasures.incrementAndGet();
    String id = r.rawPath().substring("/users/".length());
    if (id.equals("busy")) {
      return ApiResponse.json(503, Map.of("error", "the pipeline is behind")).withHeader("Retry-After", "2");
    }
    if (id.isEmpty()) {
      return ApiResponse.error(400, "user id is empty");
    }
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("rawPath", r.rawPath());
    body.put("query", String.valueOf(r.rawQuery()));
    body.put("authorization", String.valueOf(r.header("Authorization")));
    body.put("status", "accepted");
    return ApiResponse.json(202, body);
  }

  private HttpResponse<String> send(int port, String method, String path, String token) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
        .method(method, HttpRequest.BodyPublishers.noBody());
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void deleteUsersGoesToTheCollectorAndOtherMethodsGetTheFrontsOwnAnswers() throws Exception {
    HttpResponse<String> r = send(front.port(), "DELETE", "/users/coat%2Fu0?why=gdpr", null);
    assertEquals(202, r.statusCode(), r.body());
    JsonNode j = M.readTree(r.body());
    assertEquals("/users/coat%2Fu0", j.get("rawPath").asText(), "the raw path travels as sent");
    assertEquals("why=gdpr", j.get("query").asText());
    assertEquals("null", j.get("authorization").asText(), "no token configured, none sent");
    assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("application/json"));
    assertEquals(1, erasures.get());

    r = send(front.port(), "DELETE", "/users/", null);
    assertEquals(400, r.statusCode(), "the collector's 400 comes back as it is");
    assertEquals("user id is empty", M.readTree(r.body()).get("error").asText());
    r = send(front.port(), "DELETE", "/users/busy", null);
    assertEquals(503, r.statusCode());
    assertEquals("2", r.headers().firstValue("Retry-After").orElse(""), "backpressure's Retry-After passes through");
    assertEquals(3, erasures.get());

    for (String method : new String[] {"GET", "POST", "PUT"}) {
      r = send(front.port(), method, "/users/u1", null);
      assertEquals(405, r.statusCode(), method + ": " + r.body());
      assertEquals("DELETE", r.headers().firstValue("Allow").orElse(""), method);
      assertEquals("method " + method + " not allowed on /users/u1; use DELETE",
          M.readTree(r.body()).get("error").asText());
    }
    r = send(front.port(), "DELETE", "/users", null);
    assertEquals(404, r.statusCode());
    assertEquals("no such resource: /users", M.readTree(r.body()).get("error").asText());
    assertEquals(3, erasures.get(), "none of those reached the collector");

    front.upstreamRestarting("ingest", true);
    r = send(front.port(), "DELETE", "/users/u1", null);
    assertEquals(503, r.statusCode());
    assertEquals(String.valueOf(FrontProxy.RETRY_AFTER_SECONDS), r.headers().firstValue("Retry-After").orElse(""));
    assertEquals("ingest is restarting", M.readTree(r.body()).get("error").asText());
    front.upstreamRestarting("ingest", false);

    ingest.close();
    r = send(front.port(), "DELETE", "/users/u1", null);
    assertEquals(502, r.statusCode(), r.body());
    assertTrue(M.readTree(r.body()).get("error").asText().startsWith("ingest did not answer"), r.body());
  }

  @Test
  void deleteUsersNeedsTheFrontsTokenAndCarriesItToTheCollector() throws Exception {
    String token = "front-test-token";
    HardenedHttpServer guarded = HardenedHttpServer.builder("ingest-guarded").bind("127.0.0.1").port(0).token(token)
        .routes(new Routes().addPrefix("DELETE", "/users/", this::collectorErasure)).build();
    guarded.start();
    try (FrontProxy f = new FrontProxy(new Listen("127.0.0.1", token), 0, guarded.port(), serving.port(), 0,
        () -> alive)) {
      HttpResponse<String> r = send(f.port(), "DELETE", "/users/u1", null);
      assertEquals(401, r.statusCode(), r.body());
      assertEquals(0, erasures.get(), "refused at the front");
      r = send(f.port(), "DELETE", "/users/u1", "wrong");
      assertEquals(401, r.statusCode());
      r = send(f.port(), "DELETE", "/users/u1", token);
      assertEquals(202, r.statusCode(), r.body());
      assertEquals("Bearer " + token, M.readTree(r.body()).get("authorization").asText());
    } finally {
      guarded.close();
    }
  }

  @AfterEach
  void stop() {
    front.close();
    ingest.close();
    serving.close();
  }

  private HttpResponse<String> get(String path) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + front.port() + path)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void routesToEachChildAndKeepsTheQuery() throws Exception {
    HttpResponse<String> r = get("/recommend/coat-u0?k=5");
    assertEquals(200, r.statusCode(), r.body());
    assertEquals("/recommend/coat-u0", M.readTree(r.body()).get("user").asText());
    assertEquals("5", M.readTree(r.body()).get("k").asText());
    byte[] body = ("{\"x\":\"" + "y".repeat(900_000) + "\"}").getBytes(StandardCharsets.UTF_8);
    r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + front.port() + "/events"))
        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(202, r.statusCode(), r.body());
    assertEquals(body.length, eventsBytes.get(), "the whole body went through");
    // no Content-Type at all (java.net.http's default): read as JSON by the collector, also through the front
    r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + front.port() + "/events"))
        .POST(HttpRequest.BodyPublishers.ofString("[]")).build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(202, r.statusCode(), r.body());
    assertEquals(2, eventsBytes.get());
    // the batch query, POST /recommend, reaches serving too
    r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + front.port() + "/recommend"))
        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString("{\"users\":[\"a\"]}"))
        .build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(200, r.statusCode(), r.body());
    assertEquals(15, M.readTree(r.body()).get("batch").asInt());
  }

  @Test
  void aRestartingChildGets503WithRetryAfterAndHealthSaysSo() throws Exception {
    front.upstreamRestarting("serving", true);
    HttpResponse<String> r = get("/recommend/u1");
    assertEquals(503, r.statusCode());
    assertEquals(String.valueOf(FrontProxy.RETRY_AFTER_SECONDS), r.headers().firstValue("Retry-After").orElse(""));
    assertEquals("serving is restarting", M.readTree(r.body()).get("error").asText());
    r = get("/health");
    assertEquals(503, r.statusCode());
    assertEquals("restarting", M.readTree(r.body()).at("/components/serving/process").asText(), r.body());
    front.upstreamRestarting("serving", false);
    assertEquals(200, get("/recommend/u1").statusCode());
  }

  @Test
  void healthAndReadyCombineTheChildrensOwnAnswers() throws Exception {
    HttpResponse<String> r = get("/health");
    assertEquals(200, r.statusCode(), r.body());
    JsonNode h = M.readTree(r.body());
    assertEquals("RUNNING", h.at("/components/ingest/health/streams").asText(), r.body());
    r = get("/ready");
    assertEquals(503, r.statusCode(), "ingest is still rebalancing: " + r.body());
    assertEquals("REBALANCING", M.readTree(r.body()).at("/components/ingest/ready/streams").asText());
    alive.put("serving", false);
    r = get("/health");
    assertEquals(503, r.statusCode());
    assertEquals("down", M.readTree(r.body()).at("/components/serving/process").asText());
  }

  @Test
  void aDeadUpstreamIs502JsonAndUnknownPathsAre404Json() throws Exception {
    serving.close();
    HttpResponse<String> r = get("/recommend/u1");
    assertEquals(502, r.statusCode(), r.body());
    assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("application/json"), r.headers().toString());
    M.readTree(r.body()).get("error").asText();
    r = get("/nope%01%22");
    assertEquals(404, r.statusCode());
    assertEquals("no such resource: /nope\u0001\"", M.readTree(r.body()).get("error").asText());
    assertEquals(405, http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + front.port() + "/health"))
        .DELETE().build(), HttpResponse.BodyHandlers.ofString()).statusCode());
  }

  @Test
  void a400MiBBodyIs413BeforeItIsRead() throws Exception {
    try (Socket s = new Socket("127.0.0.1", front.port())) {
      s.setSoTimeout(10_000);
      OutputStream out = s.getOutputStream();
      out.write(("POST /events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: "
          + (400L << 20) + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
      out.write("[{".getBytes(StandardCharsets.US_ASCII));
      out.flush();
      InputStream in = s.getInputStream();
      String head = new String(in.readNBytes(12), StandardCharsets.US_ASCII);
      assertEquals("HTTP/1.1 413", head);
    }
    assertEquals(0, eventsBytes.get(), "nothing reached the collector");
  }

  @Test
  void aChunkedBodyOverTheFrontsLimitIs413FromTheFrontNot502() throws Exception {
    long limit = HttpLimits.defaults().maxBodyBytes();
    byte[] chunk = new byte[64 << 10];
    java.util.Arrays.fill(chunk, (byte) ' ');
    byte[] chunkHead = (Integer.toHexString(chunk.length) + "\r\n").getBytes(StandardCharsets.US_ASCII);
    for (int attempt = 0; attempt < 5; attempt++) {
      try (Socket s = new Socket("127.0.0.1", front.port())) {
        s.setSoTimeout(10_000);
        OutputStream out = s.getOutputStream();
        out.write(("POST /events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            + "Transfer-Encoding: chunked\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        long sent = 0;
        try {
          while (sent < 3 * limit) {
            out.write(chunkHead);
            out.write(chunk);
            out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
            sent += chunk.length;
          }
        } catch (java.io.IOException closedUnderTheUpload) {
          // the front stopped reading once it had answered
        }
        String answer = new String(s.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
        assertTrue(answer.startsWith("HTTP/1.1 413"), "attempt " + attempt + ": " + answer);
        assertTrue(answer.contains("\"error\""), answer);
      }
    }
    assertEquals(0, eventsBytes.get(), "the collector never got a whole body");
  }
}
