package io.relstream.demo;

import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * The running embedded stack: a KRaft broker, ingest, stream-train and serving, each a child JVM with
 * an explicit heap, and the front proxy on one port. {@link #close()} stops the children in reverse
 * order of start (serving, training, ingest, broker), each with SIGTERM then, after a grace period,
 * SIGKILL.
 *
 * <p>Supervision: one thread per child waits for it to exit. An exit the supervisor did not ask for is
 * logged (exit code and the tail of the child's log, on the console and in {@code logs/supervisor.log})
 * and the child is restarted with the same command line, so with the same ports and state directories,
 * after the {@link RestartPolicy} delay (1 s, 2 s, 4 s ... at most 30 s; at most 5 restarts in 10
 * minutes, then it is left down). Until the restarted child is ready again the front answers its routes
 * with 503 and {@code Retry-After} and {@code /health} shows it "restarting"; a child given up on shows
 * "down" and the others keep running.
 */
final class Stack implements AutoCloseable {
  static final String AVRO_TRUST = "-Dorg.apache.avro.SERIALIZABLE_PACKAGES=io.relstream.schemas.avro";

  /** How a restarted child is known to be ready again. */
  interface Readiness {
    void await(ChildProcess c) throws IOException, InterruptedException;
  }

  final String bootstrap;
  final FrontProxy front;
  final Path work;
  /** Where the front and the children listen, and the token they require. */
  final Listen listen;
  private final List<ChildProcess> children;
  private final Map<String, Readiness> readiness;
  private final RestartPolicy policy;
  private final PrintStream out;
  private final Map<String, String> states = new ConcurrentHashMap<>();
  private final List<Thread> supervisors = new ArrayList<>();
  private volatile boolean closed;

  private Stack(String bootstrap, FrontProxy front, Path work, Listen listen, List<ChildProcess> children,
      Map<String, Readiness> readiness, RestartPolicy policy, PrintStream out) {
    this.listen = listen;
    this.bootstrap = bootstrap;
    this.front = front;
    this.work = work;
    this.children = children;
    this.readiness = readiness;
    this.policy = policy;
    this.out = out;
    for (ChildProcess c : List.copyOf(children)) {
      states.put(c.name, "up");
      Thread t = new Thread(() -> supervise(c), "supervise-" + c.name);
      t.setDaemon(true);
      supervisors.add(t);
      t.start();
    }
  }

  /** Starts everything; {@code ingestArgs} and {@code trainArgs} are extra options for those children. */
  static Stack start(Path home, Path work, int port, List<String> ingestArgs, List<String> trainArgs,
      PrintStream out)
      throws IOException, InterruptedException {
    return start(home, work, port, ingestArgs, trainArgs, out,
        Collections.synchronizedList(new ArrayList<>()));
  }

  static Stack start(Path home, Path work, int port, List<String> ingestArgs, List<String> trainArgs,
      PrintStream out, List<ChildProcess> children) throws IOException, InterruptedException {
    return start(home, work, port, ingestArgs, trainArgs, out, children, RestartPolicy.DEFAULT);
  }

  /**
   * As above, registering each child in {@code children} (a synchronized list the caller owns) as soon as
   * it is started, so a caller interrupted during start-up (Ctrl-C) can still stop what was started.
   * First recovers the work directory from a killed run ({@link Recovery}).
   */
  static Stack start(Path home, Path work, int port, List<String> ingestArgs, List<String> trainArgs,
      PrintStream out, List<ChildProcess> children, RestartPolicy policy) throws IOException, InterruptedException {
    return start(home, work, port, Listen.LOOPBACK, ingestArgs, trainArgs, out, children, policy);
  }

  /** As above, with the front and every child listening as {@code listen} says. */
  static Stack start(Path home, Path work, int port, Listen listen, List<String> ingestArgs, List<String> trainArgs,
      PrintStream out, List<ChildProcess> children, RestartPolicy policy) throws IOException, InterruptedException {
    work = work.toAbsolutePath().normalize();
    EmbeddedBroker.reserve(port); // bound last, after the children: none of them may be given it
    Stack[] started = new Stack[1];
    try {
      Files.createDirectories(work);
      Recovery.recover(work, out);
      Files.createDirectories(work.resolve("run"));
      Files.writeString(Recovery.supervisorPidFile(work), ProcessHandle.current().pid() + "\n");
      Path logs = work.resolve("logs");
      String[] bootstrap = new String[1];
      ChildProcess broker = EmbeddedBroker.start(work, Classpaths.of(home, "demo"), bootstrap);
      children.add(broker);
      EmbeddedBroker.createTopics(bootstrap[0]);
      out.println("  kafka        KRaft broker on " + bootstrap[0]);
      int ingestPort = EmbeddedBroker.freePort();
      int servingPort = EmbeddedBroker.freePort();
      int trainHealthPort = EmbeddedBroker.freePort();
      List<String> ingestOpts = new ArrayList<>(List.of("--bootstrap", bootstrap[0], "--port",
          String.valueOf(ingestPort), "--state-dir", work.resolve("ingest").toString()));
      ingestOpts.addAll(listen.childArgs());
      ingestOpts.addAll(ingestArgs);
      ChildProcess ingest = child(children, home, "ingest", "512m", "io.relstream.ingest.IngestMain", ingestOpts,
          logs, listen);
      List<String> train = new ArrayList<>(List.of("--bootstrap", bootstrap[0],
          "--checkpoint-dir", work.resolve("checkpoints").toString(),
          "--health-port", String.valueOf(trainHealthPort)));
      train.addAll(listen.childArgs());
      train.addAll(trainArgs);
      child(children, home, "stream-train", "1g", "io.relstream.streamtrain.StreamTrainMain", train, logs, listen);
      List<String> servingOpts = new ArrayList<>(List.of("--bootstrap", bootstrap[0], "--port",
          String.valueOf(servingPort), "--db-dir", work.resolve("serving").toString()));
      servingOpts.addAll(listen.childArgs());
      ChildProcess serving = child(children, home, "serving", "512m", "io.relstream.serving.ServingMain",
          servingOpts, logs, listen);
      awaitHttp(ingest, listen, ingestPort, "/health");
      out.println("  ingest       collector and Kafka Streams app (internal port " + ingestPort + ")");
      awaitHttp(serving, listen, servingPort, "/health");
      out.println("  serving      RocksDB store and HTTP API (internal port " + servingPort + ")");
      out.println("  stream-train Flink job on a local MiniCluster (checkpoints in " + work.resolve("checkpoints")
          + ", health on internal port " + trainHealthPort + ")");
      Map<String, Readiness> ready = new LinkedHashMap<>();
      String bs = bootstrap[0];
      ready.put("kafka", c -> EmbeddedBroker.awaitReady(bs, c));
      ready.put("ingest", c -> awaitHttp(c, listen, ingestPort, "/health"));
      ready.put("serving", c -> awaitHttp(c, listen, servingPort, "/health"));
      ready.put("stream-train", c -> awaitHttp(c, listen, trainHealthPort, "/health"));
      FrontProxy front = new FrontProxy(listen, port, ingestPort, servingPort, trainHealthPort,
          () -> alive(children));
      started[0] = new Stack(bootstrap[0], front, work, listen, children, ready, policy, out);
      return started[0];
    } finally {
      if (started[0] == null) {
        stopAll(children);
      }
    }
  }

  String baseUrl() {
    return "http://" + listen.connectHost() + ":" + front.port();
  }

  /** "up", "restarting" or "down" (given up on), by child name. */
  Map<String, String> states() {
    return Map.copyOf(states);
  }

  /** The child called {@code name}. */
  ChildProcess child(String name) {
    for (ChildProcess c : List.copyOf(children)) {
      if (c.name.equals(name)) return c;
    }
    throw new IllegalArgumentException("no child " + name);
  }

  /** Waits for each exit of {@code c} and restarts it by the policy, until the stack closes or gives up. */
  private void supervise(ChildProcess c) {
    RestartPolicy mine = policy.copy();
    try {
      while (true) {
        int code = c.waitFor();
        if (closed || c.stopped()) return;
        states.put(c.name, "restarting");
        front.upstreamRestarting(c.name, true);
        OptionalLong delay = mine.onExit(System.currentTimeMillis());
        if (delay.isEmpty()) {
          states.put(c.name, "down");
          front.upstreamRestarting(c.name, false);
          log(c.name + " exited with code " + code + "; it was restarted " + mine.maxRestarts + " times in "
              + mine.windowMs / 60_000 + " min: giving up on it (the other processes keep running); its log ends:\n"
              + c.tail(20));
          return;
        }
        log(c.name + " exited unexpectedly with code " + code + "; restart " + mine.recentRestarts() + " of at most "
            + mine.maxRestarts + " in " + mine.windowMs / 60_000 + " min, in " + delay.getAsLong() + " ms; its log ends:\n"
            + c.tail(20));
        Thread.sleep(delay.getAsLong());
        if (closed || c.stopped()) return;
        long t0 = System.nanoTime();
        try {
          c.restart();
          readiness.getOrDefault(c.name, Stack::awaitStaysUp).await(c);
        } catch (IOException e) {
          log(c.name + " did not come back: " + e.getMessage());
          if (c.alive()) {
            // up but not ready in time: kill it so the loop counts it as another exit
            c.kill();
          }
          continue;
        }
        if (closed) return;
        states.put(c.name, "up");
        front.upstreamRestarting(c.name, false);
        log(c.name + " is up again (pid " + c.pid() + ", ready " + (System.nanoTime() - t0) / 1_000_000
            + " ms after its restart)");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (RuntimeException e) {
      log("supervising " + c.name + " failed: " + e);
      states.put(c.name, "down");
      front.upstreamRestarting(c.name, false);
    }
  }

  private void log(String line) {
    String stamped = Instant.now() + " relstream demo: " + line;
    out.println("relstream demo: " + line);
    try {
      Path f = work.resolve("logs").resolve("supervisor.log");
      Files.createDirectories(f.getParent());
      Files.writeString(f, stamped + "\n", StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    } catch (IOException e) {
      // the console line is enough
    }
  }

  private static void awaitStaysUp(ChildProcess c) throws IOException, InterruptedException {
    Thread.sleep(2_000);
    if (!c.alive()) throw new IOException(c.name + " exited during start-up; its log ends:\n" + c.tail(30));
  }

  /**
   * The JVM options of each child beyond its heap: serving and stream-train score and train on the Java
   * Vector API (an incubator module: without it they fall back to scalar loops, logged).
   */
  static List<String> jvmArgs(String module) {
    List<String> a = new ArrayList<>(List.of(AVRO_TRUST, "-Djava.awt.headless=true"));
    if (module.equals("serving") || module.equals("stream-train")) {
      a.add("--add-modules");
      a.add("jdk.incubator.vector");
    }
    return a;
  }

  private static ChildProcess child(List<ChildProcess> children, Path home, String module, String heap,
      String main, List<String> args, Path logs, Listen listen) throws IOException {
    ChildProcess c = ChildProcess.start(module, heap, Classpaths.of(home, module), jvmArgs(module), main, args, logs,
        listen.childEnv());
    children.add(c);
    return c;
  }

  private static Map<String, Boolean> alive(List<ChildProcess> children) {
    Map<String, Boolean> m = new LinkedHashMap<>();
    for (ChildProcess c : List.copyOf(children)) {
      m.put(c.name, c.alive());
    }
    return m;
  }

  private static void awaitHttp(ChildProcess c, Listen listen, int port, String path)
      throws IOException, InterruptedException {
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    while (System.nanoTime() < deadline) {
      if (!c.alive()) {
        throw new IOException(c.name + " exited during start-up; its log ends:\n" + c.tail(30));
      }
      try {
        URI uri = URI.create("http://" + listen.connectHost() + ":" + port + path);
        HttpResponse<String> r = http.send(listen.authorize(HttpRequest.newBuilder(uri))
            .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() == 200) return;
      } catch (IOException e) {
        // not listening yet
      }
      Thread.sleep(300);
    }
    throw new IOException(c.name + " did not answer " + path + " within 120 s; its log ends:\n" + c.tail(30));
  }

  /** Stops the children in reverse order of start. */
  static void stopAll(List<ChildProcess> children) {
    List<ChildProcess> reverse = new ArrayList<>(children);
    Collections.reverse(reverse);
    for (ChildProcess c : reverse) {
      c.stop(20);
    }
  }

  @Override
  public void close() {
    closed = true;
    for (Thread t : supervisors) t.interrupt();
    front.close();
    stopAll(children);
    try {
      Files.deleteIfExists(Recovery.supervisorPidFile(work));
    } catch (IOException e) {
      // a later start checks whether its pid is alive
    }
  }
}
