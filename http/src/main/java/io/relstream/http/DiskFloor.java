package io.relstream.http;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Free space of the file system that holds a directory, against a floor: the check behind the
 * {@code "disk"} object of every {@code /health} ({@code {"path", "freeBytes", "floorBytes", "ok"}}).
 * The directory need not exist yet: its nearest existing ancestor is measured. Free means usable
 * by this JVM ({@link java.nio.file.FileStore#getUsableSpace()}). Thread-safe, no caching: each
 * {@link #check()} asks the file system (a statfs call, microseconds).
 */
public final class DiskFloor {
  /** 1 GiB. */
  public static final long DEFAULT_FLOOR_BYTES = 1L << 30;
  /** The default of {@code --min-free-disk-mb}. */
  public static final long DEFAULT_FLOOR_MB = DEFAULT_FLOOR_BYTES >> 20;

  private final Path path;
  private final long floorBytes;

  /** @param floorBytes at least this many bytes must be free (0: never below the floor) */
  public DiskFloor(Path path, long floorBytes) {
    if (floorBytes < 0) {
      throw new IllegalArgumentException("floor must be >= 0, got " + floorBytes);
    }
    this.path = path.toAbsolutePath().normalize();
    this.floorBytes = floorBytes;
  }

  /** A floor given in MiB, as the {@code --min-free-disk-mb} flags take it. */
  public static DiskFloor ofMegabytes(Path path, long floorMb) {
    return new DiskFloor(path, Math.multiplyExact(floorMb, 1L << 20));
  }

  /**
   * One measurement. {@code freeBytes} is -1 (and {@code ok} false) when the file system cannot be
   * asked; {@code error} then says why.
   */
  public record Status(String path, long freeBytes, long floorBytes, boolean ok, String error) {
    /** The JSON object of /health: path, freeBytes, floorBytes, ok (and error when there is one). */
    public Map<String, Object> toMap() {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("path", path);
      m.put("freeBytes", freeBytes);
      m.put("floorBytes", floorBytes);
      m.put("ok", ok);
      if (error != null) {
        m.put("error", error);
      }
      return m;
    }
  }

  public Path path() {
    return path;
  }

  public long floorBytes() {
    return floorBytes;
  }

  public Status check() {
    Path p = path;
    while (p != null && !Files.exists(p)) {
      p = p.getParent();
    }
    if (p == null) {
      return new Status(path.toString(), -1, floorBytes, false, "no existing ancestor");
    }
    try {
      long free = Files.getFileStore(p).getUsableSpace();
      return new Status(path.toString(), free, floorBytes, free >= floorBytes, null);
    } catch (IOException | SecurityException e) {
      return new Status(path.toString(), -1, floorBytes, false, "cannot read free space: " + e.getMessage());
    }
  }
}
