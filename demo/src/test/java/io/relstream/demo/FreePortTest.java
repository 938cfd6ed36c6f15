package io.relstream.demo;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.ServerSocket;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * {@link EmbeddedBroker#freePort()} hands a port out once per JVM: the kernel offers a released port
 * again (with a few thousand probes among ~28,000 ephemeral ports, repeats are all but certain), and a
 * stack whose children bind seconds after the probe must never give two listeners one port.
 */
class FreePortTest {
  @Test
  void noPortIsHandedOutTwiceAndReservedPortsAreSkipped() throws Exception {
    int reserved;
    try (ServerSocket s = new ServerSocket(0)) {
      reserved = s.getLocalPort();
    }
    EmbeddedBroker.reserve(reserved);
    Set<Integer> seen = new HashSet<>();
    for (int i = 0; i < 3000; i++) {
      int p = EmbeddedBroker.freePort();
      assertTrue(p != reserved, "the reserved port " + reserved + " was handed out");
      assertTrue(seen.add(p), "port " + p + " handed out twice (call " + i + ")");
    }
  }
}
