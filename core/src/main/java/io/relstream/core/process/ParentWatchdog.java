package io.relstream.core.process;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.util.Arrays;
import java.util.Optional;

/**
 * Entry point of every child JVM a supervisor starts: {@code ParentWatchdog MAIN-CLASS ARGS...} installs
 * a daemon thread that exits this JVM when its parent is gone, then runs {@code MAIN-CLASS.main(ARGS)}.
 *
 * <p>The parent's pid comes in {@code -Drelstream.parent.pid}. Every {@value #POLL_MS} ms the thread
 * checks that this process's parent still is that pid: when the parent dies (kill -9 included) the
 * child is re-parented (to init or a subreaper), so the check also holds if the old pid is reused. It
 * then calls {@code System.exit(143)} (shutdown hooks run: Kafka, Flink and RocksDB close cleanly) and,
 * if the JVM has not exited after {@value #GRACE_MS} ms, {@code Runtime.halt}. Lives in core because
 * every child's classpath (ingest, stream-train, serving, and demo's for the broker) includes it.
 */
public final class ParentWatchdog {
  public static final String PARENT_PID_PROPERTY = "relstream.parent.pid";
  static final long POLL_MS = 500;
  static final long GRACE_MS = 4_000;

  private ParentWatchdog() {}

  public static void main(String[] args) throws Throwable {
    if (args.length == 0) {
      System.err.println("usage: ParentWatchdog MAIN-CLASS [ARGS...] (with -D" + PARENT_PID_PROPERTY + "=PID)");
      System.exit(2);
      return;
    }
    String pid = System.getProperty(PARENT_PID_PROPERTY);
    if (pid != null && !pid.isBlank()) {
      install(Long.parseLong(pid.strip()));
    }
    Method main = Class.forName(args[0]).getMethod("main", String[].class);
    try {
      main.invoke(null, (Object) Arrays.copyOfRange(args, 1, args.length));
    } catch (InvocationTargetException e) {
      throw e.getCause();
    }
  }

  /** Starts the watch thread for {@code parentPid}; exits at once if the parent is already gone. */
  public static void install(long parentPid) {
    Thread t = new Thread(() -> watch(parentPid), "parent-watchdog");
    t.setDaemon(true);
    t.start();
  }

  static boolean parentAlive(long parentPid) {
    Optional<ProcessHandle> parent = ProcessHandle.current().parent();
    return parent.isPresent() && parent.get().pid() == parentPid && parent.get().isAlive();
  }

  private static void watch(long parentPid) {
    while (parentAlive(parentPid)) {
      try {
        Thread.sleep(POLL_MS);
      } catch (InterruptedException e) {
        return;
      }
    }
    System.err.println("parent-watchdog: parent process " + parentPid + " is gone; exiting");
    Thread halt = new Thread(() -> {
      try {
        Thread.sleep(GRACE_MS);
      } catch (InterruptedException e) {
        // halt now
      }
      System.err.println("parent-watchdog: still running " + GRACE_MS + " ms later; halting");
      Runtime.getRuntime().halt(143);
    }, "parent-watchdog-halt");
    halt.setDaemon(true);
    halt.start();
    System.exit(143);
  }
}
