package io.relstream.serving;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Loopback HTTP helpers for the ITs. */
final class Http {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient CLIENT = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

  private Http() {}

  static HttpResponse<String> get(int port, String path) throws Exception {
    return CLIENT.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
        .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
  }

  static JsonNode json(int port, String path) throws Exception {
    HttpResponse<String> r = get(port, path);
    if (r.statusCode() != 200) {
      throw new AssertionError(path + " -> " + r.statusCode() + " " + r.body());
    }
    return JSON.readTree(r.body());
  }

  static List<String> items(JsonNode body) {
    List<String> out = new ArrayList<>();
    body.get("items").forEach(n -> out.add(n.get("item").asText()));
    return out;
  }

  /** The value of an unlabelled metric, or -1 when absent. */
  static long metric(int port, String name) throws Exception {
    String text = get(port, "/metrics").body();
    Matcher m = Pattern.compile("(?m)^" + Pattern.quote(name) + " (-?\\d+)$").matcher(text);
    return m.find() ? Long.parseLong(m.group(1)) : -1;
  }

  /** The sum of a labelled counter over its series, 0 when absent. */
  static long counterSum(int port, String name) throws Exception {
    String text = get(port, "/metrics").body();
    Matcher m = Pattern.compile("(?m)^" + Pattern.quote(name) + "\\{[^}]*\\} (\\d+)$").matcher(text);
    long sum = 0;
    while (m.find()) {
      sum += Long.parseLong(m.group(1));
    }
    return sum;
  }
}
