package io.relstream.streamreplay;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.relstream.core.data.DataFormatException;
import io.relstream.core.data.Dataset;
import io.relstream.core.data.Ratings;
import io.relstream.core.progress.ProgressBar;
import io.relstream.events.EventValidator;
import io.relstream.events.Joiner;
import io.relstream.events.LogJoin;
import io.relstream.schemas.Codecs;
import io.relstream.schemas.avro.Event;
import io.relstream.schemas.avro.Interaction;
import io.relstream.schemas.avro.InteractionSource;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * An own event log ({@code --events FILE.ndjson}, the collector's format: one JSON event per line) with a
 * test set ({@code --test FILE}: {@code user TAB item TAB value}), turned into what the replay trains and
 * evaluates on.
 *
 * <p>Each line is validated by the collector's rules ({@link EventValidator#validateLogged}: a log line has no
 * arrival time, so the lead rule cannot apply) and the valid events are de-duplicated and joined by the ingest
 * app's rules ({@link LogJoin}, default window and retention), in file order as one partition; at the end of
 * the input stream time passes every deadline, so held impressions and clicks are resolved, not lost. An
 * invalid line is skipped and counted by reason; the first ten are kept as {@code file:line: reason}.
 *
 * <p>An erasure of a user on the events topic (a record of {@link #fromTopic}; the collector's log format has
 * none) is applied as training applies it: the join emits an {@code ERASE_USER} marker in the user's order, and
 * the marker removes the user's interactions joined so far and is not itself an interaction, so the replay
 * trains and evaluates on what the live system keeps.
 *
 * <p>The interactions, in time order (stable), are the stream. Users and items get dense indices in order of
 * first appearance, the interactions' first, then the test set's. For the {@code -batch} models and the
 * metrics, a clicked interaction is a relevant training rating (5) and an unclicked one an observed,
 * irrelevant one (1). A test file whose values are all 0 and 1 holds labels (1 relevant); otherwise every
 * value must be a rating 1-5 (relevant from 4, as for the shipped data sets).
 *
 * @param dataset the training interactions and the test set over one index space
 * @param userIds the id of each user index
 * @param itemIds the id of each item index
 * @param interactions the joined interactions in time order
 * @param lines lines of the file (records of a topic)
 * @param rejected invalid lines by reason label
 * @param firstRejections up to ten {@code file:line: reason}
 */
record EventLog(Dataset dataset, String[] userIds, String[] itemIds, List<Interaction> interactions, long lines,
    long accepted, long duplicates, Map<String, Long> rejected, List<String> firstRejections) {
  static final int SHOWN_REJECTIONS = 10;
  private static final ObjectMapper JSON = new ObjectMapper();

  /**
   * Reads and joins {@code events}, reads {@code test}.
   *
   * @throws DataFormatException for an unreadable file, a malformed test line, or a log without one valid event
   */
  static EventLog read(Path events, Path test, PrintStream progress) throws DataFormatException {
    Collector c = new Collector();
    long size;
    try {
      size = Files.size(events);
    } catch (IOException e) {
      throw new DataFormatException(events + ": cannot read: " + e.getMessage());
    }
    ProgressBar bar = new ProgressBar(progress, "reading " + events.getFileName(), Math.max(1, size));
    try (BufferedReader r = Files.newBufferedReader(events, StandardCharsets.UTF_8)) {
      long bytes = 0;
      long shown = 0;
      long lineNo = 0;
      for (String line; (line = r.readLine()) != null; ) {
        lineNo++;
        bytes += line.length() + 1;
        if (lineNo % 10_000 == 0) {
          long now = Math.min(size, bytes);
          bar.advance(now - shown, lineNo + " lines");
          shown = now;
        }
        if (!line.isBlank()) {
          c.line(0, events.getFileName() + ":" + lineNo, line);
        } else {
          c.records++;
        }
      }
    } catch (IOException e) {
      throw new DataFormatException(events + ": cannot read: " + e.getMessage());
    }
    bar.finish(null);
    return c.build(events.toString(), "lines", "events:" + events.getFileName(), test);
  }

  /**
   * Reads the events topic ({@code --from-topic}): every partition from the first record at or after
   * {@code fromTime} (epoch ms; null: the beginning) up to the end offsets at the start of the read,
   * read committed, skipping records stamped after {@code toTime} (null: no bound). Each partition is joined
   * in offset order with its own stream time, as the ingest app does; a record's Kafka timestamp is the
   * arrival time of an event without a stamped one.
   */
  static EventLog fromTopic(String bootstrap, String topic, Long fromTime, Long toTime, Path test,
      PrintStream progress) throws DataFormatException {
    Map<String, Object> props = Map.of(
        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
        ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
        ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
        ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, 4 << 20,
        ConsumerConfig.REQUEST_TIMEOUT_MS_CONFIG, 15_000,
        ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 30_000,
        ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class,
        ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
    Collector c = new Collector();
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props)) {
      List<PartitionInfo> infos = consumer.partitionsFor(topic, Duration.ofSeconds(30));
      if (infos == null || infos.isEmpty()) {
        throw new DataFormatException("topic '" + topic + "' not found on " + bootstrap);
      }
      List<TopicPartition> parts = infos.stream().map(i -> new TopicPartition(topic, i.partition())).toList();
      consumer.assign(parts);
      Map<TopicPartition, Long> end = consumer.endOffsets(parts, Duration.ofSeconds(30));
      Map<TopicPartition, Long> start = new LinkedHashMap<>();
      if (fromTime == null) {
        start.putAll(consumer.beginningOffsets(parts, Duration.ofSeconds(30)));
      } else {
        Map<TopicPartition, Long> query = new LinkedHashMap<>();
        parts.forEach(tp -> query.put(tp, fromTime));
        consumer.offsetsForTimes(query, Duration.ofSeconds(30))
            .forEach((tp, o) -> start.put(tp, o == null ? end.get(tp) : o.offset()));
      }
      long total = 0;
      for (TopicPartition tp : parts) {
        consumer.seek(tp, start.get(tp));
        total += Math.max(0, end.get(tp) - start.get(tp));
      }
      ProgressBar bar = new ProgressBar(progress, "reading " + topic, Math.max(1, total));
      java.util.Set<TopicPartition> open = new java.util.HashSet<>();
      for (TopicPartition tp : parts) {
        if (start.get(tp) < end.get(tp)) {
          open.add(tp);
        }
      }
      long idle = System.nanoTime();
      while (!open.isEmpty()) {
        ConsumerRecords<byte[], byte[]> batch = consumer.poll(Duration.ofMillis(500));
        long read = 0;
        for (ConsumerRecord<byte[], byte[]> rec : batch) {
          TopicPartition tp = new TopicPartition(rec.topic(), rec.partition());
          if (!open.contains(tp)) {
            continue;
          }
          if (rec.offset() >= end.get(tp)) {
            open.remove(tp);
            continue;
          }
          read++;
          if (toTime == null || rec.timestamp() <= toTime) {
            c.record(rec.partition(), topic + "-" + rec.partition() + "@" + rec.offset(), rec.value(), rec.timestamp());
          }
          if (rec.offset() + 1 >= end.get(tp)) {
            open.remove(tp);
          }
        }
        // transaction markers and aborted records occupy offsets no record is returned for
        for (TopicPartition tp : List.copyOf(open)) {
          if (consumer.position(tp) >= end.get(tp)) {
            open.remove(tp);
          }
        }
        if (read > 0) {
          bar.advance(read, c.records + " records");
          idle = System.nanoTime();
        } else if (System.nanoTime() - idle > TimeUnit.SECONDS.toNanos(60)) {
          throw new DataFormatException("topic '" + topic + "': no record for 60 s before the end offsets " + end);
        }
      }
      bar.finish(null);
    } catch (KafkaException e) {
      throw new DataFormatException("cannot read topic '" + topic + "' from " + bootstrap + ": " + e.getMessage());
    }
    return c.build("topic '" + topic + "'", "records", "events:topic-" + topic, test);
  }

  /**
   * Events partition by partition, each partition's in its order, as the ingest app joins them: one
   * {@link LogJoin} (one stream time) per partition.
   */
  static final class Collector {
    private final Map<Integer, LogJoin> joins = new TreeMap<>();
    private final List<Interaction> joined = new ArrayList<>();
    private final Map<String, Long> rejectedBefore = new TreeMap<>();
    private final List<String> first = new ArrayList<>();
    long records;

    private LogJoin join(int partition) {
      return joins.computeIfAbsent(partition, p -> new LogJoin(Joiner.Settings.defaults(), this::take));
    }

    /** A joined interaction; an erasure's marker removes its user's interactions so far instead. */
    private void take(Interaction i) {
      if (i.getSource() == InteractionSource.ERASE_USER) {
        joined.removeIf(x -> x.getUser().equals(i.getUser()));
        return;
      }
      joined.add(i);
    }

    /** One JSON line (the collector's format) of {@code partition}; {@code where} names it in a rejection. */
    void line(int partition, String where, String line) {
      records++;
      JsonNode node;
      try {
        node = JSON.readTree(line);
      } catch (JsonProcessingException e) {
        rejected(where, "not_json", "not JSON: " + e.getOriginalMessage());
        return;
      }
      EventValidator.Result r = EventValidator.validateLogged(node);
      if (!r.isValid()) {
        rejected(where, r.rejection().label(), r.reason());
        return;
      }
      join(partition).offer(r.event(), r.event().getArrivalTime()).ifPresent(why -> noteFirst(where, why));
    }

    /** One record of the events topic (an Avro {@link Event}) with its Kafka timestamp. */
    void record(int partition, String where, byte[] value, long recordTimestamp) {
      records++;
      Event e;
      try {
        e = Codecs.EVENT.decode(value);
      } catch (IllegalArgumentException | NullPointerException bad) {
        rejected(where, "undecodable", "undecodable event: " + bad.getMessage());
        return;
      }
      join(partition).offer(e, recordTimestamp).ifPresent(why -> noteFirst(where, why));
    }

    private void rejected(String where, String label, String reason) {
      rejectedBefore.merge(label, 1L, Long::sum);
      noteFirst(where, reason);
    }

    private void noteFirst(String where, String reason) {
      if (first.size() < SHOWN_REJECTIONS) {
        first.add(where + ": " + reason);
      }
    }

    /** Ends every partition's log and reads the test set. */
    EventLog build(String source, String unit, String name, Path test) throws DataFormatException {
      long accepted = 0;
      long duplicates = 0;
      Map<String, Long> rejected = new TreeMap<>(rejectedBefore);
      for (LogJoin j : joins.values()) {
        j.finish();
        accepted += j.accepted();
        duplicates += j.duplicates();
        j.rejected().forEach((k, v) -> rejected.merge(k, v, Long::sum));
      }
      if (accepted == 0) {
        throw new DataFormatException(source + ": no valid event in " + records + " " + unit
            + (first.isEmpty() ? "" : " (first: " + first.get(0) + ")"));
      }
      return EventLog.of(joined, test, name, records, accepted, duplicates, rejected, first, source);
    }
  }

  private static EventLog of(List<Interaction> interactions, Path test, String name, long records, long accepted,
      long duplicates, Map<String, Long> rejected, List<String> first, String source) throws DataFormatException {
    List<Interaction> joined = new ArrayList<>(interactions);
    joined.sort(Comparator.comparingLong(Interaction::getTimestamp));
    Map<String, Integer> users = new LinkedHashMap<>();
    Map<String, Integer> items = new LinkedHashMap<>();
    int n = joined.size();
    int[] tu = new int[n];
    int[] ti = new int[n];
    byte[] tr = new byte[n];
    for (int k = 0; k < n; k++) {
      Interaction i = joined.get(k);
      tu[k] = users.computeIfAbsent(i.getUser(), x -> users.size());
      ti[k] = items.computeIfAbsent(i.getItem(), x -> items.size());
      tr[k] = (byte) (i.getLabel() == 1 ? 5 : 1);
    }
    Ratings testRatings = readTest(test, users, items);
    Dataset dataset;
    try {
      dataset = new Dataset(name, users.size(), items.size(), new Ratings(tu, ti, tr), testRatings);
    } catch (IllegalArgumentException e) {
      throw new DataFormatException(source + ": " + e.getMessage());
    }
    return new EventLog(dataset, users.keySet().toArray(String[]::new), items.keySet().toArray(String[]::new),
        List.copyOf(joined), records, accepted, duplicates, Collections.unmodifiableMap(new TreeMap<>(rejected)),
        List.copyOf(first));
  }

  /** {@code user TAB item TAB value} lines; ids not in the log get new indices. */
  static Ratings readTest(Path test, Map<String, Integer> users, Map<String, Integer> items)
      throws DataFormatException {
    List<String[]> rows = new ArrayList<>();
    boolean labels = true;
    try (BufferedReader r = Files.newBufferedReader(test, StandardCharsets.UTF_8)) {
      int lineNo = 0;
      for (String line; (line = r.readLine()) != null; ) {
        lineNo++;
        if (line.isBlank()) {
          continue;
        }
        String[] f = line.split("\t", -1);
        if (f.length != 3 || f[0].isEmpty() || f[1].isEmpty()) {
          throw new DataFormatException(test.getFileName() + ":" + lineNo + ": expected user TAB item TAB value, got "
              + abbreviate(line));
        }
        int v;
        try {
          v = Integer.parseInt(f[2].strip());
        } catch (NumberFormatException e) {
          throw new DataFormatException(test.getFileName() + ":" + lineNo + ": value " + abbreviate(f[2])
              + " is not an integer (0/1 labels or ratings 1-5)");
        }
        if (v < 0 || v > 5) {
          throw new DataFormatException(test.getFileName() + ":" + lineNo + ": value " + v
              + " is neither a 0/1 label nor a rating 1-5");
        }
        labels &= v <= 1;
        rows.add(new String[] {f[0], f[1], Integer.toString(v), Integer.toString(lineNo)});
      }
    } catch (IOException e) {
      throw new DataFormatException(test + ": cannot read: " + e.getMessage());
    }
    if (rows.isEmpty()) {
      throw new DataFormatException(test + ": no test line");
    }
    int[] u = new int[rows.size()];
    int[] i = new int[rows.size()];
    byte[] v = new byte[rows.size()];
    for (int k = 0; k < rows.size(); k++) {
      String[] row = rows.get(k);
      int value = Integer.parseInt(row[2]);
      if (!labels && value == 0) {
        throw new DataFormatException(test.getFileName() + ":" + row[3] + ": value 0 in a file of ratings 1-5");
      }
      u[k] = users.computeIfAbsent(row[0], x -> users.size());
      i[k] = items.computeIfAbsent(row[1], x -> items.size());
      v[k] = (byte) (labels ? (value == 1 ? 5 : 1) : value);
    }
    return new Ratings(u, i, v);
  }

  private static String abbreviate(String s) {
    return s.length() <= 60 ? "'" + s + "'" : "'" + s.substring(0, 60) + "...'";
  }
}
