package io.relstream.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/** The JSON of error bodies: Jackson, so echoed text (control characters too) is escaped. */
final class Json {
  static final ObjectMapper MAPPER = new ObjectMapper();

  private Json() {}

  static byte[] error(String message) {
    try {
      return MAPPER.writeValueAsBytes(Map.of("error", message == null ? "error" : message));
    } catch (JsonProcessingException e) {
      return "{\"error\":\"unprintable error\"}".getBytes(StandardCharsets.US_ASCII);
    }
  }
}
