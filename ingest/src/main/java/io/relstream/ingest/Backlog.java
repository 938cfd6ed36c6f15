package io.relstream.ingest;

import io.relstream.schemas.Topics;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How far the streams app is behind the events topic: the sum over its partitions of the end offset less
 * the app's committed offset, read through the Admin API every {@value #REFRESH_MS} ms on a thread of its
 * own (a request never waits for it). Committed offsets trail processing by at most the commit interval
 * (500 ms), so the figure errs high by that much of traffic, never low.
 *
 * <p>The collector answers 503 with {@code Retry-After} while the backlog is over its bound: accepting events
 * the pipeline cannot process fresh only turns overload into staleness (and into a backlog that takes minutes
 * to drain after the load stops). With the bound at B events and the app processing r events/s, an accepted
 * event waits at most about B / r seconds before the join sees it.
 */
final class Backlog implements AutoCloseable {
  /** Default bound: a few seconds of processing on the 2-core machine the README measures. */
  static final long DEFAULT_MAX_EVENTS = 20_000;
  static final long REFRESH_MS = 500;
  private static final Logger LOG = LoggerFactory.getLogger(Backlog.class);

  private final Admin admin;
  private final String groupId;
  private final long maxEvents;
  private final ScheduledExecutorService timer;
  /** The latest figure; -1 while unknown (then nothing is refused). */
  private volatile long events = -1;
  private volatile long refreshedAtMs;

  /**
   * @param admin closed with this
   * @param groupId the streams app's application id (its consumer group)
   * @param maxEvents the bound (0 or less: never refuse)
   */
  Backlog(Admin admin, String groupId, long maxEvents) {
    this.admin = admin;
    this.groupId = groupId;
    this.maxEvents = maxEvents;
    this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "ingest-backlog");
      t.setDaemon(true);
      return t;
    });
    timer.scheduleWithFixedDelay(this::refresh, 0, REFRESH_MS, TimeUnit.MILLISECONDS);
  }

  /** Events on the events topic the app has not committed yet, or -1 when not known. */
  long events() {
    return events;
  }

  long maxEvents() {
    return maxEvents;
  }

  /** Whether new events should be refused now. */
  boolean over() {
    long e = events;
    return maxEvents > 0 && e > maxEvents;
  }

  void refresh() {
    try {
      List<TopicPartition> parts = admin.describeTopics(List.of(Topics.EVENTS)).allTopicNames()
          .get(5, TimeUnit.SECONDS).get(Topics.EVENTS).partitions().stream()
          .map(p -> new TopicPartition(Topics.EVENTS, p.partition())).toList();
      Map<TopicPartition, OffsetSpec> latest = parts.stream().collect(Collectors.toMap(p -> p, p -> OffsetSpec.latest()));
      Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> end = admin.listOffsets(latest).all()
          .get(5, TimeUnit.SECONDS);
      Map<TopicPartition, OffsetAndMetadata> committed = new HashMap<>(admin.listConsumerGroupOffsets(groupId)
          .partitionsToOffsetAndMetadata().get(5, TimeUnit.SECONDS));
      long sum = 0;
      for (TopicPartition p : parts) {
        OffsetAndMetadata c = committed.get(p);
        long done = c == null ? 0 : c.offset();
        sum += Math.max(0, end.get(p).offset() - done);
      }
      events = sum;
      refreshedAtMs = System.currentTimeMillis();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (Exception e) {
      // keep the last figure; a broker that does not answer shows in /health through the streams state
      LOG.debug("backlog not refreshed: {}", e.toString());
    }
  }

  /** Prometheus lines. */
  String gauges() {
    return "# HELP relstream_ingest_backlog_events Events on the events topic the streams app has not committed"
        + " (-1: unknown).\n# TYPE relstream_ingest_backlog_events gauge\nrelstream_ingest_backlog_events " + events
        + "\n# HELP relstream_ingest_backlog_max_events Backlog above which the collector answers 503.\n"
        + "# TYPE relstream_ingest_backlog_max_events gauge\nrelstream_ingest_backlog_max_events " + maxEvents + "\n";
  }

  /** When the figure was last read (epoch ms; 0 never). */
  long refreshedAtMs() {
    return refreshedAtMs;
  }

  @Override
  public void close() {
    timer.shutdownNow();
    admin.close(java.time.Duration.ofSeconds(2));
  }
}
