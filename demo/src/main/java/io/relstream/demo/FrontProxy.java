package io.relstream.demo;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.function.Supplier;

/**
 * The demo's single public port. {@code /events} goes to the ingest collector; {@code /recommend},
 * {@code /similar} and {@code /ready} to serving; {@code /health} reports every child process;
 * {@code /metrics} concatenates the children's Prometheus text. An unreachable child answers 503
 * with a JSON error. While the supervisor restarts a child ({@link #upstreamRestarting}), that child's
 * routes answer 503 with {@code Retry-After} and {@code /health} shows it as "restarting".
 */
final class FrontProxy implements AutoCloseable {
  private final HttpServer server;
  private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private final int ingestPort;
  private final int servingPort;
  private final Supplier<Map<String, Boolean>> children;
  /** Children the supervisor is restarting (names as in {@link #children}). */
  private final Set<String> restarting = ConcurrentHashMap.newKeySet();
  static final int RETRY_AFTER_SECONDS = 5;

  FrontProxy(int port, int ingestPort, int servingPort, Supplier<Map<String, Boolean>> children) throws IOException {
    this.ingestPort = ingestPort;
    this.servingPort = servingPort;
    this.children = children;
    server = HttpServer.create(new InetSocketAddress("0.0.0.0", port), 64);
    server.setExecutor(Executors.newFixedThreadPool(8, r -> {
      Thread t = new Thread(r, "front-proxy");
      t.setDaemon(true);
      return t;
    }));
    server.createContext("/", this::handle);
    server.start();
  }

  /** The supervisor's hook: {@code child}'s upstream is (or no longer is) being restarted. */
  void upstreamRestarting(String child, boolean isRestarting) {
    if (isRestarting) restarting.add(child);
    else restarting.remove(child);
  }

  int port() {
    return server.getAddress().getPort();
  }

  private void handle(HttpExchange ex) throws IOException {
    try (ex) {
      String path = ex.getRequestURI().getPath();
      if (path.equals("/events") || path.startsWith("/events/")) {
        forward(ex, "ingest", ingestPort);
      } else if (path.startsWith("/recommend/") || path.startsWith("/similar/") || path.equals("/ready")) {
        forward(ex, "serving", servingPort);
      } else if (path.equals("/health")) {
        health(ex);
      } else if (path.equals("/metrics")) {
        metrics(ex);
      } else {
        send(ex, 404, "application/json", "{\"error\": \"no such endpoint: " + jsonEscape(path) + "\"}");
      }
    }
  }

  private void forward(HttpExchange ex, String child, int upstream) throws IOException {
    if (restarting.contains(child)) {
      ex.getRequestBody().readAllBytes();
      ex.getResponseHeaders().set("Retry-After", String.valueOf(RETRY_AFTER_SECONDS));
      send(ex, 503, "application/json", "{\"error\": \"" + child + " is restarting\", \"retryAfterSeconds\": "
          + RETRY_AFTER_SECONDS + "}");
      return;
    }
    byte[] body;
    try (InputStream in = ex.getRequestBody()) {
      body = in.readAllBytes();
    }
    URI uri = URI.create("http://localhost:" + upstream + ex.getRequestURI().getRawPath()
        + (ex.getRequestURI().getRawQuery() == null ? "" : "?" + ex.getRequestURI().getRawQuery()));
    HttpRequest.Builder req = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(60))
        .method(ex.getRequestMethod(), body.length == 0 ? HttpRequest.BodyPublishers.noBody()
            : HttpRequest.BodyPublishers.ofByteArray(body));
    String ct = ex.getRequestHeaders().getFirst("Content-Type");
    if (ct != null) req.header("Content-Type", ct);
    try {
      HttpResponse<byte[]> r = client.send(req.build(), HttpResponse.BodyHandlers.ofByteArray());
      send(ex, r.statusCode(), r.headers().firstValue("Content-Type").orElse("application/json"), r.body());
    } catch (ConnectException e) {
      send(ex, 503, "application/json", "{\"error\": \"upstream on port " + upstream + " is not reachable\"}");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      send(ex, 503, "application/json", "{\"error\": \"interrupted\"}");
    } catch (IOException e) {
      send(ex, 502, "application/json", "{\"error\": \"upstream failed: " + jsonEscape(String.valueOf(e.getMessage())) + "\"}");
    }
  }

  private void health(HttpExchange ex) throws IOException {
    Map<String, Boolean> alive = new LinkedHashMap<>(children.get());
    boolean ok = alive.values().stream().allMatch(b -> b) && restarting.isEmpty();
    StringBuilder sb = new StringBuilder("{\"status\": \"").append(ok ? "up" : "degraded").append("\", \"processes\": {");
    int n = 0;
    for (var e : alive.entrySet()) {
      if (n++ > 0) sb.append(", ");
      sb.append('"').append(e.getKey()).append("\": \"").append(restarting.contains(e.getKey()) ? "restarting" : e.getValue() ? "up" : "down").append('"');
    }
    sb.append("}}");
    send(ex, ok ? 200 : 503, "application/json", sb.toString());
  }

  private void metrics(HttpExchange ex) throws IOException {
    StringBuilder sb = new StringBuilder();
    for (var e : Map.of("ingest", ingestPort, "serving", servingPort).entrySet()) {
      try {
        HttpResponse<String> r = client.send(HttpRequest.newBuilder(
            URI.create("http://localhost:" + e.getValue() + "/metrics")).timeout(Duration.ofSeconds(10)).build(),
            HttpResponse.BodyHandlers.ofString());
        sb.append("# from ").append(e.getKey()).append('\n').append(r.body());
        if (!r.body().endsWith("\n")) sb.append('\n');
      } catch (IOException err) {
        sb.append("# ").append(e.getKey()).append(" unreachable\n");
      } catch (InterruptedException err) {
        Thread.currentThread().interrupt();
      }
    }
    children.get().forEach((name, up) -> sb.append("relstream_demo_process_up{process=\"").append(name)
        .append("\"} ").append(up ? 1 : 0).append('\n'));
    send(ex, 200, "text/plain; version=0.0.4", sb.toString());
  }

  private static void send(HttpExchange ex, int status, String contentType, String body) throws IOException {
    send(ex, status, contentType, body.getBytes(StandardCharsets.UTF_8));
  }

  private static void send(HttpExchange ex, int status, String contentType, byte[] body) throws IOException {
    ex.getResponseHeaders().set("Content-Type", contentType);
    ex.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
    if (body.length > 0) {
      try (OutputStream out = ex.getResponseBody()) {
        out.write(body);
      }
    }
  }

  static String jsonEscape(String s) {
    return s.replace("\\", "\\\\").replace("\"", "\\\"");
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
