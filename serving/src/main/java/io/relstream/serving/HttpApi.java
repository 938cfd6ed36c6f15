package io.relstream.serving;

import io.relstream.http.ApiException;
import io.relstream.http.ApiRequest;
import io.relstream.http.ApiResponse;
import io.relstream.http.HardenedHttpServer;
import io.relstream.http.HttpLimits;
import io.relstream.http.Routes;
import io.relstream.http.Uris;
import io.relstream.schemas.Codecs;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The HTTP API, on the shared hardened server ({@link HardenedHttpServer}: header and body
 * deadlines, size limits, concurrency bound, optional bearer token). Every response body is JSON
 * except {@code /metrics} (Prometheus text); every 4xx and 5xx has {@code {"error": "..."}} (or, for
 * {@code /ready}, a readiness object).
 * <ul>
 *   <li>{@code GET /recommend/{user}?k=10}: the user's top k, excluding items they clicked;
 *       {@code "fallback": true} when the user has no vector (debiased popularity)</li>
 *   <li>{@code GET /similar/{item}?k=10}: items by cosine similarity; 404 for an unknown item</li>
 *   <li>{@code GET /health}: 200 while the process is up</li>
 *   <li>{@code GET /ready}: 503 until at least one item row is loaded, then 200</li>
 *   <li>{@code GET /metrics}: Prometheus text (the server's response and rejection counters included)</li>
 * </ul>
 * Path ids are percent-decoded as UTF-8 (malformed escapes or UTF-8: 400) and may not be empty or
 * longer than {@link Codecs#MAX_ID_BYTES} bytes (400). {@code k} is an integer in 1..1000 given at
 * most once (default 10), else 400. Unknown paths: 404; a method other than GET (or HEAD) on a
 * known path: 405 with {@code Allow}.
 */
final class HttpApi implements AutoCloseable {
  static final int DEFAULT_K = 10;
  static final int MAX_K = 1000;
  private static final String RECOMMEND = "/recommend/";
  private static final String SIMILAR = "/similar/";

  private final ModelStore store;
  private final Metrics metrics;
  private final HardenedHttpServer server;

  /** Binds {@code address} on loopback-or-token terms (port 0: any free port); {@link #start()} starts serving. */
  HttpApi(ModelStore store, Metrics metrics, InetSocketAddress address, int maxConcurrent) {
    this(store, metrics, address, maxConcurrent, null);
  }

  /**
   * @param token when not null, every route requires {@code Authorization: Bearer <token>}
   * @throws IllegalArgumentException for an address beyond loopback without a token
   */
  HttpApi(ModelStore store, Metrics metrics, InetSocketAddress address, int maxConcurrent, String token) {
    this.store = store;
    this.metrics = metrics;
    Routes routes = new Routes()
        .getPrefix(RECOMMEND, r -> recommend(id("user", r, RECOMMEND), parseK(r)))
        .getPrefix(SIMILAR, r -> similar(id("item", r, SIMILAR), parseK(r)))
        .get("/health", r -> ApiResponse.json(200, Map.of("status", "up")))
        .get("/ready", r -> ready())
        .get("/metrics", r -> ApiResponse.text(200, "text/plain; version=0.0.4; charset=utf-8",
            metrics.render() + serverMetrics()));
    this.server = HardenedHttpServer.builder("serving")
        .bind(address.getAddress().getHostAddress())
        .port(address.getPort())
        .token(token)
        .limits(HttpLimits.defaults().withMaxConcurrent(maxConcurrent).withMaxBodyBytes(64 * 1024))
        .routes(routes)
        .listener((method, rawPath, status, nanos) -> metrics.request(endpoint(rawPath), status, nanos))
        .build();
  }

  private String serverMetrics() {
    return server.metrics().prometheus("relstream_serving");
  }

  void start() throws IOException {
    server.start();
  }

  /** The bound port. */
  int port() {
    return server.port();
  }

  /** Stops accepting, gives requests in flight up to 2 s, closes the connections. */
  @Override
  public void close() {
    server.close();
  }

  /** The endpoint label of a raw path, as in the metrics ("other" for anything unknown). */
  static String endpoint(String raw) {
    String[] seg = raw.length() > 1 ? raw.substring(1).split("/", -1) : new String[] {""};
    return switch (seg[0]) {
      case "recommend", "similar" -> seg.length == 2 ? seg[0] : "other";
      case "health", "ready", "metrics" -> seg.length == 1 ? seg[0] : "other";
      default -> "other";
    };
  }

  /** The id segment after {@code prefix}: one raw segment (an encoded {@code /} is part of the id). */
  private static String id(String what, ApiRequest r, String prefix) throws ApiException {
    String rest = r.rawPath().substring(prefix.length());
    if (rest.indexOf('/') >= 0) {
      throw new ApiException(404, "no such resource: " + r.rawPath());
    }
    return decodeId(what, rest);
  }

  private ApiResponse recommend(String user, int k) throws Exception {
    ModelStore.Recommendation r = store.recommend(user, k);
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("user", r.user());
    body.put("modelVersion", r.modelVersion());
    body.put("items", r.items());
    body.put("fallback", r.fallback());
    return ApiResponse.json(200, body);
  }

  private ApiResponse similar(String item, int k) throws Exception {
    Optional<ModelStore.Similar> s = store.similar(item, k);
    if (s.isEmpty()) {
      throw new ApiException(404, "unknown item: " + item);
    }
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("item", s.get().item());
    body.put("modelVersion", s.get().modelVersion());
    body.put("items", s.get().items());
    return ApiResponse.json(200, body);
  }

  private ApiResponse ready() throws IOException {
    int items = store.itemCount();
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("ready", items > 0);
    body.put("items", items);
    body.put("modelVersion", store.modelVersion());
    if (items == 0) {
      body.put("error", "no model loaded yet");
    }
    return ApiResponse.json(items > 0 ? 200 : 503, body);
  }

  /**
   * {@code k} from the decoded query: absent means {@value #DEFAULT_K}; present it must appear once
   * and be a decimal integer in 1..{@value #MAX_K}. Other parameters are ignored.
   */
  static int parseK(ApiRequest r) throws ApiException {
    List<String> values = r.query().get("k");
    if (values == null || values.isEmpty()) {
      return DEFAULT_K;
    }
    if (values.size() > 1) {
      throw new ApiException(400, "k given more than once");
    }
    String value = values.get(0);
    if (value.isEmpty() || value.length() > 4 || !value.chars().allMatch(c -> c >= '0' && c <= '9')) {
      throw new ApiException(400, "k must be an integer in 1.." + MAX_K + ", got '" + truncate(value) + "'");
    }
    int k = Integer.parseInt(value);
    if (k < 1 || k > MAX_K) {
      throw new ApiException(400, "k must be an integer in 1.." + MAX_K + ", got " + k);
    }
    return k;
  }

  /** Decodes a raw path segment into an id and checks it. */
  static String decodeId(String what, String rawSegment) throws ApiException {
    String id = Uris.percentDecode(rawSegment, false);
    if (id.isEmpty()) {
      throw new ApiException(400, what + " id is empty");
    }
    if (id.getBytes(StandardCharsets.UTF_8).length > Codecs.MAX_ID_BYTES) {
      throw new ApiException(400, what + " id is longer than " + Codecs.MAX_ID_BYTES + " bytes");
    }
    return id;
  }

  private static String truncate(String s) {
    return s.length() > 20 ? s.substring(0, 20) + "..." : s;
  }
}
