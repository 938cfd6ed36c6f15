package io.relstream.schemas;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.relstream.schemas.avro.EntityKind;
import io.relstream.schemas.avro.Interaction;
import io.relstream.schemas.avro.InteractionSource;
import io.relstream.schemas.avro.ModelUpdate;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/**
 * {@link AvroCodec#encode} (a buffered encoder into a reused per-thread buffer) writes exactly the bytes of
 * Avro's own single-object {@code BinaryMessageEncoder}, for records of every shape the topics carry, from
 * several threads at once, and they decode back to the same record.
 */
class AvroCodecEncodeTest {
  private static ModelUpdate row(SplittableRandom r) {
    boolean item = r.nextBoolean();
    int d = r.nextInt(0, 70);
    List<Float> v = new ArrayList<>(d);
    for (int k = 0; k < d; k++) {
      v.add((float) r.nextGaussian());
    }
    return ModelUpdate.newBuilder().setKind(item ? EntityKind.ITEM : EntityKind.USER).setId("id-" + r.nextLong())
        .setVector(v).setPropensity(item ? r.nextDouble() : null).setClicks(item ? r.nextDouble() * 1e6 : null)
        .setModelVersion(r.nextLong(0, Long.MAX_VALUE)).setTimestamp(r.nextLong()).build();
  }

  private static Interaction interaction(SplittableRandom r) {
    return Interaction.newBuilder().setEventId("e" + r.nextInt()).setUser("u\u00e9" + r.nextInt(1000))
        .setItem("i" + r.nextInt(1000)).setTimestamp(r.nextLong()).setLabel(r.nextInt(2))
        .setSource(InteractionSource.values()[r.nextInt(InteractionSource.values().length)])
        .setRequestId(r.nextBoolean() ? "r" + r.nextInt() : null).setPosition(r.nextBoolean() ? r.nextInt(50) : null)
        .setPropensity(r.nextBoolean() ? r.nextDouble() : null).build();
  }

  /** The record by Avro's own single-object encoder: the reference. */
  private static <T extends org.apache.avro.specific.SpecificRecordBase> byte[] reference(Class<T> type, T record)
      throws java.io.IOException {
    java.nio.ByteBuffer b = new org.apache.avro.message.BinaryMessageEncoder<T>(
        org.apache.avro.specific.SpecificData.get(), org.apache.avro.specific.SpecificData.get().getSchema(type))
        .encode(record);
    byte[] out = new byte[b.remaining()];
    b.get(out);
    return out;
  }

  @Test
  void theBytesAreAvrosMessageEncodersFromManyThreads() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<Future<Integer>> runs = new ArrayList<>();
      for (int t = 0; t < 4; t++) {
        long seed = t;
        runs.add(pool.submit(() -> {
          SplittableRandom r = new SplittableRandom(seed);
          for (int k = 0; k < 2000; k++) {
            ModelUpdate u = row(r);
            byte[] bytes = Codecs.MODEL_UPDATE.encode(u);
            assertArrayEquals(reference(ModelUpdate.class, u), bytes);
            assertEquals(u, Codecs.MODEL_UPDATE.decode(bytes));
            Interaction in = interaction(r);
            byte[] b2 = Codecs.INTERACTION.encode(in);
            assertArrayEquals(reference(Interaction.class, in), b2);
            assertEquals(in, Codecs.INTERACTION.decode(b2));
          }
          return 2000;
        }));
      }
      int n = 0;
      for (Future<Integer> f : runs) {
        n += f.get();
      }
      assertEquals(8000, n);
    } finally {
      pool.shutdownNow();
    }
  }
}
