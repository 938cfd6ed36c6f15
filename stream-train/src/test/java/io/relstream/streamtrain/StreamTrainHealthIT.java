package io.relstream.streamtrain;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.relstream.http.DiskFloor;
import io.relstream.schemas.Topics;
import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.apache.kafka.common.test.TestKitNodes;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * StreamTrainMain's job on a local MiniCluster against a real in-process broker: /health says RUNNING
 * with 200 and reports this job's checkpoints; Flink's REST endpoint answers on 127.0.0.1 only and
 * refuses a job cancel; below the disk floor /health is degraded; after the job ends it is down.
 */
class StreamTrainHealthIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private static KafkaClusterTestKit kafka;

  @TempDir
  Path tmp;

  @BeforeAll
  static void startBroker() throws Exception {
    kafka = new KafkaClusterTestKit.Builder(new TestKitNodes.Builder().setCombined(true).setNumBrokerNodes(1)
        .setNumControllerNodes(1).build())
        .setConfigProp("transaction.state.log.replication.factor", "1")
        .setConfigProp("transaction.state.log.min.isr", "1")
        .setConfigProp("offsets.topic.replication.factor", "1")
        .build();
    kafka.format();
    kafka.startup();
    kafka.waitForReadyBrokers();
    try (Admin admin = Admin.create(Map.of("bootstrap.servers", kafka.bootstrapServers()))) {
      admin.createTopics(List.of(new NewTopic(Topics.INTERACTIONS, 1, (short) 1),
          new NewTopic(Topics.MODEL_UPDATES, 1, (short) 1).configs(Map.of("cleanup.policy", "compact"))))
          .all().get(60, TimeUnit.SECONDS);
    }
  }

  @AfterAll
  static void stopBroker() throws Exception {
    if (kafka != null) {
      kafka.close();
    }
  }

  private static HttpResponse<String> send(String method, String url) throws Exception {
    return HTTP.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10))
        .method(method, HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
  }

  private static JsonNode await(String what, String url, java.util.function.Predicate<JsonNode> ok)
      throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    String last = "";
    while (System.nanoTime() < deadline) {
      try {
        HttpResponse<String> r = send("GET", url);
        last = r.statusCode() + " " + r.body();
        JsonNode body = JSON.readTree(r.body());
        if (ok.test(body)) {
          return body;
        }
      } catch (IOException e) {
        last = e.toString();
      }
      Thread.sleep(200);
    }
    throw new AssertionError("timed out waiting for " + what + "; last: " + last);
  }

  /** A non-loopback address of this machine, if it has one. */
  private static Optional<InetAddress> nonLoopback() throws IOException {
    for (NetworkInterface ni : Collections.list(NetworkInterface.getNetworkInterfaces())) {
      if (!ni.isUp() || ni.isLoopback()) {
        continue;
      }
      for (InetAddress a : Collections.list(ni.getInetAddresses())) {
        if (a instanceof Inet4Address && !a.isLoopbackAddress() && !a.isLinkLocalAddress()) {
          return Optional.of(a);
        }
      }
    }
    return Optional.empty();
  }

  @Test
  void healthSaysRunningAndFlinkRestIsLoopbackOnlyWithoutCancel() throws Exception {
    StreamTrainMain.Args args = StreamTrainMain.Args.parse(new String[] {"--bootstrap", kafka.bootstrapServers(),
        "--checkpoint-dir", tmp.resolve("chk").toString(), "--checkpoint-interval-ms", "500",
        "--rest-port", "0", "--health-port", "0"});
    StreamTrainMain.Started started = StreamTrainMain.launch(args);
    String jobId = started.job().getJobID().toHexString();
    try (TrainHealth health = TrainHealth.start(args, started)) {
      String url = "http://127.0.0.1:" + health.port();
      JsonNode h = await("/health 200 RUNNING with a checkpoint", url + "/health",
          b -> b.get("status").asText().equals("up") && !b.get("lastCheckpointAgeMs").isNull());
      HttpResponse<String> r = send("GET", url + "/health");
      assertEquals(200, r.statusCode(), r.body());
      h = JSON.readTree(r.body());
      assertEquals("RUNNING", h.get("job").asText());
      assertEquals(jobId, h.get("jobId").asText());
      assertTrue(h.get("lastCheckpoint").asText().startsWith("chk-"), h.toString());
      assertTrue(h.get("lastCheckpointAgeMs").asLong() >= 0);
      assertEquals(started.restPort(), h.get("restPort").asInt());
      assertTrue(h.get("disk").get("ok").asBoolean());
      assertTrue(h.get("disk").get("freeBytes").asLong() > 0);
      assertEquals(1024L << 20, h.get("disk").get("floorBytes").asLong());
      String metrics = send("GET", url + "/metrics").body();
      assertTrue(metrics.contains("\nrelstream_train_job_running 1\n"), metrics);
      assertTrue(metrics.matches("(?s).*\nrelstream_train_last_checkpoint_age_ms \\d+\n.*"), metrics);

      // Flink's REST endpoint: on loopback, not on the machine's other address, and no cancel
      String rest = "http://127.0.0.1:" + started.restPort();
      HttpResponse<String> overview = send("GET", rest + "/jobs/overview");
      assertEquals(200, overview.statusCode(), overview.body());
      assertTrue(overview.body().contains(jobId), overview.body());
      Optional<InetAddress> other = nonLoopback();
      if (other.isPresent()) {
        assertThrows(IOException.class, () -> {
          try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(other.get(), started.restPort()), 2000);
          }
        }, "Flink REST must not answer on " + other.get().getHostAddress());
      }
      HttpResponse<String> cancel = send("PATCH", rest + "/jobs/" + jobId + "?mode=cancel");
      assertTrue(cancel.statusCode() >= 400, "cancel refused: " + cancel.statusCode() + " " + cancel.body());
      Thread.sleep(1000);
      assertEquals("RUNNING", health.jobStatus(), "the job survives the refused cancel");
      HttpResponse<String> submit = send("POST", rest + "/jars/upload");
      assertTrue(submit.statusCode() >= 400, "submit refused: " + submit.statusCode() + " " + submit.body());

      // the same job, a floor no disk can meet: degraded, 503
      try (TrainHealth low = new TrainHealth(started.job(), args.checkpointDir(), 500,
          new DiskFloor(args.checkpointDir(), Long.MAX_VALUE), started.restPort(), "127.0.0.1", 0, null)) {
        low.start0();
        HttpResponse<String> d = send("GET", "http://127.0.0.1:" + low.port() + "/health");
        assertEquals(503, d.statusCode(), d.body());
        JsonNode dh = JSON.readTree(d.body());
        assertEquals("degraded", dh.get("status").asText());
        assertEquals("RUNNING", dh.get("job").asText());
        assertFalse(dh.get("disk").get("ok").asBoolean());
      }

      started.job().cancel().get(60, TimeUnit.SECONDS);
      JsonNode down = await("/health down after the cancel", url + "/health",
          b -> b.get("status").asText().equals("down"));
      assertTrue(List.of("CANCELED", "UNKNOWN").contains(down.get("job").asText()), down.toString());
      assertEquals(503, send("GET", url + "/health").statusCode());
    } finally {
      boolean ended;
      try {
        ended = started.job().getJobStatus().get(10, TimeUnit.SECONDS).isGloballyTerminalState();
      } catch (Exception e) {
        ended = true; // the MiniCluster is already shut down
      }
      if (!ended) {
        started.job().cancel().get(60, TimeUnit.SECONDS);
      }
    }
  }
}
