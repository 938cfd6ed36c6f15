package io.relstream.serving;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;

/**
 * The binary format of every value serving writes to RocksDB. Big-endian; each value starts with a
 * 4-byte header: magic {@code 'R' 'S'} (0x52 0x53), format version {@value #VERSION}, type byte.
 * <pre>
 *   USER  'U': modelVersion i64, timestamp i64, dim i32, dim x f32
 *   ITEM  'I': modelVersion i64, timestamp i64, propensity f64, clicks f64, dim i32, dim x f32
 *   CLICK 'C': timestamp i64                       (a user's click on an item; the key says which)
 *   LONG  'L': value i64                           (meta: offsets, model version, counters)
 * </pre>
 * A decoder rejects any other magic, version or type, and any length that does not match exactly,
 * with {@link IllegalArgumentException}. A new layout gets a new version byte; this class then keeps
 * reading the old one.
 */
final class Values {
  static final byte MAGIC_0 = 'R';
  static final byte MAGIC_1 = 'S';
  static final byte VERSION = 1;
  static final byte USER = 'U';
  static final byte ITEM = 'I';
  static final byte CLICK = 'C';
  static final byte LONG = 'L';
  private static final int HEADER = 4;

  private Values() {}

  /** A user's factors. */
  record UserRow(float[] vector, long modelVersion, long timestamp) {}

  /** An item's factors, its propensity &theta; and its decayed click count. */
  record ItemRow(float[] vector, double propensity, double clicks, long modelVersion, long timestamp) {}

  static byte[] encodeUser(UserRow row) {
    ByteBuffer b = header(USER, 8 + 8 + 4 + 4 * row.vector().length);
    b.putLong(row.modelVersion()).putLong(row.timestamp());
    putVector(b, row.vector());
    return b.array();
  }

  static UserRow decodeUser(byte[] bytes) {
    ByteBuffer b = open(bytes, USER);
    try {
      long version = b.getLong();
      long ts = b.getLong();
      float[] v = getVector(b);
      end(b);
      return new UserRow(v, version, ts);
    } catch (BufferUnderflowException e) {
      throw truncated(USER);
    }
  }

  static byte[] encodeItem(ItemRow row) {
    ByteBuffer b = header(ITEM, 8 + 8 + 8 + 8 + 4 + 4 * row.vector().length);
    b.putLong(row.modelVersion()).putLong(row.timestamp()).putDouble(row.propensity()).putDouble(row.clicks());
    putVector(b, row.vector());
    return b.array();
  }

  static ItemRow decodeItem(byte[] bytes) {
    ByteBuffer b = open(bytes, ITEM);
    try {
      long version = b.getLong();
      long ts = b.getLong();
      double propensity = b.getDouble();
      double clicks = b.getDouble();
      float[] v = getVector(b);
      end(b);
      return new ItemRow(v, propensity, clicks, version, ts);
    } catch (BufferUnderflowException e) {
      throw truncated(ITEM);
    }
  }

  static byte[] encodeClick(long timestamp) {
    return header(CLICK, 8).putLong(timestamp).array();
  }

  static long decodeClick(byte[] bytes) {
    return decodeFixedLong(bytes, CLICK);
  }

  static byte[] encodeLong(long value) {
    return header(LONG, 8).putLong(value).array();
  }

  static long decodeLong(byte[] bytes) {
    return decodeFixedLong(bytes, LONG);
  }

  private static long decodeFixedLong(byte[] bytes, byte type) {
    ByteBuffer b = open(bytes, type);
    try {
      long v = b.getLong();
      end(b);
      return v;
    } catch (BufferUnderflowException e) {
      throw truncated(type);
    }
  }

  private static ByteBuffer header(byte type, int payload) {
    return ByteBuffer.allocate(HEADER + payload).put(MAGIC_0).put(MAGIC_1).put(VERSION).put(type);
  }

  private static ByteBuffer open(byte[] bytes, byte type) {
    if (bytes == null || bytes.length < HEADER || bytes[0] != MAGIC_0 || bytes[1] != MAGIC_1) {
      throw new IllegalArgumentException("not a relstream serving value (bad magic)");
    }
    if (bytes[2] != VERSION) {
      throw new IllegalArgumentException("unsupported value format version " + bytes[2]);
    }
    if (bytes[3] != type) {
      throw new IllegalArgumentException("expected a value of type " + (char) type + ", got " + (char) bytes[3]);
    }
    return ByteBuffer.wrap(bytes, HEADER, bytes.length - HEADER);
  }

  private static void putVector(ByteBuffer b, float[] v) {
    b.putInt(v.length);
    for (float x : v) {
      b.putFloat(x);
    }
  }

  private static float[] getVector(ByteBuffer b) {
    int dim = b.getInt();
    if (dim < 0 || dim > b.remaining() / 4) {
      throw new IllegalArgumentException("corrupt value: dimension " + dim + " exceeds the bytes left");
    }
    float[] v = new float[dim];
    for (int j = 0; j < dim; j++) {
      v[j] = b.getFloat();
    }
    return v;
  }

  private static void end(ByteBuffer b) {
    if (b.hasRemaining()) {
      throw new IllegalArgumentException("corrupt value: " + b.remaining() + " trailing bytes");
    }
  }

  private static IllegalArgumentException truncated(byte type) {
    return new IllegalArgumentException("corrupt value: truncated " + (char) type + " value");
  }
}
