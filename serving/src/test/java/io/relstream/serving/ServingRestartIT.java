package io.relstream.serving;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Crash safety of {@link ServingMain} as a child JVM: killed with SIGKILL while it consumes, restarted
 * on the same RocksDB directory, it resumes from its stored offsets (every record applied exactly once:
 * the persisted applied-records counter equals the number produced) and answers exactly like a fresh
 * instance built from the same topics.
 */
class ServingRestartIT {
  private static final Duration WAIT = Duration.ofSeconds(120);
  private static final int DIM = 8;
  private static final int ITEMS = 200;
  private static final int USERS = 60;
  private static final int PHASE2_TXNS = 40;
  private static final int PHASE2_PER_TXN = 200;

  @TempDir
  Path tmp;

  /** A ServingMain child process and its log. */
  private record Child(Process process, int port, Path log) {}

  private Child startChild(String bootstrap, Path db, String name) throws Exception {
    Path log = tmp.resolve(name + ".log");
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    ProcessBuilder pb = new ProcessBuilder(java, "-Xmx256m", "-cp", System.getProperty("java.class.path"),
        ServingMain.class.getName(), "--bootstrap", bootstrap, "--port", "0", "--db-dir", db.toString())
        .redirectErrorStream(true).redirectOutput(log.toFile());
    Process p = pb.start();
    Pattern listening = Pattern.compile("serving listening on port (\\d+)");
    AtomicReference<Integer> port = new AtomicReference<>();
    try {
      Broker.await(name + " to print its port", WAIT, () -> {
        if (!p.isAlive()) {
          throw new Broker.Fatal(name + " exited with " + p.exitValue() + ":\n" + read(log));
        }
        Matcher m = listening.matcher(read(log));
        if (m.find()) {
          port.set(Integer.parseInt(m.group(1)));
          return true;
        }
        return false;
      });
    } catch (Throwable t) {
      p.destroyForcibly();
      throw t;
    }
    return new Child(p, port.get(), log);
  }

  private static String read(Path log) throws IOException {
    return Files.exists(log) ? Files.readString(log, StandardCharsets.UTF_8) : "";
  }

  private static float[] vector(Random rnd) {
    float[] v = new float[DIM];
    for (int j = 0; j < DIM; j++) {
      v[j] = (float) rnd.nextGaussian();
    }
    return v;
  }

  private static List<String> queries() {
    List<String> q = new ArrayList<>();
    for (int u = 0; u < USERS; u += 7) {
      q.add("/recommend/u" + u + "?k=20");
    }
    q.add("/recommend/stranger?k=15");
    q.add("/recommend/clicker-only?k=15");
    for (int i = 0; i < ITEMS; i += 37) {
      q.add("/similar/i" + i + "?k=10");
    }
    return q;
  }

  private static Map<String, String> answers(int port) throws Exception {
    Map<String, String> out = new LinkedHashMap<>();
    for (String q : queries()) {
      com.fasterxml.jackson.databind.JsonNode body = Http.json(port, q);
      if (body.isObject()) {
        ((com.fasterxml.jackson.databind.node.ObjectNode) body).remove("modelAgeMs"); // the clock moves on
      }
      out.put(q, body.toString());
    }
    return out;
  }

  private static void awaitApplied(Child c, long expected) throws Exception {
    Broker.await("applied records = " + expected, WAIT, () -> {
      if (!c.process().isAlive()) {
        throw new Broker.Fatal("child died:\n" + read(c.log()));
      }
      long applied = Http.metric(c.port(), "relstream_serving_applied_records");
      if (applied > expected) {
        throw new Broker.Fatal("applied " + applied + " > produced " + expected + ": a record was applied twice");
      }
      return applied == expected && Http.metric(c.port(), "relstream_serving_consumer_lag") == 0;
    });
    assertEquals(expected, Http.metric(c.port(), "relstream_serving_applied_records"));
  }

  private static void stop(Child c) throws InterruptedException {
    c.process().destroy();
    if (!c.process().waitFor(30, java.util.concurrent.TimeUnit.SECONDS)) {
      c.process().destroyForcibly().waitFor();
    }
  }

  @Test
  void resumesFromStoredOffsetsAfterKillMinus9() throws Exception {
    Path db = tmp.resolve("db");
    try (Broker broker = Broker.start();
        KafkaProducer<String, byte[]> trainer = broker.transactional("trainer-restart");
        KafkaProducer<String, byte[]> plain = broker.plain()) {
      Random rnd = new Random(7);
      // phase 1: the whole model, version 1, in three transactions; and some clicks
      long produced = 0;
      for (int t = 0; t < 3; t++) {
        trainer.beginTransaction();
        for (int i = t; i < ITEMS; i += 3) {
          trainer.send(Broker.item("i" + i, vector(rnd), 0.001 + rnd.nextDouble() * 0.5, rnd.nextInt(50), 1));
          produced++;
        }
        for (int u = t; u < USERS; u += 3) {
          trainer.send(Broker.user("u" + u, vector(rnd), 1));
          produced++;
        }
        trainer.commitTransaction();
      }
      for (int c = 0; c < 40; c++) {
        String user = c % 5 == 0 ? "clicker-only" : "u" + rnd.nextInt(USERS);
        plain.send(Broker.interaction(user, "i" + rnd.nextInt(ITEMS), 1));
        produced++;
        plain.send(Broker.interaction(user, "i" + rnd.nextInt(ITEMS), 0));
      }
      plain.flush();

      Child first = startChild(broker.bootstrap(), db, "first");
      Map<String, String> before;
      long appliedAtKill;
      AtomicBoolean producing = new AtomicBoolean(true);
      AtomicReference<Throwable> producerError = new AtomicReference<>();
      long phase1 = produced;
      try {
        Broker.await("first instance ready", WAIT, () -> Http.get(first.port(), "/ready").statusCode() == 200);
        awaitApplied(first, phase1);
        before = answers(first.port());

        // phase 2: a stream of new versions of every row and new items, while the instance consumes
        Thread producer = new Thread(() -> {
          try {
            Random r = new Random(11);
            for (int t = 0; t < PHASE2_TXNS; t++) {
              trainer.beginTransaction();
              for (int n = 0; n < PHASE2_PER_TXN; n++) {
                int pick = r.nextInt(ITEMS + 50 + USERS);
                if (pick < ITEMS + 50) {
                  trainer.send(Broker.item("i" + pick, vector(r), 0.001 + r.nextDouble() * 0.5, r.nextInt(50), 2 + t));
                } else {
                  trainer.send(Broker.user("u" + (pick - ITEMS - 50), vector(r), 2 + t));
                }
              }
              trainer.commitTransaction();
              Thread.sleep(50);
            }
          } catch (Throwable e) {
            producerError.set(e);
          } finally {
            producing.set(false);
          }
        }, "phase2-producer");
        producer.start();
        Broker.await("the first instance to consume phase 2", WAIT,
            () -> Http.metric(first.port(), "relstream_serving_applied_records") > phase1);
        assertTrue(producing.get(), "the producer finished before the kill; the test would prove nothing");
        appliedAtKill = Http.metric(first.port(), "relstream_serving_applied_records");
        first.process().destroyForcibly().waitFor();
        producer.join(WAIT.toMillis());
        if (producerError.get() != null) {
          throw new AssertionError("producer failed", producerError.get());
        }
      } finally {
        first.process().destroyForcibly().waitFor();
      }
      long total = phase1 + (long) PHASE2_TXNS * PHASE2_PER_TXN;
      System.out.printf("ServingRestartIT: killed at %d of %d applied records%n", appliedAtKill, total);
      assertTrue(appliedAtKill < total);

      // restart on the same directory: resumes, applies the rest exactly once
      Child restarted = startChild(broker.bootstrap(), db, "restarted");
      Map<String, String> afterRestart;
      try {
        awaitApplied(restarted, total);
        afterRestart = answers(restarted.port());
        assertTrue(read(restarted.log()).contains("assigned"), read(restarted.log()));
      } finally {
        stop(restarted);
      }

      // a fresh instance over the same topics answers identically
      Child fresh = startChild(broker.bootstrap(), tmp.resolve("fresh-db"), "fresh");
      try {
        awaitApplied(fresh, total);
        assertEquals(afterRestart, answers(fresh.port()));
      } finally {
        stop(fresh);
      }
      assertNotEquals(before, afterRestart, "phase 2 changed the model, so answers must change");
    }
  }
}
