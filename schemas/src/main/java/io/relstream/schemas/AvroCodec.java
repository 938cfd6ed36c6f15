package io.relstream.schemas;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Objects;
import org.apache.avro.Schema;
import org.apache.avro.SchemaNormalization;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.message.BinaryMessageDecoder;
import org.apache.avro.message.SchemaStore;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificDatumWriter;
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
  private final BinaryMessageDecoder<T> decoder;
  private final SpecificDatumWriter<T> writer;
  /** The single-object header: marker C3 01, then the schema's CRC-64-AVRO fingerprint, little-endian. */
  private final byte[] header;
  /** Each thread's encoder and buffer, reused from record to record. */
  private final ThreadLocal<Scratch> scratch = ThreadLocal.withInitial(Scratch::new);

  private static final class Scratch {
    final ByteArrayOutputStream out = new ByteArrayOutputStream(256);
    BinaryEncoder encoder;
  }

  private AvroCodec(Class<T> type, Schema... olderSchemas) {
    this.type = type;
    this.schema = SpecificData.get().getSchema(type);
    SchemaStore.Cache store = new SchemaStore.Cache();
    for (Schema s : olderSchemas) {
      store.addSchema(s);
    }
    SpecificData model = new SpecificData(type.getClassLoader());
    this.decoder = new BinaryMessageDecoder<>(model, schema, store);
    this.writer = new SpecificDatumWriter<>(schema, model);
    this.header = ByteBuffer.allocate(10).order(ByteOrder.LITTLE_ENDIAN).put((byte) 0xC3).put((byte) 0x01)
        .putLong(SchemaNormalization.parsingFingerprint64(schema)).array();
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

  /**
   * The record in single-object encoding: the same bytes as Avro's {@code BinaryMessageEncoder}, written
   * through a buffered binary encoder into a reused buffer (Avro's message encoder writes through a direct,
   * unbuffered one: a call into the output stream per field and per array element, which dominated the
   * trainer's encoding of its rows).
   */
  public byte[] encode(T record) {
    Scratch s = scratch.get();
    s.out.reset();
    s.out.writeBytes(header);
    s.encoder = EncoderFactory.get().binaryEncoder(s.out, s.encoder);
    try {
      writer.write(record, s.encoder);
      s.encoder.flush();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot encode " + type.getSimpleName(), e);
    }
    return s.out.toByteArray();
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
