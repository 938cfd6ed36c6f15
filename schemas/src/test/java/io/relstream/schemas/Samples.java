package io.relstream.schemas;

import io.relstream.schemas.avro.Click;
import io.relstream.schemas.avro.DeadLetter;
import io.relstream.schemas.avro.EntityKind;
import io.relstream.schemas.avro.Erasure;
import io.relstream.schemas.avro.Event;
import io.relstream.schemas.avro.Impression;
import io.relstream.schemas.avro.Interaction;
import io.relstream.schemas.avro.InteractionSource;
import io.relstream.schemas.avro.ModelUpdate;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;

/** Fixed sample records; their encodings are the golden files under src/test/resources/golden. */
final class Samples {
  private Samples() {}

  static Impression impression() {
    return Impression.newBuilder().setEventId("e1").setUser("u1").setItem("i9")
        .setTimestamp(1764300000000L).setRequestId("r1").setPosition(1).setPropensity(0.2).build();
  }

  static Click click() {
    return Click.newBuilder().setEventId("e2").setUser("u1").setItem("i9").setTimestamp(1764300001000L)
        .setRequestId("r1").build();
  }

  static Event event() {
    return Event.newBuilder().setPayload(click()).setArrivalTime(1764300001500L).build();
  }

  /** {@link #event()} as a v1 writer (no arrival time) wrote it. */
  static Event eventV1() {
    return Event.newBuilder().setPayload(click()).build();
  }

  /** {@link #event()} as a v2 writer (before the Erasure branch) wrote it: the same record. */
  static Event eventV2() {
    return event();
  }

  static Erasure erasure() {
    return Erasure.newBuilder().setUser("u1").setRequestId("6f1c2a4e-8b7d-4e0a-9c1f-2d3b4a5c6d7e")
        .setRequestedAt(1764300003000L).build();
  }

  /** An erasure as the collector writes it: arrival time = requestedAt. */
  static Event erasureEvent() {
    return Event.newBuilder().setPayload(erasure()).setArrivalTime(1764300003000L).build();
  }

  /** The interaction ingest emits for {@link #erasure()}. */
  static Interaction eraseMarker() {
    return Interaction.newBuilder().setEventId("6f1c2a4e-8b7d-4e0a-9c1f-2d3b4a5c6d7e").setUser("u1").setItem("")
        .setTimestamp(1764300003000L).setLabel(0).setSource(InteractionSource.ERASE_USER).setRequestId(null)
        .setPosition(null).setPropensity(null).build();
  }

  static Interaction interaction() {
    return Interaction.newBuilder().setEventId("e1").setUser("u1").setItem("i9").setTimestamp(1764300000000L)
        .setLabel(1).setSource(InteractionSource.CLICKED_IMPRESSION).setRequestId("r1").setPosition(1)
        .setPropensity(0.2).build();
  }

  static ModelUpdate modelUpdate() {
    return ModelUpdate.newBuilder().setKind(EntityKind.ITEM).setId("i9").setVector(List.of(0.5f, -0.25f))
        .setPropensity(0.75).setClicks(12.0).setModelVersion(7).setTimestamp(1764300001000L).build();
  }

  static DeadLetter deadLetter() {
    return DeadLetter.newBuilder().setComponent("collector").setReason("body is not JSON")
        .setPayload(ByteBuffer.wrap("{oops".getBytes(StandardCharsets.UTF_8))).setTimestamp(1764300002000L).build();
  }
}
