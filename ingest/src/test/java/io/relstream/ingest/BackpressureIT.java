package io.relstream.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Backpressure on a real broker: with the streams app paused, events pile up behind the collector; once
 * the backlog passes the bound the collector answers 503 with Retry-After and accepts nothing, and when the
 * app catches up it accepts again.
 */
class BackpressureIT extends BrokerTest {
  private static final ObjectMapper M = new ObjectMapper();
  @Test
  @Timeout(240)
  void overTheBacklogBoundTheCollectorSays503AndRecoversWhenTheAppCatchesUp(@TempDir Path stateDir)
      throws Exception {
    String bootstrap = cluster.bootstrapServers();
    IngestMain.Config c = new IngestMain.Config(bootstrap, stateDir, 0, "127.0.0.1", "backpressure-" + UUID.randomUUID(),
        60_000L, 3_600_000L, 2, (short) 1, Collector.DEFAULT_MAX_BODY_BYTES, null, 300);
    try (IngestMain.App app = IngestMain.start(c, Clock.systemUTC())) {
      IngestScenario.awaitRunning(app);
      String base = "http://127.0.0.1:" + app.address.getPort();
      HttpClient http = HttpClient.newHttpClient();
      app.streams.pause();
      long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      int accepted = 0;
      HttpResponse<String> refused = null;
      for (int batch = 0; refused == null; batch++) {
        if (System.nanoTime() > deadline) {
          fail("no 503 within 60 s; accepted " + accepted + " events, backlog " + app.backlog.events());
        }
        HttpResponse<String> r = post(http, base, batch);
        if (r.statusCode() == 503) {
          refused = r;
        } else {
          assertEquals(202, r.statusCode(), r.body());
          accepted += M.readTree(r.body()).get("accepted").asInt();
          Thread.sleep(100);
        }
      }
      assertTrue(accepted > 300, "refused only past the bound: " + accepted);
      assertEquals("2", refused.headers().firstValue("Retry-After").orElse(""));
      JsonNode err = M.readTree(refused.body());
      assertTrue(err.get("error").asText().contains("events behind"), refused.body());
      assertTrue(err.get("backlog").asLong() > 300, refused.body());
      String metrics = http.send(HttpRequest.newBuilder(URI.create(base + "/metrics")).build(),
          HttpResponse.BodyHandlers.ofString()).body();
      assertTrue(metrics.contains("relstream_ingest_collector_backpressure_total 1"), metrics);
      // an erasure is refused alike while the pipeline is behind: it would wait behind the backlog anyway
      HttpResponse<String> erase = http.send(HttpRequest.newBuilder(URI.create(base + "/users/u1")).DELETE().build(),
          HttpResponse.BodyHandlers.ofString());
      assertEquals(503, erase.statusCode(), erase.body());
      assertEquals("2", erase.headers().firstValue("Retry-After").orElse(""));
      assertTrue(M.readTree(erase.body()).get("error").asText().contains("events behind"), erase.body());
      assertTrue(metrics.contains("relstream_ingest_backlog_max_events 300"), metrics);

      app.streams.resume();
      deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
      while (true) {
        HttpResponse<String> r = post(http, base, 10_000);
        if (r.statusCode() == 202) {
          break;
        }
        assertEquals(503, r.statusCode(), r.body());
        if (System.nanoTime() > deadline) {
          fail("still refused 90 s after the app resumed: " + r.body());
        }
        Thread.sleep(500);
      }
    }
  }

  /** 50 impressions of batch {@code b}. */
  private static HttpResponse<String> post(HttpClient http, String base, int b) throws Exception {
    StringBuilder body = new StringBuilder();
    long now = System.currentTimeMillis();
    for (int k = 0; k < 50; k++) {
      body.append(IngestScenario.imp("bp-" + b + "-" + k, "u" + (k % 7), "i" + k, now, null, 1, 0.5)).append('\n');
    }
    return http.send(HttpRequest.newBuilder(URI.create(base + "/events"))
        .header("Content-Type", "application/x-ndjson").POST(HttpRequest.BodyPublishers.ofString(body.toString()))
        .build(), HttpResponse.BodyHandlers.ofString());
  }
}
