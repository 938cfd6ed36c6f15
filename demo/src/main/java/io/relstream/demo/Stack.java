package io.relstream.demo;

import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The running embedded stack: a KRaft broker, ingest, stream-train and serving, each a child JVM with
 * an explicit heap, and the front proxy on one port. {@link #close()} stops the children in reverse
 * order of start (serving, training, ingest, broker), each with SIGTERM then, after a grace period,
 * SIGKILL.
 */
final class Stack implements AutoCloseable {
  static final String AVRO_TRUST = "-Dorg.apache.avro.SERIALIZABLE_PACKAGES=io.relstream.schemas.avro";

  final String bootstrap;
  final FrontProxy front;
  private final List<ChildProcess> children;

  private Stack(String bootstrap, FrontProxy front, List<ChildProcess> children) {
    this.bootstrap = bootstrap;
    this.front = front;
    this.children = children;
  }

  /** Starts everything; {@code ingestArgs} and {@code trainArgs} are extra options for those children. */
  static Stack start(Path home, Path work, int port, List<String> ingestArgs, List<String> trainArgs,
      PrintStream out)
      throws IOException, InterruptedException {
    return start(home, work, port, ingestArgs, trainArgs, out,
        Collections.synchronizedList(new ArrayList<>()));
  }

  /**
   * As above, registering each child in {@code children} (a synchronized list the caller owns) as soon as
   * it is started, so a caller interrupted during start-up (Ctrl-C) can still stop what was started.
   */
  static Stack start(Path home, Path work, int port, List<String> ingestArgs, List<String> trainArgs,
      PrintStream out, List<ChildProcess> children) throws IOException, InterruptedException {
    Stack[] started = new Stack[1];
    try {
      Files.createDirectories(work);
      Path logs = work.resolve("logs");
      String[] bootstrap = new String[1];
      children.add(EmbeddedBroker.start(work, Classpaths.of(home, "demo"), bootstrap));
      EmbeddedBroker.createTopics(bootstrap[0]);
      out.println("  kafka        KRaft broker on " + bootstrap[0]);
      int ingestPort = EmbeddedBroker.freePort();
      int servingPort = EmbeddedBroker.freePort();
      List<String> ingestOpts = new ArrayList<>(List.of("--bootstrap", bootstrap[0], "--port",
          String.valueOf(ingestPort), "--state-dir", work.resolve("ingest").toString()));
      ingestOpts.addAll(ingestArgs);
      ChildProcess ingest = child(children, home, "ingest", "512m", "io.relstream.ingest.IngestMain", ingestOpts, logs);
      List<String> train = new ArrayList<>(List.of("--bootstrap", bootstrap[0],
          "--checkpoint-dir", work.resolve("checkpoints").toString()));
      train.addAll(trainArgs);
      child(children, home, "stream-train", "1g", "io.relstream.streamtrain.StreamTrainMain", train, logs);
      ChildProcess serving = child(children, home, "serving", "512m", "io.relstream.serving.ServingMain",
          List.of("--bootstrap", bootstrap[0], "--port", String.valueOf(servingPort),
              "--db-dir", work.resolve("serving").toString()), logs);
      awaitHttp(ingest, ingestPort, "/health");
      out.println("  ingest       collector and Kafka Streams app (internal port " + ingestPort + ")");
      awaitHttp(serving, servingPort, "/health");
      out.println("  serving      RocksDB store and HTTP API (internal port " + servingPort + ")");
      out.println("  stream-train Flink job on a local MiniCluster (checkpoints in " + work.resolve("checkpoints") + ")");
      FrontProxy front = new FrontProxy(port, ingestPort, servingPort, () -> alive(children));
      started[0] = new Stack(bootstrap[0], front, children);
      return started[0];
    } finally {
      if (started[0] == null) {
        stopAll(children);
      }
    }
  }

  String baseUrl() {
    return "http://localhost:" + front.port();
  }

  /** Throws if a child has exited. */
  void check() throws IOException {
    for (ChildProcess c : List.copyOf(children)) {
      if (!c.alive()) {
        throw new IOException(c.name + " exited with code " + c.exitCode() + "; its log ends:\n" + c.tail(20));
      }
    }
  }

  private static ChildProcess child(List<ChildProcess> children, Path home, String module, String heap,
      String main, List<String> args, Path logs) throws IOException {
    ChildProcess c = ChildProcess.start(module, heap, Classpaths.of(home, module),
        List.of(AVRO_TRUST, "-Djava.awt.headless=true"), main, args, logs);
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

  private static void awaitHttp(ChildProcess c, int port, String path) throws IOException, InterruptedException {
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    while (System.nanoTime() < deadline) {
      if (!c.alive()) {
        throw new IOException(c.name + " exited during start-up; its log ends:\n" + c.tail(30));
      }
      try {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://localhost:" + port + path))
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
    front.close();
    stopAll(children);
  }
}
