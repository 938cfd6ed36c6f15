package io.relstream.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.relstream.schemas.Codecs;
import io.relstream.schemas.Topics;
import io.relstream.schemas.avro.Interaction;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.UUID;
import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The collector and the streams app as two processes' worth of roles on one real broker: events posted to
 * the collector-only instance are joined by the streams-only one; each serves only its own routes.
 */
class RolesIT {
  @Test
  @Timeout(240)
  void aCollectorAloneAndAStreamsAppAloneMakeOnePipeline(@TempDir Path a, @TempDir Path b) throws Exception {
    try (KafkaClusterTestKit cluster = TestBroker.start()) {
      String bootstrap = cluster.bootstrapServers();
      String appId = "roles-" + UUID.randomUUID();
      IngestMain.Config streamsOnly = new IngestMain.Config(bootstrap, a, 0, "127.0.0.1", appId, 60_000L, 3_600_000L,
          2, (short) 1, Collector.DEFAULT_MAX_BODY_BYTES, null, Backlog.DEFAULT_MAX_EVENTS, IngestMain.Role.STREAMS);
      IngestMain.Config collectorOnly = new IngestMain.Config(bootstrap, b, 0, "127.0.0.1", appId, 60_000L,
          3_600_000L, 2, (short) 1, Collector.DEFAULT_MAX_BODY_BYTES, null, Backlog.DEFAULT_MAX_EVENTS,
          IngestMain.Role.COLLECTOR);
      try (IngestMain.App s = IngestMain.start(streamsOnly, Clock.systemUTC());
          IngestMain.App c = IngestMain.start(collectorOnly, Clock.systemUTC())) {
        assertNull(c.streams, "the collector runs no streams app");
        assertNull(s.backlog, "nor does the streams app measure a backlog for a collector it does not run");
        IngestScenario.awaitRunning(s);
        HttpClient http = HttpClient.newHttpClient();
        String collector = "http://127.0.0.1:" + c.address.getPort();
        String streams = "http://127.0.0.1:" + s.address.getPort();
        long now = System.currentTimeMillis();
        String body = IngestScenario.imp("e1", "u1", "i1", now, "r1", 1, 0.5) + "\n"
            + IngestScenario.click("e2", "u1", "i1", now + 10, "r1") + "\n";
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(collector + "/events"))
            .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(202, r.statusCode(), r.body());
        assertEquals(404, http.send(HttpRequest.newBuilder(URI.create(streams + "/events"))
            .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString())
            .statusCode(), "a streams-only process takes no events");
        HttpResponse<String> h = http.send(HttpRequest.newBuilder(URI.create(collector + "/health")).build(),
            HttpResponse.BodyHandlers.ofString());
        assertEquals(200, h.statusCode());
        assertTrue(h.body().contains("\"role\":\"collector\""), h.body());
        List<Interaction> got = Collections.synchronizedList(new ArrayList<>());
        IngestScenario.consume(bootstrap, Topics.INTERACTIONS, rec -> {
          got.add(Codecs.INTERACTION.decode(rec.value()));
          return !got.isEmpty();
        });
        assertEquals(1, got.size(), got.toString());
        assertEquals("e1", got.get(0).getEventId());
        assertEquals(1, got.get(0).getLabel());
      }
    }
  }
}
