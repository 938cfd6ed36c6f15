package io.relstream.streamtrain;

import io.relstream.core.online.RowWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.function.Consumer;
import org.apache.flink.api.common.state.KeyedStateStore;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.PrimitiveArrayTypeInfo;
import org.apache.flink.runtime.state.KeyedStateBackend;
import org.apache.flink.runtime.state.VoidNamespace;
import org.apache.flink.runtime.state.VoidNamespaceSerializer;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;

/**
 * A core row layout ({@link RowWriter}) over one keyed {@code ValueState<byte[]>} of an operator on a keyed
 * stream with String keys: {@link #writer} switches the current key per row ({@code setCurrentKey}, as
 * Flink's mini-batch operators do) and {@link #forEach} reads every stored row back on a restore
 * ({@code applyToAllKeys}). Rows are written on the operator's thread, before a barrier.
 */
final class KeyedRows {
  private final AbstractStreamOperator<?> operator;
  private final ValueStateDescriptor<byte[]> descriptor;
  private final ValueState<byte[]> state;

  /** Call from the operator's {@code initializeState}, with its context's keyed state store. */
  KeyedRows(AbstractStreamOperator<?> operator, KeyedStateStore store, String name) {
    this.operator = operator;
    this.descriptor = new ValueStateDescriptor<>(name, PrimitiveArrayTypeInfo.BYTE_PRIMITIVE_ARRAY_TYPE_INFO);
    this.state = store.getState(descriptor);
  }

  /** Writes each row under its key. */
  RowWriter writer() {
    return (key, value) -> {
      operator.setCurrentKey(key);
      try {
        state.update(value);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    };
  }

  /** Calls {@code action} with every stored row (any order); returns how many there were. */
  long forEach(Consumer<byte[]> action) throws Exception {
    long[] count = {0};
    KeyedStateBackend<Object> backend = operator.getKeyedStateBackend();
    backend.applyToAllKeys(VoidNamespace.INSTANCE, VoidNamespaceSerializer.INSTANCE, descriptor,
        (key, s) -> {
          action.accept(s.value());
          count[0]++;
        });
    return count[0];
  }
}
