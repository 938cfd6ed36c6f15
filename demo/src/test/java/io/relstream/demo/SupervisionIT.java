package io.relstream.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * kill -9 of each child of one running stack in turn (ingest, serving, stream-train, then the broker):
 * the supervisor restarts it with the same ports and state, the front answers its routes with 503 and
 * Retry-After meanwhile and /health shows it "restarting", then "up"; events the collector acknowledged
 * just before the kill still reach the model (their user gets a model answer, not the fallback).
 */
class SupervisionIT {
  static final ObjectMapper JSON = new ObjectMapper();
  static final Path HOME = Path.of("..").toAbsolutePath().normalize();
  final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  @Test
  void eachKilledChildIsRestartedAndNoAcknowledgedEventIsLost(@TempDir Path work) throws Exception {
    ByteArrayOutputStream console = new ByteArrayOutputStream();
    PrintStream out = new PrintStream(console, true);
    try (Stack stack = Stack.start(HOME, work, 0, List.of("--join-window-ms", "1000"),
        List.of("--checkpoint-interval-ms", "1000", "--batch-size", "64"), out)) {
      String base = stack.baseUrl();
      awaitHealthUp(base, "every child", 120);
      List<String> report = new ArrayList<>();
      for (String name : List.of("ingest", "serving", "stream-train", "kafka")) {
        String user = "before-kill-" + name;
        post(base, user);
        ChildProcess c = stack.child(name);
        long oldPid = c.pid();
        assertEquals(String.valueOf(oldPid), Files.readString(work.resolve("run/" + name + ".pid")).strip());
        long t0 = System.nanoTime();
        ProcessHandle.of(oldPid).orElseThrow().destroyForcibly();
        ProcessHandle.of(oldPid).ifPresent(p -> p.onExit().join());
        // while it restarts: "restarting" in /health, and its routes answer 503 with Retry-After
        HttpResponse<String> h = awaitHealthState(base, name, "restarting", 10);
        assertEquals(503, h.statusCode(), h.body());
        String route = switch (name) {
          case "ingest" -> "/events";
          case "serving" -> "/recommend/x?k=1";
          default -> null;
        };
        if (route != null) {
          HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(base + route))
              .method(name.equals("ingest") ? "POST" : "GET", HttpRequest.BodyPublishers.ofString("")).build(),
              HttpResponse.BodyHandlers.ofString());
          assertEquals(503, r.statusCode(), r.body());
          assertTrue(r.headers().firstValue("Retry-After").isPresent(), "Retry-After on " + route);
          assertTrue(JSON.readTree(r.body()).path("error").asText().contains("restarting"), r.body());
        }
        awaitHealthUp(base, name, 120);
        long upMs = (System.nanoTime() - t0) / 1_000_000;
        assertEquals("up", stack.states().get(name));
        assertNotEquals(oldPid, c.pid(), name + " runs as a new process");
        assertEquals(String.valueOf(c.pid()), Files.readString(work.resolve("run/" + name + ".pid")).strip(),
            "the pid file follows the restart");
        awaitModelAnswer(base, user, 180);
        long modelMs = (System.nanoTime() - t0) / 1_000_000;
        report.add(String.format("%s: up again %d ms after kill -9, its pre-kill events in the model after %d ms",
            name, upMs, modelMs));
      }
      String log = Files.readString(work.resolve("logs/supervisor.log"));
      for (String name : List.of("ingest", "serving", "stream-train", "kafka")) {
        assertTrue(log.contains(name + " exited unexpectedly with code 137"), log);
      }
      System.out.println("SupervisionIT timings:\n  " + String.join("\n  ", report));
    } finally {
      System.out.println("SupervisionIT console:\n" + console);
    }
  }

  /** One impression and its click for a new user, acknowledged by the collector. */
  private void post(String base, String user) throws Exception {
    long now = System.currentTimeMillis();
    String body = DatasetEvents.impression(user + "-i", user, "a1", now, user, 1, null) + "\n"
        + DatasetEvents.click(user + "-c", user, "a1", now + 5, user) + "\n";
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(base + "/events"))
        .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(202, r.statusCode(), r.body());
    assertEquals(2, JSON.readTree(r.body()).get("accepted").asInt(), r.body());
  }

  private HttpResponse<String> health(String base) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create(base + "/health")).timeout(Duration.ofSeconds(10)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<String> awaitHealthState(String base, String name, String state, int seconds) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    HttpResponse<String> r = null;
    while (System.nanoTime() < deadline) {
      r = health(base);
      if (JSON.readTree(r.body()).path("components").path(name).path("process").asText().equals(state)) return r;
      Thread.sleep(100);
    }
    throw new AssertionError(name + " not " + state + " within " + seconds + " s: " + (r == null ? "-" : r.body()));
  }

  /** Until /health answers 200 with every process up. */
  private void awaitHealthUp(String base, String what, int seconds) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    HttpResponse<String> r = null;
    while (System.nanoTime() < deadline) {
      r = health(base);
      if (r.statusCode() == 200) {
        assertEquals("up", JSON.readTree(r.body()).path("status").asText());
        return;
      }
      Thread.sleep(200);
    }
    throw new AssertionError(what + " not up within " + seconds + " s: " + (r == null ? "-" : r.body()));
  }

  private void awaitModelAnswer(String base, String user, int seconds) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    String last = null;
    while (System.nanoTime() < deadline) {
      HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(base + "/recommend/" + user + "?k=1"))
          .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
      last = r.statusCode() + " " + r.body();
      if (r.statusCode() == 200) {
        JsonNode a = JSON.readTree(r.body());
        if (!a.path("fallback").asBoolean(true)) return;
      }
      Thread.sleep(250);
    }
    throw new AssertionError("events posted for " + user + " before the kill never reached the model within "
        + seconds + " s; last answer: " + last);
  }
}
