package io.relstream.streamtrain;

import io.relstream.schemas.Codecs;
import io.relstream.schemas.avro.ModelUpdate;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.flink.api.connector.sink2.CommitterInitContext;
import org.apache.flink.api.connector.sink2.Committer;
import org.apache.flink.api.connector.sink2.CommittingSinkWriter;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.sink2.SinkWriter;
import org.apache.flink.api.connector.sink2.SupportsCommitter;
import org.apache.flink.api.connector.sink2.WriterInitContext;
import org.apache.flink.core.io.SimpleVersionedSerializer;

/**
 * A two-phase-commit collecting sink for tests, like a transactional Kafka sink: the writer stages the
 * rows of each checkpoint under a fresh id; the committer publishes a staged batch to the named result list
 * only when the checkpoint completed. Rows written after the last completed checkpoint of a failed attempt
 * are never committed. State is static, so it works only on a MiniCluster in the test's JVM.
 */
final class CommitSink implements Sink<ModelUpdate>, SupportsCommitter<String> {
  private static final long serialVersionUID = 1L;
  private static final Map<String, List<byte[]>> STAGED = new ConcurrentHashMap<>();
  private static final Map<String, List<ModelUpdate>> COMMITTED = new ConcurrentHashMap<>();

  private final String name;

  CommitSink(String name) {
    this.name = name;
    COMMITTED.put(name, Collections.synchronizedList(new ArrayList<>()));
  }

  /** The committed rows so far, in commit order. */
  static List<ModelUpdate> committed(String name) {
    synchronized (COMMITTED.get(name)) {
      return new ArrayList<>(COMMITTED.get(name));
    }
  }

  @Override
  public SinkWriter<ModelUpdate> createWriter(WriterInitContext context) {
    return new Writer(name);
  }

  @Override
  public Committer<String> createCommitter(CommitterInitContext context) {
    return new Committer<>() {
      @Override
      public void commit(Collection<CommitRequest<String>> requests) {
        for (CommitRequest<String> r : requests) {
          String id = r.getCommittable();
          List<byte[]> rows = STAGED.remove(id);
          if (rows == null) {
            r.signalAlreadyCommitted();
            continue;
          }
          List<ModelUpdate> out = COMMITTED.get(id.substring(0, id.indexOf('/')));
          synchronized (out) {
            for (byte[] b : rows) {
              out.add(Codecs.MODEL_UPDATE.decode(b));
            }
          }
        }
      }

      @Override
      public void close() {}
    };
  }

  @Override
  public SimpleVersionedSerializer<String> getCommittableSerializer() {
    return new SimpleVersionedSerializer<>() {
      @Override
      public int getVersion() {
        return 1;
      }

      @Override
      public byte[] serialize(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
      }

      @Override
      public String deserialize(int version, byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
      }
    };
  }

  private static final class Writer implements CommittingSinkWriter<ModelUpdate, String> {
    private final String name;
    private List<byte[]> buffer = new ArrayList<>();

    Writer(String name) {
      this.name = name;
    }

    @Override
    public void write(ModelUpdate u, Context context) {
      buffer.add(Codecs.MODEL_UPDATE.encode(u));
    }

    @Override
    public void flush(boolean endOfInput) {}

    @Override
    public Collection<String> prepareCommit() throws IOException {
      if (buffer.isEmpty()) {
        return List.of();
      }
      String id = name + "/" + UUID.randomUUID();
      STAGED.put(id, buffer);
      buffer = new ArrayList<>();
      return List.of(id);
    }

    @Override
    public void close() {}
  }
}
