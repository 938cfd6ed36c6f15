package io.relstream.streamtrain;

import io.relstream.core.kernel.BatchMaths;
import io.relstream.core.online.BatchUpdate;
import io.relstream.core.online.ModelRow;
import io.relstream.core.online.OnlineTrainer;
import io.relstream.schemas.avro.EntityKind;
import io.relstream.schemas.avro.ModelUpdate;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.accumulators.LongCounter;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.typeinfo.PrimitiveArrayTypeInfo;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.runtime.state.StateInitializationContext;
import org.apache.flink.runtime.state.StateSnapshotContext;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.api.operators.BoundedOneInput;
import org.apache.flink.streaming.api.operators.OneInputStreamOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;

/**
 * The trainer operator: one {@link OnlineTrainer} (the whole model) fed with {@link Example}s; each batch
 * changes rows, each published as a {@link ModelUpdate} with the modelVersion of the batch that last
 * changed it: users with their vector, items with vector, &theta; and decayed click count. At the end of a bounded input it
 * trains the pending partial batch; with {@link TrainConfig#flushIdleMs()} &gt; 0 it also trains it
 * once no event has arrived for that long (a processing-time timer), so the last events of a quiet
 * stream reach the served model instead of waiting for the batch to fill.
 *
 * <p><b>Rows coalesced per checkpoint.</b> A row changed by several batches between two checkpoints is
 * emitted once, in its newest version, just before the barrier ({@link #prepareSnapshotPreBarrier}) and at
 * the end of the input ({@link OnlineTrainer#coalesceRows}: the trainer keeps a bit per changed row, not a
 * copy per batch). The transactional sink makes rows visible only when a checkpoint commits, so a reader
 * sees the same model at every commit as with a row per batch, from a fraction of the records: a popular
 * item changes in nearly every batch, and every emitted row is Avro-encoded twice (to the sink, then to
 * Kafka) and decoded once. Nothing but the bits is held, so the buffer is bounded by the model.
 *
 * <p><b>State: one key per row, written when it changed.</b> The trainer is the hot cache (every row of
 * the shard resident, as the batch math needs its tables); Flink's keyed state on the RocksDB backend is
 * where the rows live for the engine: keyed state "rows" ({@link KeyedRows}) holds each user row
 * (factors, Adam moments, remembered clicks) under {@link OnlineTrainer#userKey}, each item row (factors,
 * moments, &theta;, clicks) under {@link OnlineTrainer#itemKey}, each reservoir slot under
 * {@link OnlineTrainer#reservoirKey}. Just before each barrier ({@link #prepareSnapshotPreBarrier}, after
 * the coalesced rows went downstream) the rows changed since the previous barrier are written
 * ({@link OnlineTrainer#writeChangedRows}, {@code setCurrentKey} per row: the pattern of Flink's
 * mini-batch operators), so with incremental checkpoints a checkpoint carries the changed rows, not the
 * model. Operator state keeps only {@link OnlineTrainer#globals()} (settings, batch counter, Adam step, id
 * counts, pending partial batch, clip histogram, ring position): a few KiB whatever the model's size. A
 * restore reads every row back ({@code applyToAllKeys}) into a new trainer, which continues bit for bit on
 * the Java path, and re-emits exactly the batches after the checkpoint.
 * Runs at parallelism 1 for now (the keyed input and max parallelism {@link TrainingJob#TRAINER_MAX_PARALLELISM}
 * are the sharding's groundwork; see the package comment).
 *
 * <p>Metrics: {@code rowsWritten} and {@code rowWriteMs}, the rows written before the last barrier and how
 * long it took, beside the kernel gauges.
 *
 * <p>Accumulator {@value TrainingJob#EVENTS_TRAINED}: the stream events in the batches this attempt
 * trained ({@link BatchUpdate#events()} summed; sampled negatives not counted). Like every Flink
 * accumulator it starts at 0 in each attempt, so after a restore it counts the events since then.
 */
final class TrainerOperator extends AbstractStreamOperator<ModelUpdate>
    implements OneInputStreamOperator<Example, ModelUpdate>, BoundedOneInput {
  private static final long serialVersionUID = 1L;
  private final TrainConfig config;
  private transient OnlineTrainer trainer;
  private transient ListState<byte[]> globals;
  private transient KeyedRows rows;
  private transient long rowsWritten;
  private transient long rowWriteMs;
  private transient long lastEventMillis;
  private transient boolean timerSet;
  private transient String kernelReason;
  private transient LongCounter eventsTrained;
  /**
   * Users erased since the last barrier (with the model version and event time of the erasure), in order:
   * each becomes a tombstone before the barrier's rows, so a user erased and back within one interval is a
   * tombstone, then its new row.
   */
  private transient Map<String, long[]> erased;

  TrainerOperator(TrainConfig config) {
    this.config = config;
  }

  @Override
  public void initializeState(StateInitializationContext context) throws Exception {
    super.initializeState(context);
    globals = context.getOperatorStateStore().getListState(
        new ListStateDescriptor<>("trainer-globals", PrimitiveArrayTypeInfo.BYTE_PRIMITIVE_ARRAY_TYPE_INFO));
    rows = new KeyedRows(this, context.getKeyedStateStore(), "rows");
    if (trainer != null) {
      trainer.close();
      trainer = null;
    }
    BatchMaths.Choice kernel = config.kernelChoice();
    kernelReason = kernel.reason();
    if (context.isRestored()) {
      Iterator<byte[]> it = globals.get().iterator();
      if (it.hasNext()) {
        byte[] g = it.next();
        if (it.hasNext()) {
          throw new IllegalStateException("trainer state holds more than one model: the trainer must run at"
              + " parallelism 1");
        }
        long t0 = System.nanoTime();
        OnlineTrainer.RowRestore restore = new OnlineTrainer.RowRestore(g, kernel.path());
        long count = rows.forEach(restore::add);
        trainer = restore.finish();
        LOG.info("trainer restored at model version {} from {} rows in {} ms ({} users, {} items, {} pending)",
            trainer.modelVersion(), count, (System.nanoTime() - t0) / 1_000_000, trainer.numUsers(),
            trainer.numItems(), trainer.pending());
      }
    }
    if (trainer == null) {
      trainer = new OnlineTrainer(config.trainer(), kernel.path());
    }
    // rows wait in the trainer (a bit each) until the barrier emits their newest version
    trainer.coalesceRows();
    LOG.info("trainer kernel path {} on {} ({})", trainer.kernelPath(), trainer.device(), kernelReason);
  }

  @Override
  public void open() throws Exception {
    super.open();
    erased = new LinkedHashMap<>();
    eventsTrained = new LongCounter();
    getRuntimeContext().addAccumulator(TrainingJob.EVENTS_TRAINED, eventsTrained);
    // metrics <operator scope>.kernel.opencl (1 on OpenCL, else 0) and .kernel.choice (path, device, why)
    MetricGroup kernelGroup = getMetricGroup().addGroup("kernel");
    kernelGroup.gauge("opencl", (Gauge<Integer>) () -> "opencl".equals(trainer.kernelPath()) ? 1 : 0);
    kernelGroup.gauge("choice", (Gauge<String>) () -> trainer.kernelPath() + " on " + trainer.device() + " ("
        + kernelReason + ")");
    getMetricGroup().gauge("rowsWritten", (Gauge<Long>) () -> rowsWritten);
    getMetricGroup().gauge("rowWriteMs", (Gauge<Long>) () -> rowWriteMs);
  }

  /**
   * Emits the coalesced rows before the barrier, so the rows and the snapshotted state agree, and writes
   * the rows changed since the previous barrier into keyed state.
   */
  @Override
  public void prepareSnapshotPreBarrier(long checkpointId) throws Exception {
    super.prepareSnapshotPreBarrier(checkpointId);
    flushRows();
    long t0 = System.nanoTime();
    rowsWritten = trainer.writeChangedRows(rows.writer());
    rowWriteMs = (System.nanoTime() - t0) / 1_000_000;
  }

  private void flushRows() {
    for (Map.Entry<String, long[]> e : erased.entrySet()) {
      output.collect(new StreamRecord<>(TrainingJob.erasure(e.getKey(), e.getValue()[0], e.getValue()[1])));
    }
    erased.clear();
    trainer.drainChangedRows((item, id, vector, theta, clicks, version, timestamp) ->
        output.collect(new StreamRecord<>(row(item ? EntityKind.ITEM : EntityKind.USER, id, vector, theta, clicks,
            version, timestamp))));
  }

  @Override
  public void snapshotState(StateSnapshotContext context) throws Exception {
    super.snapshotState(context);
    globals.update(List.of(trainer.globals()));
  }

  @Override
  public void processElement(StreamRecord<Example> element) {
    Example e = element.getValue();
    if (e.erase) {
      // the user's row, clicks and held events leave the trainer; its key gets a tombstone at this barrier
      boolean known = trainer.eraseUser(e.user);
      erased.put(e.user, new long[] {trainer.modelVersion(), e.timestamp});
      LOG.info("erased user ({} to the trainer)", known ? "known" : "unknown");
      return;
    }
    emit(trainer.add(e.user, e.item, e.label, e.theta, e.clicks, e.timestamp));
    if (config.flushIdleMs() > 0) {
      lastEventMillis = getProcessingTimeService().getCurrentProcessingTime();
      if (!timerSet && trainer.pending() > 0) {
        timerSet = true;
        getProcessingTimeService().registerTimer(lastEventMillis + config.flushIdleMs(), this::onIdleTimer);
      }
    }
  }

  /** Runs on the operator's mailbox thread, so it never races with records or checkpoints. */
  private void onIdleTimer(long time) {
    timerSet = false;
    if (trainer == null || trainer.pending() == 0) {
      return;
    }
    long due = lastEventMillis + config.flushIdleMs();
    if (time >= due) {
      emit(trainer.flush());
    } else {
      timerSet = true;
      getProcessingTimeService().registerTimer(due, this::onIdleTimer);
    }
  }

  @Override
  public void endInput() {
    emit(trainer.flush());
    flushRows();
  }

  private void emit(BatchUpdate b) {
    if (b == null) {
      return;
    }
    eventsTrained.add(b.events());
  }

  /** The ModelUpdate rows of a batch: users first, then items, in first-appearance order. */
  static List<ModelUpdate> toRecords(BatchUpdate b) {
    List<ModelUpdate> out = new ArrayList<>(b.users().size() + b.items().size());
    for (ModelRow r : b.users()) {
      out.add(row(EntityKind.USER, r.id(), r.vector(), r.theta(), r.clicks(), b.modelVersion(), b.timestamp()));
    }
    for (ModelRow r : b.items()) {
      out.add(row(EntityKind.ITEM, r.id(), r.vector(), r.theta(), r.clicks(), b.modelVersion(), b.timestamp()));
    }
    return out;
  }

  /**
   * A row as a ModelUpdate record: items carry their theta and click count, users neither. The vector is a
   * view of {@code vector} (not copied, not boxed up front), which the caller hands over.
   */
  private static ModelUpdate row(EntityKind kind, String id, float[] vector, float theta, double clicks,
      long modelVersion, long timestamp) {
    boolean item = kind == EntityKind.ITEM;
    // the builder would deep-copy the vector field; the constructor takes it as it is
    return new ModelUpdate(kind, id, new FloatList(vector), item ? (Double) (double) theta : null,
        item ? (Double) clicks : null, modelVersion, timestamp);
  }


  @Override
  public void close() throws Exception {
    try {
      if (trainer != null) {
        trainer.close();
        trainer = null;
      }
    } finally {
      super.close();
    }
  }
}
