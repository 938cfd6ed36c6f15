package io.relstream.demo;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.relstream.core.data.CoatReader;
import io.relstream.core.data.DataFormatException;
import io.relstream.core.data.Dataset;
import io.relstream.core.data.Ratings;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * Turns a shipped data set into the collector's JSON events, in time order.
 *
 * <ul>
 *   <li>Coat: every training rating is an impression of that item to that user, and a rating &gt;= 4
 *       is also a click on it, 30 s later. Ratings are spread two minutes apart, ending an hour
 *       before {@code endMillis}, user by user.
 *   <li>Open Bandit (the uniform-random policy's men and women campaigns): every row is an impression
 *       with its position and the logging policy's propensity, a click follows when the row clicked.
 *       The user is a hash of the four user-feature columns; items are prefixed by campaign. Times
 *       keep the log's gaps, shifted so the last row is an hour before {@code endMillis}.
 * </ul>
 */
final class DatasetEvents {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final long HOUR = 3_600_000L;

  private DatasetEvents() {}

  static List<ObjectNode> coat(Path dir, long endMillis) throws DataFormatException {
    Dataset d = CoatReader.read(dir);
    Ratings r = d.train();
    long step = 120_000L;
    long start = endMillis - HOUR - step * r.size();
    List<ObjectNode> out = new ArrayList<>();
    for (int k = 0; k < r.size(); k++) {
      String user = "coat-u" + r.users()[k];
      String item = "coat-i" + r.items()[k];
      long t = start + step * k;
      out.add(impression("coat-imp-" + r.users()[k] + "-" + r.items()[k], user, item, t, null, null, null));
      if (r.relevant(k)) {
        out.add(click("coat-clk-" + r.users()[k] + "-" + r.items()[k], user, item, t + 30_000L, null));
      }
    }
    return out;
  }

  static List<ObjectNode> openBandit(Path dir, long endMillis) throws IOException {
    List<String[]> rows = new ArrayList<>();
    for (String campaign : new String[] {"men", "women"}) {
      Path file = dir.resolve("random").resolve(campaign).resolve(campaign + ".csv");
      try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
        String header = in.readLine();
        if (header == null) throw new IOException(file + ": empty");
        String line;
        long lineNo = 1;
        while ((line = in.readLine()) != null) {
          lineNo++;
          String[] f = line.split(",", -1);
          if (f.length < 10) throw new IOException(file + ":" + lineNo + ": expected at least 10 columns");
          rows.add(new String[] {campaign, f[0], f[1], f[2], f[3], f[4], f[5], f[6] + f[7] + f[8] + f[9]});
        }
      }
    }
    DateTimeFormatter fmt = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss[.SSSSSS]xxx");
    long[] times = new long[rows.size()];
    long last = Long.MIN_VALUE;
    for (int k = 0; k < rows.size(); k++) {
      times[k] = OffsetDateTime.parse(rows.get(k)[2], fmt).toInstant().toEpochMilli();
      last = Math.max(last, times[k]);
    }
    Integer[] order = new Integer[rows.size()];
    for (int k = 0; k < order.length; k++) order[k] = k;
    java.util.Arrays.sort(order, (a, b) -> Long.compare(times[a], times[b]));
    long shift = endMillis - HOUR - last;
    List<ObjectNode> out = new ArrayList<>();
    for (int k : order) {
      String[] r = rows.get(k);
      String campaign = r[0];
      String id = "obd-" + campaign + "-" + r[1];
      String user = "obd-u" + sha1(r[7]).substring(0, 12);
      String item = "obd-" + campaign + "-i" + r[3];
      long t = times[k] + shift;
      String request = "obd-" + campaign + "-" + times[k];
      out.add(impression(id + "-imp", user, item, t, request, Integer.parseInt(r[4]), Double.parseDouble(r[6])));
      if (r[5].equals("1")) {
        out.add(click(id + "-clk", user, item, t + 1_000L, request));
      }
    }
    return out;
  }

  static ObjectNode impression(String id, String user, String item, long t, String request, Integer position,
      Double propensity) {
    ObjectNode n = JSON.createObjectNode().put("type", "impression").put("eventId", id).put("user", user)
        .put("item", item).put("timestamp", t);
    if (request != null) n.put("requestId", request);
    if (position != null) n.put("position", position);
    if (propensity != null) n.put("propensity", propensity);
    return n;
  }

  static ObjectNode click(String id, String user, String item, long t, String request) {
    ObjectNode n = JSON.createObjectNode().put("type", "click").put("eventId", id).put("user", user)
        .put("item", item).put("timestamp", t);
    if (request != null) n.put("requestId", request);
    return n;
  }

  private static String sha1(String s) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-1").digest(s.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
