package io.relstream.serving;

import io.relstream.schemas.Codecs;
import io.relstream.schemas.Topics;
import io.relstream.schemas.avro.EntityKind;
import io.relstream.schemas.avro.Interaction;
import io.relstream.schemas.avro.InteractionSource;
import io.relstream.schemas.avro.ModelUpdate;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Follows {@link Topics#MODEL_UPDATES} (rows) and {@link Topics#INTERACTIONS} (clicks, label 1) into a
 * {@link ModelStore}, on its own thread.
 *
 * <p>The consumer reads committed records only ({@code isolation.level=read_committed}), never commits
 * offsets to Kafka and has no group: it {@code assign}s every partition of both topics and seeks to the
 * store's offset + 1 (or the beginning), because the store keeps its offsets in the same write batch
 * as the rows. Every poll becomes one {@link ModelStore.Batch}. Partitions are re-discovered every few
 * seconds, so topics created later are picked up.
 *
 * <p><b>Erasure.</b> A tombstone (null value) on model-updates keyed {@code user:ID} erases user ID
 * ({@link ModelStore.Batch#eraseUser}: row and clicks deleted, answers for ID become the popularity
 * fallback), one keyed {@code item:ID} erases item ID ({@link ModelStore.Batch#eraseItem}: row deleted, the
 * item leaves the answers), in the order of the topic's records like any row (a later row of the same key
 * brings it back). An {@code ERASE_USER} interaction deletes the user's clicks at once (it is ordered with
 * the user's clicks; the tombstone from training follows later). Counted:
 * {@code relstream_serving_users_erased_total}, {@code relstream_serving_items_erased_total},
 * {@code relstream_serving_click_histories_erased_total}.
 *
 * <p>A record that cannot be applied (undecodable value, any other tombstone, unknown kind, invalid row,
 * label other than 0/1) is counted in {@link Metrics} by reason, logged, and skipped: its offset still
 * advances. Serving cannot dead-letter it (it does not produce to Kafka; the dead-letter topic is
 * ingest's), so the counter and the log are the record. If the store write fails, the batch is
 * dropped, the consumer seeks back to the stored offsets and retries after a pause. The loop never
 * stops on an error, only on {@link #close()}.
 *
 * <p>Health ({@link #snapshot()}): the loop's state ({@code starting}, {@code running},
 * {@code retrying} after an error until the next good poll, {@code stopped} after close,
 * {@code dead} if the thread ended otherwise), the last error and when, the lag (records behind the
 * log end, from {@link KafkaConsumer#currentLag}, in total and on model-updates), when the loop
 * last went round and when it last applied a batch. <b>Catch-up</b>: once every topic has
 * partitions, the end offsets at that moment ({@code endOffsets}, the last stable offset under
 * read_committed) become the target; the consumer is caught up once its position reached the target
 * on every one of those partitions. It stays caught up after that (later lag is reported as lag).
 */
final class UpdateConsumer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(UpdateConsumer.class);
  static final List<String> TOPICS = List.of(Topics.MODEL_UPDATES, Topics.INTERACTIONS);
  private static final Duration POLL = Duration.ofMillis(200);
  private static final long REFRESH_NANOS = 5_000_000_000L;
  static final String USER_KEY_PREFIX = Codecs.modelUpdateKey(EntityKind.USER, "");
  static final String ITEM_KEY_PREFIX = Codecs.modelUpdateKey(EntityKind.ITEM, "");

  private final KafkaConsumer<byte[], byte[]> consumer;
  private final ModelStore store;
  private final Metrics metrics;
  private final Thread thread;
  private final AtomicLong lag = new AtomicLong(-1);
  private final AtomicLong modelUpdatesLag = new AtomicLong(-1);
  private volatile boolean running = true;
  private volatile boolean started;
  private long skippedLogged;
  private volatile String state = "starting";
  private volatile String lastError;
  private volatile long lastErrorAtMs = -1;
  private volatile long lastLoopAtMs = -1;
  private volatile long lastAppliedAtMs = -1;
  private volatile boolean caughtUp;
  private volatile String catchUp = "waiting for the partitions of " + String.join(", ", TOPICS);
  /** End offsets when every topic first had partitions; consumer thread only. */
  private Map<TopicPartition, Long> catchUpTarget;

  /**
   * The consumer's health at one moment.
   *
   * @param state starting, running, retrying, stopped or dead
   * @param alive the loop's thread is running (or not yet started)
   * @param lastError the last error of the loop or of a store write, or null
   * @param lastErrorAtMs when (epoch ms), -1 for none
   * @param lag records behind the log end over every assigned partition (-1 until known)
   * @param modelUpdatesLag the part of the lag on model-updates (-1 until known)
   * @param lastLoopAtMs when the loop last went round (epoch ms), -1 for never
   * @param lastAppliedAtMs when a batch was last applied to the store (epoch ms), -1 for not since start
   * @param caughtUp the position reached the end offsets taken at start
   * @param catchUp in words: what the catch-up waits for, or "caught up"
   */
  record Snapshot(String state, boolean alive, String lastError, long lastErrorAtMs, long lag,
      long modelUpdatesLag, long lastLoopAtMs, long lastAppliedAtMs, boolean caughtUp, String catchUp) {}

  Snapshot snapshot() {
    boolean alive = !started || thread.isAlive();
    return new Snapshot(state, alive, lastError, lastErrorAtMs, lag.get(), modelUpdatesLag.get(), lastLoopAtMs,
        lastAppliedAtMs, caughtUp, catchUp);
  }

  /** @param bootstrap Kafka bootstrap servers, HOST:PORT[,HOST:PORT...] */
  UpdateConsumer(String bootstrap, ModelStore store, Metrics metrics) {
    this.store = store;
    this.metrics = metrics;
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    p.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, "false");
    p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    p.put(ConsumerConfig.CLIENT_ID_CONFIG, "relstream-serving");
    p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    this.consumer = new KafkaConsumer<>(p);
    this.thread = new Thread(this::run, "update-consumer");
    metrics.gauge("relstream_serving_consumer_lag", "Records behind the log end, summed over assigned "
        + "partitions (-1 until known).", lag::get);
    metrics.gauge("relstream_serving_consumer_model_updates_lag", "Records behind the end of model-updates "
        + "(-1 until known).", modelUpdatesLag::get);
  }

  void start() {
    started = true;
    thread.start();
  }

  private void run() {
    long lastRefresh = 0;
    boolean first = true;
    try {
      while (running) {
        lastLoopAtMs = System.currentTimeMillis();
        try {
          if (first || System.nanoTime() - lastRefresh > REFRESH_NANOS) {
            refreshAssignment();
            lastRefresh = System.nanoTime();
            first = false;
          }
          if (consumer.assignment().isEmpty()) {
            Thread.sleep(POLL.toMillis());
            continue;
          }
          ConsumerRecords<byte[], byte[]> records = consumer.poll(POLL);
          boolean ok = records.isEmpty() || applyOrRewind(records);
          updateLag();
          checkCatchUp();
          if (ok) {
            state = "running";
          }
        } catch (WakeupException e) {
          if (running) {
            LOG.warn("unexpected wakeup; continuing");
          }
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return;
        } catch (RuntimeException e) {
          if (!running) {
            return;
          }
          LOG.error("consumer loop error; retrying in 1 s", e);
          error("consumer loop: " + e);
          pause();
        }
      }
    } catch (Error e) {
      error("consumer thread: " + e);
      throw e;
    } finally {
      state = running ? "dead" : "stopped";
      try {
        consumer.close(CloseOptions.timeout(Duration.ofSeconds(5)));
      } catch (RuntimeException e) {
        LOG.warn("closing the consumer failed", e);
      }
    }
  }

  private void error(String message) {
    lastError = message;
    lastErrorAtMs = System.currentTimeMillis();
    state = "retrying";
  }

  /** Applies the batch; false (after a pause and a seek back) when the store write failed. */
  private boolean applyOrRewind(ConsumerRecords<byte[], byte[]> records) {
    ModelStore.Batch batch = store.newBatch();
    for (ConsumerRecord<byte[], byte[]> r : records) {
      add(batch, r);
    }
    try {
      store.apply(batch);
      lastAppliedAtMs = System.currentTimeMillis();
      metrics.erased(batch.usersErased(), batch.itemsErased(), batch.clickHistoriesErased());
      if (batch.usersErased() + batch.itemsErased() > 0) {
        LOG.info("erased {} users and {} items", batch.usersErased(), batch.itemsErased());
      }
      return true;
    } catch (Exception e) {
      metrics.applyFailure();
      LOG.error("store write failed for {} records; seeking back to the stored offsets", records.count(), e);
      error("store write: " + e);
      pause();
      seekToStored(consumer.assignment());
      return false;
    }
  }

  /** Takes the catch-up target once every topic has partitions, then compares the positions with it. */
  private void checkCatchUp() {
    if (caughtUp) {
      return;
    }
    Set<TopicPartition> assigned = consumer.assignment();
    if (catchUpTarget == null) {
      Set<String> topics = new HashSet<>();
      assigned.forEach(tp -> topics.add(tp.topic()));
      if (!topics.containsAll(TOPICS)) {
        List<String> missing = new ArrayList<>(TOPICS);
        missing.removeAll(topics);
        catchUp = "waiting for the partitions of " + String.join(", ", missing);
        return;
      }
      catchUpTarget = Map.copyOf(consumer.endOffsets(assigned, Duration.ofSeconds(10)));
      LOG.info("catching up to the end offsets {}", catchUpTarget);
    }
    long behind = 0;
    for (Map.Entry<TopicPartition, Long> e : catchUpTarget.entrySet()) {
      long position = consumer.position(e.getKey(), Duration.ofSeconds(10));
      behind += Math.max(0, e.getValue() - position);
    }
    if (behind == 0) {
      caughtUp = true;
      catchUp = "caught up";
      LOG.info("caught up with the end offsets at start");
    } else {
      catchUp = "catching up: " + behind + " records behind the end offsets seen at start";
    }
  }

  /** Decodes one record into the batch, or counts and logs why it is skipped. Never throws. */
  private void add(ModelStore.Batch batch, ConsumerRecord<byte[], byte[]> r) {
    TopicPartition tp = new TopicPartition(r.topic(), r.partition());
    batch.consumed(tp, r.offset());
    metrics.consumed(r.topic());
    if (r.value() == null) {
      tombstone(batch, r);
      return;
    }
    if (r.topic().equals(Topics.MODEL_UPDATES)) {
      ModelUpdate u;
      try {
        u = Codecs.MODEL_UPDATE.decode(r.value());
      } catch (IllegalArgumentException e) {
        skip(r, "undecodable", e.getMessage());
        return;
      }
      try {
        float[] v = toArray(u.getVector());
        if (u.getKind() == EntityKind.USER) {
          batch.putUser(u.getId(), v, u.getModelVersion(), u.getTimestamp());
        } else if (u.getKind() == EntityKind.ITEM) {
          batch.putItem(u.getId(), v, u.getPropensity(), u.getClicks(), u.getModelVersion(), u.getTimestamp());
        } else {
          skip(r, "unknown_kind", "kind " + u.getKind());
        }
      } catch (IllegalArgumentException | NullPointerException e) {
        skip(r, "invalid", e.getMessage());
      }
    } else {
      Interaction in;
      try {
        in = Codecs.INTERACTION.decode(r.value());
      } catch (IllegalArgumentException e) {
        skip(r, "undecodable", e.getMessage());
        return;
      }
      try {
        if (in.getSource() == InteractionSource.ERASE_USER) {
          batch.eraseClicks(in.getUser());
        } else if (in.getLabel() == 1) {
          batch.addClick(in.getUser(), in.getItem(), in.getTimestamp());
        } else if (in.getLabel() != 0) {
          skip(r, "invalid", "label " + in.getLabel() + " is neither 0 nor 1");
        }
      } catch (IllegalArgumentException e) {
        skip(r, "invalid", e.getMessage());
      }
    }
  }

  /** A null value: an erasure when keyed user:ID or item:ID on model-updates, else skipped. */
  private void tombstone(ModelStore.Batch batch, ConsumerRecord<byte[], byte[]> r) {
    String key = r.key() == null ? null : new String(r.key(), StandardCharsets.UTF_8);
    if (key != null && r.topic().equals(Topics.MODEL_UPDATES)) {
      try {
        if (key.startsWith(USER_KEY_PREFIX)) {
          batch.eraseUser(key.substring(USER_KEY_PREFIX.length()));
          return;
        }
        if (key.startsWith(ITEM_KEY_PREFIX)) {
          batch.eraseItem(key.substring(ITEM_KEY_PREFIX.length()));
          return;
        }
      } catch (IllegalArgumentException e) {
        skip(r, "invalid", "tombstone: " + e.getMessage());
        return;
      }
    }
    skip(r, "tombstone", "null value (only user:ID and item:ID tombstones on " + Topics.MODEL_UPDATES
        + " are applied)");
  }

  private void skip(ConsumerRecord<byte[], byte[]> r, String reason, String detail) {
    metrics.skipped(r.topic(), reason);
    skippedLogged++;
    if (skippedLogged <= 100 || skippedLogged % 1000 == 0) {
      LOG.warn("skipped {}-{}@{} ({}): {} [{} skipped so far]", r.topic(), r.partition(), r.offset(), reason,
          detail, skippedLogged);
    }
  }

  private static float[] toArray(List<Float> list) {
    float[] v = new float[list.size()];
    for (int i = 0; i < v.length; i++) {
      v[i] = list.get(i);
    }
    return v;
  }

  /** Assigns all partitions of both topics; new ones start at the stored offset + 1. */
  private void refreshAssignment() {
    Set<TopicPartition> all = new HashSet<>();
    for (String topic : TOPICS) {
      List<PartitionInfo> parts = consumer.partitionsFor(topic, Duration.ofSeconds(10));
      if (parts != null) {
        for (PartitionInfo pi : parts) {
          all.add(new TopicPartition(pi.topic(), pi.partition()));
        }
      }
    }
    Set<TopicPartition> current = consumer.assignment();
    if (all.equals(current)) {
      return;
    }
    Set<TopicPartition> added = new HashSet<>(all);
    added.removeAll(current);
    consumer.assign(all);
    seekToStored(added);
    LOG.info("assigned {} partitions ({} new)", all.size(), added.size());
  }

  private void seekToStored(Set<TopicPartition> partitions) {
    Map<TopicPartition, Long> stored = store.offsets();
    List<TopicPartition> fromStart = new ArrayList<>();
    for (TopicPartition tp : partitions) {
      Long last = stored.get(tp);
      if (last == null) {
        fromStart.add(tp);
      } else {
        consumer.seek(tp, last + 1);
      }
    }
    if (!fromStart.isEmpty()) {
      consumer.seekToBeginning(fromStart);
    }
  }

  private void updateLag() {
    long sum = 0;
    long updates = 0;
    for (TopicPartition tp : consumer.assignment()) {
      OptionalLong l = consumer.currentLag(tp);
      if (l.isEmpty()) {
        return;
      }
      sum += l.getAsLong();
      if (tp.topic().equals(Topics.MODEL_UPDATES)) {
        updates += l.getAsLong();
      }
    }
    lag.set(sum);
    modelUpdatesLag.set(updates);
  }

  private void pause() {
    try {
      Thread.sleep(1000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      running = false;
    }
  }

  /** Stops the loop and closes the consumer; waits up to 10 s for the thread. */
  @Override
  public void close() {
    running = false;
    if (!started) {
      consumer.close(CloseOptions.timeout(Duration.ofSeconds(5)));
      return;
    }
    consumer.wakeup();
    try {
      thread.join(10_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
