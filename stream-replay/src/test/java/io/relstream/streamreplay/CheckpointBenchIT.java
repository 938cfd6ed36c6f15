package io.relstream.streamreplay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@code bench checkpoint} at a tiny size (2,000 users x 500 items, 5 s measured): a real broker, the job on a
 * MiniCluster, its checkpoints read from Flink's REST API, a restore from the retained one.
 */
@Timeout(180)
class CheckpointBenchIT {
  static final List<String> FIELDS = List.of("users", "items", "d", "parallelism", "eventsPerSecond",
      "checkpointMsP50", "checkpointMsMax", "checkpointBytesP50", "stateBytes", "restoreMs", "startMs", "checkpoints",
      "measuredSeconds", "toppedUp", "restoredCheckpointId", "capped");

  @Test
  void measuresCheckpointsAndRestoreOfATinyModel() throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code = CheckpointBench.run(new String[] {"--users", "2000", "--items", "500", "--seconds", "5", "--json"},
        new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
    String log = err.toString(StandardCharsets.UTF_8);
    assertEquals(0, code, log);
    List<String> lines = out.toString(StandardCharsets.UTF_8).lines().toList();
    assertEquals(1, lines.size(), "--json: one JSON line on stdout and nothing else: " + lines);
    JsonNode r = new ObjectMapper().readTree(lines.get(0));
    for (String f : FIELDS) {
      assertTrue(r.has(f), f + " missing: " + r);
    }
    assertEquals(2000, r.get("users").asInt());
    assertEquals(500, r.get("items").asInt());
    assertEquals(32, r.get("d").asInt());
    assertEquals(1, r.get("parallelism").asInt());
    assertTrue(r.get("eventsPerSecond").asLong() > 0, r.toString());
    assertTrue(r.get("checkpoints").asInt() > 0, "checkpoints completed in the measured phase: " + r);
    assertTrue(r.get("checkpointMsP50").asLong() > 0 && r.get("checkpointMsMax").asLong()
        >= r.get("checkpointMsP50").asLong(), r.toString());
    assertTrue(r.get("checkpointBytesP50").asLong() > 0, r.toString());
    assertTrue(r.get("stateBytes").asLong() > 0, r.toString());
    assertTrue(r.get("restoreMs").asLong() > 0, r.toString());
    assertTrue(r.get("restoredCheckpointId").asLong() > 0, "the job resumed from a retained checkpoint: " + r);
    assertEquals(0, r.get("capped").size(), r.toString());
    assertTrue(log.contains("draining") && log.contains("producing"), "progress on stderr: " + log);
  }
}
