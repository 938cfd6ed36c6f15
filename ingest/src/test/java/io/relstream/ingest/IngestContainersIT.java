package io.relstream.ingest;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.io.TempDir;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.junit.jupiter.Container;
import org.testcontainers.junit.jupiter.Testcontainers;
import org.testcontainers.kafka.KafkaContainer;

/**
 * {@link IngestScenario} against a containerized broker (apache/kafka 4.2.0). Skipped where there is no Docker
 * engine (these machines and CI): the same scenario runs in {@link IngestIT} against an in-process broker.
 */
@ExtendWith(IngestContainersIT.DockerNote.class)
@Testcontainers(disabledWithoutDocker = true)
class IngestContainersIT {
  @Container
  static final KafkaContainer KAFKA = new KafkaContainer("apache/kafka:4.2.0");

  @Test
  @Timeout(600)
  void collectorAndStreamsAppEndToEndOnAContainerizedBroker(@TempDir Path stateDir) throws Exception {
    new IngestScenario(KAFKA.getBootstrapServers()).run(stateDir);
  }

  /** Prints why the class is skipped; the decision itself is {@code @Testcontainers(disabledWithoutDocker)}'s. */
  static final class DockerNote implements ExecutionCondition {
    @Override
    public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
      if (context.getTestMethod().isEmpty() && !DockerClientFactory.instance().isDockerAvailable()) {
        System.out.println("NOTE: IngestContainersIT is SKIPPED: no Docker engine is reachable on this machine, so "
            + "Testcontainers cannot start the apache/kafka:4.2.0 container. The same scenario runs in IngestIT "
            + "against an in-process KRaft broker (KafkaClusterTestKit).");
      }
      return ConditionEvaluationResult.enabled("informational only");
    }
  }
}
