package io.relstream.serving;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class ServingConfigTest {
  @Test
  void parsesFlagsWithDefaults() throws Exception {
    assertEquals(new ServingConfig("localhost:9092", 8082, Path.of("/tmp/db"), 0.009136),
        ServingConfig.parse("--bootstrap", "localhost:9092", "--db-dir", "/tmp/db"));
    assertEquals(new ServingConfig("h:1", 0, Path.of("d"), 0.05),
        ServingConfig.parse("--port", "0", "--clip", "0.05", "--db-dir", "d", "--bootstrap", "h:1"));
    assertNull(ServingConfig.parse("--bootstrap", "h:1", "--help"));
  }

  @Test
  void bindAndToken() throws Exception {
    ServingConfig c = ServingConfig.parse("--bootstrap", "h:1", "--db-dir", "d", "--bind", "0.0.0.0", "--token", "t0k");
    assertEquals("0.0.0.0", c.bind());
    assertEquals("t0k", c.token());
    assertEquals(-1, c.toString().indexOf("t0k"));
    assertEquals("127.0.0.1", ServingConfig.parse("--bootstrap", "h:1", "--db-dir", "d").bind());
    assertNull(ServingConfig.parse("--bootstrap", "h:1", "--db-dir", "d").token());
    ServingConfig.UsageException e = assertThrows(ServingConfig.UsageException.class,
        () -> ServingConfig.parse("--bootstrap", "h:1", "--db-dir", "d", "--bind", "0.0.0.0"));
    assertEquals(true, e.getMessage().contains("--token"));
  }

  @Test
  void servedLogAndExploration() throws Exception {
    ServingConfig off = ServingConfig.parse("--bootstrap", "h:1", "--db-dir", "d");
    assertEquals(false, off.logServed());
    assertEquals(0.0, off.explore().epsilon());
    ServingConfig on = ServingConfig.parse("--bootstrap", "h:1", "--log-served", "--db-dir", "d", "--explore",
        "epsilon:0.1");
    assertEquals(true, on.logServed());
    assertEquals(0.1, on.explore().epsilon());
    for (String[] bad : new String[][] {
        {"--bootstrap", "h:1", "--db-dir", "d", "--explore", "epsilon:2"},
        {"--bootstrap", "h:1", "--db-dir", "d", "--explore", "thompson"},
        {"--bootstrap", "h:1", "--db-dir", "d", "--log-served", "--log-served"},
        {"--bootstrap", "h:1", "--db-dir", "d", "--explore"}}) {
      ServingConfig.UsageException e = assertThrows(ServingConfig.UsageException.class, () -> ServingConfig.parse(bad),
          String.join(" ", bad));
      assertEquals(-1, e.getMessage().indexOf('\n'), e.getMessage());
    }
  }

  @Test
  void rejectsBadFlagsWithOneLine() {
    String[][] bad = {
        {}, {"--bootstrap", "h:1"}, {"--db-dir", "d"}, {"--bootstrap"}, {"--bootstrap", "nohostport", "--db-dir", "d"},
        {"--bootstrap", "h:1", "--db-dir", "d", "--port", "x"}, {"--bootstrap", "h:1", "--db-dir", "d", "--port", "70000"},
        {"--bootstrap", "h:1", "--db-dir", "d", "--clip", "2"}, {"--bootstrap", "h:1", "--db-dir", "d", "--clip", "NaN"},
        {"--bootstrap", "h:1", "--db-dir", "d", "--frobnicate", "1"}, {"--bootstrap", "h:1", "--bootstrap", "h:2", "--db-dir", "d"},
    };
    for (String[] args : bad) {
      ServingConfig.UsageException e = assertThrows(ServingConfig.UsageException.class, () -> ServingConfig.parse(args),
          String.join(" ", args));
      assertEquals(-1, e.getMessage().indexOf('\n'));
    }
  }
}
