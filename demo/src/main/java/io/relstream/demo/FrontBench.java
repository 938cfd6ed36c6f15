package io.relstream.demo;

import io.relstream.http.ApiResponse;
import io.relstream.http.HardenedHttpServer;
import io.relstream.http.Routes;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * {@code ./relstream bench front [--seconds N] [--rounds R]}: the latency the demo's front adds. An
 * upstream on relstream-http (the server serving runs) answers {@code GET /recommend/{user}} with a
 * serving-sized JSON body; the same load is sent to it directly and through {@link FrontProxy}, side by
 * side in each round: one kept-alive java.net.http.HttpClient (HTTP/1.1) with 1 worker, then with 8
 * workers, N seconds per path and load. Prints p50, p99 and requests/s per round and the medians over
 * rounds, and the ratio front / direct. Bounded: about 4 x R x N seconds.
 */
public final class FrontBench {
  private static final String ANSWER = "{\"user\":\"u\",\"modelVersion\":28,\"fallback\":false,\"items\":["
      + "{\"item\":\"coat-i1\",\"score\":0.91},{\"item\":\"coat-i2\",\"score\":0.87},{\"item\":\"coat-i3\",\"score\":0.85},"
      + "{\"item\":\"coat-i4\",\"score\":0.80},{\"item\":\"coat-i5\",\"score\":0.78}]}";

  private FrontBench() {}

  record Result(double p50Ms, double p99Ms, double rps) {}

  /** {@code workers} threads share one client and send GETs to {@code base} for {@code seconds}. */
  static Result drive(String base, int workers, double seconds) throws Exception {
    HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    ExecutorService pool = Executors.newFixedThreadPool(workers);
    try {
      // warm-up: connections opened, code paths compiled
      long warm = System.nanoTime() + 500_000_000L;
      while (System.nanoTime() < warm) {
        get(client, base, 0);
      }
      long end = System.nanoTime() + (long) (seconds * 1e9);
      List<Future<long[]>> parts = new ArrayList<>();
      for (int w = 0; w < workers; w++) {
        int id = w;
        parts.add(pool.submit(() -> {
          long[] lat = new long[1 << 16];
          int n = 0;
          while (System.nanoTime() < end) {
            long t0 = System.nanoTime();
            get(client, base, id * 1_000_003L + n);
            if (n == lat.length) {
              lat = Arrays.copyOf(lat, n * 2);
            }
            lat[n++] = System.nanoTime() - t0;
          }
          return Arrays.copyOf(lat, n);
        }));
      }
      long[] all = new long[0];
      for (Future<long[]> f : parts) {
        long[] p = f.get();
        int at = all.length;
        all = Arrays.copyOf(all, at + p.length);
        System.arraycopy(p, 0, all, at, p.length);
      }
      Arrays.sort(all);
      if (all.length == 0) {
        throw new IllegalStateException("no request completed in " + seconds + " s");
      }
      return new Result(all[all.length / 2] / 1e6, all[(int) Math.min(all.length - 1, all.length * 0.99)] / 1e6,
          all.length / seconds);
    } finally {
      pool.shutdownNow();
    }
  }

  private static void get(HttpClient client, String base, long n) throws Exception {
    HttpResponse<byte[]> r = client.send(HttpRequest.newBuilder(URI.create(base + "/recommend/u" + (n % 1000) + "?k=5"))
        .build(), HttpResponse.BodyHandlers.ofByteArray());
    if (r.statusCode() != 200) {
      throw new IllegalStateException("answer " + r.statusCode() + ": " + new String(r.body()));
    }
  }

  private static double median(double[] v) {
    double[] s = v.clone();
    Arrays.sort(s);
    return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  }

  public static void main(String[] args) throws Exception {
    double seconds = 5;
    int rounds = 3;
    try {
      for (int i = 0; i < args.length; i++) {
        switch (args[i]) {
          case "--seconds" -> seconds = Double.parseDouble(args[++i]);
          case "--rounds" -> rounds = Integer.parseInt(args[++i]);
          case "--help" -> {
            System.out.println("usage: ./relstream bench front [--seconds N (5)] [--rounds R (3)]");
            return;
          }
          default -> throw new IllegalArgumentException("unknown option " + args[i]);
        }
      }
    } catch (ArrayIndexOutOfBoundsException | IllegalArgumentException e) {
      System.err.println("bench front: error: " + (e instanceof ArrayIndexOutOfBoundsException
          ? "an option needs a value" : e.getMessage()));
      System.exit(2);
    }
    if (!(seconds > 0 && seconds <= 120) || rounds < 1 || rounds > 20) {
      System.err.println("bench front: error: --seconds in (0, 120], --rounds in 1..20");
      System.exit(2);
    }
    Routes routes = new Routes().getPrefix("/recommend/", r -> ApiResponse.text(200, "application/json", ANSWER));
    try (HardenedHttpServer upstream = HardenedHttpServer.builder("upstream").port(0).routes(routes).build()) {
      upstream.start();
      try (FrontProxy front = new FrontProxy(0, upstream.port(), upstream.port(), () -> Map.of("serving", true))) {
        Map<String, String> paths = new LinkedHashMap<>();
        paths.put("direct", "http://127.0.0.1:" + upstream.port());
        paths.put("front", "http://127.0.0.1:" + front.port());
        int[] loads = {1, 8};
        Map<String, double[][]> results = new LinkedHashMap<>();
        for (int w : loads) {
          for (String p : paths.keySet()) {
            results.put(p + " x" + w, new double[3][rounds]);
          }
        }
        for (int round = 0; round < rounds; round++) {
          for (int w : loads) {
            for (var p : paths.entrySet()) {
              Result r = drive(p.getValue(), w, seconds);
              double[][] v = results.get(p.getKey() + " x" + w);
              v[0][round] = r.p50Ms();
              v[1][round] = r.p99Ms();
              v[2][round] = r.rps();
              System.out.printf(Locale.ROOT, "round %d %-7s %d worker(s)  p50 %7.3f ms  p99 %7.3f ms  %8.0f req/s%n",
                  round + 1, p.getKey(), w, r.p50Ms(), r.p99Ms(), r.rps());
            }
          }
        }
        System.out.printf(Locale.ROOT, "%nmedian of %d rounds of %.0f s, GET /recommend kept alive, one HTTP/1.1 client%n",
            rounds, seconds);
        for (int w : loads) {
          double[][] d = results.get("direct x" + w);
          double[][] f = results.get("front x" + w);
          System.out.printf(Locale.ROOT, "%d worker(s): direct p50 %.3f ms p99 %.3f ms %.0f req/s | front p50 %.3f ms"
              + " p99 %.3f ms %.0f req/s | front/direct p50 x%.2f, req/s x%.2f%n", w, median(d[0]), median(d[1]),
              median(d[2]), median(f[0]), median(f[1]), median(f[2]), median(f[0]) / median(d[0]),
              median(f[2]) / median(d[2]));
        }
      }
    }
  }
}
