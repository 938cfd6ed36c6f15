package io.relstream.ingest;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link IngestScenario} against a real in-process KRaft broker (one combined node). Each test gets a fresh
 * broker: the topic names are fixed, and one test's events would otherwise move the other's stream time.
 */
class IngestIT extends BrokerTest {
  @Test
  @Timeout(600)
  void collectorAndStreamsAppEndToEnd(@TempDir Path stateDir) throws Exception {
    new IngestScenario(cluster.bootstrapServers()).run(stateDir);
  }

  @Test
  @Timeout(600)
  void heldImpressionsAndSeenIdsSurviveARestart(@TempDir Path first, @TempDir Path second) throws Exception {
    new IngestScenario(cluster.bootstrapServers()).runRestart(first, second);
  }
}
