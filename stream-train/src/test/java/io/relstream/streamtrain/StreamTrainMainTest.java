package io.relstream.streamtrain;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.relstream.schemas.avro.EntityKind;
import io.relstream.schemas.avro.Interaction;
import io.relstream.schemas.avro.ModelUpdate;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.Optional;
import org.apache.flink.api.common.serialization.SerializerConfigImpl;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.configuration.StateRecoveryOptions;
import org.apache.flink.core.memory.DataInputDeserializer;
import org.apache.flink.core.memory.DataOutputSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Arguments, checkpoint discovery and the codec type serializers (no cluster, no network). */
class StreamTrainMainTest {
  @TempDir
  Path tmp;

  @Test
  void parsesArgumentsWithDefaults() {
    StreamTrainMain.Args a = StreamTrainMain.Args.parse(new String[] {"--bootstrap", "h:9092",
        "--checkpoint-dir", "/tmp/x"});
    assertEquals("h:9092", a.bootstrap());
    assertEquals(2000, a.checkpointIntervalMs());
    assertEquals(1, a.parallelism());
    assertEquals(256, a.batchSize());
    assertEquals(0, a.restPort());
    assertEquals(0, a.healthPort());
    assertEquals("127.0.0.1", a.bind());
    assertEquals(null, a.token());
    assertEquals(1024, a.minFreeDiskMb());
    org.apache.flink.configuration.Configuration conf = StreamTrainMain.configuration(a);
    assertEquals("127.0.0.1", conf.get(org.apache.flink.configuration.RestOptions.BIND_ADDRESS));
    assertEquals("127.0.0.1", conf.get(org.apache.flink.configuration.RestOptions.ADDRESS));
    assertEquals(false, conf.get(org.apache.flink.configuration.WebOptions.CANCEL_ENABLE));
    assertEquals(false, conf.get(org.apache.flink.configuration.WebOptions.SUBMIT_ENABLE));
    StreamTrainMain.Args c = StreamTrainMain.Args.parse(new String[] {"--bootstrap", "h:1", "--checkpoint-dir",
        "d", "--rest-port", "18081", "--health-port", "18090", "--min-free-disk-mb", "0"});
    assertEquals(18081, c.restPort());
    assertEquals(18090, c.healthPort());
    assertEquals(0, c.minFreeDiskMb());
    assertEquals("18081", StreamTrainMain.configuration(c).get(org.apache.flink.configuration.RestOptions.BIND_PORT));
    StreamTrainMain.Args b = StreamTrainMain.Args.parse(new String[] {"--bootstrap", "h:1", "--checkpoint-dir",
        "d", "--checkpoint-interval-ms", "500", "--parallelism", "2", "--batch-size", "64", "--kernel", "auto"});
    assertEquals(500, b.checkpointIntervalMs());
    assertEquals(2, b.parallelism());
    assertEquals(64, b.trainConfig().trainer().batchSize());
    assertEquals("auto", b.trainConfig().kernel());
  }

  @Test
  void badArgumentsGiveOneLineReasons() {
    String[][] bad = {
        {}, {"--bootstrap", "h:1"}, {"--checkpoint-dir", "d"}, {"--bootstrap"},
        {"--bootstrap", "h:1", "--checkpoint-dir", "d", "--parallelism", "0"},
        {"--bootstrap", "h:1", "--checkpoint-dir", "d", "--batch-size", "x"},
        {"--bootstrap", "h:1", "--checkpoint-dir", "d", "--kernel", "cuda"},
        {"--bootstrap", "h:1", "--checkpoint-dir", "d", "--frobnicate", "1"},
        {"--bootstrap", "h:1", "--checkpoint-dir", "d", "--rest-port", "70000"},
        {"--bootstrap", "h:1", "--checkpoint-dir", "d", "--health-port", "x"},
        {"--bootstrap", "h:1", "--checkpoint-dir", "d", "--bind", "0.0.0.0"}};
    for (String[] args : bad) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> StreamTrainMain.Args.parse(args), String.join(" ", args));
      assertTrue(!e.getMessage().contains("\n"), e.getMessage());
    }
  }

  @Test
  void findsTheNewestCompletedCheckpoint() throws Exception {
    assertEquals(Optional.empty(), Checkpoints.latest(tmp.resolve("missing")));
    Path job1 = Files.createDirectories(tmp.resolve("job1"));
    Path job2 = Files.createDirectories(tmp.resolve("job2"));
    Path old = Files.createDirectories(job1.resolve("chk-7"));
    Files.writeString(old.resolve("_metadata"), "m");
    Files.setLastModifiedTime(old.resolve("_metadata"), FileTime.fromMillis(1_000_000));
    Path newer = Files.createDirectories(job2.resolve("chk-3"));
    Files.writeString(newer.resolve("_metadata"), "m");
    Files.setLastModifiedTime(newer.resolve("_metadata"), FileTime.fromMillis(2_000_000));
    Files.createDirectories(job2.resolve("chk-4")); // in progress: no _metadata
    Files.createDirectories(job2.resolve("shared"));
    assertEquals(Optional.of(newer), Checkpoints.latest(tmp));
    StreamTrainMain.Args a = StreamTrainMain.Args.parse(new String[] {"--bootstrap", "h:1", "--checkpoint-dir",
        tmp.toString()});
    assertEquals(newer.toUri().toString(),
        StreamTrainMain.configuration(a).get(StateRecoveryOptions.SAVEPOINT_PATH));
    assertEquals("rocksdb", StreamTrainMain.configuration(a).getString("state.backend.type", "?"));
    assertEquals("false", StreamTrainMain.configuration(a).getString("pipeline.generic-types", "?"));
  }

  @Test
  void refusesCheckpointsOfTheWholeModelLayoutBeforeStarting() throws Exception {
    Path old = Files.createDirectories(tmp.resolve("old").resolve("job1").resolve("chk-3"));
    Files.writeString(old.resolve("_metadata"), "m"); // written by a version without the layout marker
    StreamTrainMain.Args a = StreamTrainMain.Args.parse(new String[] {"--bootstrap", "127.0.0.1:1",
        "--checkpoint-dir", tmp.resolve("old").toString()});
    StreamTrainMain.StateLayoutException e = assertThrows(StreamTrainMain.StateLayoutException.class,
        () -> StreamTrainMain.launch(a));
    assertTrue(e.getMessage().contains("./relstream demo --reset") && !e.getMessage().contains("\n"),
        e.getMessage());
    // a fresh directory is claimed for the current layout, and then resumes
    Path fresh = tmp.resolve("fresh");
    StreamTrainMain.claimLayout(fresh);
    Path chk = Files.createDirectories(fresh.resolve("job2").resolve("chk-1"));
    Files.writeString(chk.resolve("_metadata"), "m");
    StreamTrainMain.claimLayout(fresh);
    assertEquals(io.relstream.core.online.StateLayout.CURRENT,
        Files.readString(fresh.resolve(io.relstream.core.online.StateLayout.FILE)).strip());
  }

  @Test
  void codecSerializersRoundTripWithoutKryo() throws Exception {
    Interaction in = Scenario.event(5);
    TypeSerializer<Interaction> s = AvroTypes.INTERACTION.createSerializer(new SerializerConfigImpl());
    DataOutputSerializer out = new DataOutputSerializer(64);
    s.serialize(in, out);
    assertEquals(in, s.deserialize(new DataInputDeserializer(out.getCopyOfBuffer())));
    assertEquals(in, s.copy(in));
    assertEquals(s, s.snapshotConfiguration().restoreSerializer());
    ModelUpdate u = ModelUpdate.newBuilder().setKind(EntityKind.ITEM).setId("a1").setVector(List.of(1f, -2f))
        .setPropensity(0.5).setClicks(3.0).setModelVersion(7).setTimestamp(9).build();
    TypeSerializer<ModelUpdate> m = AvroTypes.MODEL_UPDATE.createSerializer(new SerializerConfigImpl());
    out.clear();
    m.serialize(u, out);
    DataOutputSerializer copy = new DataOutputSerializer(64);
    m.copy(new DataInputDeserializer(out.getCopyOfBuffer()), copy);
    assertEquals(u, m.deserialize(new DataInputDeserializer(copy.getCopyOfBuffer())));
  }

  @Test
  void impressionsAndBatchRows() {
    Interaction click = Interaction.newBuilder(Scenario.event(1))
        .setSource(io.relstream.schemas.avro.InteractionSource.CLICK_WITHOUT_IMPRESSION).build();
    assertTrue(!PropensityOperator.isImpression(click));
    assertTrue(PropensityOperator.isImpression(Scenario.event(2)));
    io.relstream.core.online.BatchUpdate b = new io.relstream.core.online.BatchUpdate(4, 99, 2, 0.5,
        List.of(new io.relstream.core.online.ModelRow("u1", new float[] {1f}, Float.NaN, Double.NaN)),
        List.of(new io.relstream.core.online.ModelRow("i1", new float[] {2f}, 0.25f, 3.0)));
    List<ModelUpdate> rows = TrainerOperator.toRecords(b);
    assertEquals(EntityKind.USER, rows.get(0).getKind());
    assertEquals(null, rows.get(0).getPropensity());
    assertEquals(0.25, rows.get(1).getPropensity());
    assertEquals(3.0, rows.get(1).getClicks());
    assertEquals(4, rows.get(1).getModelVersion());
    assertEquals(99, rows.get(1).getTimestamp());
  }
}
