package io.relstream.demo;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Start-up recovery of a work directory left by a killed run: processes still running for it are
 * stopped (found through {@code run/*.pid} and, for any whose pid file is missing, by the
 * {@code -Drelstream.workdir=DIR} mark on their command line), then lock files whose owner is gone are
 * removed.
 *
 * <p>Lock files: the broker's {@code kafka/data/.lock} and Kafka Streams' {@code .lock} files under
 * {@code ingest/} are {@code FileChannel} locks, which the kernel releases when their process dies, so a
 * stale file alone blocks nothing; they are removed anyway once no process of the work directory is
 * left, as the issue asks. RocksDB's {@code LOCK} (serving's store) is an fcntl lock, released on
 * process death too, and is left in place (RocksDB reuses the file); {@code SupervisionIT} restarts
 * serving after a kill -9 on the same store, which checks this.
 */
final class Recovery {
  private Recovery() {}

  static Path pidFile(Path work, String name) {
    return work.resolve("run").resolve(name + ".pid");
  }

  /** The supervisor's own pid file ({@code run/supervisor.pid}). */
  static Path supervisorPidFile(Path work) {
    return pidFile(work, "supervisor");
  }

  /** Whether {@code p} is a live java process started for {@code work} (by its command line). */
  static boolean ownedBy(ProcessHandle p, Path work) {
    if (!p.isAlive() || p.pid() == ProcessHandle.current().pid()) return false;
    Optional<String> cmd = p.info().commandLine();
    if (cmd.isEmpty()) return false;
    String c = cmd.get();
    String mark = "-D" + ChildProcess.WORKDIR_PROPERTY + "=" + work.toAbsolutePath().normalize();
    return c.contains("java") && (c.contains(mark + " ") || c.endsWith(mark));
  }

  /**
   * Refuses to start when another live supervisor holds {@code work}; then stops the processes left for
   * it and removes stale locks. Returns how many processes were stopped.
   */
  static int recover(Path work, PrintStream out) throws IOException, InterruptedException {
    work = work.toAbsolutePath().normalize();
    Path sup = supervisorPidFile(work);
    Optional<ProcessHandle> other = readPid(sup).flatMap(ProcessHandle::of)
        .filter(p -> p.isAlive() && p.pid() != ProcessHandle.current().pid())
        .filter(p -> p.info().commandLine().map(c -> c.contains("io.relstream.demo.")).orElse(false));
    if (other.isPresent()) {
      throw new IOException("another relstream supervisor (pid " + other.get().pid() + ") is running on " + work
          + "; stop it first");
    }
    Map<Long, ProcessHandle> left = new LinkedHashMap<>();
    Path run = work.resolve("run");
    if (Files.isDirectory(run)) {
      try (Stream<Path> files = Files.list(run)) {
        for (Path f : files.filter(p -> p.toString().endsWith(".pid")).toList()) {
          Optional<ProcessHandle> p = readPid(f).flatMap(ProcessHandle::of);
          final Path w = work;
          p.filter(h -> ownedBy(h, w)).ifPresent(h -> left.put(h.pid(), h));
          if (!f.equals(sup)) Files.deleteIfExists(f);
        }
      }
    }
    final Path w = work;
    ProcessHandle.allProcesses().filter(h -> ownedBy(h, w)).forEach(h -> left.putIfAbsent(h.pid(), h));
    for (ProcessHandle p : left.values()) {
      out.println("relstream demo: stopping pid " + p.pid() + ", left running on " + work + " by an earlier run");
      p.destroy();
    }
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
    for (ProcessHandle p : left.values()) {
      long wait = Math.max(0, deadline - System.nanoTime());
      try {
        p.onExit().get(wait, TimeUnit.NANOSECONDS);
      } catch (Exception e) {
        p.destroyForcibly();
      }
    }
    for (ProcessHandle p : left.values()) {
      try {
        p.onExit().get(10, TimeUnit.SECONDS);
      } catch (Exception e) {
        throw new IOException("pid " + p.pid() + " (left on " + work + ") does not exit");
      }
    }
    removeStaleLocks(work);
    return left.size();
  }

  /** Removes the broker's and Kafka Streams' lock files; call only when no process of {@code work} runs. */
  static List<Path> removeStaleLocks(Path work) throws IOException {
    List<Path> removed = new ArrayList<>();
    for (Path dir : List.of(work.resolve("kafka").resolve("data"), work.resolve("ingest"))) {
      if (!Files.isDirectory(dir)) continue;
      try (Stream<Path> files = Files.walk(dir, 4)) {
        for (Path f : files.filter(p -> p.getFileName().toString().equals(".lock")).toList()) {
          if (Files.deleteIfExists(f)) removed.add(f);
        }
      }
    }
    return removed;
  }

  static Optional<Long> readPid(Path f) {
    try {
      return Optional.of(Long.parseLong(Files.readString(f).strip()));
    } catch (IOException | NumberFormatException e) {
      return Optional.empty();
    }
  }

  /** Marks {@code dir} (a benchmark's temporary work directory) as owned by this JVM. */
  static void claimTempDir(Path dir) throws IOException {
    Files.writeString(dir.resolve("owner.pid"), ProcessHandle.current().pid() + "\n");
  }

  /**
   * Deletes the temporary directories named {@code prefix*} whose owner ({@code owner.pid}) is gone:
   * those of a benchmark killed with -9. A directory without an owner file is left alone for a minute
   * (its owner may be about to write it).
   */
  static void deleteAbandonedTempDirs(String prefix) {
    Path tmp = Path.of(System.getProperty("java.io.tmpdir"));
    try (Stream<Path> dirs = Files.list(tmp)) {
      for (Path d : dirs.filter(p -> p.getFileName().toString().startsWith(prefix) && Files.isDirectory(p)).toList()) {
        Optional<Long> owner = readPid(d.resolve("owner.pid"));
        boolean gone = owner.isPresent()
            ? ProcessHandle.of(owner.get()).map(h -> !h.isAlive()).orElse(true)
            : Files.getLastModifiedTime(d).toMillis() < System.currentTimeMillis() - 60_000;
        if (gone && ProcessHandle.allProcesses().noneMatch(h -> ownedBy(h, d))) {
          deleteTree(d);
        }
      }
    } catch (IOException e) {
      // best effort
    }
  }

  /** Deletes {@code dir} and everything under it, best effort. */
  static void deleteTree(Path dir) {
    if (!Files.exists(dir)) return;
    try (Stream<Path> all = Files.walk(dir)) {
      for (Path p : all.sorted(java.util.Comparator.reverseOrder()).toList()) {
        try {
          Files.deleteIfExists(p);
        } catch (IOException e) {
          // best effort
        }
      }
    } catch (IOException e) {
      // best effort
    }
  }
}
