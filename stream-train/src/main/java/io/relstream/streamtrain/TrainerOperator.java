package io.relstream.streamtrain;

import io.relstream.core.kernel.BatchMaths;
import io.relstream.core.online.BatchUpdate;
import io.relstream.core.online.ModelRow;
import io.relstream.core.online.OnlineTrainer;
import io.relstream.schemas.Codecs;
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
 * changes rows, each a {@link ModelUpdate} with the batch's modelVersion: users with
 * their vector, items with vector, &theta; and decayed click count. At the end of a bounded input it
 * trains the pending partial batch; with {@link TrainConfig#flushIdleMs()} &gt; 0 it also trains it
 * once no event has arrived for that long (a processing-time timer), so the last events of a quiet
 * stream reach the served model instead of waiting for the batch to fill.
 *
 * <p><b>Rows coalesced per checkpoint.</b> A row changed by several batches between two checkpoints is
 * emitted once, in its newest version, just before the barrier ({@link #prepareSnapshotPreBarrier}) and at
 * the end of the input. The transactional sink makes rows visible only when a checkpoint commits, so a reader
 * sees the same model at every commit as with a row per batch, from a fraction of the records: a popular
 * item changes in nearly every batch, and every emitted row is Avro-encoded twice (to the sink, then to
 * Kafka) and decoded once. At most one row per key is held, so the buffer is bounded by the model.
 *
 * <p>State: the trainer's snapshot bytes (id maps, tables, Adam moments and step, batch counter,
 * remembered clicks, pending events) in operator {@code ListState<byte[]>}, rewritten at each checkpoint.
 * Since the snapshot is taken between records, the updates emitted before the barrier and the state agree,
 * and a restore re-emits exactly the batches after the checkpoint (identically, on the Java path).
 * Runs at parallelism 1 (see the package comment for how the model shards beyond).
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
  private transient ListState<byte[]> state;
  private transient long lastEventMillis;
  private transient boolean timerSet;
  private transient String kernelReason;
  private transient LongCounter eventsTrained;
  /**
   * The newest changed version of each row since the last barrier, by model-updates key; the ModelUpdate
   * record is built only when it is emitted, not for the versions a later batch replaces.
   */
  private transient Map<String, Changed> changed;

  /** A changed row as its batch left it. */
  private record Changed(EntityKind kind, ModelRow row, long modelVersion, long timestamp) {
    ModelUpdate toRecord() {
      return TrainerOperator.row(kind, row, modelVersion, timestamp);
    }
  }

  TrainerOperator(TrainConfig config) {
    this.config = config;
  }

  @Override
  public void initializeState(StateInitializationContext context) throws Exception {
    super.initializeState(context);
    state = context.getOperatorStateStore().getListState(
        new ListStateDescriptor<>("trainer", PrimitiveArrayTypeInfo.BYTE_PRIMITIVE_ARRAY_TYPE_INFO));
    if (trainer != null) {
      trainer.close();
      trainer = null;
    }
    BatchMaths.Choice kernel = config.kernelChoice();
    kernelReason = kernel.reason();
    if (context.isRestored()) {
      Iterator<byte[]> it = state.get().iterator();
      if (it.hasNext()) {
        trainer = OnlineTrainer.restore(it.next(), kernel.path());
        if (it.hasNext()) {
          throw new IllegalStateException("trainer state holds more than one model: the trainer must run at"
              + " parallelism 1");
        }
        LOG.info("trainer restored at model version {} ({} users, {} items, {} pending)",
            trainer.modelVersion(), trainer.numUsers(), trainer.numItems(), trainer.pending());
      }
    }
    if (trainer == null) {
      trainer = new OnlineTrainer(config.trainer(), kernel.path());
    }
    LOG.info("trainer kernel path {} on {} ({})", trainer.kernelPath(), trainer.device(), kernelReason);
  }

  @Override
  public void open() throws Exception {
    super.open();
    changed = new LinkedHashMap<>();
    eventsTrained = new LongCounter();
    getRuntimeContext().addAccumulator(TrainingJob.EVENTS_TRAINED, eventsTrained);
    // metrics <operator scope>.kernel.opencl (1 on OpenCL, else 0) and .kernel.choice (path, device, why)
    MetricGroup kernelGroup = getMetricGroup().addGroup("kernel");
    kernelGroup.gauge("opencl", (Gauge<Integer>) () -> "opencl".equals(trainer.kernelPath()) ? 1 : 0);
    kernelGroup.gauge("choice", (Gauge<String>) () -> trainer.kernelPath() + " on " + trainer.device() + " ("
        + kernelReason + ")");
  }

  /** Emits the coalesced rows before the barrier, so the rows and the snapshotted state agree. */
  @Override
  public void prepareSnapshotPreBarrier(long checkpointId) throws Exception {
    super.prepareSnapshotPreBarrier(checkpointId);
    flushRows();
  }

  private void flushRows() {
    for (Changed c : changed.values()) {
      output.collect(new StreamRecord<>(c.toRecord()));
    }
    changed.clear();
  }

  @Override
  public void snapshotState(StateSnapshotContext context) throws Exception {
    super.snapshotState(context);
    state.update(List.of(trainer.snapshot()));
  }

  @Override
  public void processElement(StreamRecord<Example> element) {
    Example e = element.getValue();
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
    for (ModelRow r : b.users()) {
      changed.put(Codecs.modelUpdateKey(EntityKind.USER, r.id()), new Changed(EntityKind.USER, r, b.modelVersion(), b.timestamp()));
    }
    for (ModelRow r : b.items()) {
      changed.put(Codecs.modelUpdateKey(EntityKind.ITEM, r.id()), new Changed(EntityKind.ITEM, r, b.modelVersion(), b.timestamp()));
    }
  }

  /** The ModelUpdate rows of a batch: users first, then items, in first-appearance order. */
  static List<ModelUpdate> toRecords(BatchUpdate b) {
    List<ModelUpdate> out = new ArrayList<>(b.users().size() + b.items().size());
    for (ModelRow r : b.users()) {
      out.add(row(EntityKind.USER, r, b.modelVersion(), b.timestamp()));
    }
    for (ModelRow r : b.items()) {
      out.add(row(EntityKind.ITEM, r, b.modelVersion(), b.timestamp()));
    }
    return out;
  }

  /** A row as a ModelUpdate record: items carry their theta and click count, users neither. */
  private static ModelUpdate row(EntityKind kind, ModelRow r, long modelVersion, long timestamp) {
    List<Float> v = new ArrayList<>(r.vector().length);
    for (float x : r.vector()) {
      v.add(x);
    }
    boolean item = kind == EntityKind.ITEM;
    return ModelUpdate.newBuilder().setKind(kind).setId(r.id()).setVector(v)
        .setPropensity(item ? (Double) (double) r.theta() : null).setClicks(item ? (Double) r.clicks() : null)
        .setModelVersion(modelVersion).setTimestamp(timestamp).build();
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
