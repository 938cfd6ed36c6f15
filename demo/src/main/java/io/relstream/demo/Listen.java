package io.relstream.demo;

import io.relstream.http.BearerToken;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.net.http.HttpRequest;
import java.util.List;
import java.util.Map;

/**
 * Where the demo's HTTP servers listen: one bind address for the front and every child (the same
 * {@code --bind} is passed to each), and the bearer token every route then requires. The token travels
 * to the children in {@value BearerToken#ENV}, never on a command line ({@code ps} shows those). The
 * broker listens on loopback whatever the bind: only the demo's own processes talk to it.
 *
 * @param bind the address to bind, 127.0.0.1 by default
 * @param token null, or the bearer token (required when {@code bind} is beyond loopback)
 */
record Listen(String bind, String token) {
  static final Listen LOOPBACK = new Listen("127.0.0.1", null);

  /**
   * @throws IllegalArgumentException for an address that does not resolve, or one beyond loopback
   *     without a token
   */
  Listen {
    token = BearerToken.resolve(token);
    if (token == null && !address(bind).isLoopbackAddress()) {
      throw new IllegalArgumentException("--bind " + bind + " is beyond loopback: give --token too");
    }
  }

  /** The host the demo itself connects to its children on (loopback for a wildcard bind). */
  String connectHost() {
    InetAddress a = address(bind);
    if (a.isAnyLocalAddress()) {
      return "127.0.0.1";
    }
    String h = a.getHostAddress();
    return h.contains(":") ? "[" + h + "]" : h;
  }

  /** The options each HTTP child gets. */
  List<String> childArgs() {
    return List.of("--bind", bind);
  }

  /** The environment each child gets on top of the demo's own. */
  Map<String, String> childEnv() {
    return token == null ? Map.of() : Map.of(BearerToken.ENV, token);
  }

  /** {@code b} with the Authorization header when there is a token. */
  HttpRequest.Builder authorize(HttpRequest.Builder b) {
    return token == null ? b : b.header("Authorization", "Bearer " + token);
  }

  /** Never prints the token. */
  @Override
  public String toString() {
    return "Listen[bind=" + bind + ", token=" + (token == null ? "none" : "(set)") + "]";
  }

  private static InetAddress address(String bind) {
    try {
      return InetAddress.getByName(bind);
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException("--bind: cannot resolve '" + bind + "'");
    }
  }
}
