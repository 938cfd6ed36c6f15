package io.relstream.streamtrain;

import io.relstream.schemas.AvroCodec;
import io.relstream.schemas.Codecs;
import io.relstream.schemas.avro.Interaction;
import io.relstream.schemas.avro.ModelUpdate;
import java.io.IOException;
import java.util.Objects;
import org.apache.avro.specific.SpecificRecordBase;
import org.apache.flink.api.common.serialization.SerializerConfig;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeutils.SimpleTypeSerializerSnapshot;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.api.common.typeutils.TypeSerializerSnapshot;
import org.apache.flink.core.memory.DataInputView;
import org.apache.flink.core.memory.DataOutputView;

/**
 * Flink type information for the topic records, serialised with the project's own codecs
 * ({@link Codecs}: Avro single-object encoding, length-prefixed), so records move between operators
 * without Kryo (the job runs with {@code pipeline.generic-types: false}) and in the same bytes as on Kafka.
 */
public final class AvroTypes {
  private AvroTypes() {}

  /** {@link Interaction} records. */
  public static final TypeInformation<Interaction> INTERACTION = new CodecTypeInfo<>(Kind.INTERACTION);
  /** {@link ModelUpdate} records. */
  public static final TypeInformation<ModelUpdate> MODEL_UPDATE = new CodecTypeInfo<>(Kind.MODEL_UPDATE);

  /** The record types with a codec; the enum keeps serializers serialisable without the codec. */
  enum Kind {
    INTERACTION(Interaction.class),
    MODEL_UPDATE(ModelUpdate.class);

    final Class<? extends SpecificRecordBase> type;

    Kind(Class<? extends SpecificRecordBase> type) {
      this.type = type;
    }

    AvroCodec<?> codec() {
      return this == INTERACTION ? Codecs.INTERACTION : Codecs.MODEL_UPDATE;
    }
  }

  static final class CodecTypeInfo<T extends SpecificRecordBase> extends TypeInformation<T> {
    private static final long serialVersionUID = 1L;
    private final Kind kind;

    CodecTypeInfo(Kind kind) {
      this.kind = kind;
    }

    @Override
    public boolean isBasicType() {
      return false;
    }

    @Override
    public boolean isTupleType() {
      return false;
    }

    @Override
    public int getArity() {
      return 1;
    }

    @Override
    public int getTotalFields() {
      return 1;
    }

    @Override
    @SuppressWarnings("unchecked")
    public Class<T> getTypeClass() {
      return (Class<T>) kind.type;
    }

    @Override
    public boolean isKeyType() {
      return false;
    }

    @Override
    @SuppressWarnings("unchecked")
    public TypeSerializer<T> createSerializer(SerializerConfig config) {
      return (TypeSerializer<T>) (kind == Kind.INTERACTION ? InteractionSerializer.INSTANCE
          : ModelUpdateSerializer.INSTANCE);
    }

    @Override
    public String toString() {
      return "Codec<" + kind.type.getSimpleName() + ">";
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof CodecTypeInfo && ((CodecTypeInfo<?>) o).kind == kind;
    }

    @Override
    public int hashCode() {
      return kind.hashCode();
    }

    @Override
    public boolean canEqual(Object o) {
      return o instanceof CodecTypeInfo;
    }
  }

  /** Serialises a record as int length + the codec's bytes. Stateless, so one instance is shared. */
  abstract static class CodecSerializer<T extends SpecificRecordBase> extends TypeSerializer<T> {
    private static final long serialVersionUID = 1L;
    private final Kind kind;

    CodecSerializer(Kind kind) {
      this.kind = kind;
    }

    @SuppressWarnings("unchecked")
    private AvroCodec<T> codec() {
      return (AvroCodec<T>) kind.codec();
    }

    @Override
    public boolean isImmutableType() {
      return false;
    }

    @Override
    public TypeSerializer<T> duplicate() {
      return this;
    }

    @Override
    public T createInstance() {
      return null;
    }

    @Override
    public T copy(T from) {
      return from == null ? null : codec().decode(codec().encode(from));
    }

    @Override
    public T copy(T from, T reuse) {
      return copy(from);
    }

    @Override
    public int getLength() {
      return -1;
    }

    @Override
    public void serialize(T record, DataOutputView target) throws IOException {
      byte[] b = codec().encode(Objects.requireNonNull(record, "null record"));
      target.writeInt(b.length);
      target.write(b);
    }

    @Override
    public T deserialize(DataInputView source) throws IOException {
      int n = source.readInt();
      byte[] b = new byte[n];
      source.readFully(b);
      return codec().decode(b);
    }

    @Override
    public T deserialize(T reuse, DataInputView source) throws IOException {
      return deserialize(source);
    }

    @Override
    public void copy(DataInputView source, DataOutputView target) throws IOException {
      int n = source.readInt();
      target.writeInt(n);
      target.write(source, n);
    }

    @Override
    public boolean equals(Object o) {
      return o != null && o.getClass() == getClass();
    }

    @Override
    public int hashCode() {
      return kind.hashCode();
    }
  }

  static final class InteractionSerializer extends CodecSerializer<Interaction> {
    private static final long serialVersionUID = 1L;
    static final InteractionSerializer INSTANCE = new InteractionSerializer();

    InteractionSerializer() {
      super(Kind.INTERACTION);
    }

    @Override
    public TypeSerializerSnapshot<Interaction> snapshotConfiguration() {
      return new InteractionSnapshot();
    }
  }

  static final class ModelUpdateSerializer extends CodecSerializer<ModelUpdate> {
    private static final long serialVersionUID = 1L;
    static final ModelUpdateSerializer INSTANCE = new ModelUpdateSerializer();

    ModelUpdateSerializer() {
      super(Kind.MODEL_UPDATE);
    }

    @Override
    public TypeSerializerSnapshot<ModelUpdate> snapshotConfiguration() {
      return new ModelUpdateSnapshot();
    }
  }

  /** Snapshot of {@link InteractionSerializer}; public with a no-arg constructor for Flink to restore. */
  public static final class InteractionSnapshot extends SimpleTypeSerializerSnapshot<Interaction> {
    public InteractionSnapshot() {
      super(() -> InteractionSerializer.INSTANCE);
    }
  }

  /** Snapshot of {@link ModelUpdateSerializer}; public with a no-arg constructor for Flink to restore. */
  public static final class ModelUpdateSnapshot extends SimpleTypeSerializerSnapshot<ModelUpdate> {
    public ModelUpdateSnapshot() {
      super(() -> ModelUpdateSerializer.INSTANCE);
    }
  }
}
