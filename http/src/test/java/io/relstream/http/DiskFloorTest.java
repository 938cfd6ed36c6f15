package io.relstream.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DiskFloorTest {
  @TempDir
  Path dir;

  @Test
  void okAboveTheFloorAndNotBelow() {
    DiskFloor.Status low = new DiskFloor(dir, 0).check();
    assertTrue(low.ok());
    assertTrue(low.freeBytes() > 0);
    DiskFloor.Status high = new DiskFloor(dir, Long.MAX_VALUE).check();
    assertFalse(high.ok());
    assertEquals(Long.MAX_VALUE, high.floorBytes());
    Map<String, Object> m = high.toMap();
    assertEquals(dir.toAbsolutePath().normalize().toString(), m.get("path"));
    assertEquals(false, m.get("ok"));
    assertTrue(m.containsKey("freeBytes") && m.containsKey("floorBytes"));
  }

  @Test
  void aMissingDirectoryIsMeasuredOnItsNearestAncestor() {
    DiskFloor.Status s = DiskFloor.ofMegabytes(dir.resolve("not/yet/there"), 1).check();
    assertTrue(s.ok(), s.toString());
    assertEquals(1L << 20, s.floorBytes());
    assertTrue(s.path().endsWith("there"));
  }

  @Test
  void negativeFloorsAreRefused() {
    assertThrows(IllegalArgumentException.class, () -> new DiskFloor(dir, -1));
    assertEquals(1024, DiskFloor.DEFAULT_FLOOR_MB);
  }
}
