package io.relstream.serving;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs serving: {@code --bootstrap HOST:PORT --db-dir DIR [--port 8082] [--clip 0.009136] [--bind 127.0.0.1]
 * [--token T]}. Prints
 * {@code serving listening on port N} once the HTTP port is bound; a shutdown hook closes HTTP, the
 * consumer and RocksDB. {@code --help} prints usage (exit 0); bad flags print one line (exit 2).
 */
public final class ServingMain {
  private static final Logger LOG = LoggerFactory.getLogger(ServingMain.class);

  private ServingMain() {}

  public static void main(String[] args) {
    ServingConfig config;
    try {
      config = ServingConfig.parse(args);
    } catch (ServingConfig.UsageException e) {
      System.err.println("serving: " + e.getMessage());
      System.exit(2);
      return;
    }
    if (config == null) {
      System.out.println(ServingConfig.USAGE);
      return;
    }
    Serving serving;
    try {
      serving = Serving.start(config);
    } catch (Exception e) {
      LOG.error("serving failed to start", e);
      System.err.println("serving: cannot start: " + e.getMessage());
      System.exit(1);
      return;
    }
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      LOG.info("shutting down");
      serving.close();
    }, "serving-shutdown"));
    System.out.println("serving listening on port " + serving.port());
    System.out.flush();
  }
}
