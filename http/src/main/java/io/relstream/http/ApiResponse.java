package io.relstream.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What a handler answers: status, content type, body and extra headers (Content-Type and
 * Content-Length are set by the server).
 */
public record ApiResponse(int status, String contentType, byte[] body, Map<String, String> headers) {
  public static final String JSON_TYPE = "application/json";

  public ApiResponse {
    headers = Map.copyOf(headers);
  }

  /** {@code body} serialized with Jackson. */
  public static ApiResponse json(int status, Object body) {
    try {
      return new ApiResponse(status, JSON_TYPE, Json.MAPPER.writeValueAsBytes(body), Map.of());
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("not serializable as JSON: " + body.getClass(), e);
    }
  }

  /** {@code {"error": message}}. */
  public static ApiResponse error(int status, String message) {
    return new ApiResponse(status, JSON_TYPE, Json.error(message), Map.of());
  }

  public static ApiResponse text(int status, String contentType, String body) {
    return new ApiResponse(status, contentType, body.getBytes(StandardCharsets.UTF_8), Map.of());
  }

  /** This response with one more header. */
  public ApiResponse withHeader(String name, String value) {
    Map<String, String> h = new LinkedHashMap<>(headers);
    h.put(name, value);
    return new ApiResponse(status, contentType, body, h);
  }
}
