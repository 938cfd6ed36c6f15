package io.relstream.serving;

import io.relstream.http.ApiException;
import io.relstream.http.ApiRequest;
import io.relstream.http.ApiResponse;
import io.relstream.http.DiskFloor;
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
import java.util.function.Supplier;

/**
 * The HTTP API, on the shared hardened server ({@link HardenedHttpServer}: header and body
 * deadlines, size limits, concurrency bound, optional bearer token). Every response body is JSON
 * except {@code /metrics} (Prometheus text); every 4xx and 5xx has {@code {"error": "..."}} (or, for
 * {@code /health} and {@code /ready}, their status objects).
 * <ul>
 *   <li>{@code GET /recommend/{user}?k=10&exclude=..&include=..}: the user's top k, excluding items they
 *       clicked and the {@code exclude} list, among the {@code include} list when given (filters applied
 *       during the scan, the fallback's too); {@code "fallback": true} when the user has no vector (debiased
 *       popularity); parameters and limits in {@link RecommendQuery}</li>
 *   <li>{@code POST /recommend} {@code {"users": [...], "k", "exclude"?, "include"?}}: {@code {"results":
 *       [...]}}, one GET answer per user in request order, scored together in blocked scans</li>
 *   <li>{@code GET /similar/{item}?k=10}: items by cosine similarity; 404 for an unknown item</li>
 *   <li>{@code GET /health}: {@code {"status": "up"|"degraded"|"down", "consumer": {...}, "items",
 *       "modelVersion", "disk": {"path", "freeBytes", "floorBytes", "ok"}}}; 200 only when "up":
 *       "down" when the update consumer's thread is gone, "degraded" while it retries after an error,
 *       when its loop has not gone round for {@value #STALL_MS} ms, or when the db dir's free space
 *       is below the floor</li>
 *   <li>{@code GET /ready}: 200 once the consumer caught up with the end offsets it saw at start and
 *       at least one item row is loaded (and the consumer is alive); else 503 with {@code "reason"}</li>
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
  /** Request bodies (POST /recommend with its lists) up to 1 MiB. */
  static final int MAX_BODY_BYTES = 1 << 20;
  private static final String RECOMMEND = "/recommend/";
  private static final String SIMILAR = "/similar/";

  /** A consumer loop that has not gone round for this long is reported as stalled. */
  static final long STALL_MS = 60_000;

  private final ModelStore store;
  private final Metrics metrics;
  private final HardenedHttpServer server;
  private final Supplier<UpdateConsumer.Snapshot> consumer;
  private final DiskFloor disk;
  /** The served log, or null when answers are not logged. */
  private volatile ServedLog served;

  /** Binds {@code address} on loopback-or-token terms (port 0: any free port); {@link #start()} starts serving. */
  HttpApi(ModelStore store, Metrics metrics, InetSocketAddress address, int maxConcurrent,
      Supplier<UpdateConsumer.Snapshot> consumer, DiskFloor disk) {
    this(store, metrics, address, maxConcurrent, null, consumer, disk);
  }

  /**
   * @param token when not null, every route requires {@code Authorization: Bearer <token>}
   * @throws IllegalArgumentException for an address beyond loopback without a token
   */
  HttpApi(ModelStore store, Metrics metrics, InetSocketAddress address, int maxConcurrent, String token,
      Supplier<UpdateConsumer.Snapshot> consumer, DiskFloor disk) {
    this.store = store;
    this.metrics = metrics;
    this.consumer = consumer;
    this.disk = disk;
    metrics.gauge("relstream_serving_consumer_up", "1 while the update consumer's loop runs without a pending "
        + "error (starting or running), else 0.", () -> {
          UpdateConsumer.Snapshot h = consumer.get();
          return h.alive() && (h.state().equals("starting") || h.state().equals("running")) ? 1 : 0;
        });
    metrics.gauge("relstream_serving_consumer_caught_up", "1 once the consumer reached the end offsets it saw "
        + "at start.", () -> consumer.get().caughtUp() ? 1 : 0);
    metrics.gauge("relstream_serving_disk_free_bytes", "Usable bytes on the db dir's file system (-1: unknown).",
        () -> disk.check().freeBytes());
    metrics.gauge("relstream_serving_disk_ok", "1 while the db dir's free space is at or above the floor.",
        () -> disk.check().ok() ? 1 : 0);
    metrics.gauge("relstream_serving_last_update_age_ms", "Milliseconds since a batch was last applied (-1: "
        + "none since start).", () -> {
          long at = consumer.get().lastAppliedAtMs();
          return at < 0 ? -1 : Math.max(0, System.currentTimeMillis() - at);
        });
    Routes routes = new Routes()
        .getPrefix(RECOMMEND, r -> recommend(RecommendQuery.ofGet(id("user", r, RECOMMEND), r)))
        .post("/recommend", r -> recommendBatch(RecommendQuery.ofPost(r)))
        .getPrefix(SIMILAR, r -> similar(id("item", r, SIMILAR), parseK(r)))
        .get("/health", r -> health())
        .get("/ready", r -> ready())
        .get("/metrics", r -> ApiResponse.text(200, "text/plain; version=0.0.4; charset=utf-8",
            metrics.render() + serverMetrics()));
    this.server = HardenedHttpServer.builder("serving")
        .bind(address.getAddress().getHostAddress())
        .port(address.getPort())
        .token(token)
        .limits(HttpLimits.defaults().withMaxConcurrent(maxConcurrent).withMaxBodyBytes(MAX_BODY_BYTES))
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
      case "recommend" -> seg.length == 2 ? "recommend" : seg.length == 1 ? "recommend_batch" : "other";
      case "similar" -> seg.length == 2 ? seg[0] : "other";
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

  /**
   * From now on every recommendation answer carries a {@code requestId} and what it showed goes to
   * {@code log} (the served log).
   */
  void logServed(ServedLog log) {
    served = log;
  }

  private ApiResponse recommend(RecommendQuery q) throws Exception {
    ModelStore.Recommendation r = store.recommend(q.users().get(0), q.k(), q.filter());
    long now = System.currentTimeMillis();
    return ApiResponse.json(200, logged(answer(r, now), r, now));
  }

  private ApiResponse recommendBatch(RecommendQuery q) throws Exception {
    List<ModelStore.Recommendation> all = store.recommendAll(q.users(), q.k(), q.filter());
    long now = System.currentTimeMillis();
    List<Map<String, Object>> results = new java.util.ArrayList<>(all.size());
    for (ModelStore.Recommendation r : all) {
      results.add(logged(answer(r, now), r, now));
    }
    return ApiResponse.json(200, Map.of("results", results));
  }

  /** With the served log on: a new requestId in {@code body}, and the answer queued for the log. */
  private Map<String, Object> logged(Map<String, Object> body, ModelStore.Recommendation r, long now) {
    ServedLog log = served;
    if (log != null) {
      String requestId = java.util.UUID.randomUUID().toString();
      body.put("requestId", requestId);
      log.shown(r.user(), requestId, r.items(), now);
    }
    return body;
  }

  /** The JSON object of one answer (GET /recommend's body, one entry of POST's results). */
  static Map<String, Object> answer(ModelStore.Recommendation r, long now) {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("user", r.user());
    body.put("modelVersion", r.modelVersion());
    body.put("modelAgeMs", age(r.modelUpdatedAtMs(), now));
    body.put("items", r.items());
    body.put("fallback", r.fallback());
    body.put("ignored", r.ignored());
    return body;
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

  private static Long age(long atMs, long now) {
    return atMs < 0 ? null : Math.max(0, now - atMs);
  }

  /** The consumer object of /health. */
  static Map<String, Object> consumerJson(UpdateConsumer.Snapshot c, long now) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("state", c.state());
    m.put("alive", c.alive());
    m.put("lastError", c.lastError());
    m.put("lastErrorAgeMs", age(c.lastErrorAtMs(), now));
    m.put("lag", c.lag() < 0 ? null : c.lag());
    m.put("modelUpdatesLag", c.modelUpdatesLag() < 0 ? null : c.modelUpdatesLag());
    m.put("lastPollAgeMs", age(c.lastLoopAtMs(), now));
    m.put("lastUpdateAgeMs", age(c.lastAppliedAtMs(), now));
    m.put("caughtUp", c.caughtUp());
    m.put("catchUp", c.catchUp());
    return m;
  }

  private ApiResponse health() {
    long now = System.currentTimeMillis();
    UpdateConsumer.Snapshot c = consumer.get();
    DiskFloor.Status d = disk.check();
    List<String> problems = new java.util.ArrayList<>();
    String status = "up";
    if (!c.alive() || c.state().equals("dead") || c.state().equals("stopped")) {
      status = "down";
      problems.add("update consumer is " + (c.alive() ? c.state() : "not running")
          + (c.lastError() == null ? "" : ": " + c.lastError()));
    } else {
      if (c.state().equals("retrying")) {
        problems.add("update consumer is retrying: " + c.lastError());
      }
      if (c.lastLoopAtMs() >= 0 && now - c.lastLoopAtMs() > STALL_MS) {
        problems.add("update consumer loop stalled for " + (now - c.lastLoopAtMs()) + " ms");
      }
      if (!d.ok()) {
        problems.add("free disk " + d.freeBytes() + " bytes is below the floor of " + d.floorBytes());
      }
      if (!problems.isEmpty()) {
        status = "degraded";
      }
    }
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("status", status);
    if (!problems.isEmpty()) {
      body.put("problems", problems);
    }
    body.put("consumer", consumerJson(c, now));
    body.put("items", store.itemCount());
    body.put("modelVersion", store.modelVersion());
    body.put("disk", d.toMap());
    return ApiResponse.json(status.equals("up") ? 200 : 503, body);
  }

  private ApiResponse ready() {
    int items = store.itemCount();
    UpdateConsumer.Snapshot c = consumer.get();
    String reason = null;
    if (!c.alive() || c.state().equals("dead") || c.state().equals("stopped")) {
      reason = "the update consumer is not running" + (c.lastError() == null ? "" : ": " + c.lastError());
    } else if (!c.caughtUp()) {
      reason = "not caught up with model-updates and interactions yet (" + c.catchUp() + ")";
    } else if (items == 0) {
      reason = "caught up, but no item row loaded yet";
    }
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("ready", reason == null);
    if (reason != null) {
      body.put("reason", reason);
    }
    body.put("caughtUp", c.caughtUp());
    body.put("catchUp", c.catchUp());
    body.put("lag", c.lag() < 0 ? null : c.lag());
    body.put("items", items);
    body.put("modelVersion", store.modelVersion());
    return ApiResponse.json(reason == null ? 200 : 503, body);
  }

  /**
   * {@code k} from the decoded query: absent means {@value #DEFAULT_K}; present it must appear once
   * and be a decimal integer in 1..{@value #MAX_K}.
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
