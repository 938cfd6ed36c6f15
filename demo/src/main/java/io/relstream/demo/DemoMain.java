package io.relstream.demo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.relstream.core.data.DataFormatException;
import io.relstream.core.progress.ProgressBar;
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
import java.util.List;
import java.util.concurrent.TimeUnit;

/** {@code relstream demo}: config, start the children, load the data set, serve until stopped. */
public final class DemoMain {
  private static final int POST_BATCH = 500;

  private final DemoConfig config;
  private final PrintStream out;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private static final ObjectMapper JSON = new ObjectMapper();
  private volatile Stack stack;
  /** Every child started so far, registered as it starts (so Ctrl-C during start-up stops them too). */
  private final List<ChildProcess> children = Collections.synchronizedList(new ArrayList<>());
  /** A user of the loaded data set, for the example queries. */
  private String firstUser;
  private volatile boolean stopping;

  private DemoMain(DemoConfig config, PrintStream out) {
    this.config = config;
    this.out = out;
  }

  public static void main(String[] args) {
    Path home = Path.of(System.getProperty("relstream.home", ".")).toAbsolutePath().normalize();
    if (List.of(args).contains("--help")) {
      System.out.println(DemoConfig.USAGE);
      return;
    }
    DemoConfig config;
    try {
      config = DemoConfig.parse(args, home);
    } catch (UsageException e) {
      System.err.println("relstream demo: error: " + e.getMessage());
      System.exit(2);
      return;
    }
    DemoMain demo = new DemoMain(config, System.out);
    Runtime.getRuntime().addShutdownHook(new Thread(demo::stop, "demo-shutdown"));
    try {
      demo.run();
      System.exit(0);
    } catch (DataFormatException e) {
      System.err.println("relstream demo: error: " + e.getMessage());
      System.exit(2);
    } catch (IOException | RuntimeException e) {
      System.err.println("relstream demo: failed: " + e.getMessage());
      System.exit(1);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      System.exit(1);
    }
  }

  private void run() throws IOException, InterruptedException, DataFormatException {
    Path work = config.workdir();
    prepareWorkdir(config, out);
    out.println("relstream demo: state in " + work + " (child logs in " + work.resolve("logs") + ")");
    stack = Stack.start(config.home(), work, config.port(), config.listen(), List.of(), List.of(), out, children,
        RestartPolicy.DEFAULT);
    String base = stack.baseUrl();
    out.println("relstream demo: listening on " + base
        + " (/events, /recommend/{user}, /similar/{item}, /health, /ready, /metrics)");
    if (!config.dataset().equals("none")) {
      load(base, work);
    }
    awaitReady(base);
    examples(base);
    if (config.exitAfterLoad()) {
      return;
    }
    out.println("relstream demo: running; a child that exits is restarted (see /health); Ctrl-C stops every"
        + " process");
    while (!stopping) {
      Thread.sleep(1000);
    }
  }

  /**
   * With {@code --reset} deletes the work directory; then refuses one whose checkpoints are of a state
   * layout this version does not read (DataFormatException: one line, exit code 2).
   */
  static void prepareWorkdir(DemoConfig config, PrintStream out) throws IOException, DataFormatException {
    Path work = config.workdir();
    if (config.reset()) {
      reset(config, work, out);
    }
    java.util.Optional<String> layout = io.relstream.core.online.StateLayout.problem(work.resolve("checkpoints"));
    if (layout.isPresent()) {
      throw new DataFormatException(layout.get());
    }
  }

  /** Deletes the work directory (it must look like one: a directory, not the repository or a root). */
  private static void reset(DemoConfig config, Path work, PrintStream out) throws IOException {
    if (!Files.exists(work)) {
      return;
    }
    if (!Files.isDirectory(work) || work.getParent() == null || work.equals(config.home())
        || config.home().startsWith(work)) {
      throw new IOException("--reset refuses to delete " + work);
    }
    try (java.util.stream.Stream<Path> all = Files.walk(work)) {
      for (Path p : (Iterable<Path>) all.sorted(java.util.Comparator.reverseOrder())::iterator) {
        Files.delete(p);
      }
    }
    out.println("relstream demo: --reset removed " + work);
  }

  /** Streams the data set through the collector once per work directory. */
  private void load(String base, Path work) throws IOException, InterruptedException, DataFormatException {
    Path marker = work.resolve("loaded-" + config.dataset());
    if (Files.exists(marker)) {
      out.println("relstream demo: " + config.dataset() + " was loaded by an earlier start; resuming from the stored state");
      return;
    }
    long end = System.currentTimeMillis();
    List<ObjectNode> events = config.dataset().equals("coat")
        ? DatasetEvents.coat(config.dataDir().resolve("coat"), end)
        : DatasetEvents.openBandit(config.dataDir().resolve("open-bandit"), end);
    firstUser = events.get(0).path("user").asText();
    ProgressBar bar = new ProgressBar(System.err, "loading " + config.dataset(), events.size());
    long accepted = 0;
    long rejected = 0;
    for (int from = 0; from < events.size(); from += POST_BATCH) {
      StringBuilder body = new StringBuilder();
      int to = Math.min(events.size(), from + POST_BATCH);
      for (int k = from; k < to; k++) {
        body.append(events.get(k).toString()).append('\n');
      }
      HttpResponse<String> r = postRetrying(base, body.toString(), bar, accepted, rejected);
      if (r.statusCode() != 202) {
        throw new IOException("the collector answered " + r.statusCode() + ": " + r.body());
      }
      JsonNode answer = JSON.readTree(r.body());
      accepted += answer.path("accepted").asLong();
      rejected += answer.path("rejected").asLong();
      bar.advance(to - from, "accepted " + accepted + " rejected " + rejected);
    }
    bar.finish("relstream demo: posted " + events.size() + " events (" + accepted + " accepted, " + rejected
        + " rejected to the dead-letter topic)");
    Files.writeString(marker, "accepted=" + accepted + "\nrejected=" + rejected + "\n");
  }

  /**
   * Posts one batch; while the collector restarts or the pipeline is over its backlog bound (503), waits its
   * Retry-After (at most 10 s a time, shown in the progress bar) and tries again, 5 min at most.
   */
  private HttpResponse<String> postRetrying(String base, String body, ProgressBar bar, long accepted, long rejected)
      throws IOException, InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
    long waited = 0;
    while (true) {
      HttpRequest.Builder post = config.listen().authorize(HttpRequest.newBuilder(URI.create(base + "/events")));
      HttpResponse<String> r = http.send(post
          .timeout(Duration.ofSeconds(60)).header("Content-Type", "application/x-ndjson")
          .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
      if (r.statusCode() != 503 || System.nanoTime() > deadline) return r;
      long wait = RetryAfter.millis(r, 10);
      waited += wait;
      bar.advance(0, "accepted " + accepted + " rejected " + rejected + ", pipeline busy: waited " + waited / 1000
          + " s (503 Retry-After)");
      Thread.sleep(wait);
    }
  }

  private void awaitReady(String base) throws IOException, InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(300);
    while (System.nanoTime() < deadline) {
      try {
        HttpRequest.Builder ready = config.listen().authorize(HttpRequest.newBuilder(URI.create(base + "/ready")));
        HttpResponse<String> r = http.send(ready
            .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() == 200) return;
      } catch (IOException e) {
        // serving restarting
      }
      Thread.sleep(500);
    }
    out.println("relstream demo: no model is served yet (still training?); queries answer with the fallback");
  }

  /** Waits until the served model version has stopped moving for a few seconds (at most two minutes). */
  private long settle(String base) throws IOException, InterruptedException {
    long version = -1;
    long stableSince = System.nanoTime();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    while (System.nanoTime() < deadline) {
      long v = JSON.readTree(get(base + "/recommend/someone-new?k=1").body()).path("modelVersion").asLong(-1);
      if (v != version) {
        version = v;
        stableSince = System.nanoTime();
      } else if (v >= 0 && System.nanoTime() - stableSince > TimeUnit.SECONDS.toNanos(5)) {
        break;
      }
      Thread.sleep(500);
    }
    return version;
  }

  private void examples(String base) throws IOException, InterruptedException {
    long version = settle(base);
    out.println("relstream demo: serving model version " + version + "; example queries");
    String known = switch (config.dataset()) {
      case "coat" -> "coat-u0";
      case "open-bandit" -> firstUser;
      default -> null;
    };
    String similarTo = null;
    if (known != null) {
      HttpResponse<String> r = show(base, "/recommend/" + known + "?k=5");
      JsonNode items = JSON.readTree(r.body()).path("items");
      if (items.size() > 0) similarTo = items.get(0).path("item").asText();
    }
    show(base, "/recommend/someone-new?k=5");
    if (similarTo != null) show(base, "/similar/" + similarTo + "?k=5");
  }

  private HttpResponse<String> show(String base, String query) throws IOException, InterruptedException {
    HttpResponse<String> r = get(base + query);
    String auth = config.listen().token() == null ? "" : "-H \"Authorization: Bearer $RELSTREAM_TOKEN\" ";
    out.println("  curl " + auth + base + query);
    out.println("  -> " + r.statusCode() + " " + r.body());
    return r;
  }

  private HttpResponse<String> get(String url) throws IOException, InterruptedException {
    HttpRequest.Builder b = config.listen().authorize(HttpRequest.newBuilder(URI.create(url)));
    return http.send(b.timeout(Duration.ofSeconds(10)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private void stop() {
    stopping = true;
    Stack s = stack;
    if (s != null) {
      s.close();
    } else {
      Stack.stopAll(children);
    }
  }
}
