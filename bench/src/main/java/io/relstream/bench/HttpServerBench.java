package io.relstream.bench;

import com.sun.net.httpserver.HttpServer;
import io.relstream.http.ApiResponse;
import io.relstream.http.HardenedHttpServer;
import io.relstream.http.Routes;
import io.undertow.Undertow;
import io.undertow.util.Headers;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * {@code ./relstream bench http [--seconds N] [--rounds R]}: the JDK HttpServer, relstream-http
 * (Jetty 12) and Undertow each answer a small JSON GET on loopback; one kept-alive
 * java.net.http.HttpClient (HTTP/1.1) drives each for N seconds per round, servers interleaved
 * over R rounds; prints the median over rounds of p50, p99 and requests/s, and ratios to Jetty.
 * Bounded: about 3 x R x (N + 1) seconds. The JDK server does not set TCP_NODELAY unless started
 * with {@code -Dsun.net.httpserver.nodelay=true} (RELSTREAM_JAVA_OPTS): without it each answer
 * waits for the client's delayed ACK (~40 ms).
 */
public final class HttpServerBench {
  private static final byte[] BODY = "{\"status\":\"up\",\"items\":[1,2,3]}".getBytes(StandardCharsets.UTF_8);

  private HttpServerBench() {}

  interface Server extends AutoCloseable {
    int port();

    @Override
    void close();
  }

  static Server jdk() throws Exception {
    HttpServer s = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 64);
    ExecutorService ex = Executors.newFixedThreadPool(4);
    s.setExecutor(ex);
    s.createContext("/", e -> {
      e.getRequestBody().readAllBytes();
      e.getResponseHeaders().set("Content-Type", "application/json");
      e.sendResponseHeaders(200, BODY.length);
      try (OutputStream os = e.getResponseBody()) {
        os.write(BODY);
      }
    });
    s.start();
    return new Server() {
      public int port() {
        return s.getAddress().getPort();
      }

      public void close() {
        s.stop(0);
        ex.shutdownNow();
      }
    };
  }

  static Server jetty() throws Exception {
    HardenedHttpServer s = HardenedHttpServer.builder("bench")
        .routes(new Routes().get("/health", r -> new ApiResponse(200, ApiResponse.JSON_TYPE, BODY, Map.of())))
        .build();
    s.start();
    return new Server() {
      public int port() {
        return s.port();
      }

      public void close() {
        s.close();
      }
    };
  }

  static Server undertow() {
    // answered on the IO thread, Undertow's idiomatic non-blocking handler
    Undertow u = Undertow.builder().addHttpListener(0, "127.0.0.1").setIoThreads(1).setWorkerThreads(4)
        .setHandler(ex -> {
          ex.getResponseHeaders().put(Headers.CONTENT_TYPE, "application/json");
          ex.getResponseSender().send(java.nio.ByteBuffer.wrap(BODY));
        }).build();
    u.start();
    int port = ((InetSocketAddress) u.getListenerInfo().get(0).getAddress()).getPort();
    return new Server() {
      public int port() {
        return port;
      }

      public void close() {
        u.stop();
      }
    };
  }

  /** One measurement: p50 and p99 in microseconds, requests per second. */
  record Result(double p50, double p99, double rps) {}

  static Result drive(int port, double seconds) throws Exception {
    HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    HttpRequest req = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/health"))
        .timeout(Duration.ofSeconds(10)).build();
    long warmEnd = System.nanoTime() + 300_000_000L;
    while (System.nanoTime() < warmEnd) {
      client.send(req, HttpResponse.BodyHandlers.ofByteArray());
    }
    long[] lat = new long[1 << 16];
    int n = 0;
    long start = System.nanoTime();
    long end = start + (long) (seconds * 1e9);
    long now = start;
    while (now < end) {
      long a = System.nanoTime();
      HttpResponse<byte[]> r = client.send(req, HttpResponse.BodyHandlers.ofByteArray());
      now = System.nanoTime();
      if (r.statusCode() != 200 || r.body().length != BODY.length) {
        throw new IllegalStateException("bad answer " + r.statusCode());
      }
      if (n == lat.length) {
        lat = Arrays.copyOf(lat, n * 2);
      }
      lat[n++] = now - a;
    }
    long[] sorted = Arrays.copyOf(lat, n);
    Arrays.sort(sorted);
    return new Result(sorted[n / 2] / 1e3, sorted[(int) Math.min(n - 1, Math.ceil(n * 0.99) - 1)] / 1e3,
        n / ((now - start) / 1e9));
  }

  private static double median(double[] v) {
    double[] s = v.clone();
    Arrays.sort(s);
    return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  }

  public static void main(String[] args) throws Exception {
    if (System.getProperty("org.slf4j.simpleLogger.defaultLogLevel") == null) {
      System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
    }
    java.util.logging.Logger.getLogger("io.undertow").setLevel(java.util.logging.Level.WARNING);
    java.util.logging.Logger.getLogger("org.xnio").setLevel(java.util.logging.Level.WARNING);
    double seconds = 5;
    int rounds = 3;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--seconds" -> seconds = Double.parseDouble(args[++i]);
        case "--rounds" -> rounds = Integer.parseInt(args[++i]);
        case "--help", "-h" -> {
          System.out.println("usage: ./relstream bench http [--seconds N (5)] [--rounds R (3)]");
          return;
        }
        default -> {
          System.err.println("bench http: unknown argument " + args[i]);
          System.exit(2);
        }
      }
    }
    if (!(seconds > 0 && seconds <= 600) || rounds < 1 || rounds > 20) {
      System.err.println("bench http: --seconds in (0, 600], --rounds in 1..20");
      System.exit(2);
    }
    Map<String, double[][]> results = new LinkedHashMap<>();
    String[] names = {"jdk-httpserver", "jetty (relstream-http)", "undertow"};
    for (String name : names) {
      results.put(name, new double[3][rounds]);
    }
    for (int round = 0; round < rounds; round++) {
      for (String name : names) {
        try (Server s = switch (name) {
          case "jdk-httpserver" -> jdk();
          case "undertow" -> undertow();
          default -> jetty();
        }) {
          Result r = drive(s.port(), seconds);
          double[][] v = results.get(name);
          v[0][round] = r.p50();
          v[1][round] = r.p99();
          v[2][round] = r.rps();
          System.out.printf(Locale.ROOT, "round %d %-24s p50 %7.1f us  p99 %7.1f us  %8.0f req/s%n", round + 1, name,
              r.p50(), r.p99(), r.rps());
        }
      }
    }
    double[][] jetty = results.get("jetty (relstream-http)");
    double jp50 = median(jetty[0]);
    double jp99 = median(jetty[1]);
    double jrps = median(jetty[2]);
    System.out.printf(Locale.ROOT, "%nmedian of %d rounds of %.0f s, one kept-alive HTTP/1.1 client, small JSON GET%n",
        rounds, seconds);
    System.out.printf(Locale.ROOT, "%-24s %9s %9s %10s %10s %10s %10s%n", "server", "p50 us", "p99 us", "req/s",
        "p50/jetty", "p99/jetty", "rps/jetty");
    for (Map.Entry<String, double[][]> e : results.entrySet()) {
      double p50 = median(e.getValue()[0]);
      double p99 = median(e.getValue()[1]);
      double rps = median(e.getValue()[2]);
      System.out.printf(Locale.ROOT, "%-24s %9.1f %9.1f %10.0f %10.2f %10.2f %10.2f%n", e.getKey(), p50, p99, rps,
          p50 / jp50, p99 / jp99, rps / jrps);
    }
  }
}
