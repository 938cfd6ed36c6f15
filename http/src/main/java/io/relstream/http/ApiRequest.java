package io.relstream.http;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A request as a handler sees it: everything has been received and checked.
 *
 * @param method the method (HEAD is served by GET routes; the server drops the body)
 * @param path the percent-decoded path (strict UTF-8)
 * @param rawPath the path as sent, still percent-encoded (split it yourself when segments may hold
 *     an encoded {@code /})
 * @param query query parameters, percent-decoded ({@code +} is a space), in order, repeats kept
 * @param headers header values by lower-case name
 * @param body the body, gzip already decoded, at most {@link HttpLimits#maxBodyBytes()} bytes
 *     (empty when none)
 * @param remoteAddress the peer's address, for logging
 * @param rawQuery the query as sent, still percent-encoded, or null when there is none (split it yourself
 *     when a separator inside a value, such as {@code ,}, must differ from its escape {@code %2C})
 */
public record ApiRequest(String method, String path, String rawPath, Map<String, List<String>> query,
    Map<String, List<String>> headers, byte[] body, String remoteAddress, String rawQuery) {

  /** A request without a raw query string (the decoded {@code query} only). */
  public ApiRequest(String method, String path, String rawPath, Map<String, List<String>> query,
      Map<String, List<String>> headers, byte[] body, String remoteAddress) {
    this(method, path, rawPath, query, headers, body, remoteAddress, null);
  }

  /** The single value of a query parameter, or null; {@link ApiException} 400 if given twice. */
  public String param(String name) throws ApiException {
    List<String> v = query.get(name);
    if (v == null || v.isEmpty()) {
      return null;
    }
    if (v.size() > 1) {
      throw new ApiException(400, name + " given more than once");
    }
    return v.get(0);
  }

  /** The first value of a header (any case), or null. */
  public String header(String name) {
    List<String> v = headers.get(name.toLowerCase(Locale.ROOT));
    return v == null || v.isEmpty() ? null : v.get(0);
  }

  /** The body as UTF-8 text. */
  public String bodyText() {
    return new String(body, StandardCharsets.UTF_8);
  }
}
