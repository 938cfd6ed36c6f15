package io.relstream.serving;

import io.relstream.core.topk.DebiasedPopularity;
import io.relstream.http.DiskFloor;
import java.io.IOException;
import java.net.InetSocketAddress;
import org.rocksdb.RocksDBException;

/**
 * A running serving instance: the store, the consumer that fills it and the HTTP API over it.
 * {@link #close()} stops them in reverse order (HTTP, consumer, RocksDB) and is idempotent.
 */
final class Serving implements AutoCloseable {
  private final ModelStore store;
  private final UpdateConsumer consumer;
  private final HttpApi http;
  private final Metrics metrics;
  private final ServedLog served;
  private boolean closed;

  private Serving(ModelStore store, UpdateConsumer consumer, HttpApi http, Metrics metrics, ServedLog served) {
    this.store = store;
    this.consumer = consumer;
    this.http = http;
    this.metrics = metrics;
    this.served = served;
  }

  /** Opens the store, binds the port, starts consuming and serving. */
  static Serving start(ServingConfig config) throws IOException, RocksDBException {
    Metrics metrics = new Metrics();
    ModelStore store = ModelStore.open(config.dbDir(), new DebiasedPopularity(config.clip()),
        table -> Scorer.selected(table, 150));
    UpdateConsumer consumer = null;
    HttpApi http = null;
    ServedLog served = null;
    try {
      registerStoreGauges(metrics, store);
      consumer = new UpdateConsumer(config.bootstrap(), store, metrics);
      http = new HttpApi(store, metrics, new InetSocketAddress(config.bind(), config.port()), 64, config.token(),
          consumer::snapshot, DiskFloor.ofMegabytes(config.dbDir(), config.minFreeDiskMb()));
      store.explore(config.explore());
      if (config.logServed()) {
        ServedLog log = new ServedLog(config.bootstrap());
        served = log;
        http.logServed(log);
        metrics.gauge("relstream_serving_served_published_total", "Impressions of served answers the served log"
            + " delivered to the events topic.", log::published);
        metrics.gauge("relstream_serving_served_dropped_total", "Impressions of served answers the served log"
            + " dropped (its queue full, or the broker failed to take them).", log::dropped);
      }
      metrics.info("relstream_serving_policy", () -> "explore=\"epsilon:" + config.explore().epsilon()
          + "\",logServed=\"" + config.logServed() + "\"");
      http.start();
      consumer.start();
      return new Serving(store, consumer, http, metrics, served);
    } catch (IOException | RuntimeException e) {
      if (http != null) {
        http.close();
      }
      if (served != null) {
        served.close();
      }
      if (consumer != null) {
        consumer.close();
      }
      store.close();
      throw e;
    }
  }

  /** Gauges read from the store. */
  static void registerStoreGauges(Metrics metrics, ModelStore store) {
    metrics.gauge("relstream_serving_model_version", "Highest modelVersion applied (-1: none).",
        store::modelVersion);
    metrics.gauge("relstream_serving_items", "Item rows in the in-memory table.", store::itemCount);
    metrics.gauge("relstream_serving_model_age_ms", "Milliseconds since this server last published a model"
        + " snapshot (wall clock; -1: no rows).", () -> {
          long at = store.table().publishedAtMs();
          return at < 0 ? -1 : Math.max(0, System.currentTimeMillis() - at);
        });
    metrics.gauge("relstream_serving_model_event_lag_ms", "Milliseconds between now and the newest item row's"
        + " (event) timestamp: how far the model's data trails real time (-1: no rows).", () -> {
          long at = store.table().updatedAtMs();
          return at < 0 ? -1 : Math.max(0, System.currentTimeMillis() - at);
        });
    metrics.gauge("relstream_serving_users_estimate", "User rows in RocksDB (RocksDB's estimate).",
        () -> store.estimatedKeys(ModelStore.CF_USERS));
    metrics.gauge("relstream_serving_store_bytes", "Bytes of the RocksDB store (SST files and memtables).",
        store::storeBytes);
    metrics.gauge("relstream_serving_scans_total", "Blocked scans of the item table run since start.",
        () -> store.scorer().scans());
    metrics.gauge("relstream_serving_scanned_queries_total", "Queries scored by those scans (their ratio is the "
        + "mean batch).", () -> store.scorer().scannedQueries());
    metrics.info("relstream_serving_scan_path", () -> "path=\"" + store.scan().path() + "\",device=\""
        + Metrics.label(store.scan().device()) + "\",reason=\"" + Metrics.label(store.scorer().reason()) + "\"");
    metrics.gauge("relstream_serving_applied_records", "Rows and clicks applied since the store was created "
        + "(persisted with them, so it survives restarts).", store::appliedRecords);
  }

  int port() {
    return http.port();
  }

  ModelStore store() {
    return store;
  }

  Metrics metrics() {
    return metrics;
  }

  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    try {
      http.close();
      if (served != null) {
        served.close(); // what the closed server answered still reaches the log
      }
    } finally {
      try {
        consumer.close();
      } finally {
        store.close();
      }
    }
  }
}
