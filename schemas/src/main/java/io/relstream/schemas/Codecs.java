package io.relstream.schemas;

import io.relstream.schemas.avro.DeadLetter;
import io.relstream.schemas.avro.Event;
import io.relstream.schemas.avro.Interaction;
import io.relstream.schemas.avro.ModelUpdate;

/** The one codec per topic value type. Keys on every topic are UTF-8 strings. */
public final class Codecs {
  private Codecs() {}

  /**
   * Values of {@link Topics#EVENTS}. Also reads events written with v1 (before {@code arrivalTime}): they
   * decode with {@code arrivalTime} null; and with v2 (before the {@code Erasure} branch of the payload).
   */
  public static final AvroCodec<Event> EVENT = AvroCodec.of(Event.class, released("Event-v1.avsc"),
      released("Event-v2.avsc"));
  /**
   * Values of {@link Topics#INTERACTIONS}. Also reads interactions written with v1 (before the
   * {@code ERASE_USER} source).
   */
  public static final AvroCodec<Interaction> INTERACTION = AvroCodec.of(Interaction.class,
      released("Interaction-v1.avsc"));
  /** Values of {@link Topics#MODEL_UPDATES}. */
  public static final AvroCodec<ModelUpdate> MODEL_UPDATE = AvroCodec.of(ModelUpdate.class);
  /** Values of {@link Topics#DEAD_LETTER}. */
  public static final AvroCodec<DeadLetter> DEAD_LETTER = AvroCodec.of(DeadLetter.class);

  /** Key of a model-updates record: "user:ID" or "item:ID", so compaction keeps the newest row. */
  public static String modelUpdateKey(io.relstream.schemas.avro.EntityKind kind, String id) {
    return kind.name().toLowerCase(java.util.Locale.ROOT) + ":" + id;
  }

  /**
   * A released schema kept under {@code io/relstream/schemas/released/}; Event's versions refer to
   * Impression, Click and (from v3) Erasure by name, so those are parsed first.
   */
  static org.apache.avro.Schema released(String file) {
    org.apache.avro.Schema.Parser parser = new org.apache.avro.Schema.Parser();
    parser.parse(io.relstream.schemas.avro.Impression.getClassSchema().toString());
    parser.parse(io.relstream.schemas.avro.Click.getClassSchema().toString());
    parser.parse(io.relstream.schemas.avro.Erasure.getClassSchema().toString());
    try (java.io.InputStream in = Codecs.class.getResourceAsStream("released/" + file)) {
      if (in == null) {
        throw new IllegalStateException("released schema " + file + " is missing from the jar");
      }
      return parser.parse(in);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException("cannot read released schema " + file, e);
    }
  }

  /** Largest user or item id, in UTF-8 bytes. */
  public static final int MAX_ID_BYTES = 256;
}
