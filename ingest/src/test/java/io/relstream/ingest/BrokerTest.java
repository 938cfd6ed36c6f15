package io.relstream.ingest;

import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

/**
 * A fresh real KRaft broker ({@link TestBroker}) for each test: topic names are fixed, and one test's events
 * would otherwise move another's stream time.
 */
abstract class BrokerTest {
  protected KafkaClusterTestKit cluster;

  @BeforeEach
  void startBroker() throws Exception {
    cluster = TestBroker.start();
  }

  @AfterEach
  void stopBroker() throws Exception {
    if (cluster != null) {
      cluster.close();
    }
  }
}
