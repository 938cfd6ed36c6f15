package io.relstream.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * kill -9 of the supervisor itself ({@code DemoMain} as a real process): every child exits by itself
 * (its parent watchdog) within 10 s, and a fresh start on the same work directory (stale pid files, the
 * broker's and Kafka Streams' lock files, RocksDB's LOCK) comes up with every process up; a clean stop
 * then removes the pid files.
 */
class SupervisorKillIT {
  static final ObjectMapper JSON = new ObjectMapper();
  static final Path HOME = Path.of("..").toAbsolutePath().normalize();
  static final List<String> CHILDREN = List.of("kafka", "ingest", "stream-train", "serving");
  final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  @Test
  void childrenDieWithAKilledSupervisorAndTheNextStartRecovers(@TempDir Path dir) throws Exception {
    Path work = dir.resolve("work");
    Process first = startDemo(work, dir.resolve("first.log"));
    List<Long> pids = new ArrayList<>();
    try {
      awaitUp(first, dir.resolve("first.log"));
      for (String name : CHILDREN) {
        long pid = Recovery.readPid(work.resolve("run/" + name + ".pid")).orElseThrow();
        assertTrue(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false), name + " runs");
        pids.add(pid);
      }
      long t0 = System.nanoTime();
      first.destroyForcibly(); // SIGKILL: no shutdown hook runs
      first.waitFor();
      for (long pid : pids) {
        Optional<ProcessHandle> p = ProcessHandle.of(pid);
        if (p.isPresent()) {
          long left = TimeUnit.SECONDS.toNanos(10) - (System.nanoTime() - t0);
          try {
            p.get().onExit().get(Math.max(0, left), TimeUnit.NANOSECONDS);
          } catch (java.util.concurrent.TimeoutException e) {
            throw new AssertionError("child pid " + pid + " still runs 10 s after kill -9 of its supervisor");
          }
        }
      }
      System.out.printf("SupervisorKillIT: every child gone %d ms after kill -9 of the supervisor%n",
          (System.nanoTime() - t0) / 1_000_000);
    } finally {
      first.destroyForcibly();
      pids.forEach(pid -> ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly));
    }
    assertTrue(Files.exists(work.resolve("run/kafka.pid")), "the killed run left its pid files");

    Process second = startDemo(work, dir.resolve("second.log"));
    try {
      long t1 = System.nanoTime();
      awaitUp(second, dir.resolve("second.log"));
      System.out.printf("SupervisorKillIT: the second start was up after %d ms%n", (System.nanoTime() - t1) / 1_000_000);
      for (String name : CHILDREN) {
        long pid = Recovery.readPid(work.resolve("run/" + name + ".pid")).orElseThrow();
        assertFalse(pids.contains(pid), name + " is a new process");
      }
      second.destroy(); // SIGTERM: a clean stop
      assertTrue(second.waitFor(90, TimeUnit.SECONDS), "the supervisor stops on SIGTERM");
      try (Stream<Path> left = Files.list(work.resolve("run"))) {
        assertEquals(List.of(), left.toList(), "a clean stop removes the pid files");
      }
    } finally {
      second.destroyForcibly();
    }
  }

  private Process startDemo(Path work, Path log) throws Exception {
    int port = EmbeddedBroker.freePort();
    Files.writeString(work.getParent().resolve(log.getFileName() + ".port"), String.valueOf(port));
    List<String> cmd = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx256m",
        "-Drelstream.home=" + HOME, "-cp", Classpaths.of(HOME, "demo"), "io.relstream.demo.DemoMain",
        "--dataset", "none", "--workdir", work.toString(), "--port", String.valueOf(port));
    return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
  }

  /** Until the front's /health answers 200 with every child up. */
  private void awaitUp(Process demo, Path log) throws Exception {
    int port = Integer.parseInt(Files.readString(log.getParent().resolve(log.getFileName() + ".port")));
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(150);
    String last = "-";
    while (System.nanoTime() < deadline) {
      if (!demo.isAlive()) throw new AssertionError("the demo exited:\n" + Files.readString(log));
      try {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/health"))
            .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
        last = r.body();
        JsonNode p = JSON.readTree(r.body()).path("components");
        if (r.statusCode() == 200 && CHILDREN.stream().allMatch(c -> p.path(c).path("process").asText().equals("up"))) {
          return;
        }
      } catch (java.io.IOException e) {
        // not listening yet
      }
      Thread.sleep(300);
    }
    throw new AssertionError("the demo was not up within 150 s: " + last + "\n" + Files.readString(log));
  }
}
