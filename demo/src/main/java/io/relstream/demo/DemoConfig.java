package io.relstream.demo;

import java.nio.file.Path;
import java.util.Locale;

/**
 * The demo's command line.
 *
 * @param home repository root (module classpaths live under it)
 * @param dataDir where shipped data sets live (default ../shared/data beside the repository)
 */
record DemoConfig(int port, Path workdir, String dataset, Path home, Path dataDir, boolean exitAfterLoad,
    Listen listen, boolean reset) {
  static final String USAGE = String.join("\n",
      "usage: relstream demo [--port 8080] [--workdir DIR] [--dataset coat|open-bandit|none]",
      "                      [--data-dir DIR] [--exit-after-load] [--bind 127.0.0.1] [--token T] [--reset]",
      "",
      "Starts a KRaft broker, the ingest application, the Flink training job and serving (one JVM",
      "each), answers /events, /recommend, /similar, /health, /ready and /metrics on --port, streams",
      "the data set through the collector, prints example queries and runs until Ctrl-C or SIGTERM.",
      "State lives under --workdir (default target/demo-state); a second start resumes from it, and",
      "--reset deletes it first (the broker's topics, the model's checkpoints, the logs).",
      "--bind is the address of the front and of every child's HTTP server (default loopback); beyond",
      "loopback --token (or $RELSTREAM_TOKEN) is required, as 'Authorization: Bearer T' on every route.");

  static DemoConfig parse(String[] args, Path home) throws UsageException {
    int port = 8080;
    Path workdir = home.resolve("target").resolve("demo-state");
    String dataset = "coat";
    Path dataDir = home.resolve("..").resolve("shared").resolve("data").normalize();
    boolean exitAfterLoad = false;
    boolean reset = false;
    String bind = "127.0.0.1";
    String token = null;
    for (int k = 0; k < args.length; k++) {
      String a = args[k];
      String value = null;
      int eq = a.indexOf('=');
      if (a.startsWith("--") && eq > 0) {
        value = a.substring(eq + 1);
        a = a.substring(0, eq);
      }
      switch (a) {
        case "--exit-after-load":
          exitAfterLoad = true;
          continue;
        case "--reset":
          reset = true;
          continue;
        case "--port":
        case "--workdir":
        case "--dataset":
        case "--data-dir":
        case "--bind":
        case "--token":
          if (value == null) {
            if (k + 1 >= args.length) throw new UsageException("option " + a + " needs a value");
            value = args[++k];
          }
          break;
        default:
          throw new UsageException("unknown option " + a + " (see --help)");
      }
      switch (a) {
        case "--port":
          try {
            port = Integer.parseInt(value);
          } catch (NumberFormatException e) {
            throw new UsageException("--port expects an integer, got '" + value + "'");
          }
          if (port < 0 || port > 65535) throw new UsageException("--port must be in 0-65535, got " + port);
          break;
        case "--workdir":
          workdir = Path.of(value);
          break;
        case "--data-dir":
          dataDir = Path.of(value);
          break;
        case "--bind":
          if (value.isBlank()) throw new UsageException("--bind is empty");
          bind = value;
          break;
        case "--token":
          if (value.isBlank()) throw new UsageException("--token is empty");
          token = value;
          break;
        default:
          dataset = value.toLowerCase(Locale.ROOT);
          if (!dataset.equals("coat") && !dataset.equals("open-bandit") && !dataset.equals("none")) {
            throw new UsageException("unknown dataset '" + value + "' (expected coat, open-bandit or none)");
          }
      }
    }
    Listen listen;
    try {
      listen = new Listen(bind, token);
    } catch (IllegalArgumentException e) {
      throw new UsageException(e.getMessage());
    }
    return new DemoConfig(port, workdir.toAbsolutePath().normalize(), dataset, home, dataDir, exitAfterLoad,
        listen, reset);
  }
}
