package io.relstream.http;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Strict percent-decoding of paths and queries (malformed escapes or UTF-8: a 400). */
public final class Uris {
  private Uris() {}

  /**
   * Decodes {@code %XY} escapes as UTF-8; {@code +} is a space only when {@code plusIsSpace} (queries).
   *
   * @throws ApiException 400 for a malformed escape or bytes that are not UTF-8
   */
  public static String percentDecode(String s, boolean plusIsSpace) throws ApiException {
    if (s.indexOf('%') < 0 && !(plusIsSpace && s.indexOf('+') >= 0)) {
      return s;
    }
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(s.length());
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '%') {
        if (i + 2 >= s.length()) {
          throw new ApiException(400, "malformed percent escape");
        }
        int hi = Character.digit(s.charAt(i + 1), 16);
        int lo = Character.digit(s.charAt(i + 2), 16);
        if (hi < 0 || lo < 0) {
          throw new ApiException(400, "malformed percent escape");
        }
        bytes.write(hi * 16 + lo);
        i += 2;
      } else if (c == '+' && plusIsSpace) {
        bytes.write(' ');
      } else {
        byte[] b = String.valueOf(c).getBytes(StandardCharsets.UTF_8);
        if (Character.isHighSurrogate(c) && i + 1 < s.length()) {
          b = s.substring(i, i + 2).getBytes(StandardCharsets.UTF_8);
          i++;
        }
        bytes.write(b, 0, b.length);
      }
    }
    try {
      return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes.toByteArray())).toString();
    } catch (CharacterCodingException e) {
      throw new ApiException(400, "percent escapes are not UTF-8");
    }
  }

  /** A raw query string as decoded parameters in order (a name without {@code =} has value ""). */
  public static Map<String, List<String>> parseQuery(String rawQuery) throws ApiException {
    if (rawQuery == null || rawQuery.isEmpty()) {
      return Map.of();
    }
    Map<String, List<String>> out = new LinkedHashMap<>();
    for (String pair : rawQuery.split("&")) {
      if (pair.isEmpty()) {
        continue;
      }
      int eq = pair.indexOf('=');
      String name = percentDecode(eq < 0 ? pair : pair.substring(0, eq), true);
      String value = eq < 0 ? "" : percentDecode(pair.substring(eq + 1), true);
      out.computeIfAbsent(name, n -> new ArrayList<>()).add(value);
    }
    out.replaceAll((k, v) -> Collections.unmodifiableList(v));
    return Collections.unmodifiableMap(out);
  }
}
