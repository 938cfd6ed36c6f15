package io.relstream.serving;

import io.relstream.core.propensity.EpsilonSlots;

import io.relstream.core.topk.DebiasedPopularity;
import io.relstream.http.DiskFloor;
import java.nio.file.Path;

/**
 * Command-line configuration of {@link ServingMain}.
 *
 * @param bootstrap Kafka bootstrap servers (HOST:PORT[,HOST:PORT...])
 * @param port HTTP port (0: any free port, printed at start)
 * @param dbDir RocksDB directory, created if missing
 * @param clip the clip M of the popularity fallback, in [0, 1]
 * @param bind the HTTP bind address (default 127.0.0.1; beyond loopback a token is required)
 * @param token the bearer token every HTTP route then requires, or null for none
 * @param minFreeDiskMb below this many MiB free on the db dir's file system, /health is "degraded" (503)
 * @param logServed publish what each answer showed to the events topic ({@link ServedLog})
 * @param explore the serving policy ({@code --explore epsilon:E}; &epsilon; = 0: greedy)
 */
record ServingConfig(String bootstrap, int port, Path dbDir, double clip, String bind, String token,
    long minFreeDiskMb, boolean logServed, EpsilonSlots explore) {
  static final int DEFAULT_PORT = 8082;
  static final String DEFAULT_BIND = "127.0.0.1";

  /** Never prints the token. */
  @Override
  public String toString() {
    return "ServingConfig[bootstrap=" + bootstrap + ", port=" + port + ", dbDir=" + dbDir + ", clip=" + clip
        + ", bind=" + bind + ", token=" + (token == null ? "none" : "(set)") + ", minFreeDiskMb=" + minFreeDiskMb
        + ", logServed=" + logServed + ", explore=epsilon:" + explore.epsilon() + "]";
  }

  /** Served answers not logged, greedy. */
  ServingConfig(String bootstrap, int port, Path dbDir, double clip, String bind, String token, long minFreeDiskMb) {
    this(bootstrap, port, dbDir, clip, bind, token, minFreeDiskMb, false, new EpsilonSlots(0));
  }

  /** Loopback, no token, the default disk floor. */
  ServingConfig(String bootstrap, int port, Path dbDir, double clip) {
    this(bootstrap, port, dbDir, clip, DEFAULT_BIND, null);
  }

  /** The default disk floor. */
  ServingConfig(String bootstrap, int port, Path dbDir, double clip, String bind, String token) {
    this(bootstrap, port, dbDir, clip, bind, token, DiskFloor.DEFAULT_FLOOR_MB);
  }

  static final String USAGE = String.join("\n",
      "usage: ServingMain --bootstrap HOST:PORT --db-dir DIR [--port 8082] [--clip 0.009136] [--bind 127.0.0.1]"
          + " [--token T] [--min-free-disk-mb 1024] [--log-served] [--explore epsilon:0.1]",
      "  --bootstrap HOST:PORT  Kafka bootstrap servers (comma-separated list allowed)",
      "  --db-dir DIR           RocksDB directory (created if missing; resumes from its offsets)",
      "  --port N               HTTP port, 0..65535 (0 = any free port; default 8082)",
      "  --clip M               clip M of the debiased-popularity fallback, 0..1 (default 0.009136)",
      "  --bind ADDR            HTTP bind address (default 127.0.0.1; any other address needs --token)",
      "  --token T              bearer token every HTTP route requires (Authorization: Bearer T; default: $RELSTREAM_TOKEN)",
      "  --min-free-disk-mb N   /health is degraded (503) below N MiB free under --db-dir (default 1024)",
      "  --log-served           publish what each answer showed to the events topic as impressions, with",
      "                         requestId, position and the exact probability the policy showed the item",
      "  --explore P            serving policy: epsilon:E (each slot explored with probability E) or none (default)",
      "  --help                 this text");

  /** A command line that cannot be used; the message is one line. */
  static final class UsageException extends Exception {
    private static final long serialVersionUID = 1L;

    UsageException(String message) {
      super(message);
    }
  }

  /**
   * Parses the flags. Returns null for {@code --help}.
   *
   * @throws UsageException for an unknown or repeated flag, a missing value, a bad number or a
   *     missing required flag
   */
  static ServingConfig parse(String... args) throws UsageException {
    String bootstrap = null;
    Integer port = null;
    Path dbDir = null;
    Double clip = null;
    String bind = null;
    String token = null;
    Long minFree = null;
    Boolean logServed = null;
    EpsilonSlots explore = null;
    for (int i = 0; i < args.length; i++) {
      String flag = args[i];
      if (flag.equals("--help") || flag.equals("-h")) {
        return null;
      }
      if (flag.equals("--log-served")) {
        once(logServed, flag);
        logServed = true;
        continue;
      }
      if (!flag.equals("--bootstrap") && !flag.equals("--port") && !flag.equals("--db-dir")
          && !flag.equals("--clip") && !flag.equals("--bind") && !flag.equals("--token")
          && !flag.equals("--min-free-disk-mb") && !flag.equals("--explore")) {
        throw new UsageException("unknown argument: " + flag + " (try --help)");
      }
      if (i + 1 >= args.length) {
        throw new UsageException(flag + " needs a value");
      }
      String value = args[++i];
      switch (flag) {
        case "--bootstrap" -> {
          once(bootstrap, flag);
          if (value.isBlank() || !value.contains(":")) {
            throw new UsageException("--bootstrap must be HOST:PORT, got '" + value + "'");
          }
          bootstrap = value;
        }
        case "--port" -> {
          once(port, flag);
          try {
            port = Integer.parseInt(value);
          } catch (NumberFormatException e) {
            throw new UsageException("--port must be an integer, got '" + value + "'");
          }
          if (port < 0 || port > 65535) {
            throw new UsageException("--port must be in 0..65535, got " + port);
          }
        }
        case "--db-dir" -> {
          once(dbDir, flag);
          if (value.isBlank()) {
            throw new UsageException("--db-dir is empty");
          }
          dbDir = Path.of(value);
        }
        case "--bind" -> {
          once(bind, flag);
          if (value.isBlank()) {
            throw new UsageException("--bind is empty");
          }
          bind = value;
        }
        case "--token" -> {
          once(token, flag);
          if (value.isBlank()) {
            throw new UsageException("--token is empty");
          }
          token = value;
        }
        case "--explore" -> {
          once(explore, flag);
          try {
            explore = EpsilonSlots.parse(value);
          } catch (IllegalArgumentException e) {
            throw new UsageException("--explore: " + e.getMessage());
          }
        }
        case "--min-free-disk-mb" -> {
          once(minFree, flag);
          try {
            minFree = Long.parseLong(value);
          } catch (NumberFormatException e) {
            throw new UsageException("--min-free-disk-mb must be an integer, got '" + value + "'");
          }
          if (minFree < 0 || minFree > (Long.MAX_VALUE >> 20)) {
            throw new UsageException("--min-free-disk-mb must be >= 0, got " + value);
          }
        }
        default -> {
          once(clip, flag);
          try {
            clip = Double.parseDouble(value);
          } catch (NumberFormatException e) {
            throw new UsageException("--clip must be a number, got '" + value + "'");
          }
          if (!(clip >= 0 && clip <= 1)) {
            throw new UsageException("--clip must be in [0, 1], got " + value);
          }
        }
      }
    }
    if (bootstrap == null) {
      throw new UsageException("--bootstrap is required (try --help)");
    }
    if (dbDir == null) {
      throw new UsageException("--db-dir is required (try --help)");
    }
    bind = bind == null ? DEFAULT_BIND : bind;
    token = io.relstream.http.BearerToken.resolve(token);
    if (token == null && !isLoopback(bind)) {
      throw new UsageException("--bind " + bind + " is beyond loopback: give --token too");
    }
    return new ServingConfig(bootstrap, port == null ? DEFAULT_PORT : port, dbDir,
        clip == null ? DebiasedPopularity.DEFAULT_CLIP : clip, bind, token,
        minFree == null ? DiskFloor.DEFAULT_FLOOR_MB : minFree, logServed != null,
        explore == null ? new EpsilonSlots(0) : explore);
  }

  private static boolean isLoopback(String address) throws UsageException {
    try {
      return java.net.InetAddress.getByName(address).isLoopbackAddress();
    } catch (java.net.UnknownHostException e) {
      throw new UsageException("--bind: cannot resolve '" + address + "'");
    }
  }

  private static void once(Object previous, String flag) throws UsageException {
    if (previous != null) {
      throw new UsageException(flag + " given twice");
    }
  }
}
