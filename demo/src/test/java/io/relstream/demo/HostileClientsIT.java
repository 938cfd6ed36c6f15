package io.relstream.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.relstream.schemas.Codecs;
import io.relstream.schemas.Topics;
import io.relstream.schemas.avro.Click;
import io.relstream.schemas.avro.Event;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hostile clients and hostile events against one running stack (broker, ingest, stream-train and
 * serving as child JVMs, the front in this JVM), over loopback: 60 slow clients while normal requests
 * are answered, a 400 MiB body, a producer whose clock jumped hours ahead, and a poison pill written
 * straight to the events topic. Each case ends with the pipeline still learning: a fresh impression and
 * click reach the model. Time bounds are generous: these are not benchmarks.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class HostileClientsIT {
  static final ObjectMapper JSON = new ObjectMapper();
  static final Path HOME = Path.of("..").toAbsolutePath().normalize();
  static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  @TempDir static Path work;
  static Stack stack;
  static String base;
  static final ByteArrayOutputStream CONSOLE = new ByteArrayOutputStream();

  @BeforeAll
  static void start() throws Exception {
    stack = Stack.start(HOME, work, 0, List.of("--join-window-ms", "1000"),
        List.of("--checkpoint-interval-ms", "1000", "--batch-size", "64"), new PrintStream(CONSOLE, true));
    base = stack.baseUrl();
    awaitStatus("/health", 200, 150);
  }

  @AfterAll
  static void stop() {
    if (stack != null) {
      stack.close();
    }
    System.out.println("HostileClientsIT console:\n" + CONSOLE);
  }

  @Test
  @Order(1)
  void sixtySlowClientsDoNotStopNormalRequests() throws Exception {
    int front = stack.front.port();
    List<Socket> slow = new ArrayList<>();
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      // through the front: 30 that never finish their headers, 30 that declare a body and send it at
      // 1 byte/s (the body is streamed on to the collector, which applies the same rate rule)
      for (int i = 0; i < 60; i++) {
        Socket s = new Socket();
        s.connect(new InetSocketAddress("127.0.0.1", front), 5_000);
        s.setSoTimeout(1_000);
        OutputStream o = s.getOutputStream();
        if (i % 2 == 0) {
          o.write("GET /recommend/slow".getBytes(StandardCharsets.US_ASCII));
        } else {
          o.write(("POST /events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 10000\r\n\r\n{")
              .getBytes(StandardCharsets.US_ASCII));
        }
        o.flush();
        slow.add(s);
      }
      Future<?> trickle = pool.submit(() -> {
        for (int t = 0; t < 40 && !Thread.currentThread().isInterrupted(); t++) {
          for (Socket s : slow) {
            try {
              s.getOutputStream().write('a');
            } catch (IOException closedByServer) {
              // expected once the server times it out
            }
          }
          try {
            Thread.sleep(1_000);
          } catch (InterruptedException e) {
            return;
          }
        }
      });
      // meanwhile: normal requests through the front, each answered within 2 s
      List<Long> millis = new ArrayList<>();
      for (int i = 0; i < 20; i++) {
        long t0 = System.nanoTime();
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(base + "/recommend/normal-" + i + "?k=3"))
            .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.ofString());
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertEquals(200, r.statusCode(), r.body());
        assertTrue(ms < 2_000, "request " + i + " took " + ms + " ms");
        millis.add(ms);
        HttpResponse<String> h = HTTP.send(HttpRequest.newBuilder(URI.create(base + "/health"))
            .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, h.statusCode(), h.body());
        Thread.sleep(500);
      }
      // every slow connection is answered 408 (or closed) by the server: headers within 10 s, bodies
      // below 1 KiB/s after 5 s
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      int answered408 = 0;
      for (Socket s : slow) {
        String got = readUntilClosed(s, deadline);
        assertTrue(got.isEmpty() || got.startsWith("HTTP/1.1 408"), "a slow client got: " + got);
        if (got.startsWith("HTTP/1.1 408")) {
          answered408++;
        }
      }
      trickle.cancel(true);
      Collections.sort(millis);
      System.out.printf("HostileClientsIT: 20 normal requests beside 60 slow clients: median %d ms, max %d ms;"
          + " %d of 60 slow clients answered 408, the rest closed%n", millis.get(10), millis.get(19), answered408);
      assertTrue(answered408 > 0, "the server answers a slow client 408 before closing");
    } finally {
      pool.shutdownNow();
      for (Socket s : slow) {
        s.close();
      }
    }
  }

  @Test
  @Order(2)
  void a400MiBBodyIsRefusedWithoutBeingRead() throws Exception {
    long size = 400L << 20;
    // declared: 413 before a byte of the body is read
    try (Socket s = new Socket("127.0.0.1", stack.front.port())) {
      s.setSoTimeout(10_000);
      s.getOutputStream().write(("POST /events HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-ndjson\r\n"
          + "Content-Length: " + size + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
      s.getOutputStream().flush();
      String head = readUntilClosed(s, System.nanoTime() + TimeUnit.SECONDS.toNanos(10));
      assertTrue(head.startsWith("HTTP/1.1 413"), head);
      assertTrue(head.contains("\"error\""), "a JSON error: " + head);
    }
    // chunked, so the size is not known up front: the upload is cut off long before 400 MiB
    long written = 0;
    String answer = "";
    try (Socket s = new Socket("127.0.0.1", stack.front.port())) {
      s.setSoTimeout(100);
      OutputStream o = s.getOutputStream();
      InputStream in = s.getInputStream();
      o.write(("POST /events HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-ndjson\r\n"
          + "Transfer-Encoding: chunked\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
      byte[] chunk = new byte[64 << 10];
      Arrays.fill(chunk, (byte) 'x');
      byte[] chunkHead = (Integer.toHexString(chunk.length) + "\r\n").getBytes(StandardCharsets.US_ASCII);
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      byte[] buf = new byte[8192];
      try {
        while (written < size && System.nanoTime() < deadline && answer.isEmpty()) {
          o.write(chunkHead);
          o.write(chunk);
          o.write('\r');
          o.write('\n');
          written += chunk.length;
          if (written % (1 << 20) == 0) {
            try {
              int n = in.read(buf);
              if (n < 0) break;
              answer = new String(buf, 0, n, StandardCharsets.ISO_8859_1);
            } catch (SocketTimeoutException notYet) {
              // keep sending
            }
          }
        }
      } catch (IOException cutOff) {
        // the server closed the connection under the upload
      }
      if (answer.isEmpty()) {
        answer = readUntilClosed(s, System.nanoTime() + TimeUnit.SECONDS.toNanos(5));
      }
    } catch (IOException reset) {
      // a reset after the answer
    }
    System.out.printf("HostileClientsIT: chunked 400 MiB upload cut off after %d MiB; answer: %s%n", written >> 20,
        answer.lines().findFirst().orElse("(connection closed)"));
    assertTrue(written < size, "the upload was cut off");
    assertTrue(answer.isEmpty() || answer.startsWith("HTTP/1.1 413"), answer);
    awaitStatus("/health", 200, 30);
    assertLearns("after-big-body");
  }

  @Test
  @Order(3)
  void aProducerClockHoursAheadIsDeadLetteredAndLiveEventsStillJoin() throws Exception {
    long now = System.currentTimeMillis();
    String user = "clock-jump";
    String body = DatasetEvents.impression("jump-i", user + "-x", "a9", now + 3 * 3_600_000L, user, 1, null) + "\n"
        + DatasetEvents.click("jump-c", user + "-x", "a9", now + 3 * 3_600_000L + 5, user) + "\n"
        + DatasetEvents.impression(user + "-i", user, "a1", now, user, 1, null) + "\n"
        + DatasetEvents.click(user + "-c", user, "a1", now + 5, user) + "\n";
    HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(base + "/events"))
        .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(202, r.statusCode(), r.body());
    JsonNode a = JSON.readTree(r.body());
    assertEquals(2, a.path("accepted").asInt(), r.body());
    assertEquals(2, a.path("rejected").asInt(), r.body());
    assertTrue(a.path("errors").get(0).path("reason").asText().contains("ahead"), r.body());
    awaitModelAnswer(user, 180);
    assertIngestRunning();
  }

  @Test
  @Order(4)
  void aPoisonPillWrittenStraightToTheTopicDoesNotStopIngest() throws Exception {
    long now = System.currentTimeMillis();
    try (KafkaProducer<String, byte[]> raw = new KafkaProducer<>(Map.of(
        ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.bootstrap,
        ProducerConfig.MAX_REQUEST_SIZE_CONFIG, 2 << 20,
        ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class,
        ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class))) {
      // a forged arrival time 3 h ahead: every write it would cause is one the broker refuses
      Event forged = Event.newBuilder().setPayload(Click.newBuilder().setEventId("forged").setUser("poison")
          .setItem("a2").setTimestamp(now + 3 * 3_600_000L).build()).setArrivalTime(now + 3 * 3_600_000L).build();
      raw.send(new ProducerRecord<>(Topics.EVENTS, "poison", Codecs.EVENT.encode(forged))).get();
      byte[] junk = new byte[1_000_000];
      Arrays.fill(junk, (byte) 'j');
      raw.send(new ProducerRecord<>(Topics.EVENTS, "poison", junk)).get();
    }
    Thread.sleep(3_000);
    assertIngestRunning();
    assertLearns("after-poison");
  }

  /** A fresh impression and click for a new user reach the model (a non-fallback answer). */
  private static void assertLearns(String user) throws Exception {
    long now = System.currentTimeMillis();
    String body = DatasetEvents.impression(user + "-i", user, "a1", now, user, 1, null) + "\n"
        + DatasetEvents.click(user + "-c", user, "a1", now + 5, user) + "\n";
    HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(base + "/events"))
        .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(202, r.statusCode(), r.body());
    assertEquals(2, JSON.readTree(r.body()).path("accepted").asInt(), r.body());
    awaitModelAnswer(user, 180);
  }

  private static void assertIngestRunning() throws Exception {
    HttpResponse<String> h = HTTP.send(HttpRequest.newBuilder(URI.create(base + "/health"))
        .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(200, h.statusCode(), h.body());
    JsonNode ingest = JSON.readTree(h.body()).path("components").path("ingest");
    assertEquals("up", ingest.path("process").asText(), h.body());
    assertEquals("RUNNING", ingest.path("health").path("streams").asText(), h.body());
  }

  private static void awaitModelAnswer(String user, int seconds) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    String last = null;
    while (System.nanoTime() < deadline) {
      HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(base + "/recommend/" + user + "?k=1"))
          .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
      last = r.statusCode() + " " + r.body();
      if (r.statusCode() == 200 && !JSON.readTree(r.body()).path("fallback").asBoolean(true)) {
        return;
      }
      Thread.sleep(250);
    }
    throw new AssertionError(user + "'s events never reached the model within " + seconds + " s; last: " + last);
  }

  private static void awaitStatus(String path, int status, int seconds) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    String last = "-";
    while (System.nanoTime() < deadline) {
      try {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(base + path))
            .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
        last = r.statusCode() + " " + r.body();
        if (r.statusCode() == status) {
          return;
        }
      } catch (IOException e) {
        last = e.toString();
      }
      Thread.sleep(300);
    }
    throw new AssertionError(path + " did not answer " + status + " within " + seconds + " s: " + last);
  }

  /** What the server sends on {@code s} until it closes the connection (or the deadline passes: a failure). */
  private static String readUntilClosed(Socket s, long deadlineNanos) throws IOException {
    ByteArrayOutputStream got = new ByteArrayOutputStream();
    byte[] buf = new byte[4096];
    s.setSoTimeout(200);
    while (System.nanoTime() < deadlineNanos) {
      try {
        int n = s.getInputStream().read(buf);
        if (n < 0) {
          return got.toString(StandardCharsets.ISO_8859_1);
        }
        got.write(buf, 0, n);
      } catch (SocketTimeoutException notYet) {
        // keep waiting
      } catch (IOException reset) {
        return got.toString(StandardCharsets.ISO_8859_1);
      }
    }
    throw new AssertionError("the server kept the connection open past the deadline; it sent: "
        + got.toString(StandardCharsets.ISO_8859_1));
  }
}
