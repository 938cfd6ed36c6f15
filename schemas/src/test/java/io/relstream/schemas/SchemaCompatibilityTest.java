package io.relstream.schemas;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.relstream.schemas.avro.Click;
import io.relstream.schemas.avro.DeadLetter;
import io.relstream.schemas.avro.Erasure;
import io.relstream.schemas.avro.Event;
import io.relstream.schemas.avro.Impression;
import io.relstream.schemas.avro.Interaction;
import io.relstream.schemas.avro.ModelUpdate;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.avro.AvroTypeException;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.avro.specific.SpecificRecordBase;
import org.junit.jupiter.api.Test;

/**
 * Every released version of every schema (kept under src/test/resources/compat/NAME/vN.avsc, never
 * edited) must stay backward and forward compatible with the current one: new readers read old data
 * and old readers read new data. When a schema changes, add its new version there.
 *
 * <p>One planned exception, listed in {@link #BRANCHES_ADDED}: a branch appended to a union (Event v3's
 * {@code Erasure}). Avro has no default for a union branch, so a released reader cannot read a record that
 * uses the new branch; it still reads every other record, which is what the forward check then verifies.
 * The rollout rule that follows (the same as for any new schema version, since the single-object encoding's
 * fingerprint names the writer's version): upgrade every consumer of the topic before the producer that
 * writes the new branch.
 */
class SchemaCompatibilityTest {
  static final Map<String, Class<? extends SpecificRecordBase>> TYPES = Map.of(
      "Impression", Impression.class, "Click", Click.class, "Event", Event.class,
      "Interaction", Interaction.class, "ModelUpdate", ModelUpdate.class, "DeadLetter", DeadLetter.class,
      "Erasure", Erasure.class);

  /** Union branches (full names) appended to a type after its first release, by type. */
  static final Map<String, Set<String>> BRANCHES_ADDED = Map.of("Event", Set.of(Erasure.class.getName()));

  static List<Schema> released(String name) throws IOException {
    List<Schema> out = new ArrayList<>();
    for (int v = 1; ; v++) {
      String path = "/compat/" + name + "/v" + v + ".avsc";
      try (InputStream in = SchemaCompatibilityTest.class.getResourceAsStream(path)) {
        if (in == null) break;
        // Event refers to Impression and Click by name: parse them into the same parser first
        Schema.Parser parser = new Schema.Parser();
        if (name.equals("Event")) {
          parser.parse(SpecificData.get().getSchema(Impression.class).toString());
          parser.parse(SpecificData.get().getSchema(Click.class).toString());
          parser.parse(SpecificData.get().getSchema(Erasure.class).toString());
        }
        out.add(parser.parse(in));
      }
    }
    return out;
  }

  @Test
  void everyReleasedVersionIsBackwardAndForwardCompatible() throws IOException {
    for (var e : TYPES.entrySet()) {
      Schema current = SpecificData.get().getSchema(e.getValue());
      List<Schema> versions = released(e.getKey());
      assertFalse(versions.isEmpty(), "no released version of " + e.getKey());
      for (Schema old : versions) {
        assertEquals(SchemaCompatibility.SchemaCompatibilityType.COMPATIBLE,
            SchemaCompatibility.checkReaderWriterCompatibility(current, old).getType(),
            e.getKey() + ": the current schema cannot read data written with a released version");
        Schema written = withoutAddedBranches(current, old, BRANCHES_ADDED.getOrDefault(e.getKey(), Set.of()));
        assertEquals(SchemaCompatibility.SchemaCompatibilityType.COMPATIBLE,
            SchemaCompatibility.checkReaderWriterCompatibility(old, written).getType(),
            e.getKey() + ": a released reader cannot read data written with the current schema");
      }
    }
  }

  /**
   * {@code current} without the union branches of {@code added} that {@code old} lacks (in its top-level
   * fields): the records a reader of {@code old} is expected to read.
   */
  static Schema withoutAddedBranches(Schema current, Schema old, Set<String> added) {
    if (added.isEmpty()) {
      return current;
    }
    List<Schema.Field> fields = new ArrayList<>();
    for (Schema.Field f : current.getFields()) {
      Schema type = f.schema();
      Schema.Field was = old.getField(f.name());
      if (type.getType() == Schema.Type.UNION && was != null && was.schema().getType() == Schema.Type.UNION) {
        List<Schema> kept = new ArrayList<>();
        for (Schema branch : type.getTypes()) {
          boolean inOld = was.schema().getTypes().stream().anyMatch(b -> b.getFullName().equals(branch.getFullName()));
          if (inOld || !added.contains(branch.getFullName())) {
            kept.add(branch);
          }
        }
        type = Schema.createUnion(kept);
      }
      fields.add(new Schema.Field(f.name(), type, f.doc(), f.defaultVal()));
    }
    return Schema.createRecord(current.getName(), current.getDoc(), current.getNamespace(), false, fields);
  }

  @Test
  void aReleasedEventReaderReadsClicksOfTheCurrentWriterButNotItsErasures() throws IOException {
    Schema current = SpecificData.get().getSchema(Event.class);
    Schema v2 = released("Event").get(1);
    assertEquals(2, v2.getField("payload").schema().getTypes().size(), "v2 is the release before Erasure");
    // a click event of the current writer reads with the v2 reader
    GenericRecord click = readAs(current, v2, Samples.event());
    assertEquals("e2", ((GenericRecord) click.get("payload")).get("eventId").toString());
    // an erasure does not: the reason the collector's DELETE may only be enabled after every consumer upgraded
    assertThrows(AvroTypeException.class, () -> readAs(current, v2, Samples.erasureEvent()));
    // and the allow-list is what makes the forward check pass: without it, it fails
    assertEquals(SchemaCompatibility.SchemaCompatibilityType.INCOMPATIBLE,
        SchemaCompatibility.checkReaderWriterCompatibility(v2, current).getType());
  }

  @Test
  void aReleasedInteractionReaderReadsTheEraseMarkerAsUnknown() throws IOException {
    Schema current = SpecificData.get().getSchema(Interaction.class);
    Schema v1 = released("Interaction").get(0);
    GenericRecord marker = readAs(current, v1, Samples.eraseMarker());
    assertEquals("UNKNOWN", marker.get("source").toString(), "the enum's default stands in for a new symbol");
    assertEquals("", marker.get("item").toString());
  }

  /** {@code record} written with {@code writer}, read with {@code reader} (plain binary, no header). */
  private static GenericRecord readAs(Schema writer, Schema reader, SpecificRecordBase record) throws IOException {
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    org.apache.avro.io.BinaryEncoder enc = EncoderFactory.get().binaryEncoder(out, null);
    new SpecificDatumWriter<SpecificRecordBase>(writer).write(record, enc);
    enc.flush();
    return new GenericDatumReader<GenericRecord>(writer, reader)
        .read(null, DecoderFactory.get().binaryDecoder(out.toByteArray(), null));
  }

  @Test
  void theCheckCatchesAnIncompatibleChange() {
    // A required field without a default, added to Click: old data cannot be read any more.
    Schema current = SpecificData.get().getSchema(Click.class);
    String json = current.toString().replace("{\"name\":\"timestamp\",\"type\":\"long\"}",
        "{\"name\":\"timestamp\",\"type\":\"long\"},{\"name\":\"sessionId\",\"type\":\"string\"}");
    Schema changed = new Schema.Parser().parse(json);
    assertEquals(SchemaCompatibility.SchemaCompatibilityType.INCOMPATIBLE,
        SchemaCompatibility.checkReaderWriterCompatibility(changed, current).getType());
  }

  @Test
  void codecsRoundTripAndMatchTheGoldenFiles() throws IOException {
    check(Codecs.EVENT, Samples.event(), "event");
    check(Codecs.EVENT, Samples.erasureEvent(), "event-erasure");
    check(AvroCodec.of(Impression.class), Samples.impression(), "impression");
    check(Codecs.INTERACTION, Samples.interaction(), "interaction");
    check(Codecs.INTERACTION, Samples.eraseMarker(), "interaction-erase");
    check(Codecs.MODEL_UPDATE, Samples.modelUpdate(), "model-update");
    check(Codecs.DEAD_LETTER, Samples.deadLetter(), "dead-letter");
  }

  private static <T extends SpecificRecordBase> void check(AvroCodec<T> codec, T sample, String name)
      throws IOException {
    byte[] bytes = codec.encode(sample);
    // single-object encoding: marker C3 01, then the schema fingerprint
    assertEquals((byte) 0xC3, bytes[0]);
    assertEquals((byte) 0x01, bytes[1]);
    assertEquals(sample, codec.decode(bytes));
    Path golden = Path.of("src/test/resources/golden/" + name + ".bin");
    if (Boolean.getBoolean("relstream.writeGolden")) {
      Files.createDirectories(golden.getParent());
      Files.write(golden, bytes);
    }
    assertTrue(Files.exists(golden), "missing golden file " + golden + " (run once with -Drelstream.writeGolden=true)");
    byte[] stored = Files.readAllBytes(golden);
    assertEquals(sample, codec.decode(stored), name + ": the stored encoding no longer decodes to the sample");
    assertArrayEquals(stored, bytes, name + ": the encoding changed; add a schema version instead");
  }

  @Test
  void eventsWrittenWithV1DecodeWithoutArrivalTime() throws IOException {
    // written by the v1 codec before arrivalTime existed; a v1 fingerprint the current codec must know
    byte[] v1 = Files.readAllBytes(Path.of("src/test/resources/golden/event-v1.bin"));
    Event e = Codecs.EVENT.decode(v1);
    assertEquals(Samples.eventV1(), e);
    assertEquals(null, e.getArrivalTime());
    // and the same bytes are not what the current schema writes (the fingerprint is the version)
    assertFalse(java.util.Arrays.equals(v1, Codecs.EVENT.encode(Samples.eventV1())));
  }

  @Test
  void eventsWrittenWithV2StillDecode() throws IOException {
    // written by the v2 codec (before the Erasure branch): its fingerprint is not the current one
    byte[] v2 = Files.readAllBytes(Path.of("src/test/resources/golden/event-v2.bin"));
    assertEquals(Samples.eventV2(), Codecs.EVENT.decode(v2));
    assertFalse(java.util.Arrays.equals(v2, Codecs.EVENT.encode(Samples.eventV2())));
    assertThrows(IllegalArgumentException.class, () -> AvroCodec.of(Event.class).decode(v2),
        "without the released v2 schema the codec could not read it: the test would prove nothing");
  }

  @Test
  void interactionsWrittenWithV1StillDecode() throws IOException {
    // written by the v1 codec (before ERASE_USER)
    byte[] v1 = Files.readAllBytes(Path.of("src/test/resources/golden/interaction-v1.bin"));
    assertEquals(Samples.interaction(), Codecs.INTERACTION.decode(v1));
    assertFalse(java.util.Arrays.equals(v1, Codecs.INTERACTION.encode(Samples.interaction())));
    assertThrows(IllegalArgumentException.class, () -> AvroCodec.of(Interaction.class).decode(v1));
  }

  @Test
  void garbageIsRejectedWithAClearError() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Codecs.EVENT.decode(new byte[] {1, 2, 3}));
    assertTrue(e.getMessage().startsWith("not a Event record"), e.getMessage());
  }
}
