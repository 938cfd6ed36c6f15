package io.relstream.streamreplay;

import io.relstream.core.progress.ProgressBar;
import io.relstream.schemas.Codecs;
import io.relstream.schemas.avro.Interaction;
import io.relstream.schemas.avro.ModelUpdate;
import io.relstream.streamtrain.AvroTypes;
import io.relstream.streamtrain.TrainConfig;
import io.relstream.streamtrain.TrainingJob;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.flink.api.common.JobExecutionResult;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.sink2.SinkWriter;
import org.apache.flink.api.connector.sink2.WriterInitContext;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestOptions;
import org.apache.flink.connector.datagen.source.DataGeneratorSource;
import org.apache.flink.connector.datagen.source.GeneratorFunction;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.util.EnvironmentInformation;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/**
 * One run of the training job over a bounded log on a local MiniCluster in this JVM:
 * <pre>
 *   generator(LoggedEvents) [p] -&gt; TrainingJob.build: propensity [1] -&gt; trainer [1] -&gt; keyBy -&gt; sink [p]
 * </pre>
 * The graph after the source is {@link TrainingJob#build}, the live job's, with the settings given; the
 * source emits the events in order (at parallelism 1; beyond, each subtask emits its range of the
 * order and their interleaving is not fixed) and the sink keeps the newest row per key. The idle flush
 * must be off ({@link TrainConfig#flushIdleMs()} 0), so batch boundaries depend on the events only; the
 * trainer flushes its partial batch at the end of the input.
 *
 * <p>No checkpoints and no restarts: a bounded replay that fails is reported as failed, not resumed.
 * The source and sink meet the caller through a registry of this JVM ({@link Probe}), which holds as
 * long as the cluster runs in-process.
 */
final class JobRun {
  private JobRun() {}

  /**
   * What a run ended with.
   *
   * @param model the newest row of every key
   * @param eventsTrained the trainer's {@link TrainingJob#EVENTS_TRAINED} accumulator
   * @param eventsPerSecond eventsTrained over the time from the first event the source emitted to the
   *     last row the sink received (cluster start, deployment and operator start-up excluded)
   * @param seconds wall time of the run, cluster start included
   * @param jobId Flink's job id
   */
  record Result(StreamModel model, long eventsTrained, double eventsPerSecond, double seconds, String jobId) {}

  static String flinkVersion() {
    return EnvironmentInformation.getVersion();
  }

  /**
   * Runs the job over {@code events} to the end of the input.
   *
   * @param bar advanced by the events the source emits; {@code detail} is shown with the pass
   * @param timeoutSeconds the run is cancelled after this long
   */
  static Result run(LoggedEvents events, TrainConfig config, int parallelism, ProgressBar bar, String detail,
      long timeoutSeconds) throws InterruptedException {
    if (config.flushIdleMs() != 0) {
      throw new IllegalArgumentException("a replay runs with the idle flush off");
    }
    String id = UUID.randomUUID().toString();
    Probe probe = new Probe();
    Probe.RUNS.put(id, probe);
    long start = System.nanoTime();
    try {
      Configuration conf = new Configuration();
      conf.setString("pipeline.generic-types", "false");
      conf.setString("restart-strategy.type", "none");
      conf.set(RestOptions.BIND_ADDRESS, "127.0.0.1");
      conf.set(RestOptions.ADDRESS, "127.0.0.1");
      conf.set(RestOptions.BIND_PORT, "0");
      StreamExecutionEnvironment env = StreamExecutionEnvironment.createLocalEnvironment(parallelism, conf);
      DataGeneratorSource<Interaction> source = new DataGeneratorSource<>(new Feed(events, id), events.size(),
          AvroTypes.INTERACTION);
      DataStream<Interaction> input = env.fromSource(source, WatermarkStrategy.noWatermarks(), "logged-events",
          AvroTypes.INTERACTION).uid("logged-events");
      TrainingJob.build(env, input, new LatestRowsSink(id), config);
      JobClient job = env.executeAsync("relstream-replay-" + detail.replace(' ', '-'));
      CompletableFuture<JobExecutionResult> done = job.getJobExecutionResult();
      long deadline = start + TimeUnit.SECONDS.toNanos(timeoutSeconds);
      long shown = 0;
      JobExecutionResult result;
      try {
        while (true) {
          try {
            result = done.get(200, TimeUnit.MILLISECONDS);
            break;
          } catch (TimeoutException e) {
            shown = advance(bar, probe, shown, events, detail);
            if (System.nanoTime() > deadline) {
              throw new IllegalStateException("the replay job ran past " + timeoutSeconds + " s");
            }
          }
        }
      } catch (ExecutionException e) {
        throw new IllegalStateException("the replay job failed: " + e.getCause(), e.getCause());
      } finally {
        if (!done.isDone()) {
          try {
            job.cancel().get(30, TimeUnit.SECONDS);
          } catch (ExecutionException | TimeoutException e) {
            // the cluster goes with the environment
          }
        }
      }
      advance(bar, probe, shown, events, detail);
      Long trained = result.getAccumulatorResult(TrainingJob.EVENTS_TRAINED);
      long eventsTrained = trained == null ? 0 : trained;
      double busy = (probe.lastRowNanos.get() - probe.firstEventNanos.get()) / 1e9;
      return new Result(StreamModel.ofUpdates(probe.rows.values()), eventsTrained,
          busy > 0 ? eventsTrained / busy : Double.NaN, (System.nanoTime() - start) / 1e9,
          job.getJobID().toHexString());
    } catch (InterruptedException | RuntimeException e) {
      throw e;
    } catch (Exception e) {
      throw new IllegalStateException("cannot run the replay job: " + e, e);
    } finally {
      Probe.RUNS.remove(id);
    }
  }

  private static long advance(ProgressBar bar, Probe probe, long shown, LoggedEvents events, String detail) {
    long fed = probe.fed.get();
    if (fed > shown) {
      long pass = Math.min(events.size() / events.perPass(), fed / events.perPass() + 1);
      bar.advance(fed - shown, detail + " pass " + pass + "/" + events.size() / events.perPass());
    }
    return Math.max(fed, shown);
  }

  /** The caller's view of a run: events emitted, first-event and last-row times, newest row per key. */
  static final class Probe {
    static final Map<String, Probe> RUNS = new ConcurrentHashMap<>();
    final AtomicLong fed = new AtomicLong();
    final AtomicLong firstEventNanos = new AtomicLong();
    final AtomicLong lastRowNanos = new AtomicLong();
    final Map<String, ModelUpdate> rows = new ConcurrentHashMap<>();

    static Probe of(String id) {
      Probe p = RUNS.get(id);
      if (p == null) {
        throw new IllegalStateException("no replay run " + id + " in this JVM (the cluster must run in-process)");
      }
      return p;
    }
  }

  /** Event k of the log; notes when the first one goes out and counts them. */
  static final class Feed implements GeneratorFunction<Long, Interaction> {
    private static final long serialVersionUID = 1L;
    private final LoggedEvents events;
    private final String run;
    private transient Probe probe;

    Feed(LoggedEvents events, String run) {
      this.events = events;
      this.run = run;
    }

    @Override
    public Interaction map(Long k) {
      if (probe == null) {
        probe = Probe.of(run);
        probe.firstEventNanos.compareAndSet(0, System.nanoTime());
      }
      probe.fed.incrementAndGet();
      return events.event(Math.toIntExact(k));
    }
  }

  /** Keeps the newest row (highest modelVersion) per row key. */
  static final class LatestRowsSink implements Sink<ModelUpdate> {
    private static final long serialVersionUID = 1L;
    private final String run;

    LatestRowsSink(String run) {
      this.run = run;
    }

    @Override
    public SinkWriter<ModelUpdate> createWriter(WriterInitContext context) {
      Probe probe = Probe.of(run);
      return new SinkWriter<>() {
        @Override
        public void write(ModelUpdate u, Context context) {
          probe.rows.merge(Codecs.modelUpdateKey(u.getKind(), u.getId()), u,
              (a, b) -> b.getModelVersion() >= a.getModelVersion() ? b : a);
          probe.lastRowNanos.accumulateAndGet(System.nanoTime(), Math::max);
        }

        @Override
        public void flush(boolean endOfInput) {}

        @Override
        public void close() {}
      };
    }
  }
}
