package io.relstream.serving;

import io.relstream.schemas.Codecs;
import io.relstream.schemas.Topics;
import io.relstream.schemas.avro.Event;
import io.relstream.schemas.avro.Impression;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The served log ({@code --log-served}): what each answer showed, published to the events topic as
 * impressions (user, item, 1-based position, the answer's requestId, and as {@code propensity} the
 * probability that the policy showed that item at all), keyed by user like the collector's events, so
 * clicks on served items join their impressions and training gets exact propensities for the product's
 * own traffic.
 *
 * <p>Never slows a request: {@link #shown} only offers the answer to a bounded queue; one thread encodes
 * and sends. An answer that finds the queue full, and an impression the producer fails to deliver, is
 * counted as dropped ({@code relstream_serving_served_dropped_total}); delivered ones as published.
 */
final class ServedLog implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ServedLog.class);
  /** Answers waiting to be published; beyond, answers are dropped from the log (and counted). */
  static final int QUEUE = 10_000;

  private record Shown(String user, String requestId, List<ModelStore.Slot> slots, long at) {}

  private final KafkaProducer<byte[], byte[]> producer;
  private final String topic;
  private final BlockingQueue<Shown> queue = new ArrayBlockingQueue<>(QUEUE);
  private final AtomicLong published = new AtomicLong();
  private final AtomicLong dropped = new AtomicLong();
  private final Thread sender;
  private volatile boolean closing;

  ServedLog(String bootstrap, String topic) {
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ProducerConfig.CLIENT_ID_CONFIG, "relstream-serving-served-log");
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    p.put(ProducerConfig.LINGER_MS_CONFIG, 20);
    p.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
    p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 120_000);
    p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 60_000); // only the sender thread ever blocks
    this.producer = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
    this.topic = topic;
    this.sender = new Thread(this::run, "served-log");
    sender.setDaemon(true);
    sender.start();
  }

  ServedLog(String bootstrap) {
    this(bootstrap, Topics.EVENTS);
  }

  /** Queues what an answer showed; never blocks. */
  void shown(String user, String requestId, List<ModelStore.Slot> slots, long atMillis) {
    if (slots.isEmpty()) {
      return;
    }
    if (closing || !queue.offer(new Shown(user, requestId, slots, atMillis))) {
      dropped.addAndGet(slots.size());
    }
  }

  long published() {
    return published.get();
  }

  long dropped() {
    return dropped.get();
  }

  /** The impression of slot {@code position} (1-based) of an answer, as an events-topic record. */
  static Event impression(String user, String requestId, ModelStore.Slot slot, int position, long at) {
    Impression i = Impression.newBuilder().setEventId(requestId + "/" + position).setUser(user)
        .setItem(slot.item()).setTimestamp(at).setRequestId(requestId).setPosition(position)
        .setPropensity(slot.inclusion()).build();
    return Event.newBuilder().setPayload(i).setArrivalTime(at).build();
  }

  private void run() {
    while (!closing || !queue.isEmpty()) {
      Shown s;
      try {
        s = queue.poll(100, TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        break;
      }
      if (s == null) {
        continue;
      }
      byte[] key = s.user().getBytes(StandardCharsets.UTF_8);
      for (int j = 0; j < s.slots().size(); j++) {
        byte[] value = Codecs.EVENT.encode(impression(s.user(), s.requestId(), s.slots().get(j), j + 1, s.at()));
        try {
          producer.send(new ProducerRecord<>(topic, null, s.at(), key, value), (meta, error) -> {
            if (error == null) {
              published.incrementAndGet();
            } else {
              dropped.incrementAndGet();
            }
          });
        } catch (RuntimeException e) {
          dropped.incrementAndGet();
          LOG.warn("served log: cannot send an impression: {}", e.toString());
        }
      }
    }
  }

  /** Publishes what is queued (up to 10 s), then closes the producer. */
  @Override
  public void close() {
    closing = true;
    try {
      sender.join(10_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    producer.close(java.time.Duration.ofSeconds(10));
    dropped.addAndGet(queue.stream().mapToLong(s -> s.slots().size()).sum());
    queue.clear();
  }
}
