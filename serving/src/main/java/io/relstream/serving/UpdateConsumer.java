package io.relstream.serving;

import io.relstream.schemas.Codecs;
import io.relstream.schemas.Topics;
import io.relstream.schemas.avro.EntityKind;
import io.relstream.schemas.avro.Interaction;
import io.relstream.schemas.avro.ModelUpdate;
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
 * <p>A record that cannot be applied (undecodable value, tombstone, unknown kind, invalid row, label
 * other than 0/1) is counted in {@link Metrics} by reason, logged, and skipped: its offset still
 * advances. Serving cannot dead-letter it (it does not produce to Kafka; the dead-letter topic is
 * ingest's), so the counter and the log are the record. If the store write fails, the batch is
 * dropped, the consumer seeks back to the stored offsets and retries after a pause. The loop never
 * stops on an error, only on {@link #close()}.
 */
final class UpdateConsumer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(UpdateConsumer.class);
  static final List<String> TOPICS = List.of(Topics.MODEL_UPDATES, Topics.INTERACTIONS);
  private static final Duration POLL = Duration.ofMillis(200);
  private static final long REFRESH_NANOS = 5_000_000_000L;

  private final KafkaConsumer<byte[], byte[]> consumer;
  private final ModelStore store;
  private final Metrics metrics;
  private final Thread thread;
  private final AtomicLong lag = new AtomicLong(-1);
  private volatile boolean running = true;
  private volatile boolean started;
  private long skippedLogged;

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
    metrics.gauge("relstream_serving_consumer_lag_records", "Records behind the log end, summed over assigned "
        + "partitions (-1 until known).", lag::get);
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
          if (!records.isEmpty()) {
            applyOrRewind(records);
          }
          updateLag();
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
          pause();
        }
      }
    } finally {
      try {
        consumer.close(CloseOptions.timeout(Duration.ofSeconds(5)));
      } catch (RuntimeException e) {
        LOG.warn("closing the consumer failed", e);
      }
    }
  }

  private void applyOrRewind(ConsumerRecords<byte[], byte[]> records) {
    ModelStore.Batch batch = store.newBatch();
    for (ConsumerRecord<byte[], byte[]> r : records) {
      add(batch, r);
    }
    try {
      store.apply(batch);
    } catch (Exception e) {
      metrics.applyFailure();
      LOG.error("store write failed for {} records; seeking back to the stored offsets", records.count(), e);
      pause();
      seekToStored(consumer.assignment());
    }
  }

  /** Decodes one record into the batch, or counts and logs why it is skipped. Never throws. */
  private void add(ModelStore.Batch batch, ConsumerRecord<byte[], byte[]> r) {
    TopicPartition tp = new TopicPartition(r.topic(), r.partition());
    batch.consumed(tp, r.offset());
    metrics.consumed(r.topic());
    if (r.value() == null) {
      skip(r, "tombstone", "null value (tombstones are not applied)");
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
        if (in.getLabel() == 1) {
          batch.addClick(in.getUser(), in.getItem(), in.getTimestamp());
        } else if (in.getLabel() != 0) {
          skip(r, "invalid", "label " + in.getLabel() + " is neither 0 nor 1");
        }
      } catch (IllegalArgumentException e) {
        skip(r, "invalid", e.getMessage());
      }
    }
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
    for (TopicPartition tp : consumer.assignment()) {
      OptionalLong l = consumer.currentLag(tp);
      if (l.isEmpty()) {
        return;
      }
      sum += l.getAsLong();
    }
    lag.set(sum);
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
