package io.relstream.schemas;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.relstream.schemas.avro.Click;
import io.relstream.schemas.avro.DeadLetter;
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
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificRecordBase;
import org.junit.jupiter.api.Test;

/**
 * Every released version of every schema (kept under src/test/resources/compat/NAME/vN.avsc, never
 * edited) must stay backward and forward compatible with the current one: new readers read old data
 * and old readers read new data. When a schema changes, add its new version there.
 */
class SchemaCompatibilityTest {
  static final Map<String, Class<? extends SpecificRecordBase>> TYPES = Map.of(
      "Impression", Impression.class, "Click", Click.class, "Event", Event.class,
      "Interaction", Interaction.class, "ModelUpdate", ModelUpdate.class, "DeadLetter", DeadLetter.class);

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
        assertEquals(SchemaCompatibility.SchemaCompatibilityType.COMPATIBLE,
            SchemaCompatibility.checkReaderWriterCompatibility(old, current).getType(),
            e.getKey() + ": a released reader cannot read data written with the current schema");
      }
    }
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
    check(AvroCodec.of(Impression.class), Samples.impression(), "impression");
    check(Codecs.INTERACTION, Samples.interaction(), "interaction");
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
  void garbageIsRejectedWithAClearError() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Codecs.EVENT.decode(new byte[] {1, 2, 3}));
    assertTrue(e.getMessage().startsWith("not a Event record"), e.getMessage());
  }
}
