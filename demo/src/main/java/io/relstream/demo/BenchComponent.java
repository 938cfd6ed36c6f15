package io.relstream.demo;

import io.relstream.schemas.Codecs;
import io.relstream.schemas.Topics;
import io.relstream.schemas.avro.Click;
import io.relstream.schemas.avro.Event;
import io.relstream.schemas.avro.Impression;
import io.relstream.schemas.avro.Interaction;
import io.relstream.schemas.avro.InteractionSource;
import io.relstream.schemas.avro.ModelUpdate;
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
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * {@code relstream bench pipeline --component collector|ingest|train}: one component alone, at full speed,
 * with the broker beside it and nothing else running.
 *
 * <ul>
 *   <li><b>collector</b>: {@code IngestMain --role collector} (no streams app), driven over HTTP by sender
 *       threads of this JVM with pre-built bodies of 1,000 events; events/s acknowledged and p99 request
 *       latency.</li>
 *   <li><b>ingest</b>: {@code IngestMain --role streams} draining events pre-produced into the events topic
 *       (impressions, a click for one in seven, 1 ms apart in event time, as the collector writes them);
 *       events/s from its first committed offset to the last. The join window is the shipped 30 minutes
 *       unless {@code --join-window-ms} says otherwise.</li>
 *   <li><b>train</b>: {@code StreamTrainMain} draining interactions pre-produced into the interactions
 *       topic (20,000 events/s of event time, so the reservoir steps' event-time budget allows one a
 *       batch); events/s from its first published model row until the model's timestamp reaches the last
 *       interaction's (checkpoint interval 2 s: up to one interval of commit delay is included).</li>
 * </ul>
 * CPU: user + system time of the component's JVM and the broker's over the measured window, from
 * {@code /proc/PID/stat} (clock ticks of 10 ms), per million events. The load generator's CPU is not
 * counted.
 */
final class BenchComponent {
  private static final long TICK_MS = 10;

  private BenchComponent() {}

  /** One run's figures, as the JSON line names them (null: does not apply). */
  static Map<String, Object> run(String component, Path home, Path work, int seconds, long events, long joinWindowMs,
      long checkpointMs, PrintStream log) throws Exception {
    String[] bs = new String[1];
    List<ChildProcess> children = new ArrayList<>();
    try {
      ChildProcess broker = EmbeddedBroker.start(work, Classpaths.of(home, "demo"), bs);
      children.add(broker);
      EmbeddedBroker.createTopics(bs[0]);
      Map<String, Object> r = switch (component) {
        case "collector" -> collector(home, work, bs[0], seconds, broker, children, log);
        case "ingest" -> ingest(home, work, bs[0], events, joinWindowMs, broker, children, log);
        case "train" -> train(home, work, bs[0], events, checkpointMs, broker, children, log);
        default -> throw new IllegalArgumentException("unknown component " + component);
      };
      r.put("checkpointIntervalMs", component.equals("train") ? checkpointMs : null);
      return r;
    } finally {
      Stack.stopAll(children);
    }
  }

  static Map<String, Object> figures(String component, double seconds, long events, Double latencyP99Ms,
      long cpuTicks, Long joinWindowMs) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("component", component);
    m.put("seconds", Math.round(seconds * 10) / 10.0);
    m.put("rate", "unlimited");
    m.put("joinWindowMs", joinWindowMs);
    m.put("eventsPerSecond", Math.round(events / seconds));
    m.put("latencyP99Ms", latencyP99Ms);
    m.put("httpEventsPerSecond", component.equals("collector") ? Math.round(events / seconds) : null);
    m.put("ingestEventsPerSecond", component.equals("ingest") ? Math.round(events / seconds) : null);
    m.put("endToEndEventsPerSecond", null);
    m.put("cpuSecondsPerMillion", Math.round(cpuTicks * TICK_MS / 1000.0 / events * 1e6 * 10) / 10.0);
    m.put("freshnessP50Ms", null);
    m.put("freshnessP99Ms", null);
    m.put("rejected503", null);
    return m;
  }

  private static Map<String, Object> collector(Path home, Path work, String bootstrap, int seconds,
      ChildProcess broker, List<ChildProcess> children, PrintStream log) throws Exception {
    int port = EmbeddedBroker.freePort();
    ChildProcess ingest = child(home, work, "ingest", "512m", "io.relstream.ingest.IngestMain", List.of("--bootstrap",
        bootstrap, "--port", String.valueOf(port), "--state-dir", work.resolve("ingest").toString(), "--role",
        "collector", "--max-backlog", "0"), children);
    awaitHealth(ingest, port);
    String base = "http://127.0.0.1:" + port;
    List<String> bodies = new ArrayList<>();
    SplittableRandom rng = new SplittableRandom(1);
    long now = System.currentTimeMillis();
    for (int b = 0; b < 64; b++) {
      StringBuilder body = new StringBuilder();
      for (int n = 0; n < 1000; n++) {
        String id = "c" + b + "-" + n;
        int u = rng.nextInt(20_000);
        int i = (int) Math.floor(Math.pow(rng.nextDouble(), 2.5) * 1000);
        body.append(DatasetEvents.impression(id, "u" + u, "i" + i, now, id, 1, null)).append('\n');
      }
      bodies.add(body.toString());
    }
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    // warm-up: 3 s, not measured
    drive(http, base, bodies, 3, new AtomicLong(), new ArrayList<>());
    long cpu0 = ticks(ingest) + ticks(broker);
    AtomicLong accepted = new AtomicLong();
    List<long[]> latencies = new ArrayList<>();
    long t0 = System.nanoTime();
    drive(http, base, bodies, seconds, accepted, latencies);
    double s = (System.nanoTime() - t0) / 1e9;
    long cpu = ticks(ingest) + ticks(broker) - cpu0;
    long[] all = latencies.stream().flatMapToLong(Arrays::stream).sorted().toArray();
    double p99 = all.length == 0 ? Double.NaN : all[Math.min(all.length - 1, (int) (all.length * 0.99))] / 1e6;
    log.printf("collector: %d events acknowledged in %.1f s, %d requests%n", accepted.get(), s, all.length);
    return figures("collector", s, accepted.get(), Math.round(p99 * 100) / 100.0, cpu, null);
  }

  /** Two sender threads post {@code bodies} round robin for {@code seconds}. */
  private static void drive(HttpClient http, String base, List<String> bodies, int seconds, AtomicLong accepted,
      List<long[]> latencies) throws InterruptedException {
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    List<Thread> threads = new ArrayList<>();
    for (int t = 0; t < 2; t++) {
      int id = t;
      long[] lat = new long[1 << 16];
      int[] n = {0};
      Thread th = new Thread(() -> {
        int k = id;
        while (System.nanoTime() < end) {
          long s = System.nanoTime();
          try {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(base + "/events"))
                .header("Content-Type", "application/x-ndjson")
                .POST(HttpRequest.BodyPublishers.ofString(bodies.get(k++ % bodies.size()))).build(),
                HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() == 202) {
              accepted.addAndGet(1000);
            }
          } catch (IOException e) {
            // not acknowledged
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
          }
          if (n[0] < lat.length) {
            lat[n[0]++] = System.nanoTime() - s;
          }
        }
        synchronized (latencies) {
          latencies.add(Arrays.copyOf(lat, n[0]));
        }
      }, "collector-sender-" + t);
      th.start();
      threads.add(th);
    }
    for (Thread th : threads) {
      th.join();
    }
  }

  private static Map<String, Object> ingest(Path home, Path work, String bootstrap, long events, long joinWindowMs,
      ChildProcess broker, List<ChildProcess> children, PrintStream log) throws Exception {
    long now = System.currentTimeMillis();
    long t = now - events; // 1 ms apart, the last one now
    SplittableRandom rng = new SplittableRandom(2);
    long produced = 0;
    try (KafkaProducer<String, byte[]> p = producer(bootstrap)) {
      for (long k = 0; produced < events; k++) {
        int u = rng.nextInt(20_000);
        int i = (int) Math.floor(Math.pow(rng.nextDouble(), 2.5) * 1000);
        String id = "e" + k;
        long ts = t + produced;
        Event imp = Event.newBuilder().setArrivalTime(ts).setPayload(Impression.newBuilder().setEventId(id + "i")
            .setUser("u" + u).setItem("i" + i).setTimestamp(ts).setRequestId(id).setPosition(1 + (int) (k % 3))
            .setPropensity(null).build()).build();
        p.send(new ProducerRecord<>(Topics.EVENTS, null, ts, "u" + u, Codecs.EVENT.encode(imp)));
        produced++;
        if ((u + i) % 7 == 0 && produced < events) {
          Event clk = Event.newBuilder().setArrivalTime(ts).setPayload(Click.newBuilder().setEventId(id + "c")
              .setUser("u" + u).setItem("i" + i).setTimestamp(ts).setRequestId(id).build()).build();
          p.send(new ProducerRecord<>(Topics.EVENTS, null, ts, "u" + u, Codecs.EVENT.encode(clk)));
          produced++;
        }
      }
    }
    log.printf("ingest: %d events pre-produced%n", produced);
    String group = "relstream-ingest";
    ChildProcess ingest = child(home, work, "ingest", "1g", "io.relstream.ingest.IngestMain", List.of("--bootstrap",
        bootstrap, "--port", String.valueOf(EmbeddedBroker.freePort()), "--state-dir", work.resolve("ingest").toString(),
        "--role", "streams", "--join-window-ms", String.valueOf(joinWindowMs), "--application-id", group), children);
    try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
      List<TopicPartition> parts = admin.describeTopics(List.of(Topics.EVENTS)).allTopicNames().get()
          .get(Topics.EVENTS).partitions().stream().map(x -> new TopicPartition(Topics.EVENTS, x.partition())).toList();
      Map<TopicPartition, OffsetSpec> latest = new LinkedHashMap<>();
      parts.forEach(x -> latest.put(x, OffsetSpec.latest()));
      long end = admin.listOffsets(latest).all().get().values().stream().mapToLong(o -> o.offset()).sum();
      long first = -1;
      long firstAt = 0;
      long cpu0 = 0;
      long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(20);
      while (System.nanoTime() < deadline) {
        if (!ingest.alive()) {
          throw new IOException("ingest exited; its log ends:\n" + ingest.tail(30));
        }
        long done = committed(admin, group, parts);
        if (first < 0 && done > 0) {
          first = done;
          firstAt = System.nanoTime();
          cpu0 = ticks(ingest) + ticks(broker);
        }
        if (first >= 0 && done >= end) {
          double s = (System.nanoTime() - firstAt) / 1e9;
          long cpu = ticks(ingest) + ticks(broker) - cpu0;
          log.printf("ingest: %d events joined in %.1f s (from the first commit)%n", done - first, s);
          return figures("ingest", s, done - first, null, cpu, joinWindowMs);
        }
        Thread.sleep(200);
      }
      throw new IOException("ingest did not drain " + end + " events within 20 min");
    }
  }

  private static long committed(Admin admin, String group, List<TopicPartition> parts) throws Exception {
    Map<TopicPartition, OffsetAndMetadata> c = admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata()
        .get();
    long sum = 0;
    for (TopicPartition p : parts) {
      OffsetAndMetadata o = c.get(p);
      sum += o == null ? 0 : o.offset();
    }
    return sum;
  }

  private static Map<String, Object> train(Path home, Path work, String bootstrap, long events, long checkpointMs,
      ChildProcess broker, List<ChildProcess> children, PrintStream log) throws Exception {
    long now = System.currentTimeMillis();
    long base = now - events / 20; // 20,000 events/s of event time, the last one now
    SplittableRandom rng = new SplittableRandom(3);
    long last = 0;
    try (KafkaProducer<String, byte[]> p = producer(bootstrap)) {
      for (long k = 0; k < events; k++) {
        int u = rng.nextInt(20_000);
        int i = (int) Math.floor(Math.pow(rng.nextDouble(), 2.5) * 1000);
        boolean click = (u + i) % 7 == 0;
        last = base + k / 20;
        Interaction x = Interaction.newBuilder().setEventId("t" + k).setUser("u" + u).setItem("i" + i).setTimestamp(last)
            .setLabel(click ? 1 : 0).setSource(click ? InteractionSource.CLICKED_IMPRESSION
                : InteractionSource.UNCLICKED_IMPRESSION).setRequestId("r" + k).setPosition(1).setPropensity(null)
            .build();
        p.send(new ProducerRecord<>(Topics.INTERACTIONS, null, last, "u" + u, Codecs.INTERACTION.encode(x)));
      }
    }
    log.printf("train: %d interactions pre-produced%n", events);
    ChildProcess trainer = child(home, work, "stream-train", "1g", "io.relstream.streamtrain.StreamTrainMain",
        List.of("--bootstrap", bootstrap, "--checkpoint-dir", work.resolve("checkpoints").toString(),
            "--checkpoint-interval-ms", String.valueOf(checkpointMs)), children);
    Properties props = new Properties();
    props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    try (KafkaConsumer<String, byte[]> c = new KafkaConsumer<>(props, new StringDeserializer(),
        new ByteArrayDeserializer())) {
      List<TopicPartition> parts = c.partitionsFor(Topics.MODEL_UPDATES).stream()
          .map(i -> new TopicPartition(i.topic(), i.partition())).toList();
      c.assign(parts);
      c.seekToBeginning(parts);
      long firstAt = 0;
      long cpu0 = 0;
      long newest = Long.MIN_VALUE;
      long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(20);
      while (System.nanoTime() < deadline) {
        if (!trainer.alive()) {
          throw new IOException("stream-train exited; its log ends:\n" + trainer.tail(30));
        }
        for (ConsumerRecord<String, byte[]> r : c.poll(Duration.ofMillis(200))) {
          if (r.value() == null) {
            continue; // an erased user's tombstone
          }
          ModelUpdate u = Codecs.MODEL_UPDATE.decode(r.value());
          if (firstAt == 0) {
            firstAt = System.nanoTime();
            cpu0 = ticks(trainer) + ticks(broker);
          }
          newest = Math.max(newest, u.getTimestamp());
        }
        if (firstAt != 0 && newest >= last) {
          double s = (System.nanoTime() - firstAt) / 1e9;
          long cpu = ticks(trainer) + ticks(broker) - cpu0;
          log.printf("train: %d interactions in the model %.1f s after the first published row%n", events, s);
          return figures("train", s, events, null, cpu, null);
        }
      }
      throw new IOException("stream-train did not reach the last interaction within 20 min");
    }
  }

  private static KafkaProducer<String, byte[]> producer(String bootstrap) {
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ProducerConfig.LINGER_MS_CONFIG, 20);
    p.put(ProducerConfig.BATCH_SIZE_CONFIG, 512 * 1024);
    p.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
    return new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer());
  }

  private static ChildProcess child(Path home, Path work, String module, String heap, String main, List<String> args,
      List<ChildProcess> children) throws IOException {
    ChildProcess c = ChildProcess.start(module, heap, Classpaths.of(home, module), Stack.jvmArgs(module), main, args,
        work.resolve("logs"));
    children.add(c);
    return c;
  }

  private static void awaitHealth(ChildProcess c, int port) throws Exception {
    HttpClient http = HttpClient.newHttpClient();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    while (System.nanoTime() < deadline) {
      if (!c.alive()) {
        throw new IOException(c.name + " exited; its log ends:\n" + c.tail(30));
      }
      try {
        if (http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/health")).build(),
            HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
          return;
        }
      } catch (IOException notYet) {
        // starting
      }
      Thread.sleep(300);
    }
    throw new IOException(c.name + " not healthy within 120 s");
  }

  /** User + system CPU of a process in clock ticks, from /proc (0 where there is no /proc). */
  static long ticks(ChildProcess c) {
    try {
      String stat = Files.readString(Path.of("/proc", String.valueOf(c.pid()), "stat"));
      String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
      return Long.parseLong(f[11]) + Long.parseLong(f[12]); // utime, stime: fields 14 and 15 of stat
    } catch (IOException | RuntimeException e) {
      return 0;
    }
  }
}
