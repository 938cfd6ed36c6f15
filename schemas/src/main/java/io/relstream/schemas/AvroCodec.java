package io.relstream.schemas;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Objects;
import org.apache.avro.Schema;
import org.apache.avro.message.BinaryMessageDecoder;
import org.apache.avro.message.BinaryMessageEncoder;
import org.apache.avro.message.SchemaStore;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificRecordBase;
import org.apache.avro.util.ClassSecurityValidator;

/**
 * Encodes and decodes one record type in Avro's single-object encoding: a two-byte marker (C3 01), the
 * writer schema's 8-byte CRC-64 fingerprint, then the binary record. The fingerprint is the version:
 * a decoder resolves data written with any schema it knows (the current one plus the older ones given
 * to it) into the current class, so producers and consumers can be upgraded independently.
 *
 * <p>Avro 1.12 refuses to instantiate generated classes from untrusted packages; creating a codec
 * trusts {@code io.relstream.schemas.avro} for this JVM (in addition to Avro's defaults).
 */
public final class AvroCodec<T extends SpecificRecordBase> {
  public static final String TRUSTED_PACKAGE = "io.relstream.schemas.avro";

  static {
    ClassSecurityValidator.ClassSecurityPredicate previous = ClassSecurityValidator.getGlobal();
    ClassSecurityValidator.setGlobal(ClassSecurityValidator.composite(previous,
        c -> c.getName().startsWith(TRUSTED_PACKAGE + ".")));
  }

  private final Class<T> type;
  private final Schema schema;
  private final BinaryMessageEncoder<T> encoder;
  private final BinaryMessageDecoder<T> decoder;

  private AvroCodec(Class<T> type, Schema... olderSchemas) {
    this.type = type;
    this.schema = SpecificData.get().getSchema(type);
    SchemaStore.Cache store = new SchemaStore.Cache();
    for (Schema s : olderSchemas) {
      store.addSchema(s);
    }
    SpecificData model = new SpecificData(type.getClassLoader());
    this.encoder = new BinaryMessageEncoder<>(model, schema);
    this.decoder = new BinaryMessageDecoder<>(model, schema, store);
  }

  /** A codec for {@code type} that also reads data written with any of {@code olderSchemas}. */
  public static <T extends SpecificRecordBase> AvroCodec<T> of(Class<T> type, Schema... olderSchemas) {
    return new AvroCodec<>(Objects.requireNonNull(type), olderSchemas);
  }

  public Class<T> type() {
    return type;
  }

  public Schema schema() {
    return schema;
  }

  public byte[] encode(T record) {
    try {
      ByteBuffer b = encoder.encode(record);
      return Arrays.copyOfRange(b.array(), b.arrayOffset() + b.position(), b.arrayOffset() + b.limit());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot encode " + type.getSimpleName(), e);
    }
  }

  /**
   * Decodes bytes written by {@link #encode} with this or a known older schema.
   *
   * @throws IllegalArgumentException when the bytes are not such a record (bad marker, unknown
   *     fingerprint, truncated or corrupt data)
   */
  public T decode(byte[] bytes) {
    try {
      return decoder.decode(bytes);
    } catch (IOException | RuntimeException e) {
      throw new IllegalArgumentException("not a " + type.getSimpleName() + " record: " + e.getMessage(), e);
    }
  }
}
