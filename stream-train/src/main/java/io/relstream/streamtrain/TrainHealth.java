package io.relstream.streamtrain;

import io.relstream.http.ApiResponse;
import io.relstream.http.DiskFloor;
import io.relstream.http.HardenedHttpServer;
import io.relstream.http.HttpLimits;
import io.relstream.http.Routes;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.apache.flink.api.common.JobStatus;
import org.apache.flink.core.execution.JobClient;

/**
 * The training job's health on the hardened relstream-http server.
 * <ul>
 *   <li>{@code GET /health}: {@code {"status": "up"|"degraded"|"down", "job": <Flink JobStatus name>,
 *       "jobId", "lastCheckpoint": "chk-N"|null, "lastCheckpointAgeMs": n|null, "restPort", "problems": [...],
 *       "disk": {"path", "freeBytes", "floorBytes", "ok"}}}. 200 only when "up": the job is
 *       RUNNING, a checkpoint completed within the stale limit, and the checkpoint dir's free space is at
 *       or above the floor. "degraded" (503): RUNNING but a problem, or a transient state (INITIALIZING,
 *       CREATED, RESTARTING, FAILING, CANCELLING, RECONCILING). "down" (503): a terminal state (FAILED,
 *       CANCELED, FINISHED, SUSPENDED) or the status cannot be read ({@code "job": "UNKNOWN"}).</li>
 *   <li>{@code GET /metrics}: {@code relstream_train_job_running} 1/0,
 *       {@code relstream_train_last_checkpoint_age_ms} (-1: none yet), disk free bytes and ok, and the
 *       server's own counters.</li>
 * </ul>
 * The status comes from {@link JobClient#getJobStatus()} (2 s timeout); the last checkpoint is the
 * newest {@code chk-N} with a {@code _metadata} file under {@code <checkpoint-dir>/<job id>/}, that is
 * one completed by this job (not a previous run's), dated by that file. A checkpoint is stale when none
 * completed for {@link #staleAfterMs} (10 checkpoint intervals, at least 60 s) since the last one or,
 * before the first, since this job started.
 */
final class TrainHealth implements AutoCloseable {
  private final JobClient job;
  private final Path checkpointDir;
  private final DiskFloor disk;
  private final int restPort;
  private final long staleAfterMs;
  private final long startedAtMs = System.currentTimeMillis();
  private final HardenedHttpServer server;

  TrainHealth(JobClient job, Path checkpointDir, long checkpointIntervalMs, DiskFloor disk, int restPort,
      String bind, int port, String token) {
    this.job = job;
    this.checkpointDir = checkpointDir;
    this.disk = disk;
    this.restPort = restPort;
    this.staleAfterMs = Math.max(60_000, 10 * checkpointIntervalMs);
    Routes routes = new Routes()
        .get("/health", r -> health())
        .get("/metrics", r -> ApiResponse.text(200, "text/plain; version=0.0.4; charset=utf-8", metrics()));
    this.server = HardenedHttpServer.builder("stream-train-health")
        .bind(bind).port(port).token(token)
        .limits(HttpLimits.defaults().withMaxConcurrent(8).withMaxBodyBytes(1024))
        .routes(routes).build();
  }

  /** Binds and starts the health server of a started job. */
  static TrainHealth start(StreamTrainMain.Args args, StreamTrainMain.Started started) throws IOException {
    TrainHealth h = new TrainHealth(started.job(), args.checkpointDir(), args.checkpointIntervalMs(),
        DiskFloor.ofMegabytes(args.checkpointDir(), args.minFreeDiskMb()), started.restPort(), args.bind(),
        args.healthPort(), args.token());
    h.start0();
    return h;
  }

  /** Starts serving. */
  void start0() throws IOException {
    server.start();
  }

  int port() {
    return server.port();
  }

  long staleAfterMs() {
    return staleAfterMs;
  }

  /** The job's status name, or "UNKNOWN" when it cannot be read within 2 s. */
  String jobStatus() {
    try {
      JobStatus s = job.getJobStatus().get(2, TimeUnit.SECONDS);
      return s.name();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "UNKNOWN";
    } catch (Exception e) {
      return "UNKNOWN";
    }
  }

  private Optional<Path> lastCheckpoint() {
    try {
      return Checkpoints.latestOfJob(checkpointDir, job.getJobID().toHexString());
    } catch (RuntimeException e) {
      return Optional.empty();
    }
  }

  /** The /health object and its HTTP status. */
  Map<String, Object> healthBody() {
    long now = System.currentTimeMillis();
    String status = jobStatus();
    Optional<Path> chk = lastCheckpoint();
    Long age = chk.map(p -> Math.max(0, now - Checkpoints.completedAtMs(p))).orElse(null);
    DiskFloor.Status d = disk.check();
    List<String> problems = new ArrayList<>();
    String overall;
    if (status.equals("RUNNING")) {
      long since = age != null ? age : now - startedAtMs;
      if (since > staleAfterMs) {
        problems.add((age == null ? "no checkpoint completed since the job started " : "no checkpoint completed for ")
            + since + " ms (limit " + staleAfterMs + " ms)");
      }
      if (!d.ok()) {
        problems.add("free disk " + d.freeBytes() + " bytes is below the floor of " + d.floorBytes());
      }
      overall = problems.isEmpty() ? "up" : "degraded";
    } else {
      boolean terminal = status.equals("UNKNOWN") || JobStatus.valueOf(status).isTerminalState();
      overall = terminal ? "down" : "degraded";
      problems.add("job is " + status);
    }
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("status", overall);
    body.put("job", status);
    body.put("jobId", job.getJobID().toHexString());
    body.put("lastCheckpoint", chk.map(p -> p.getFileName().toString()).orElse(null));
    body.put("lastCheckpointAgeMs", age);
    body.put("restPort", restPort);
    if (!problems.isEmpty()) {
      body.put("problems", problems);
    }
    body.put("disk", d.toMap());
    return body;
  }

  private ApiResponse health() {
    Map<String, Object> body = healthBody();
    return ApiResponse.json(body.get("status").equals("up") ? 200 : 503, body);
  }

  String metrics() {
    long now = System.currentTimeMillis();
    String status = jobStatus();
    long age = lastCheckpoint().map(p -> Math.max(0, now - Checkpoints.completedAtMs(p))).orElse(-1L);
    DiskFloor.Status d = disk.check();
    StringBuilder out = new StringBuilder(1024);
    gauge(out, "relstream_train_job_running", "1 while the Flink job is RUNNING, else 0.",
        status.equals("RUNNING") ? 1 : 0);
    gauge(out, "relstream_train_last_checkpoint_age_ms", "Milliseconds since this job's last completed "
        + "checkpoint (-1: none yet).", age);
    gauge(out, "relstream_train_disk_free_bytes", "Usable bytes on the checkpoint dir's file system (-1: unknown).",
        d.freeBytes());
    gauge(out, "relstream_train_disk_ok", "1 while the checkpoint dir's free space is at or above the floor.",
        d.ok() ? 1 : 0);
    out.append(server.metrics().prometheus("relstream_train"));
    return out.toString();
  }

  private static void gauge(StringBuilder out, String name, String help, long value) {
    out.append("# HELP ").append(name).append(' ').append(help).append('\n');
    out.append("# TYPE ").append(name).append(" gauge\n");
    out.append(name).append(' ').append(value).append('\n');
  }

  @Override
  public void close() {
    server.close();
  }
}
