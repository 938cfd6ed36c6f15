package io.relstream.ingest;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import io.relstream.events.EventValidator;
import io.relstream.events.Joiner;
import io.relstream.http.ApiException;
import io.relstream.http.ApiRequest;
import io.relstream.http.ApiResponse;
import io.relstream.http.HardenedHttpServer;
import io.relstream.http.HttpLimits;
import io.relstream.http.Routes;
import io.relstream.http.Uris;
import io.relstream.schemas.Codecs;
import io.relstream.schemas.Topics;
import io.relstream.schemas.avro.DeadLetter;
import io.relstream.schemas.avro.Erasure;
import io.relstream.schemas.avro.Event;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP collector: {@code POST /events} takes a JSON array of events, or NDJSON (one event object per
 * line; the body is an array when its first non-whitespace byte is {@code [}), validates each event with
 * {@link EventValidator} and writes valid ones to {@link Topics#EVENTS} (key = user, value
 * {@link Codecs#EVENT}) and rejected ones to {@link Topics#DEAD_LETTER} (key and component
 * {@value #COMPONENT}, the reason, the event's raw JSON bytes).
 *
 * <p>Answers (every body is JSON):
 * <ul>
 *   <li>202 {@code {"accepted": n, "rejected": m, "errors": [{"index": i, "reason": ...}]}} once the
 *       producer has acknowledged every record of the request (events and dead letters);</li>
 *   <li>400 when the body cannot be parsed at all (not JSON, empty, or NDJSON of which no line parses): the
 *       raw bytes are dead-lettered first;</li>
 *   <li>413 when it exceeds the body limit, from the server before the body is read (the client keeps it
 *       and should split it); 408, 415, 431 and 503 from the server's other limits;</li>
 *   <li>503 when Kafka did not acknowledge a record within the send timeout: nothing is dropped silently,
 *       the client should retry (the streams app de-duplicates by event id);</li>
 *   <li>{@code DELETE /users/{id}} (one path segment, percent-decoded, an encoded {@code /} part of the id):
 *       the user asks to be forgotten. The id follows the rules of event user ids; a bad one is 400
 *       {@code {"error": ...}} and nothing is written. Otherwise an {@link Erasure} (a fresh random UUID as
 *       {@code requestId}, {@code requestedAt} = arrival = the clock's now) goes to {@link Topics#EVENTS}
 *       keyed by the user id, like the user's events, so it is applied after the ones written before it;
 *       202 {@code {"user": id, "requestId": ..., "requestedAt": ms, "status": "accepted"}} once Kafka
 *       acknowledged it; 503 with {@code Retry-After} under backpressure or when Kafka did not acknowledge
 *       (retry: erasing twice is harmless);</li>
 *   <li>405 for a wrong method, 404 for an unknown path; {@code GET /health}, {@code GET /ready} (see
 *       {@link Health}) and {@code GET /metrics} (Prometheus text of {@link IngestMetrics} and the server's
 *       counters).</li>
 * </ul>
 * Thread-safe; the producer is shared by the handler threads and closed by the owner, not by this class.
 */
final class Collector implements AutoCloseable {
  static final String COMPONENT = "collector";
  static final int DEFAULT_MAX_BODY_BYTES = 1 << 20;
  private static final int MAX_ERRORS_LISTED = 100;
  private static final Logger LOG = LoggerFactory.getLogger(Collector.class);

  static final String ACCEPTED = "collector_events_accepted";
  static final String REJECTED = "collector_events_rejected";
  static final String BODIES_REJECTED = "collector_bodies_rejected";
  static final String KAFKA_FAILURES = "collector_kafka_failures";
  static final String BACKPRESSURE = "collector_backpressure";
  static final String ERASURES_ACCEPTED = "collector_erasures_accepted";
  static final String ERASURES_REJECTED = "collector_erasures_rejected";
  /** The erasure route's prefix: {@code DELETE /users/{id}}. */
  static final String USERS = "/users/";

  /** An HTTP answer: status and JSON body. */
  /** @param retryAfterSeconds the Retry-After of a 503 */
  record Response(int status, String json, int retryAfterSeconds) {
    Response(int status, String json) {
      this(status, json, 1);
    }
  }

  /** Seconds a client is asked to wait while the pipeline is over its backlog bound. */
  static final int BACKPRESSURE_RETRY_SECONDS = 2;

  /** One event of a parsed body: its JSON (null when its line did not parse), raw bytes, parse error. */
  private record Item(JsonNode node, byte[] raw, String parseError) {}

  /** A body that cannot be parsed at all. */
  private static final class BadBody extends Exception {
    private static final long serialVersionUID = 1L;

    BadBody(String message) {
      super(message, null, false, false);
    }
  }

  private final Producer<String, byte[]> producer;
  private final EventValidator validator;
  private final IngestMetrics metrics;
  private final Clock clock;
  private final int maxBodyBytes;
  private final Duration sendTimeout;
  private final ObjectMapper mapper = new ObjectMapper()
      .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
  /** Reads one element of an array from a shared parser: what follows it is the rest of the array. */
  private final ObjectReader elementReader = mapper.reader()
      .without(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
  private HardenedHttpServer server;
  /** When set, events are refused (503) while the streams app is too far behind. */
  private volatile Backlog backlog;

  /**
   * @param producer acks=all, idempotent producer of String keys and byte[] values (not closed here)
   * @param maxBodyBytes largest accepted request body
   * @param sendTimeout how long a request waits for Kafka's acknowledgements before answering 503
   */
  Collector(Producer<String, byte[]> producer, EventValidator validator, IngestMetrics metrics, Clock clock,
      int maxBodyBytes, Duration sendTimeout) {
    if (maxBodyBytes < 1) {
      throw new IllegalArgumentException("maxBodyBytes must be >= 1: " + maxBodyBytes);
    }
    this.producer = Objects.requireNonNull(producer);
    this.validator = Objects.requireNonNull(validator);
    this.metrics = Objects.requireNonNull(metrics);
    this.clock = Objects.requireNonNull(clock);
    this.maxBodyBytes = maxBodyBytes;
    this.sendTimeout = Objects.requireNonNull(sendTimeout);
    metrics.declare(ACCEPTED, "Events written to the events topic by the collector.")
        .declare(REJECTED, "Events rejected by the collector, by reason class.")
        .declare(BODIES_REJECTED, "Request bodies rejected as a whole, by reason.")
        .declare(KAFKA_FAILURES, "Requests answered 503 because Kafka did not acknowledge a record.")
        .declare(BACKPRESSURE, "Requests answered 503 because the streams app was over its backlog bound.")
        .declare(ERASURES_ACCEPTED, "Erasures of users (DELETE /users/{id}) written to the events topic.")
        .declare(ERASURES_REJECTED, "Erasure requests refused with 400, by reason class.");
  }

  int maxBodyBytes() {
    return maxBodyBytes;
  }

  /** Refuse events (503 with Retry-After) while {@code b} says the pipeline is over its bound. */
  void backpressure(Backlog b) {
    this.backlog = b;
  }

  /**
   * Handles one {@code POST /events} body (the server has already refused one over {@code maxBodyBytes}
   * with 413 before reading it: the client still has it and is told to split it).
   */
  Response handleEvents(byte[] body) {
    Response busy = backpressured();
    if (busy != null) {
      return busy;
    }
    List<Future<RecordMetadata>> sends = new ArrayList<>();
    List<Item> items;
    try {
      items = parse(body);
    } catch (BadBody e) {
      String reason = e.getMessage();
      metrics.inc(BODIES_REJECTED, body.length == 0 || isBlank(body) ? "empty" : "not_json");
      Response kafka = sendAndWait(() -> sends.add(deadLetter(reason, body)), sends);
      return kafka != null ? kafka : error(400, reason);
    }
    List<Map<String, Object>> errors = new ArrayList<>();
    Map<String, Integer> rejectedByClass = new LinkedHashMap<>();
    int[] accepted = {0};
    Response kafka = sendAndWait(() -> {
      for (int i = 0; i < items.size(); i++) {
        Item it = items.get(i);
        String reason;
        String label;
        if (it.parseError() != null) {
          reason = it.parseError();
          label = "not_json";
        } else {
          EventValidator.Result r = validator.validate(it.node());
          if (r.isValid()) {
            Event e = r.event();
            // the record's timestamp is the arrival time stamped into the event
            sends.add(producer.send(new ProducerRecord<>(Topics.EVENTS, null, e.getArrivalTime(), user(e),
                Codecs.EVENT.encode(e))));
            accepted[0]++;
            continue;
          }
          reason = r.reason();
          label = r.rejection().label();
        }
        sends.add(deadLetter(reason, it.raw()));
        rejectedByClass.merge(label, 1, Integer::sum);
        if (errors.size() < MAX_ERRORS_LISTED) {
          Map<String, Object> err = new LinkedHashMap<>();
          err.put("index", i);
          err.put("reason", reason);
          errors.add(err);
        }
      }
    }, sends);
    if (kafka != null) {
      return kafka;
    }
    metrics.add(ACCEPTED, "", accepted[0]);
    rejectedByClass.forEach((label, n) -> metrics.add(REJECTED, label, n));
    Map<String, Object> answer = new LinkedHashMap<>();
    answer.put("accepted", accepted[0]);
    answer.put("rejected", items.size() - accepted[0]);
    answer.put("errors", errors);
    return new Response(202, json(answer));
  }

  /** The 503 while the pipeline is over its backlog bound, else null. */
  private Response backpressured() {
    Backlog b = backlog;
    if (b == null || !b.over()) {
      return null;
    }
    metrics.inc(BACKPRESSURE);
    Map<String, Object> err = new LinkedHashMap<>();
    err.put("error", "the pipeline is " + b.events() + " events behind (bound " + b.maxEvents()
        + "): nothing was accepted; retry after " + BACKPRESSURE_RETRY_SECONDS + " s");
    err.put("backlog", b.events());
    err.put("retryAfterSeconds", BACKPRESSURE_RETRY_SECONDS);
    return new Response(503, json(err), BACKPRESSURE_RETRY_SECONDS);
  }

  /**
   * Handles one {@code DELETE /users/{id}}, {@code user} already percent-decoded: writes the user's
   * {@link Erasure} to the events topic, keyed by the user id (see the class comment for the answers).
   */
  Response handleErasure(String user) {
    Response busy = backpressured();
    if (busy != null) {
      return busy;
    }
    EventValidator.Result r = validator.erasure(user, UUID.randomUUID().toString());
    if (!r.isValid()) {
      metrics.inc(ERASURES_REJECTED, r.rejection().label());
      return error(400, r.reason());
    }
    Event e = r.event();
    Erasure x = (Erasure) e.getPayload();
    List<Future<RecordMetadata>> sends = new ArrayList<>();
    Response kafka = sendAndWait(() -> sends.add(producer.send(new ProducerRecord<>(Topics.EVENTS, null,
        e.getArrivalTime(), x.getUser(), Codecs.EVENT.encode(e)))), sends);
    if (kafka != null) {
      return kafka;
    }
    metrics.inc(ERASURES_ACCEPTED);
    LOG.info("erasure {} of a user written to {}", x.getRequestId(), Topics.EVENTS);
    Map<String, Object> answer = new LinkedHashMap<>();
    answer.put("user", x.getUser());
    answer.put("requestId", x.getRequestId());
    answer.put("requestedAt", x.getRequestedAt());
    answer.put("status", "accepted");
    return new Response(202, json(answer));
  }

  /** The user id of {@code DELETE /users/{id}}: one raw segment, percent-decoded (an encoded '/' is kept). */
  static String userOf(ApiRequest r) throws ApiException {
    String rest = r.rawPath().substring(USERS.length());
    if (rest.indexOf('/') >= 0) {
      throw new ApiException(404, "no such resource: " + r.path());
    }
    return Uris.percentDecode(rest, false);
  }

  /** Runs {@code sending}, then waits for every future; null when all were acknowledged, else a 503. */
  private Response sendAndWait(Runnable sending, List<Future<RecordMetadata>> sends) {
    long deadline = System.nanoTime() + sendTimeout.toNanos();
    try {
      sending.run();
      for (Future<RecordMetadata> f : sends) {
        f.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
      }
      return null;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return kafkaFailure("interrupted while waiting for Kafka");
    } catch (ExecutionException e) {
      return kafkaFailure(String.valueOf(e.getCause()));
    } catch (TimeoutException e) {
      return kafkaFailure("Kafka did not acknowledge within " + sendTimeout.toMillis() + " ms");
    } catch (RuntimeException e) {
      return kafkaFailure(String.valueOf(e));
    }
  }

  private Response kafkaFailure(String detail) {
    metrics.inc(KAFKA_FAILURES);
    LOG.warn("answering 503: {}", detail);
    return error(503, "events not stored, retry later: " + detail);
  }

  private Future<RecordMetadata> deadLetter(String reason, byte[] raw) {
    DeadLetter dl = DeadLetter.newBuilder().setComponent(COMPONENT).setReason(reason)
        .setPayload(ByteBuffer.wrap(raw)).setTimestamp(clock.millis()).build();
    return producer.send(new ProducerRecord<>(Topics.DEAD_LETTER, COMPONENT, Codecs.DEAD_LETTER.encode(dl)));
  }

  private static String user(Event e) {
    return Joiner.user(e);
  }

  /** Splits a body into events: a JSON array, or NDJSON. */
  private List<Item> parse(byte[] body) throws BadBody {
    int first = 0;
    while (first < body.length && isSpace(body[first])) {
      first++;
    }
    if (first == body.length) {
      throw new BadBody("empty body: expected a JSON array of events or NDJSON");
    }
    return body[first] == '[' ? parseArray(body) : parseLines(body);
  }

  private List<Item> parseArray(byte[] body) throws BadBody {
    List<Item> items = new ArrayList<>();
    try (JsonParser p = mapper.createParser(body)) {
      if (p.nextToken() != JsonToken.START_ARRAY) {
        throw new BadBody("body is not a JSON array");
      }
      for (JsonToken t = p.nextToken(); t != JsonToken.END_ARRAY; t = p.nextToken()) {
        if (t == null) {
          throw new BadBody("body is not valid JSON: unexpected end of input inside the array");
        }
        long start = p.currentTokenLocation().getByteOffset();
        JsonNode node = elementReader.readTree(p);
        byte[] raw;
        if (t == JsonToken.START_OBJECT || t == JsonToken.START_ARRAY) {
          long end = p.currentLocation().getByteOffset();
          raw = Arrays.copyOfRange(body, (int) start, (int) end);
        } else {
          raw = mapper.writeValueAsBytes(node);
        }
        items.add(new Item(node, raw, null));
      }
      if (p.nextToken() != null) {
        throw new BadBody("body is not valid JSON: content after the closing ']'");
      }
    } catch (JsonProcessingException e) {
      throw new BadBody("body is not valid JSON: " + e.getOriginalMessage());
    } catch (IOException e) {
      throw new BadBody("body cannot be read: " + e.getMessage());
    }
    return items;
  }

  private List<Item> parseLines(byte[] body) throws BadBody {
    List<Item> items = new ArrayList<>();
    int parsed = 0;
    int lineNo = 0;
    String firstError = null;
    for (int start = 0; start <= body.length; ) {
      int end = start;
      while (end < body.length && body[end] != '\n') {
        end++;
      }
      lineNo++;
      int a = start;
      int b = end;
      while (a < b && isSpace(body[a])) {
        a++;
      }
      while (b > a && isSpace(body[b - 1])) {
        b--;
      }
      if (a < b) {
        byte[] raw = Arrays.copyOfRange(body, a, b);
        try {
          items.add(new Item(mapper.readTree(raw), raw, null));
          parsed++;
        } catch (JsonProcessingException e) {
          String err = "line " + lineNo + " is not valid JSON: " + e.getOriginalMessage();
          firstError = firstError == null ? err : firstError;
          items.add(new Item(null, raw, err));
        } catch (IOException e) {
          throw new BadBody("body cannot be read: " + e.getMessage());
        }
      }
      start = end + 1;
    }
    if (parsed == 0) {
      throw new BadBody(items.size() <= 1
          ? "body is not valid JSON: " + (firstError == null ? "no events" : firstError.replaceFirst(
              "^line \\d+ is not valid JSON: ", ""))
          : "body is not valid JSON or NDJSON: no line parses (" + firstError + ")");
    }
    return items;
  }

  private static boolean isSpace(byte c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
  }

  private static boolean isBlank(byte[] body) {
    for (byte c : body) {
      if (!isSpace(c)) {
        return false;
      }
    }
    return true;
  }

  private Response error(int status, String message) {
    return new Response(status, json(Map.of("error", message)));
  }

  private String json(Object value) {
    try {
      return mapper.writeValueAsString(value);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * Starts listening (port 0 picks a free port) on the hardened server of {@code relstream-http}: header
   * deadline, body rate, header and body limits, bounded concurrency, JSON errors (see that module).
   *
   * @param bind the address to bind (loopback unless a token is given)
   * @param token null, or the bearer token every route requires
   * @param health the body of {@code /health} and {@code /ready} (see {@link Health})
   * @return the bound address
   * @throws IllegalArgumentException for a non-loopback bind without a token
   */
  synchronized InetSocketAddress start(String bind, int port, String token, Supplier<Health> health)
      throws IOException {
    return start(bind, port, token, health, true);
  }

  /** As above; without {@code acceptEvents} only /health, /ready and /metrics are served (a streams-only process). */
  synchronized InetSocketAddress start(String bind, int port, String token, Supplier<Health> health,
      boolean acceptEvents) throws IOException {
    if (server != null) {
      throw new IllegalStateException("already started");
    }
    Routes routes = new Routes();
    if (acceptEvents) {
      routes.post("/events", r -> respond(handleEvents(r.body())))
          .addPrefix("DELETE", USERS, r -> respond(handleErasure(userOf(r))));
    }
    routes.get("/health", r -> health(health.get(), false))
        .get("/ready", r -> health(health.get(), true))
        .get("/metrics", r -> ApiResponse.text(200, "text/plain; version=0.0.4; charset=utf-8",
            metrics.prometheus() + health.get().gauges() + (backlog == null ? "" : backlog.gauges())
                + server.metrics().prometheus("relstream_ingest_collector")));
    HardenedHttpServer s = HardenedHttpServer.builder("collector").bind(bind).port(port).token(token)
        .limits(HttpLimits.defaults().withMaxBodyBytes(maxBodyBytes)).routes(routes).build();
    s.start();
    server = s;
    return new InetSocketAddress(bind, s.port());
  }

  /**
   * What {@code /health} and {@code /ready} say.
   *
   * @param healthy the process can take events ({@code /health} 200, else 503)
   * @param ready it also processes them now ({@code /ready} 200, else 503)
   * @param fields the JSON body: status and each component's state
   * @param gauges Prometheus lines for {@code /metrics} saying the same
   */
  record Health(boolean healthy, boolean ready, Map<String, Object> fields, String gauges) {}

  private static ApiResponse health(Health h, boolean readiness) {
    boolean ok = readiness ? h.ready() : h.healthy();
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("status", ok ? "up" : readiness ? "not ready" : "down");
    body.putAll(h.fields());
    return ApiResponse.json(ok ? 200 : 503, body);
  }

  private static ApiResponse respond(Response r) {
    ApiResponse a = new ApiResponse(r.status(), ApiResponse.JSON_TYPE, r.json().getBytes(StandardCharsets.UTF_8),
        Map.of());
    return r.status() == 503 ? a.withHeader("Retry-After", String.valueOf(r.retryAfterSeconds())) : a;
  }

  /** Stops the HTTP server (requests in flight get a short grace); the producer stays open. */
  @Override
  public synchronized void close() {
    if (server != null) {
      server.close();
      server = null;
    }
  }
}
