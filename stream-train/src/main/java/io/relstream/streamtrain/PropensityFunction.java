package io.relstream.streamtrain;

import io.relstream.core.online.OnlinePropensity;
import io.relstream.schemas.avro.Interaction;
import io.relstream.schemas.avro.InteractionSource;
import java.util.Iterator;
import org.apache.flink.api.common.functions.RichMapFunction;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.typeinfo.PrimitiveArrayTypeInfo;
import org.apache.flink.runtime.state.FunctionInitializationContext;
import org.apache.flink.runtime.state.FunctionSnapshotContext;
import org.apache.flink.streaming.api.checkpoint.CheckpointedFunction;

/**
 * The propensity operator: one {@link OnlinePropensity} over the whole stream turns each
 * {@link Interaction} into an {@link Example} with its &theta; and the item's decayed click count.
 *
 * <p>It must run at parallelism 1: &theta; depends on global quantities (max_j n_j, the active-user
 * count A) that every event changes. Its state is the estimator's snapshot bytes in operator
 * {@code ListState<byte[]>} (one element), written at every checkpoint and read back on restore.
 *
 * <p>An interaction counts as an impression unless its source is CLICK_WITHOUT_IMPRESSION (an UNKNOWN
 * source counts as an impression when it carries a position or a logged propensity, or is unclicked).
 */
final class PropensityFunction extends RichMapFunction<Interaction, Example> implements CheckpointedFunction {
  private static final long serialVersionUID = 1L;
  private final TrainConfig config;
  private transient OnlinePropensity propensity;
  private transient ListState<byte[]> state;

  PropensityFunction(TrainConfig config) {
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

  @Override
  public Example map(Interaction in) {
    boolean clicked = in.getLabel() == 1;
    int position = in.getPosition() == null ? -1 : in.getPosition();
    double logged = in.getPropensity() == null ? Double.NaN : in.getPropensity();
    OnlinePropensity.Estimate e = propensity.observe(in.getUser(), in.getItem(), in.getTimestamp(), clicked,
        isImpression(in), position, logged);
    return new Example(in.getUser(), in.getItem(), clicked ? 1 : 0, e.theta(), e.clicks(), in.getTimestamp());
  }

  @Override
  public void snapshotState(FunctionSnapshotContext context) throws Exception {
    state.update(java.util.List.of(propensity.snapshot()));
  }

  @Override
  public void initializeState(FunctionInitializationContext context) throws Exception {
    state = context.getOperatorStateStore().getListState(
        new ListStateDescriptor<>("propensity", PrimitiveArrayTypeInfo.BYTE_PRIMITIVE_ARRAY_TYPE_INFO));
    propensity = null;
    if (context.isRestored()) {
      Iterator<byte[]> it = state.get().iterator();
      if (it.hasNext()) {
        propensity = OnlinePropensity.restore(it.next());
        if (it.hasNext()) {
          throw new IllegalStateException("propensity state holds more than one snapshot: the operator must run"
              + " at parallelism 1");
        }
      }
    }
    if (propensity == null) {
      propensity = new OnlinePropensity(config.propensity(), config.eta(), config.halfLifeMillis());
    }
  }
}
