package io.relstream.streamreplay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@code bench checkpoint}'s flags: the runs they pick, and bad flags refused with one line and exit code 2. */
class CheckpointBenchTest {

  @Test
  void runsByFlags() {
    CheckpointBench.Options all = CheckpointBench.Options.parse(new String[0]);
    assertEquals(4, all.runs().size());
    assertEquals(60, all.seconds());
    assertEquals(List.of(new CheckpointBench.Shape(1_000_000, 100_000, 1),
        new CheckpointBench.Shape(1_000_000, 100_000, 2)),
        CheckpointBench.Options.parse(new String[] {"--quick", "--json"}).runs());
    CheckpointBench.Options one = CheckpointBench.Options.parse(new String[] {"--quick", "--users", "2_000",
        "--parallelism", "2", "--seconds", "5"});
    assertEquals(List.of(new CheckpointBench.Shape(2000, 100_000, 2)), one.runs());
    assertEquals(5, one.seconds());
  }

  @Test
  void badFlagsExitWithTwoAndOneLine() {
    for (String[] args : List.of(new String[] {"--bogus"}, new String[] {"--users"}, new String[] {"--users", "0"},
        new String[] {"--seconds", "x"}, new String[] {"--parallelism", "-1"}, new String[] {"extra"})) {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      ByteArrayOutputStream err = new ByteArrayOutputStream();
      int code = CheckpointBench.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
          new PrintStream(err, true, StandardCharsets.UTF_8));
      String e = err.toString(StandardCharsets.UTF_8);
      assertEquals(2, code, String.join(" ", args));
      assertEquals(1, e.lines().count(), e);
      assertTrue(e.startsWith("bench checkpoint: "), e);
      assertEquals("", out.toString(StandardCharsets.UTF_8));
    }
  }
}
