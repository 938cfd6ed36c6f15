package io.relstream.ingest;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.processor.StateRestoreListener;

/**
 * The truth about the streams app, for {@code /health} and {@code /ready}.
 *
 * <ul>
 *   <li>healthy ({@code /health} 200): the app is {@code CREATED}, {@code REBALANCING} or {@code RUNNING};
 *       {@code PENDING_ERROR}, {@code ERROR}, {@code PENDING_SHUTDOWN} and {@code NOT_RUNNING} are down;</li>
 *   <li>ready ({@code /ready} 200): {@code RUNNING} with no store being restored from its changelog, so that
 *       events posted now are joined now (after a restart the app first rebalances, then restores its
 *       stores: both keep {@code /ready} at 503).</li>
 * </ul>
 * Fields: {@code "streams"} (the state's name), {@code "restoringStores"} (stores being restored now).
 */
final class StreamsHealth implements StateRestoreListener {
  private final KafkaStreams streams;
  private final AtomicInteger restoring = new AtomicInteger();

  StreamsHealth(KafkaStreams streams) {
    this.streams = Objects.requireNonNull(streams);
  }

  Collector.Health now() {
    KafkaStreams.State state = streams.state();
    int r = Math.max(0, restoring.get());
    boolean healthy = state == KafkaStreams.State.CREATED || state.isRunningOrRebalancing();
    boolean ready = state == KafkaStreams.State.RUNNING && r == 0;
    Map<String, Object> fields = new LinkedHashMap<>();
    fields.put("streams", state.name());
    fields.put("restoringStores", r);
    StringBuilder g = new StringBuilder();
    g.append("# TYPE relstream_ingest_streams_up gauge\nrelstream_ingest_streams_up ").append(healthy ? 1 : 0)
        .append('\n');
    g.append("# TYPE relstream_ingest_streams_ready gauge\nrelstream_ingest_streams_ready ").append(ready ? 1 : 0)
        .append('\n');
    g.append("# TYPE relstream_ingest_streams_restoring_stores gauge\nrelstream_ingest_streams_restoring_stores ")
        .append(r).append('\n');
    g.append("# TYPE relstream_ingest_streams_state gauge\n");
    for (KafkaStreams.State s : KafkaStreams.State.values()) {
      g.append("relstream_ingest_streams_state{state=\"").append(s.name()).append("\"} ")
          .append(s == state ? 1 : 0).append('\n');
    }
    return new Collector.Health(healthy, ready, fields, g.toString());
  }

  @Override
  public void onRestoreStart(TopicPartition partition, String store, long startOffset, long endOffset) {
    restoring.incrementAndGet();
  }

  @Override
  public void onBatchRestored(TopicPartition partition, String store, long batchEndOffset, long numRestored) {}

  @Override
  public void onRestoreEnd(TopicPartition partition, String store, long totalRestored) {
    restoring.decrementAndGet();
  }

  @Override
  public void onRestoreSuspended(TopicPartition partition, String store, long totalRestored) {
    restoring.decrementAndGet();
  }
}
