package io.relstream.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.zip.GZIPOutputStream;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The hardened server over real loopback sockets. */
class HardenedHttpServerTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
  private final List<HardenedHttpServer> servers = new ArrayList<>();
  private final CountDownLatch release = new CountDownLatch(1);
  private final CountDownLatch entered = new CountDownLatch(2);

  @AfterEach
  void stop() {
    release.countDown();
    servers.forEach(HardenedHttpServer::close);
  }

  private Routes routes() {
    return new Routes()
        .get("/health", r -> ApiResponse.json(200, Map.of("status", "up")))
        .add("POST", "/echo", r -> {
          Map<String, Object> m = new LinkedHashMap<>();
          m.put("bytes", r.body().length);
          m.put("text", r.bodyText());
          m.put("q", r.query());
          return ApiResponse.json(200, m);
        })
        .getPrefix("/items/", r -> ApiResponse.json(200, Map.of("path", r.path(), "raw", r.rawPath())))
        .get("/slow", r -> {
          entered.countDown();
          release.await(30, TimeUnit.SECONDS);
          return ApiResponse.json(200, Map.of("slow", true));
        })
        .streaming("/stream/", new Handler.Abstract() {
          @Override
          public boolean handle(Request request, Response response, Callback callback) {
            response.getHeaders().put(HttpHeader.CONTENT_TYPE, "text/plain");
            response.write(true, ByteBuffer.wrap("streamed".getBytes(StandardCharsets.UTF_8)), callback);
            return true;
          }
        });
  }

  private HardenedHttpServer start(HttpLimits limits, String token) throws Exception {
    HardenedHttpServer s = HardenedHttpServer.builder("test").limits(limits).token(token).routes(routes()).build();
    servers.add(s);
    s.start();
    return s;
  }

  private HardenedHttpServer start() throws Exception {
    return start(HttpLimits.defaults().withMaxBodyBytes(64 * 1024), null);
  }

  private HttpResponse<String> send(HardenedHttpServer s, HttpRequest.Builder b) throws Exception {
    return client.send(b.timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
  }

  private static HttpRequest.Builder req(HardenedHttpServer s, String path) {
    return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + s.port() + path));
  }

  /** Asserts a JSON error body and returns its message. */
  private static String error(String body) throws Exception {
    JsonNode n = JSON.readTree(body);
    assertNotNull(n.get("error"), body);
    return n.get("error").asText();
  }

  private static String error(Raw.Reply r) throws Exception {
    assertTrue(r.header("Content-Type").startsWith("application/json"), r.head());
    return error(r.body());
  }

  @Test
  void slowHeadersAndStalledBodiesAre408WhileNormalRequestsPass() throws Exception {
    HardenedHttpServer s = start();
    int slow = 60;
    ExecutorService pool = Executors.newFixedThreadPool(slow + 2);
    try {
      long t0 = System.nanoTime();
      List<Future<long[]>> headerClients = new ArrayList<>();
      for (int i = 0; i < slow; i++) {
        headerClients.add(pool.submit(() -> {
          // one header byte a second: never completes within the 10 s header timeout
          byte[] request = "GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n\r\n"
              .getBytes(StandardCharsets.US_ASCII);
          try (Raw raw = new Raw(s.port())) {
            Thread dripper = new Thread(() -> {
              try {
                for (byte b : request) {
                  raw.send(new byte[] {b});
                  Thread.sleep(1000);
                }
              } catch (Exception e) {
                // the server closed the connection: expected
              }
            });
            dripper.setDaemon(true);
            dripper.start();
            Raw.Reply r = raw.read();
            long at = System.nanoTime() - t0;
            error(r);
            dripper.interrupt();
            return new long[] {r.status(), TimeUnit.NANOSECONDS.toMillis(at), raw.closedByServer() ? 1 : 0};
          }
        }));
      }
      Future<long[]> stalledBody = pool.submit(() -> {
        try (Raw raw = new Raw(s.port())) {
          raw.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n"
              + "{\"a\":");
          Raw.Reply r = raw.read();
          long at = System.nanoTime() - t0;
          assertTrue(error(r).contains("too slow"), r.body());
          return new long[] {r.status(), TimeUnit.NANOSECONDS.toMillis(at), raw.closedByServer() ? 1 : 0};
        }
      });
      // while 61 slow connections are open, a normal request still gets its answer at once
      Thread.sleep(2000);
      for (int i = 0; i < 5; i++) {
        long a = System.nanoTime();
        HttpResponse<String> ok = send(s, req(s, "/health"));
        assertEquals(200, ok.statusCode());
        assertTrue(System.nanoTime() - a < TimeUnit.SECONDS.toNanos(2), "normal request took too long");
      }
      long[] body = stalledBody.get(30, TimeUnit.SECONDS);
      assertEquals(408, body[0]);
      assertTrue(body[1] >= 4500 && body[1] < 9000, "stalled body answered after " + body[1] + " ms");
      assertEquals(1, body[2], "connection closed after the 408");
      for (Future<long[]> f : headerClients) {
        long[] r = f.get(30, TimeUnit.SECONDS);
        assertEquals(408, r[0]);
        assertTrue(r[1] >= 9500 && r[1] < 14_000, "slow header answered after " + r[1] + " ms");
        assertEquals(1, r[2], "connection closed after the 408");
      }
      assertEquals(slow, s.metrics().rejections(HttpServerMetrics.Rejection.HEADER_TIMEOUT));
      assertEquals(1, s.metrics().rejections(HttpServerMetrics.Rejection.BODY_TOO_SLOW));
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void keptAliveConnectionServesManyRequestsAndAStartedSlowRequestStillTimesOut() throws Exception {
    HardenedHttpServer s = start(HttpLimits.defaults().withHeaderTimeout(Duration.ofSeconds(2)), null);
    try (Raw raw = new Raw(s.port())) {
      for (int i = 0; i < 20; i++) {
        Raw.Reply r = raw.send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n").read();
        assertEquals(200, r.status());
        assertEquals("{\"status\":\"up\"}", r.body());
      }
      // idle between requests for longer than the header timeout is fine (idle timeout governs)
      Thread.sleep(3000);
      assertEquals(200, raw.send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n").read().status());
      long a = System.nanoTime();
      raw.send("GET /health HTTP/1.1\r\nHo");
      Raw.Reply r = raw.read();
      assertEquals(408, r.status());
      long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - a);
      assertTrue(ms >= 1500 && ms < 6000, ms + " ms");
    }
  }

  @Test
  void oversizedHeaderIs431Json() throws Exception {
    HardenedHttpServer s = start();
    try (Raw raw = new Raw(s.port())) {
      Raw.Reply r = raw.send("GET /health HTTP/1.1\r\nHost: x\r\nX-Big: " + "a".repeat(10_000) + "\r\n\r\n").read();
      assertEquals(431, r.status(), r.head());
      error(r);
    }
    assertEquals(1, s.metrics().rejections(HttpServerMetrics.Rejection.HEADERS_TOO_LARGE));
    // just under the limit passes
    try (Raw raw = new Raw(s.port())) {
      assertEquals(200, raw.send("GET /health HTTP/1.1\r\nHost: x\r\nX-Big: " + "a".repeat(7000) + "\r\n\r\n")
          .read().status());
    }
  }

  @Test
  void hugeContentLengthIs413WithoutReadingTheBody() throws Exception {
    HardenedHttpServer s = start();
    try (Raw raw = new Raw(s.port())) {
      long a = System.nanoTime();
      Raw.Reply r = raw.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: "
          + (400L << 20) + "\r\n\r\n").read();
      assertEquals(413, r.status());
      assertTrue(error(r).contains("limit"));
      assertTrue(System.nanoTime() - a < TimeUnit.SECONDS.toNanos(3));
      assertTrue(raw.closedByServer());
    }
  }

  @Test
  void chunkedBodyOverTheLimitIs413() throws Exception {
    HardenedHttpServer s = start();
    try (Raw raw = new Raw(s.port())) {
      raw.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n");
      String chunk = Integer.toHexString(16 * 1024) + "\r\n" + "a".repeat(16 * 1024) + "\r\n";
      for (int i = 0; i < 5; i++) {
        raw.send(chunk);
      }
      Raw.Reply r = raw.read();
      assertEquals(413, r.status());
      error(r);
    }
    // a chunked body within the limit arrives whole
    try (Raw raw = new Raw(s.port())) {
      raw.send("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n{\"a\":\r\n2\r\n1}\r\n0\r\n\r\n");
      Raw.Reply r = raw.read();
      assertEquals(200, r.status(), r.body());
      assertEquals("{\"a\":1}", JSON.readTree(r.body()).get("text").asText());
    }
  }

  private static byte[] gzip(byte[] b) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (GZIPOutputStream g = new GZIPOutputStream(out)) {
      g.write(b);
    }
    return out.toByteArray();
  }

  @Test
  void gzipBodyIsDecodedAndAGzipBombIs413() throws Exception {
    HardenedHttpServer s = start();
    String ndjson = "{\"a\":1}\n{\"b\":2}\n";
    HttpResponse<String> r = send(s, req(s, "/echo").header("Content-Type", "application/x-ndjson")
        .header("Content-Encoding", "gzip").POST(HttpRequest.BodyPublishers.ofByteArray(gzip(
            ndjson.getBytes(StandardCharsets.UTF_8)))));
    assertEquals(200, r.statusCode(), r.body());
    assertEquals(ndjson, JSON.readTree(r.body()).get("text").asText());
    // 10 MiB of zeros, ~10 KiB compressed: under the 64 KiB wire limit, over it decoded
    byte[] bomb = gzip(new byte[10 << 20]);
    assertTrue(bomb.length < 64 * 1024);
    r = send(s, req(s, "/echo").header("Content-Type", "application/json").header("Content-Encoding", "gzip")
        .POST(HttpRequest.BodyPublishers.ofByteArray(bomb)));
    assertEquals(413, r.statusCode());
    assertTrue(error(r.body()).contains("decoded"));
    r = send(s, req(s, "/echo").header("Content-Type", "application/json").header("Content-Encoding", "gzip")
        .POST(HttpRequest.BodyPublishers.ofString("not gzip")));
    assertEquals(400, r.statusCode());
  }

  @Test
  void unsupportedMediaTypesAre415AndCurlFormBodiesPass() throws Exception {
    HardenedHttpServer s = start();
    HttpResponse<String> r = send(s, req(s, "/echo").header("Content-Type", "text/plain")
        .POST(HttpRequest.BodyPublishers.ofString("{}")));
    assertEquals(415, r.statusCode());
    error(r.body());
    r = send(s, req(s, "/echo").header("Content-Type", "application/json").header("Content-Encoding", "br")
        .POST(HttpRequest.BodyPublishers.ofString("{}")));
    assertEquals(415, r.statusCode());
    assertTrue(error(r.body()).contains("Content-Encoding"));
    // what curl --data-binary sends
    r = send(s, req(s, "/echo?x=1&x=2").header("Content-Type", "application/x-www-form-urlencoded")
        .POST(HttpRequest.BodyPublishers.ofString("{\"a\":1}")));
    assertEquals(200, r.statusCode());
    JsonNode body = JSON.readTree(r.body());
    assertEquals("{\"a\":1}", body.get("text").asText());
    assertEquals("[\"1\",\"2\"]", body.get("q").get("x").toString());
    r = send(s, req(s, "/echo").header("Content-Type", "application/json; charset=utf-8")
        .POST(HttpRequest.BodyPublishers.ofString("{}")));
    assertEquals(200, r.statusCode());
    assertEquals(2, s.metrics().rejections(HttpServerMetrics.Rejection.UNSUPPORTED_MEDIA_TYPE));
  }

  @Test
  void malformedUrisAre400JsonAndControlCharactersIn404AreEscaped() throws Exception {
    HardenedHttpServer s = start();
    for (String path : List.of("/items/%zz", "/items/%C3", "/items/%", "/%C3%28")) {
      try (Raw raw = new Raw(s.port())) {
        Raw.Reply r = raw.send("GET " + path + " HTTP/1.1\r\nHost: x\r\n\r\n").read();
        assertEquals(400, r.status(), path);
        error(r);
      }
    }
    // raw bytes that are not UTF-8 in the request line: Jetty's own 400, still JSON
    try (Raw raw = new Raw(s.port())) {
      Raw.Reply r = raw.send(new byte[] {'G', 'E', 'T', ' ', '/', (byte) 0xC3, ' ', 'H', 'T', 'T', 'P', '/', '1', '.',
          '1', '\r', '\n', 'H', 'o', 's', 't', ':', ' ', 'x', '\r', '\n', '\r', '\n'}).read();
      assertTrue(r.status() == 400 || r.status() == 404, r.head());
      error(r);
    }
    try (Raw raw = new Raw(s.port())) {
      Raw.Reply r = raw.send("GET /nope%01%1F%22%5C%7F HTTP/1.1\r\nHost: x\r\n\r\n").read();
      assertEquals(404, r.status());
      assertEquals("no such resource: /nope\u0001\u001f\"\\\u007f", error(r));
    }
    // a bad request line is Jetty's 400: JSON too
    try (Raw raw = new Raw(s.port())) {
      Raw.Reply r = raw.send("GET / HTTP/9.9\r\nHost: x\r\n\r\n").read();
      assertTrue(r.status() >= 400 && r.status() < 506, r.head());
      error(r);
    }
    // an encoded slash stays in the raw path for the handler
    JsonNode n = JSON.readTree(send(s, req(s, "/items/a%2Fb%20c")).body());
    assertEquals("/items/a/b c", n.get("path").asText());
    assertEquals("/items/a%2Fb%20c", n.get("raw").asText());
  }

  @Test
  void methods() throws Exception {
    HardenedHttpServer s = start();
    HttpResponse<String> r = send(s, req(s, "/health").DELETE());
    assertEquals(405, r.statusCode());
    assertEquals("GET, HEAD", r.headers().firstValue("Allow").orElse(""));
    error(r.body());
    r = send(s, req(s, "/health").POST(HttpRequest.BodyPublishers.noBody()));
    assertEquals(405, r.statusCode());
    assertEquals(404, send(s, req(s, "/nope")).statusCode());
    r = send(s, req(s, "/health").method("HEAD", HttpRequest.BodyPublishers.noBody()));
    assertEquals(200, r.statusCode());
    assertEquals("", r.body());
    for (String line : List.of("TRACE /health HTTP/1.1", "FOO /health HTTP/1.1", "CONNECT example.com:443 HTTP/1.1")) {
      try (Raw raw = new Raw(s.port())) {
        Raw.Reply rr = raw.send(line + "\r\nHost: x\r\n\r\n").read();
        assertTrue(rr.status() == 405 || rr.status() == 501 || rr.status() == 400, line + ": " + rr.head());
        assertNotNull(rr.header("Content-Type"), line + ": " + rr.head() + rr.body());
        error(rr);
      }
    }
  }

  @Test
  void tokenIsRequiredOnEveryRouteWhenSet() throws Exception {
    HardenedHttpServer s = start(HttpLimits.defaults(), "s3cret");
    HttpResponse<String> r = send(s, req(s, "/health"));
    assertEquals(401, r.statusCode());
    assertEquals("Bearer", r.headers().firstValue("WWW-Authenticate").orElse(""));
    error(r.body());
    assertEquals(401, send(s, req(s, "/health").header("Authorization", "Bearer wrong")).statusCode());
    assertEquals(401, send(s, req(s, "/stream/x")).statusCode());
    assertEquals(401, send(s, req(s, "/nope")).statusCode());
    assertEquals(200, send(s, req(s, "/health").header("Authorization", "Bearer s3cret")).statusCode());
    assertEquals("streamed", send(s, req(s, "/stream/x").header("Authorization", "Bearer s3cret")).body());
  }

  @Test
  void bindingBeyondLoopbackWithoutATokenIsRefused() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> HardenedHttpServer.builder("test").bind("0.0.0.0").build());
    assertTrue(e.getMessage().contains("token"), e.getMessage());
    HardenedHttpServer.builder("test").bind("0.0.0.0").token("t").build().close();
    HardenedHttpServer.builder("test").bind("::1").build().close();
  }

  @Test
  void concurrencyBoundGives503WithRetryAfter() throws Exception {
    HardenedHttpServer s = start(HttpLimits.defaults().withMaxConcurrent(2), null);
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try {
      List<Future<HttpResponse<String>>> slow = new ArrayList<>();
      for (int i = 0; i < 2; i++) {
        slow.add(pool.submit(() -> send(s, req(s, "/slow"))));
      }
      assertTrue(entered.await(10, TimeUnit.SECONDS));
      HttpResponse<String> r = send(s, req(s, "/health"));
      assertEquals(503, r.statusCode());
      assertEquals("1", r.headers().firstValue("Retry-After").orElse(""));
      error(r.body());
      release.countDown();
      for (Future<HttpResponse<String>> f : slow) {
        assertEquals(200, f.get(10, TimeUnit.SECONDS).statusCode());
      }
      assertEquals(200, send(s, req(s, "/health")).statusCode());
      assertEquals(1, s.metrics().rejections(HttpServerMetrics.Rejection.BUSY));
      assertTrue(s.metrics().responses("5xx") >= 1);
      assertTrue(s.metrics().prometheus("x").contains("x_http_rejected_total{reason=\"busy\",status=\"503\"} 1\n"));
    } finally {
      pool.shutdownNow();
    }
  }
}
