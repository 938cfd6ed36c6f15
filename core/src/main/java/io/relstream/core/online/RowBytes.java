package io.relstream.core.online;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/** Pieces the row layouts of {@link OnlineTrainer} and {@link OnlinePropensity} share when reading a row. */
final class RowBytes {
  private RowBytes() {}

  /** Ids are at most 1 MiB of UTF-8 (the events' own rule is far stricter). */
  static final int MAX_ID_BYTES = 1 << 20;

  /** An int length and that many UTF-8 bytes. */
  static String readId(ByteBuffer r) {
    int len = r.getInt();
    if (len < 0 || len > MAX_ID_BYTES) {
      throw new IllegalArgumentException("bad id length " + len);
    }
    byte[] id = new byte[len];
    r.get(id);
    return new String(id, StandardCharsets.UTF_8);
  }

  /** An int index in [0, bound), else IllegalArgumentException naming {@code what}. */
  static int readIndex(ByteBuffer r, int bound, String what) {
    int index = r.getInt();
    if (index < 0 || index >= bound) {
      throw new IllegalArgumentException(what + " " + index + " outside the " + bound + " the globals count");
    }
    return index;
  }
}
