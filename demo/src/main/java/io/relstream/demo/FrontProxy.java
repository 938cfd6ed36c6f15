package io.relstream.demo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.relstream.http.ApiException;
import io.relstream.http.ApiRequest;
import io.relstream.http.ApiResponse;
import io.relstream.http.HardenedHttpServer;
import io.relstream.http.Routes;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.http.HttpURI;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.proxy.ProxyHandler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * The demo's single public port, on the hardened server of {@code relstream-http} (limits, timeouts, JSON
 * errors, loopback unless a token is given). {@code /events} is reverse-proxied to the ingest collector and
 * {@code /recommend/...}, {@code /similar/...} to serving by Jetty's {@link ProxyHandler}: bodies stream
 * through both ways over pooled, kept-alive upstream connections, never buffered whole. {@code /health}
 * and {@code /ready} combine every child's own answer; {@code /metrics} concatenates the children's
 * Prometheus text.
 *
 * <p>{@code DELETE /users/{id}} (a user's erasure) goes to the collector too, but as a plain route of the
 * front rather than a stream (it has no body): so another method on {@code /users/...} gets the front's own
 * 405 with {@code Allow: DELETE}, and {@code /users} itself its 404. The raw path and query travel as sent
 * (an encoded {@code /} stays part of the id), the token with them; the collector's status, JSON body and
 * {@code Retry-After} come back as they are (202, 400, 503 under backpressure), 502 when it does not answer.
 *
 * <p>While the supervisor restarts a child ({@link #upstreamRestarting}), that child's routes answer 503 with
 * {@code Retry-After} and a JSON error, and {@code /health} shows it as "restarting". An upstream that does
 * not answer gives 502 (JSON), never a hang: the proxy's upstream timeouts bound every request.
 */
final class FrontProxy implements AutoCloseable {
  static final int RETRY_AFTER_SECONDS = 5;
  private static final ObjectMapper JSON = new ObjectMapper();

  private final HardenedHttpServer server;
  private final HttpClient probes = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
  /** Forwards erasures to the collector (which waits up to 35 s for Kafka before it answers). */
  private final HttpClient forward = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(5)).build();
  static final Duration ERASURE_TIMEOUT = Duration.ofSeconds(40);
  private final int ingestPort;
  private final int servingPort;
  private final int trainHealthPort;
  private final String token;
  /** Where the children are reached: loopback, or the bind address when that is a specific one. */
  private final String upstreamHost;
  private final Supplier<Map<String, Boolean>> children;
  /** Children the supervisor is restarting (names as in {@link #children}). */
  private final Set<String> restarting = ConcurrentHashMap.newKeySet();

  /** On loopback, without a token, with no stream-train health port. */
  FrontProxy(int port, int ingestPort, int servingPort, Supplier<Map<String, Boolean>> children) throws IOException {
    this(Listen.LOOPBACK, port, ingestPort, servingPort, 0, children);
  }

  /**
   * @param listen the address to listen on and the bearer token every route requires (also sent to the
   *     children, which listen on the same address)
   * @param trainHealthPort stream-train's health port, 0 when it has none
   */
  FrontProxy(Listen listen, int port, int ingestPort, int servingPort, int trainHealthPort,
      Supplier<Map<String, Boolean>> children) throws IOException {
    String bind = listen.bind();
    String token = listen.token();
    this.upstreamHost = listen.connectHost();
    this.ingestPort = ingestPort;
    this.servingPort = servingPort;
    this.trainHealthPort = trainHealthPort;
    this.token = token;
    this.children = children;
    Routes routes = new Routes()
        .streaming("/events/", new Upstream("ingest", ingestPort))
        .streaming("/recommend/", new Upstream("serving", servingPort))
        .streaming("/similar/", new Upstream("serving", servingPort))
        .addPrefix("DELETE", "/users/", this::eraseUser)
        .get("/health", r -> health(false))
        .get("/ready", r -> health(true))
        .get("/metrics", r -> ApiResponse.text(200, "text/plain; version=0.0.4; charset=utf-8", metrics()));
    server = HardenedHttpServer.builder("front").bind(bind).port(port).token(token).routes(routes).build();
    server.start();
  }

  /** The supervisor's hook: {@code child}'s upstream is (or no longer is) being restarted. */
  void upstreamRestarting(String child, boolean isRestarting) {
    if (isRestarting) {
      restarting.add(child);
    } else {
      restarting.remove(child);
    }
  }

  int port() {
    return server.port();
  }

  /** {@code DELETE /users/{id}}: forwarded to the collector, its answer passed back (see the class comment). */
  private ApiResponse eraseUser(ApiRequest r) throws ApiException {
    if (restarting.contains("ingest")) {
      Map<String, Object> body = new LinkedHashMap<>();
      body.put("error", "ingest is restarting");
      body.put("retryAfterSeconds", RETRY_AFTER_SECONDS);
      return ApiResponse.json(503, body).withHeader("Retry-After", String.valueOf(RETRY_AFTER_SECONDS));
    }
    URI uri;
    try {
      uri = URI.create("http://" + upstreamHost + ":" + ingestPort + r.rawPath()
          + (r.rawQuery() == null ? "" : "?" + r.rawQuery()));
    } catch (IllegalArgumentException e) {
      throw new ApiException(400, "the request target is not a valid URI path");
    }
    HttpRequest.Builder b = HttpRequest.newBuilder(uri).timeout(ERASURE_TIMEOUT).DELETE();
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    HttpResponse<byte[]> answer;
    try {
      answer = forward.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
    } catch (IOException e) {
      throw new ApiException(502, "ingest did not answer: " + e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ApiException(502, "interrupted while waiting for ingest");
    }
    ApiResponse a = new ApiResponse(answer.statusCode(),
        answer.headers().firstValue("Content-Type").orElse(ApiResponse.JSON_TYPE), answer.body(), Map.of());
    for (String h : List.of("Retry-After", "WWW-Authenticate")) {
      String v = answer.headers().firstValue(h).orElse(null);
      if (v != null) {
        a = a.withHeader(h, v);
      }
    }
    return a;
  }

  /** A reverse proxy to one child on loopback; 503 with Retry-After while that child restarts. */
  private final class Upstream extends ProxyHandler.Reverse {
    private final String child;

    Upstream(String child, int port) {
      super(request -> HttpURI.build(request.getHttpURI()).scheme("http").host(upstreamHost).port(port));
      this.child = child;
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) {
      if (restarting.contains(child)) {
        response.getHeaders().put(HttpHeader.RETRY_AFTER, String.valueOf(RETRY_AFTER_SECONDS));
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("error", child + " is restarting");
        body.put("retryAfterSeconds", RETRY_AFTER_SECONDS);
        writeJson(response, HttpStatus.SERVICE_UNAVAILABLE_503, body, callback);
        return true;
      }
      return super.handle(request, response, callback);
    }

    /**
     * The body streamed upstream, cut off once it passes the front's body limit (a chunked body declares no
     * length, so the server could not refuse it before reading).
     */
    @Override
    protected org.eclipse.jetty.client.Request.Content newProxyToServerRequestContent(Request clientToProxy,
        Response proxyToClient, org.eclipse.jetty.client.Request proxyToServer) {
      return new LimitedContent(super.newProxyToServerRequestContent(clientToProxy, proxyToClient, proxyToServer),
          server.limits().maxBodyBytes());
    }

    /**
     * A body over the limit is answered 413, whether the front cut it off or the child refused it first and
     * closed its connection while the body was still being sent (the proxy would otherwise say 502).
     */
    @Override
    protected void onServerToProxyResponseFailure(Request clientToProxy, org.eclipse.jetty.client.Request proxyToServer,
        org.eclipse.jetty.client.Response serverToProxy, Response proxyToClient, Callback callback, Throwable failure) {
      boolean tooLarge = serverToProxy != null && serverToProxy.getStatus() == HttpStatus.PAYLOAD_TOO_LARGE_413;
      for (Throwable t = failure; t != null && !tooLarge; t = t.getCause()) {
        tooLarge = t instanceof BodyTooLarge;
      }
      if (tooLarge && !proxyToClient.isCommitted()) {
        proxyToClient.getHeaders().put(HttpHeader.CONNECTION, "close");
        writeJson(proxyToClient, HttpStatus.PAYLOAD_TOO_LARGE_413,
            Map.of("error", "body is over the limit of " + server.limits().maxBodyBytes() + " bytes"), callback);
        return;
      }
      super.onServerToProxyResponseFailure(clientToProxy, proxyToServer, serverToProxy, proxyToClient, callback, failure);
    }

    /**
     * A body sent without a Content-Type (the collector reads it as JSON) keeps having none upstream in
     * effect: Jetty's client would otherwise label the streamed body application/octet-stream, which the
     * children refuse with 415.
     */
    @Override
    protected void copyRequestHeaders(Request clientToProxy, org.eclipse.jetty.client.Request proxyToServer) {
      super.copyRequestHeaders(clientToProxy, proxyToServer);
      if (clientToProxy.getHeaders().get(HttpHeader.CONTENT_TYPE) == null) {
        proxyToServer.headers(h -> h.put(HttpHeader.CONTENT_TYPE, "application/json"));
      }
    }

    @Override
    protected org.eclipse.jetty.client.HttpClient newHttpClient() {
      org.eclipse.jetty.client.HttpClient c = super.newHttpClient();
      c.setConnectTimeout(5_000);
      c.setIdleTimeout(30_000);
      c.setMaxConnectionsPerDestination(64);
      return c;
    }
  }

  private static void writeJson(Response response, int status, Map<String, Object> body, Callback callback) {
    byte[] bytes;
    try {
      bytes = JSON.writeValueAsBytes(body);
    } catch (IOException e) {
      bytes = "{\"error\": \"internal error\"}".getBytes(StandardCharsets.UTF_8);
    }
    response.setStatus(status);
    response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
    response.write(true, ByteBuffer.wrap(bytes), callback);
  }

  /** The failure a body over the front's limit ends with. */
  static final class BodyTooLarge extends IOException {
    private static final long serialVersionUID = 1L;

    BodyTooLarge(long limit) {
      super("body is over the limit of " + limit + " bytes");
    }
  }

  /** A request body that fails with {@link BodyTooLarge} once more than {@code limit} bytes passed. */
  private static final class LimitedContent implements org.eclipse.jetty.client.Request.Content {
    private final org.eclipse.jetty.client.Request.Content in;
    private final long limit;
    private long seen;

    LimitedContent(org.eclipse.jetty.client.Request.Content in, long limit) {
      this.in = in;
      this.limit = limit;
    }

    @Override
    public Content.Chunk read() {
      Content.Chunk chunk = in.read();
      if (chunk == null || Content.Chunk.isFailure(chunk)) {
        return chunk;
      }
      seen += chunk.remaining();
      if (seen > limit) {
        chunk.release();
        BodyTooLarge tooLarge = new BodyTooLarge(limit);
        in.fail(tooLarge);
        return Content.Chunk.from(tooLarge, true);
      }
      return chunk;
    }

    @Override
    public void demand(Runnable demandCallback) {
      in.demand(demandCallback);
    }

    @Override
    public void fail(Throwable failure) {
      in.fail(failure);
    }

    @Override
    public long getLength() {
      return in.getLength();
    }

    @Override
    public String getContentType() {
      return in.getContentType();
    }
  }

  /** Each child's own {@code /health} (or {@code /ready}), with the supervisor's view of its process. */
  private ApiResponse health(boolean readiness) {
    Map<String, Boolean> alive = new LinkedHashMap<>(children.get());
    Map<String, Object> components = new LinkedHashMap<>();
    boolean ok = true;
    for (var e : alive.entrySet()) {
      Map<String, Object> c = new LinkedHashMap<>();
      String name = e.getKey();
      String process = restarting.contains(name) ? "restarting" : e.getValue() ? "up" : "down";
      c.put("process", process);
      ok &= process.equals("up");
      int port = switch (name) {
        case "ingest" -> ingestPort;
        case "serving" -> servingPort;
        case "stream-train" -> trainHealthPort;
        default -> 0;
      };
      if (port > 0 && process.equals("up")) {
        String path = readiness && !name.equals("stream-train") ? "/ready" : "/health";
        try {
          HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://" + upstreamHost + ":" + port + path))
              .timeout(Duration.ofSeconds(3));
          if (token != null) {
            b.header("Authorization", "Bearer " + token);
          }
          HttpResponse<String> r = probes.send(b.build(), HttpResponse.BodyHandlers.ofString());
          JsonNode body = JSON.readTree(r.body());
          c.put(readiness ? "ready" : "health", body);
          ok &= r.statusCode() == 200;
        } catch (IOException err) {
          c.put("error", "no answer on " + path + ": " + err.getMessage());
          ok = false;
        } catch (InterruptedException err) {
          Thread.currentThread().interrupt();
          ok = false;
        }
      }
      components.put(name, c);
    }
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("status", ok ? "up" : readiness ? "not ready" : "degraded");
    body.put("components", components);
    ApiResponse a = ApiResponse.json(ok ? 200 : 503, body);
    return ok ? a : a.withHeader("Retry-After", String.valueOf(RETRY_AFTER_SECONDS));
  }

  private String metrics() {
    StringBuilder sb = new StringBuilder();
    Map<String, Integer> ports = new LinkedHashMap<>();
    ports.put("ingest", ingestPort);
    ports.put("serving", servingPort);
    if (trainHealthPort > 0) {
      ports.put("stream-train", trainHealthPort);
    }
    for (var e : ports.entrySet()) {
      try {
        URI uri = URI.create("http://" + upstreamHost + ":" + e.getValue() + "/metrics");
        HttpRequest.Builder b = HttpRequest.newBuilder(uri)
            .timeout(Duration.ofSeconds(5));
        if (token != null) {
          b.header("Authorization", "Bearer " + token);
        }
        HttpResponse<String> r = probes.send(b.build(), HttpResponse.BodyHandlers.ofString());
        sb.append("# from ").append(e.getKey()).append('\n').append(r.body());
        if (!r.body().endsWith("\n")) {
          sb.append('\n');
        }
      } catch (IOException err) {
        sb.append("# ").append(e.getKey()).append(" unreachable\n");
      } catch (InterruptedException err) {
        Thread.currentThread().interrupt();
      }
    }
    children.get().forEach((name, up) -> sb.append("relstream_demo_process_up{process=\"").append(name)
        .append("\"} ").append(up && !restarting.contains(name) ? 1 : 0).append('\n'));
    sb.append(server.metrics().prometheus("relstream_front"));
    return sb.toString();
  }

  @Override
  public void close() {
    server.close();
  }
}
