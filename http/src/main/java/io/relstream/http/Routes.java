package io.relstream.http;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.eclipse.jetty.server.Handler;

/**
 * The route table: method + path (exact, or a prefix ending in {@code /}) to an {@link ApiHandler},
 * and path prefixes to streaming Jetty {@link Handler}s. Matching is on the decoded path: an exact
 * path first, then the longest prefix. A known path with another method is a 405 with
 * {@code Allow}; a GET route answers HEAD too. Unknown paths are 404.
 *
 * <pre>{@code
 * Routes routes = new Routes()
 *     .get("/health", r -> ApiResponse.json(200, Map.of("status", "up")))
 *     .getPrefix("/recommend/", this::recommend)
 *     .post("/events", this::events);
 * }</pre>
 */
public final class Routes {
  private final Map<String, Map<String, ApiHandler>> exact = new LinkedHashMap<>();
  private final Map<String, Map<String, ApiHandler>> prefixes = new LinkedHashMap<>();
  private final Map<String, Handler> streaming = new LinkedHashMap<>();

  public Routes get(String path, ApiHandler h) {
    return add("GET", path, h);
  }

  public Routes post(String path, ApiHandler h) {
    return add("POST", path, h);
  }

  public Routes getPrefix(String prefix, ApiHandler h) {
    return addPrefix("GET", prefix, h);
  }

  public Routes postPrefix(String prefix, ApiHandler h) {
    return addPrefix("POST", prefix, h);
  }

  /** An exact path. */
  public Routes add(String method, String path, ApiHandler h) {
    checkPath(path);
    put(exact, method, path, h);
    return this;
  }

  /** Every path that starts with {@code prefix}, which must end in {@code /}. */
  public Routes addPrefix(String method, String prefix, ApiHandler h) {
    checkPath(prefix);
    if (!prefix.endsWith("/")) {
      throw new IllegalArgumentException("a prefix ends in '/': " + prefix);
    }
    put(prefixes, method, prefix, h);
    return this;
  }

  /**
   * Hands every request under {@code prefix} (ending in {@code /}; the path without the final slash
   * counts too), any method, to a Jetty handler
   * that streams (a proxy, say). Before it runs the server has checked the token, the URI, the
   * header limits, {@code Content-Length} against {@code maxBodyBytes}, and taken a concurrency
   * slot that is held until the handler's callback completes. The body is NOT read, decoded,
   * rate-checked or size-checked when chunked: that is the handler's job. Jetty's own errors and
   * {@code Response.writeError} still give JSON.
   */
  public Routes streaming(String prefix, Handler handler) {
    checkPath(prefix);
    if (!prefix.endsWith("/")) {
      throw new IllegalArgumentException("a prefix ends in '/': " + prefix);
    }
    streaming.put(prefix, handler);
    return this;
  }

  private static void checkPath(String path) {
    if (!path.startsWith("/")) {
      throw new IllegalArgumentException("a path starts with '/': " + path);
    }
  }

  private static void put(Map<String, Map<String, ApiHandler>> table, String method, String path, ApiHandler h) {
    if (table.computeIfAbsent(path, p -> new LinkedHashMap<>()).putIfAbsent(method, h) != null) {
      throw new IllegalArgumentException("route given twice: " + method + " " + path);
    }
  }

  Map<String, Handler> streamingHandlers() {
    return streaming;
  }

  /** What a decoded path matches. */
  record Match(String pattern, Map<String, ApiHandler> methods, Handler streaming) {
    /** The handler for a method (HEAD falls back to GET), or null. */
    ApiHandler handler(String method) {
      ApiHandler h = methods.get(method);
      return h == null && method.equals("HEAD") ? methods.get("GET") : h;
    }

    String allow() {
      Set<String> m = new TreeSet<>(methods.keySet());
      if (m.contains("GET")) {
        m.add("HEAD");
      }
      return String.join(", ", m);
    }
  }

  /** The match for a decoded path, or null. */
  Match match(String path) {
    Map<String, ApiHandler> e = exact.get(path);
    if (e != null) {
      return new Match(path, e, null);
    }
    List<String> candidates = new ArrayList<>();
    for (String p : prefixes.keySet()) {
      if (path.startsWith(p)) {
        candidates.add(p);
      }
    }
    for (String p : streaming.keySet()) {
      if (path.startsWith(p) || (path + "/").equals(p)) { // "/events/" streams "/events" itself too
        candidates.add(p);
      }
    }
    String best = candidates.stream().max(Comparator.comparingInt(String::length)).orElse(null);
    if (best == null) {
      return null;
    }
    Handler s = streaming.get(best);
    return s != null ? new Match(best, Map.of(), s) : new Match(best, prefixes.get(best), null);
  }
}
