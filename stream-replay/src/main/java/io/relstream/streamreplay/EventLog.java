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
import io.relstream.schemas.avro.Interaction;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

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
    List<Interaction> joined = new ArrayList<>();
    LogJoin join = new LogJoin(Joiner.Settings.defaults(), joined::add);
    List<String> first = new ArrayList<>();
    long lines = 0;
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
      for (String line; (line = r.readLine()) != null; ) {
        lines++;
        bytes += line.length() + 1;
        if (lines % 10_000 == 0) {
          long now = Math.min(size, bytes);
          bar.advance(now - shown, lines + " lines");
          shown = now;
        }
        if (line.isBlank()) {
          continue;
        }
        Optional<String> bad = offer(join, line);
        if (bad.isPresent() && first.size() < SHOWN_REJECTIONS) {
          first.add(events.getFileName() + ":" + lines + ": " + bad.get());
        }
      }
    } catch (IOException e) {
      throw new DataFormatException(events + ": cannot read: " + e.getMessage());
    }
    join.finish();
    bar.finish(null);
    if (join.accepted() == 0) {
      throw new DataFormatException(events + ": no valid event in " + lines + " lines"
          + (first.isEmpty() ? "" : " (first: " + first.get(0) + ")"));
    }
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
    String name = "events:" + events.getFileName();
    Dataset dataset;
    try {
      dataset = new Dataset(name, users.size(), items.size(), new Ratings(tu, ti, tr), testRatings);
    } catch (IllegalArgumentException e) {
      throw new DataFormatException(events + ": " + e.getMessage());
    }
    return new EventLog(dataset, users.keySet().toArray(String[]::new), items.keySet().toArray(String[]::new),
        List.copyOf(joined), lines, join.accepted(), join.duplicates(), join.rejected(), List.copyOf(first));
  }

  private static Optional<String> offer(LogJoin join, String line) {
    JsonNode node;
    try {
      node = JSON.readTree(line);
    } catch (JsonProcessingException e) {
      return join.reject("not_json", "not JSON: " + e.getOriginalMessage());
    }
    EventValidator.Result r = EventValidator.validateLogged(node);
    if (!r.isValid()) {
      return join.reject(r.rejection().label(), r.reason());
    }
    return join.offer(r.event(), r.event().getArrivalTime());
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
