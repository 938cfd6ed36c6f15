package io.relstream.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A process left running on a work directory (here: a java process with the work directory's mark and
 * no parent watchdog, as an older version's child would be) is stopped by the next start's recovery, a
 * java process of another work directory is not, and stale lock files are removed.
 */
class RecoveryIT {
  @Test
  void recoveryStopsWhatAKilledRunLeftAndOnlyThat(@TempDir Path dir) throws Exception {
    Path work = dir.resolve("work");
    Path other = dir.resolve("other");
    Path src = dir.resolve("Sleep.java");
    Files.writeString(src, "public class Sleep { public static void main(String[] a) throws Exception {"
        + " Thread.sleep(600_000); } }");
    Process left = sleeper(work, src);
    Process unrelated = sleeper(other, src);
    try {
      Files.createDirectories(work.resolve("run"));
      Files.writeString(work.resolve("run/ingest.pid"), left.pid() + "\n");
      Files.writeString(work.resolve("run/serving.pid"), "999999999\n"); // long gone
      Files.createDirectories(work.resolve("kafka/data"));
      Files.writeString(work.resolve("kafka/data/.lock"), "");
      Files.createDirectories(work.resolve("ingest/relstream-ingest/0_0"));
      Files.writeString(work.resolve("ingest/relstream-ingest/0_0/.lock"), "");
      // the single-file launcher compiles first: wait until the mark is visible on its command line
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (!Recovery.ownedBy(left.toHandle(), work) && System.nanoTime() < deadline) Thread.sleep(100);
      assertTrue(Recovery.ownedBy(left.toHandle(), work));
      assertFalse(Recovery.ownedBy(unrelated.toHandle(), work), "another work directory's process is not ours");

      int stopped = Recovery.recover(work, new PrintStream(new ByteArrayOutputStream()));
      assertEquals(1, stopped);
      assertTrue(left.waitFor(5, TimeUnit.SECONDS) && !left.isAlive(), "the left-over process is stopped");
      assertTrue(unrelated.isAlive(), "another work directory's process keeps running");
      assertFalse(Files.exists(work.resolve("kafka/data/.lock")));
      assertFalse(Files.exists(work.resolve("ingest/relstream-ingest/0_0/.lock")));
      try (var pids = Files.list(work.resolve("run"))) {
        assertEquals(List.of(), pids.toList(), "stale pid files are removed");
      }
    } finally {
      left.destroyForcibly();
      unrelated.destroyForcibly();
    }
  }

  private static Process sleeper(Path work, Path src) throws Exception {
    Files.createDirectories(work);
    return new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx32m",
        "-D" + ChildProcess.WORKDIR_PROPERTY + "=" + work.toAbsolutePath().normalize(), src.toString())
        .redirectErrorStream(true).redirectOutput(work.resolve("sleep.log").toFile()).start();
  }
}
