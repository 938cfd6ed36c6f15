package io.relstream.demo;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * One supervised child JVM: started with an explicit heap and its own classpath, its output appended
 * to {@code logs/NAME.log} under the work directory, stopped with SIGTERM (its shutdown hooks run)
 * and, if it does not exit within the grace period, killed. {@link #restart()} starts it again with the
 * same command line (same ports, same state directories).
 *
 * <p>Every child runs under {@code io.relstream.core.process.ParentWatchdog} with this JVM's pid, so it
 * exits by itself when this JVM dies, {@code kill -9} included; and with {@code -Drelstream.workdir=DIR}
 * on its command line, so a later start on the same work directory can recognise (and stop) a child left
 * behind. Its pid is kept in {@code run/NAME.pid} under the work directory while it runs.
 */
final class ChildProcess {
  static final String WATCHDOG = "io.relstream.core.process.ParentWatchdog";
  static final String WORKDIR_PROPERTY = "relstream.workdir";

  final String name;
  final Path log;
  private final Path pidFile;
  private final List<String> command;
  private final Map<String, String> env;
  private volatile Process process;
  private volatile boolean stopped;

  private ChildProcess(String name, Path log, Path pidFile, List<String> command, Map<String, String> env) {
    this.name = name;
    this.log = log;
    this.pidFile = pidFile;
    this.command = List.copyOf(command);
    this.env = Map.copyOf(env);
  }

  /** Starts {@code mainClass}; {@code logDir} is {@code WORKDIR/logs}, the pid file goes to {@code WORKDIR/run}. */
  static ChildProcess start(String name, String heap, String classpath, List<String> jvmArgs,
      String mainClass, List<String> args, Path logDir) throws IOException {
    return start(name, heap, classpath, jvmArgs, mainClass, args, logDir, Map.of());
  }

  /** As above, with {@code env} added to the environment this JVM passes on. */
  static ChildProcess start(String name, String heap, String classpath, List<String> jvmArgs,
      String mainClass, List<String> args, Path logDir, Map<String, String> env) throws IOException {
    Files.createDirectories(logDir);
    Path work = logDir.toAbsolutePath().normalize().getParent();
    Path log = logDir.resolve(name + ".log");
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("-Xmx" + heap);
    cmd.add("-XX:+ExitOnOutOfMemoryError");
    cmd.add("-Drelstream.parent.pid=" + ProcessHandle.current().pid());
    cmd.add("-D" + WORKDIR_PROPERTY + "=" + work);
    cmd.addAll(jvmArgs);
    cmd.add("-cp");
    cmd.add(classpath);
    cmd.add(WATCHDOG);
    cmd.add(mainClass);
    cmd.addAll(args);
    ChildProcess c = new ChildProcess(name, log, Recovery.pidFile(work, name), cmd, env);
    c.launch();
    return c;
  }

  private synchronized void launch() throws IOException {
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
    pb.environment().putAll(env);
    process = pb.start();
    Files.createDirectories(pidFile.getParent());
    Files.writeString(pidFile, process.pid() + "\n");
  }

  /** Starts the child again with the same command line; the previous process must have exited. */
  synchronized void restart() throws IOException {
    if (stopped) throw new IOException(name + " is stopped");
    if (process.isAlive()) throw new IllegalStateException(name + " is still running");
    Files.writeString(log, "---- restarted by the supervisor at " + java.time.Instant.now() + " ----\n",
        java.nio.file.StandardOpenOption.APPEND, java.nio.file.StandardOpenOption.CREATE);
    launch();
  }

  boolean alive() {
    return process.isAlive();
  }

  long pid() {
    return process.pid();
  }

  int exitCode() {
    return process.exitValue();
  }

  /** Waits until the current process exits; returns its exit code. */
  int waitFor() throws InterruptedException {
    return process.waitFor();
  }

  /** Whether {@link #stop} was called: an exit after that is expected. */
  boolean stopped() {
    return stopped;
  }

  /** SIGKILL of the current process, which the supervisor then treats as an exit (no {@link #stop}). */
  void kill() {
    process.destroyForcibly();
  }

  /** SIGTERM, then SIGKILL after {@code graceSeconds}; removes the pid file. No restart after this. */
  void stop(long graceSeconds) {
    Process p;
    synchronized (this) {
      stopped = true;
      p = process;
    }
    try {
      if (!p.isAlive()) return;
      p.destroy();
      try {
        if (!p.waitFor(graceSeconds, TimeUnit.SECONDS)) {
          p.destroyForcibly();
          p.waitFor(10, TimeUnit.SECONDS);
        }
      } catch (InterruptedException e) {
        p.destroyForcibly();
        Thread.currentThread().interrupt();
      }
    } finally {
      try {
        Files.deleteIfExists(pidFile);
      } catch (IOException e) {
        // left for the next start's recovery, which checks the pid
      }
    }
  }

  /** The last lines of the child's log, for error messages. */
  String tail(int lines) {
    try {
      List<String> all = Files.readAllLines(log);
      return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
    } catch (IOException e) {
      return "(no log: " + e.getMessage() + ")";
    }
  }
}
