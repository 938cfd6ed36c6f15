package io.relstream.serving;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.relstream.schemas.Codecs;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP API, on the JDK's {@link HttpServer}. Every response body is JSON except {@code /metrics}
 * (Prometheus text); every 4xx and 5xx has {@code {"error": "..."}} (or, for {@code /ready}, a
 * readiness object).
 * <ul>
 *   <li>{@code GET /recommend/{user}?k=10}: the user's top k, excluding items they clicked;
 *       {@code "fallback": true} when the user has no vector (debiased popularity)</li>
 *   <li>{@code GET /similar/{item}?k=10}: items by cosine similarity; 404 for an unknown item</li>
 *   <li>{@code GET /health}: 200 while the process is up</li>
 *   <li>{@code GET /ready}: 503 until at least one item row is loaded, then 200</li>
 *   <li>{@code GET /metrics}: Prometheus text</li>
 * </ul>
 * Path ids are percent-decoded as UTF-8 (malformed escapes or UTF-8: 400) and may not be empty or
 * longer than {@link Codecs#MAX_ID_BYTES} bytes (400). {@code k} is an integer in 1..1000 given at
 * most once (default 10), else 400. Unknown paths: 404; a method other than GET (or HEAD): 405.
 */
final class HttpApi implements AutoCloseable {
  static final int DEFAULT_K = 10;
  static final int MAX_K = 1000;
  private static final Logger LOG = LoggerFactory.getLogger(HttpApi.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  private final ModelStore store;
  private final Metrics metrics;
  private final HttpServer server;
  private final ExecutorService executor;

  /** Binds {@code address} (port 0: any free port); {@link #start()} starts serving. */
  HttpApi(ModelStore store, Metrics metrics, InetSocketAddress address, int threads) throws IOException {
    this.store = store;
    this.metrics = metrics;
    this.server = HttpServer.create(address, 64);
    this.executor = Executors.newFixedThreadPool(threads, r -> {
      Thread t = new Thread(r, "http-api");
      t.setDaemon(true);
      return t;
    });
    server.setExecutor(executor);
    server.createContext("/", this::handle);
  }

  void start() {
    server.start();
  }

  /** The bound port. */
  int port() {
    return server.getAddress().getPort();
  }

  /**
   * Stops accepting and closes the connections (a request in flight may be cut off), then waits up
   * to 5 s for the handler threads.
   */
  @Override
  public void close() {
    server.stop(0);
    executor.shutdown();
    try {
      executor.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** A response: status, content type, body. */
  private record Reply(int status, String contentType, byte[] body) {}

  /** A 4xx the caller caused. */
  static final class BadRequest extends Exception {
    private static final long serialVersionUID = 1L;
    final int status;

    BadRequest(int status, String message) {
      super(message, null, false, false);
      this.status = status;
    }
  }

  private void handle(HttpExchange ex) throws IOException {
    long start = System.nanoTime();
    String endpoint = "other";
    Reply reply;
    try (InputStream in = ex.getRequestBody()) {
      in.transferTo(OutputStream.nullOutputStream());
    }
    try {
      String raw = ex.getRequestURI().getRawPath();
      String[] seg = raw.length() > 1 ? raw.substring(1).split("/", -1) : new String[] {""};
      endpoint = switch (seg[0]) {
        case "recommend", "similar" -> seg.length == 2 ? seg[0] : "other";
        case "health", "ready", "metrics" -> seg.length == 1 ? seg[0] : "other";
        default -> "other";
      };
      if (endpoint.equals("other")) {
        throw new BadRequest(404, "no such resource: " + raw);
      }
      String method = ex.getRequestMethod();
      if (!method.equals("GET") && !method.equals("HEAD")) {
        ex.getResponseHeaders().set("Allow", "GET, HEAD");
        throw new BadRequest(405, "method " + method + " not allowed; use GET");
      }
      reply = switch (endpoint) {
        case "recommend" -> recommend(decodeId("user", seg[1]), parseK(ex.getRequestURI().getRawQuery()));
        case "similar" -> similar(decodeId("item", seg[1]), parseK(ex.getRequestURI().getRawQuery()));
        case "health" -> json(200, Map.of("status", "up"));
        case "ready" -> ready();
        case "metrics" -> new Reply(200, "text/plain; version=0.0.4; charset=utf-8",
            metrics.render().getBytes(StandardCharsets.UTF_8));
        default -> throw new IllegalStateException(endpoint);
      };
    } catch (BadRequest e) {
      reply = error(e.status, e.getMessage());
    } catch (Exception e) {
      LOG.error("request {} {} failed", ex.getRequestMethod(), ex.getRequestURI(), e);
      reply = error(500, "internal error: " + e.getClass().getSimpleName());
    }
    try {
      ex.getResponseHeaders().set("Content-Type", reply.contentType());
      boolean head = ex.getRequestMethod().equals("HEAD");
      ex.sendResponseHeaders(reply.status(), head ? -1 : reply.body().length);
      if (!head) {
        try (OutputStream os = ex.getResponseBody()) {
          os.write(reply.body());
        }
      }
    } finally {
      ex.close();
      metrics.request(endpoint, reply.status(), System.nanoTime() - start);
    }
  }

  private Reply recommend(String user, int k) throws Exception {
    ModelStore.Recommendation r = store.recommend(user, k);
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("user", r.user());
    body.put("modelVersion", r.modelVersion());
    body.put("items", r.items());
    body.put("fallback", r.fallback());
    return json(200, body);
  }

  private Reply similar(String item, int k) throws Exception {
    Optional<ModelStore.Similar> s = store.similar(item, k);
    if (s.isEmpty()) {
      throw new BadRequest(404, "unknown item: " + item);
    }
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("item", s.get().item());
    body.put("modelVersion", s.get().modelVersion());
    body.put("items", s.get().items());
    return json(200, body);
  }

  private Reply ready() throws IOException {
    int items = store.itemCount();
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("ready", items > 0);
    body.put("items", items);
    body.put("modelVersion", store.modelVersion());
    if (items == 0) {
      body.put("error", "no model loaded yet");
    }
    return json(items > 0 ? 200 : 503, body);
  }

  private static Reply json(int status, Object body) throws IOException {
    return new Reply(status, "application/json", JSON.writeValueAsBytes(body));
  }

  private static Reply error(int status, String message) {
    try {
      return json(status, Map.of("error", message));
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * {@code k} from a raw query string: absent means {@value #DEFAULT_K}; present it must appear once
   * and be a decimal integer in 1..{@value #MAX_K}. Other parameters are ignored.
   */
  static int parseK(String rawQuery) throws BadRequest {
    if (rawQuery == null || rawQuery.isEmpty()) {
      return DEFAULT_K;
    }
    String value = null;
    for (String pair : rawQuery.split("&")) {
      int eq = pair.indexOf('=');
      String name = percentDecode(eq < 0 ? pair : pair.substring(0, eq), true);
      if (!name.equals("k")) {
        continue;
      }
      if (value != null) {
        throw new BadRequest(400, "k given more than once");
      }
      value = eq < 0 ? "" : percentDecode(pair.substring(eq + 1), true);
    }
    if (value == null) {
      return DEFAULT_K;
    }
    if (value.isEmpty() || value.length() > 4 || !value.chars().allMatch(c -> c >= '0' && c <= '9')) {
      throw new BadRequest(400, "k must be an integer in 1.." + MAX_K + ", got '" + truncate(value) + "'");
    }
    int k = Integer.parseInt(value);
    if (k < 1 || k > MAX_K) {
      throw new BadRequest(400, "k must be an integer in 1.." + MAX_K + ", got " + k);
    }
    return k;
  }

  /** Decodes a path segment into an id and checks it. */
  static String decodeId(String what, String rawSegment) throws BadRequest {
    String id = percentDecode(rawSegment, false);
    if (id.isEmpty()) {
      throw new BadRequest(400, what + " id is empty");
    }
    if (id.getBytes(StandardCharsets.UTF_8).length > Codecs.MAX_ID_BYTES) {
      throw new BadRequest(400, what + " id is longer than " + Codecs.MAX_ID_BYTES + " bytes");
    }
    return id;
  }

  /**
   * Strict percent-decoding as UTF-8: {@code %XY} escapes, {@code +} as a space only in queries;
   * malformed escapes or bytes that are not UTF-8 are a 400.
   */
  static String percentDecode(String s, boolean plusIsSpace) throws BadRequest {
    if (s.indexOf('%') < 0 && !(plusIsSpace && s.indexOf('+') >= 0)) {
      return s;
    }
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(s.length());
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '%') {
        if (i + 2 >= s.length()) {
          throw new BadRequest(400, "malformed percent escape");
        }
        int hi = Character.digit(s.charAt(i + 1), 16);
        int lo = Character.digit(s.charAt(i + 2), 16);
        if (hi < 0 || lo < 0) {
          throw new BadRequest(400, "malformed percent escape");
        }
        bytes.write(hi * 16 + lo);
        i += 2;
      } else if (c == '+' && plusIsSpace) {
        bytes.write(' ');
      } else {
        byte[] b = String.valueOf(c).getBytes(StandardCharsets.UTF_8);
        if (Character.isSurrogate(c) && i + 1 < s.length()) {
          b = s.substring(i, i + 2).getBytes(StandardCharsets.UTF_8);
          i++;
        }
        bytes.write(b, 0, b.length);
      }
    }
    try {
      return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes.toByteArray())).toString();
    } catch (CharacterCodingException e) {
      throw new BadRequest(400, "percent escapes are not UTF-8");
    }
  }

  private static String truncate(String s) {
    return s.length() > 20 ? s.substring(0, 20) + "..." : s;
  }
}
