package io.relstream.http;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.zip.GZIPInputStream;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpURI;
import org.eclipse.jetty.http.UriCompliance;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.eclipse.jetty.util.thread.Scheduler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP/1.1 server of every relstream process, on Jetty 12's core API (no servlets). It
 * enforces {@link HttpLimits}, an optional bearer token, and answers every error, its own and
 * Jetty's, as {@code {"error": "..."}}.
 *
 * <pre>{@code
 * Routes routes = new Routes().get("/health", r -> ApiResponse.json(200, Map.of("status", "up")));
 * try (HardenedHttpServer server = HardenedHttpServer.builder("serving")
 *     .port(8082)                       // bind defaults to 127.0.0.1
 *     .token(System.getenv("TOKEN"))    // required when bound beyond loopback
 *     .limits(HttpLimits.defaults().withMaxBodyBytes(4 << 20))
 *     .routes(routes)
 *     .build()) {
 *   server.start();
 *   metricsText += server.metrics().prometheus("relstream_serving");
 * }
 * }</pre>
 *
 * A request goes: method known (CONNECT, TRACE and non-standard methods: 501) -> path decodes
 * strictly (400) -> token (401) -> route (404, wrong method 405 with Allow) -> Content-Encoding
 * identity or gzip (415) -> Content-Type for a body: none, JSON, NDJSON or form-urlencoded (415)
 * -> Content-Length within maxBodyBytes (413, body never read) -> body read asynchronously, no
 * thread held while it trickles in (413 once over the limit, 408 when slower than the minimum
 * rate) -> gzip decoded with the limit on the decoded size (413) -> a concurrency slot (503 with
 * Retry-After) -> the handler, on a pool thread.
 */
public final class HardenedHttpServer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(HardenedHttpServer.class);
  /** Methods that reach route matching; others get 501. */
  private static final Set<String> METHODS = Set.of("GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS");
  private static final Set<String> BODY_TYPES = Set.of("application/json", "application/x-ndjson",
      "application/x-www-form-urlencoded");

  /**
   * Sees every response the route table produced (not Jetty's own parse errors or the header
   * deadline's 408, which only reach {@link #metrics()}): for per-endpoint application metrics.
   */
  @FunctionalInterface
  public interface ResponseListener {
    void onResponse(String method, String rawPath, int status, long nanos);
  }

  /** Builds a server; see the class comment. */
  public static final class Builder {
    private final String name;
    private String bind = "127.0.0.1";
    private int port;
    private String token;
    private HttpLimits limits = HttpLimits.defaults();
    private Routes routes = new Routes();
    private ResponseListener listener = (m, p, s, n) -> { };

    private Builder(String name) {
      this.name = Objects.requireNonNull(name);
    }

    /** The address to bind (default 127.0.0.1); beyond loopback a token is required. */
    public Builder bind(String address) {
      this.bind = Objects.requireNonNull(address);
      return this;
    }

    /** The port (0, the default: any free port; see {@link HardenedHttpServer#port()}). */
    public Builder port(int port) {
      if (port < 0 || port > 65535) {
        throw new IllegalArgumentException("port must be in 0..65535, got " + port);
      }
      this.port = port;
      return this;
    }

    /** When not null or empty, every route requires {@code Authorization: Bearer <token>} (else 401). */
    public Builder token(String token) {
      this.token = token == null || token.isEmpty() ? null : token;
      return this;
    }

    public Builder limits(HttpLimits limits) {
      this.limits = Objects.requireNonNull(limits);
      return this;
    }

    public Builder routes(Routes routes) {
      this.routes = Objects.requireNonNull(routes);
      return this;
    }

    public Builder listener(ResponseListener listener) {
      this.listener = Objects.requireNonNull(listener);
      return this;
    }

    /**
     * The server, not yet bound.
     *
     * @throws IllegalArgumentException for an address beyond loopback without a token, or one
     *     that does not resolve
     */
    public HardenedHttpServer build() {
      InetAddress address;
      try {
        address = InetAddress.getByName(bind);
      } catch (UnknownHostException e) {
        throw new IllegalArgumentException("cannot resolve bind address '" + bind + "'", e);
      }
      if (!address.isLoopbackAddress() && token == null) {
        throw new IllegalArgumentException("refusing to bind " + name + " to " + bind
            + " (beyond loopback) without a bearer token: give a token, or bind 127.0.0.1");
      }
      return new HardenedHttpServer(this, address);
    }
  }

  public static Builder builder(String name) {
    return new Builder(name);
  }

  private final String name;
  private final HttpLimits limits;
  private final Routes routes;
  private final byte[] tokenBytes;
  private final ResponseListener listener;
  private final Server server;
  private final ServerConnector connector;
  private final HeaderDeadline deadline;
  private final Semaphore slots;
  private final HttpServerMetrics metrics = new HttpServerMetrics();

  private HardenedHttpServer(Builder b, InetAddress address) {
    this.name = b.name;
    this.limits = b.limits;
    this.routes = b.routes;
    this.tokenBytes = b.token == null ? null : ("Bearer " + b.token).getBytes(StandardCharsets.UTF_8);
    this.listener = b.listener;
    this.slots = new Semaphore(limits.maxConcurrent());
    QueuedThreadPool pool = new QueuedThreadPool(Math.max(32, limits.maxConcurrent() + 24), 4);
    pool.setName("http-" + name);
    pool.setDaemon(true);
    server = new Server(pool);
    HttpConfiguration config = new HttpConfiguration();
    config.setRequestHeaderSize(limits.maxHeaderBytes());
    config.setSendServerVersion(false);
    config.setSendDateHeader(true);
    // Paths are decoded here, strictly (Uris); let Jetty pass ambiguous-looking ones (%2F in an id).
    config.setUriCompliance(UriCompliance.UNSAFE);
    connector = new ServerConnector(server, 1, 1, new HttpConnectionFactory(config));
    connector.setHost(address.getHostAddress());
    connector.setPort(b.port);
    connector.setIdleTimeout(limits.idleTimeout().toMillis());
    connector.setAcceptedTcpNoDelay(true);
    deadline = new HeaderDeadline(connector, limits.headerTimeout().toNanos(), metrics);
    connector.addEventListener(deadline);
    server.addConnector(connector);
    server.setErrorHandler(new JsonErrorHandler(metrics));
    Map<String, Handler> streaming = routes.streamingHandlers();
    server.setHandler(new Dispatch(streaming));
    server.setStopTimeout(2000);
  }

  /** Binds and starts serving. */
  public void start() throws IOException {
    try {
      server.start();
    } catch (IOException e) {
      close();
      throw e;
    } catch (Exception e) {
      close();
      throw new IOException("cannot start HTTP server " + name + ": " + e.getMessage(), e);
    }
    deadline.start(server.getScheduler());
  }

  /** The bound port (after {@link #start()}). */
  public int port() {
    return connector.getLocalPort();
  }

  public HttpServerMetrics metrics() {
    return metrics;
  }

  public HttpLimits limits() {
    return limits;
  }

  /** Stops accepting, gives requests in flight up to 2 s, closes connections. Idempotent. */
  @Override
  public void close() {
    deadline.stop();
    try {
      server.stop();
    } catch (Exception e) {
      LOG.warn("stopping HTTP server {} failed", name, e);
    }
  }

  /** The root handler: checks, then a route, then the body, then a slot. */
  private final class Dispatch extends Handler.Abstract {
    private final Map<String, Handler> streaming;

    Dispatch(Map<String, Handler> streaming) {
      this.streaming = streaming;
      streaming.values().forEach(this::addBean);
    }

    @Override
    public void setServer(Server s) {
      super.setServer(s);
      streaming.values().forEach(h -> h.setServer(s));
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) {
      long start = System.nanoTime();
      String method = request.getMethod();
      HttpURI uri = request.getHttpURI();
      String rawPath = uri.getPath() == null ? "" : uri.getPath();
      Exchange ex = new Exchange(request, response, callback, method, rawPath, start);
      try {
        ex.dispatch();
      } catch (ApiException e) {
        // refused before its body was read: close, or a client reusing the connection finds it gone
        boolean unreadBody = request.getLength() > 0 || request.getHeaders().contains(HttpHeader.TRANSFER_ENCODING);
        ex.error(e.status(), e.getMessage(), e.headers(), unreadBody);
      } catch (RuntimeException e) {
        LOG.error("{}: request {} {} failed", name, method, rawPath, e);
        ex.error(500, "internal error: " + e.getClass().getSimpleName(), Map.of(), false);
      }
      return true;
    }
  }

  /** One request on its way through the checks. */
  private final class Exchange {
    final Request request;
    final Response response;
    final Callback callback;
    final String method;
    final String rawPath;
    final long start;
    final AtomicBoolean answered = new AtomicBoolean();
    String path;
    Map<String, List<String>> query;
    ApiHandler handler;
    boolean gzip;
    // body reading
    final ByteArrayOutputStream body = new ByteArrayOutputStream();
    volatile long received;
    Scheduler.Task rateTask;

    Exchange(Request request, Response response, Callback callback, String method, String rawPath, long start) {
      this.request = request;
      this.response = response;
      this.callback = callback;
      this.method = method;
      this.rawPath = rawPath;
      this.start = start;
    }

    void dispatch() throws ApiException {
      if (!METHODS.contains(method)) {
        throw new ApiException(501, "method " + method + " is not implemented");
      }
      if (!rawPath.startsWith("/")) {
        throw new ApiException(400, "the request target must be a path");
      }
      path = Uris.percentDecode(rawPath, false);
      query = Uris.parseQuery(request.getHttpURI().getQuery());
      if (tokenBytes != null) {
        String auth = request.getHeaders().get(HttpHeader.AUTHORIZATION);
        if (auth == null || !MessageDigest.isEqual(tokenBytes, auth.getBytes(StandardCharsets.UTF_8))) {
          metrics.rejected(HttpServerMetrics.Rejection.UNAUTHORIZED);
          throw new ApiException(401, "missing or wrong bearer token", Map.of("WWW-Authenticate", "Bearer"));
        }
      }
      Routes.Match match = routes.match(path);
      if (match == null) {
        throw new ApiException(404, "no such resource: " + path);
      }
      long length = request.getLength();
      if (length > limits.maxBodyBytes()) {
        metrics.rejected(HttpServerMetrics.Rejection.BODY_TOO_LARGE);
        close413(length);
        return;
      }
      if (match.streaming() != null) {
        streaming(match.streaming());
        return;
      }
      handler = match.handler(method);
      if (handler == null) {
        throw new ApiException(405, "method " + method + " not allowed on " + path + "; use " + match.allow(),
            Map.of("Allow", match.allow()));
      }
      String encoding = request.getHeaders().get(HttpHeader.CONTENT_ENCODING);
      if (encoding != null && !encoding.isBlank()) {
        String e = encoding.trim().toLowerCase(Locale.ROOT);
        if (e.equals("gzip") || e.equals("x-gzip")) {
          gzip = true;
        } else if (!e.equals("identity")) {
          metrics.rejected(HttpServerMetrics.Rejection.UNSUPPORTED_MEDIA_TYPE);
          throw new ApiException(415, "unsupported Content-Encoding '" + encoding + "'; use gzip or none");
        }
      }
      boolean hasBody = length > 0 || (length < 0 && request.getHeaders().contains(HttpHeader.TRANSFER_ENCODING));
      String type = request.getHeaders().get(HttpHeader.CONTENT_TYPE);
      if (hasBody && type != null) {
        int semi = type.indexOf(';');
        String mime = (semi < 0 ? type : type.substring(0, semi)).trim().toLowerCase(Locale.ROOT);
        if (!BODY_TYPES.contains(mime)) {
          metrics.rejected(HttpServerMetrics.Rejection.UNSUPPORTED_MEDIA_TYPE);
          throw new ApiException(415, "unsupported Content-Type '" + type
              + "'; use application/json or application/x-ndjson");
        }
      }
      if (hasBody && limits.minBodyBytesPerSecond() > 0) {
        scheduleRateCheck();
      }
      read();
    }

    private void close413(long length) {
      error(413, "body of " + length + " bytes is over the limit of " + limits.maxBodyBytes() + " bytes", Map.of(),
          true);
    }

    /** Reads what has arrived, then asks to be called back: no thread waits for the body. */
    void read() {
      while (!answered.get()) {
        Content.Chunk chunk = request.read();
        if (chunk == null) {
          request.demand(this::readSafely);
          return;
        }
        if (Content.Chunk.isFailure(chunk)) {
          Throwable f = chunk.getFailure();
          if (chunk.isLast()) {
            cancelRateCheck();
            if (answered.compareAndSet(false, true)) {
              callback.failed(f);
            }
            return;
          }
          continue;
        }
        ByteBuffer buf = chunk.getByteBuffer();
        int n = buf.remaining();
        boolean last = chunk.isLast();
        if (received + n > limits.maxBodyBytes()) {
          chunk.release();
          metrics.rejected(HttpServerMetrics.Rejection.BODY_TOO_LARGE);
          cancelRateCheck();
          error(413, "body is over the limit of " + limits.maxBodyBytes() + " bytes", Map.of(), true);
          return;
        }
        received += n;
        if (buf.hasArray()) {
          body.write(buf.array(), buf.arrayOffset() + buf.position(), n);
        } else {
          byte[] b = new byte[n];
          buf.get(b);
          body.write(b, 0, n);
        }
        chunk.release();
        if (last) {
          cancelRateCheck();
          complete();
          return;
        }
      }
    }

    void readSafely() {
      try {
        read();
      } catch (RuntimeException e) {
        LOG.error("{}: reading {} {} failed", name, method, rawPath, e);
        error(500, "internal error: " + e.getClass().getSimpleName(), Map.of(), true);
      }
    }

    void scheduleRateCheck() {
      long graceNanos = limits.bodyGrace().toNanos();
      rateTask = request.getComponents().getScheduler().schedule(this::checkRate,
          Math.max(graceNanos, TimeUnit.MILLISECONDS.toNanos(100)), TimeUnit.NANOSECONDS);
    }

    synchronized void cancelRateCheck() {
      if (rateTask != null) {
        rateTask.cancel();
        rateTask = null;
      }
    }

    void checkRate() {
      if (answered.get()) {
        return;
      }
      double seconds = (System.nanoTime() - start) / 1e9;
      long have = received;
      if (have < limits.minBodyBytesPerSecond() * seconds) {
        metrics.rejected(HttpServerMetrics.Rejection.BODY_TOO_SLOW);
        error(408, String.format(Locale.ROOT, "body too slow: %d bytes in %.1f s, below %d bytes/s", have, seconds,
            limits.minBodyBytesPerSecond()), Map.of(), true);
        return;
      }
      synchronized (this) {
        if (!answered.get()) {
          rateTask = request.getComponents().getScheduler().schedule(this::checkRate, 500, TimeUnit.MILLISECONDS);
        }
      }
    }

    /** The whole body is here: decode, take a slot, run the handler. */
    void complete() {
      byte[] bytes = body.toByteArray();
      try {
        if (gzip && bytes.length > 0) {
          bytes = gunzip(bytes);
        }
      } catch (ApiException e) {
        error(e.status(), e.getMessage(), Map.of(), true);
        return;
      }
      if (!slots.tryAcquire()) {
        metrics.rejected(HttpServerMetrics.Rejection.BUSY);
        error(503, "server busy: " + limits.maxConcurrent() + " requests in progress; retry later",
            Map.of("Retry-After", String.valueOf(limits.retryAfterSeconds())), false);
        return;
      }
      ApiResponse reply;
      try {
        reply = handler.handle(new ApiRequest(method, path, rawPath, query, headers(), bytes,
            Request.getRemoteAddr(request), request.getHttpURI().getQuery()));
        if (reply == null) {
          throw new IllegalStateException("handler returned null");
        }
      } catch (ApiException e) {
        reply = ApiResponse.error(e.status(), e.getMessage());
        e.headers().forEach((k, v) -> response.getHeaders().put(k, v));
      } catch (Exception e) {
        LOG.error("{}: request {} {} failed", name, method, rawPath, e);
        reply = ApiResponse.error(500, "internal error: " + e.getClass().getSimpleName());
      } finally {
        slots.release();
      }
      send(reply, false);
    }

    byte[] gunzip(byte[] compressed) throws ApiException {
      long max = limits.maxBodyBytes();
      try (InputStream in = new GZIPInputStream(new java.io.ByteArrayInputStream(compressed))) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(Math.min(compressed.length * 4, (int) Math.min(max, 1 << 20)));
        byte[] buf = new byte[8192];
        long total = 0;
        for (int n; (n = in.read(buf)) > 0; ) {
          total += n;
          if (total > max) {
            metrics.rejected(HttpServerMetrics.Rejection.BODY_TOO_LARGE);
            throw new ApiException(413, "decoded body is over the limit of " + max + " bytes");
          }
          out.write(buf, 0, n);
        }
        return out.toByteArray();
      } catch (IOException e) {
        throw new ApiException(400, "body is not valid gzip: " + e.getMessage());
      }
    }

    Map<String, List<String>> headers() {
      Map<String, List<String>> h = new LinkedHashMap<>();
      for (HttpField f : request.getHeaders()) {
        h.computeIfAbsent(f.getLowerCaseName(), k -> new ArrayList<>()).add(f.getValue());
      }
      h.replaceAll((k, v) -> Collections.unmodifiableList(v));
      return Collections.unmodifiableMap(h);
    }

    /** A streaming handler gets the request with a slot held until its callback completes. */
    void streaming(Handler h) {
      if (!slots.tryAcquire()) {
        metrics.rejected(HttpServerMetrics.Rejection.BUSY);
        error(503, "server busy: " + limits.maxConcurrent() + " requests in progress; retry later",
            Map.of("Retry-After", String.valueOf(limits.retryAfterSeconds())), false);
        return;
      }
      AtomicBoolean released = new AtomicBoolean();
      Runnable release = () -> {
        if (released.compareAndSet(false, true)) {
          slots.release();
        }
      };
      answered.set(true);
      Callback done = Callback.from(() -> {
        release.run();
        metrics.response(response.getStatus());
        listener.onResponse(method, rawPath, response.getStatus(), System.nanoTime() - start);
        callback.succeeded();
      }, x -> {
        release.run();
        callback.failed(x);
      });
      try {
        if (!h.handle(request, response, done)) {
          answered.set(false);
          release.run();
          error(404, "no such resource: " + path, Map.of(), false);
        }
      } catch (Throwable t) {
        release.run();
        LOG.error("{}: streaming {} {} failed", name, method, rawPath, t);
        done.failed(t);
      }
    }

    void error(int status, String message, Map<String, String> headers, boolean close) {
      ApiResponse r = ApiResponse.error(status, message);
      for (Map.Entry<String, String> e : headers.entrySet()) {
        r = r.withHeader(e.getKey(), e.getValue());
      }
      send(r, close);
    }

    void send(ApiResponse reply, boolean close) {
      if (!answered.compareAndSet(false, true)) {
        return;
      }
      cancelRateCheck();
      response.setStatus(reply.status());
      HttpFields.Mutable h = response.getHeaders();
      reply.headers().forEach(h::put);
      h.put(HttpHeader.CONTENT_TYPE, reply.contentType());
      h.put(HttpHeader.CONTENT_LENGTH, reply.body().length);
      if (close) {
        h.put(HttpHeader.CONNECTION, "close");
      }
      metrics.response(reply.status());
      try {
        listener.onResponse(method, rawPath, reply.status(), System.nanoTime() - start);
      } catch (RuntimeException e) {
        LOG.warn("{}: response listener failed", name, e);
      }
      boolean head = method.equals("HEAD");
      response.write(true, head ? ByteBuffer.allocate(0) : ByteBuffer.wrap(reply.body()), callback);
    }
  }


}
