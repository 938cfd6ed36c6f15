package io.relstream.streamtrain;

import io.relstream.core.online.OnlinePropensity;
import io.relstream.schemas.avro.Interaction;
import io.relstream.schemas.avro.InteractionSource;
import java.util.Iterator;
import java.util.List;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.typeinfo.PrimitiveArrayTypeInfo;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.runtime.state.StateInitializationContext;
import org.apache.flink.runtime.state.StateSnapshotContext;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.api.operators.OneInputStreamOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;

/**
 * The propensity operator: one {@link OnlinePropensity} over the whole stream turns each
 * {@link Interaction} into an {@link Example} with its &theta; and the item's decayed click count.
 *
 * <p>It runs at parallelism 1: &theta; depends on global quantities (max_j n_j, the active-user count A)
 * that every event changes. <b>State: one key per row</b>, like the trainer's: keyed
 * state "rows" ({@link KeyedRows}; the input is keyed by item) holds each user's latest impression, each
 * item's click and exposure counts and each (user, item) exposure under the keys of
 * {@link OnlinePropensity#writeChangedRows}, written just before each barrier when they changed; operator
 * state keeps only {@link OnlinePropensity#globals()} (the global sums, the clocks, the position counts).
 * A restore reads every row back.
 *
 * <p>An interaction counts as an impression unless its source is CLICK_WITHOUT_IMPRESSION (an UNKNOWN
 * source counts as an impression when it carries a position or a logged propensity, or is unclicked).
 *
 * <p>Metric {@code rowsWritten}: the rows written before the last barrier.
 */
final class PropensityOperator extends AbstractStreamOperator<Example>
    implements OneInputStreamOperator<Interaction, Example> {
  private static final long serialVersionUID = 1L;
  private final TrainConfig config;
  private transient OnlinePropensity propensity;
  private transient ListState<byte[]> globals;
  private transient KeyedRows rows;
  private transient long rowsWritten;

  PropensityOperator(TrainConfig config) {
    this.config = config;
  }

  static boolean isImpression(Interaction in) {
    InteractionSource s = in.getSource();
    if (s == InteractionSource.CLICKED_IMPRESSION || s == InteractionSource.UNCLICKED_IMPRESSION) {
      return true;
    }
    if (s == InteractionSource.CLICK_WITHOUT_IMPRESSION) {
      return false;
    }
    return in.getLabel() == 0 || in.getPosition() != null || in.getPropensity() != null;
  }

  /** The example of one interaction (updates the estimator first). */
  static Example example(OnlinePropensity propensity, Interaction in) {
    boolean clicked = in.getLabel() == 1;
    int position = in.getPosition() == null ? -1 : in.getPosition();
    double logged = in.getPropensity() == null ? Double.NaN : in.getPropensity();
    OnlinePropensity.Estimate e = propensity.observe(in.getUser(), in.getItem(), in.getTimestamp(), clicked,
        isImpression(in), position, logged);
    return new Example(in.getUser(), in.getItem(), clicked ? 1 : 0, e.theta(), e.clicks(), in.getTimestamp());
  }

  @Override
  public void initializeState(StateInitializationContext context) throws Exception {
    super.initializeState(context);
    globals = context.getOperatorStateStore().getListState(
        new ListStateDescriptor<>("propensity-globals", PrimitiveArrayTypeInfo.BYTE_PRIMITIVE_ARRAY_TYPE_INFO));
    rows = new KeyedRows(this, context.getKeyedStateStore(), "rows");
    propensity = null;
    if (context.isRestored()) {
      Iterator<byte[]> it = globals.get().iterator();
      if (it.hasNext()) {
        byte[] g = it.next();
        if (it.hasNext()) {
          throw new IllegalStateException("propensity state holds more than one estimator: the operator must"
              + " run at parallelism 1");
        }
        OnlinePropensity.RowRestore restore = new OnlinePropensity.RowRestore(g);
        long count = rows.forEach(restore::add);
        propensity = restore.finish();
        LOG.info("propensity restored from {} rows ({} items)", count, propensity.numItems());
      }
    }
    if (propensity == null) {
      propensity = new OnlinePropensity(config.propensity(), config.eta(), config.halfLifeMillis());
    }
  }

  @Override
  public void open() throws Exception {
    super.open();
    getMetricGroup().gauge("rowsWritten", (Gauge<Long>) () -> rowsWritten);
  }

  /**
   * An interaction becomes its example; an erasure ({@code ERASE_USER}) makes the estimator forget the
   * user and goes on to the trainer as {@link Example#erasure}, in order with the user's events.
   */
  @Override
  public void processElement(StreamRecord<Interaction> element) {
    Interaction in = element.getValue();
    if (in.getSource() == InteractionSource.ERASE_USER) {
      propensity.eraseUser(in.getUser());
      output.collect(element.replace(Example.erasure(in.getUser(), in.getTimestamp())));
      return;
    }
    output.collect(element.replace(example(propensity, in)));
  }

  @Override
  public void prepareSnapshotPreBarrier(long checkpointId) throws Exception {
    super.prepareSnapshotPreBarrier(checkpointId);
    rowsWritten = propensity.writeChangedRows(rows.writer());
  }

  @Override
  public void snapshotState(StateSnapshotContext context) throws Exception {
    super.snapshotState(context);
    globals.update(List.of(propensity.globals()));
  }
}
