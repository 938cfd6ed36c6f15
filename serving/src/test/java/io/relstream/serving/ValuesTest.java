package io.relstream.serving;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

/**
 * The stored value format must not change silently: fixed rows are compared with golden files
 * (regenerate deliberately with {@code -Dgolden.update=true}, together with a new version byte).
 */
class ValuesTest {
  static final Values.UserRow USER = new Values.UserRow(new float[] {0.5f, -0.25f}, 7, 1764300001000L);
  static final Values.ItemRow ITEM = new Values.ItemRow(new float[] {1f, 2f, -3f}, 0.75, 12.0, 9, 1764300002000L);

  @Test
  void userGolden() throws IOException {
    golden("user.bin", Values.encodeUser(USER));
    // header R S 1 U, version 7, timestamp, dim 2, 0.5f, -0.25f
    assertEquals("52530155" + "0000000000000007" + "0000019ac8798ee8" + "00000002" + "3f000000" + "be800000",
        HexFormat.of().formatHex(Values.encodeUser(USER)));
  }

  @Test
  void itemGolden() throws IOException {
    golden("item.bin", Values.encodeItem(ITEM));
  }

  @Test
  void clickAndLongGolden() throws IOException {
    golden("click.bin", Values.encodeClick(1764300003000L));
    golden("long.bin", Values.encodeLong(42L));
    assertEquals("5253014c000000000000002a", HexFormat.of().formatHex(Values.encodeLong(42L)));
  }

  @Test
  void roundTrips() {
    Values.UserRow u = Values.decodeUser(Values.encodeUser(USER));
    assertArrayEquals(USER.vector(), u.vector());
    assertEquals(USER.modelVersion(), u.modelVersion());
    assertEquals(USER.timestamp(), u.timestamp());
    Values.ItemRow i = Values.decodeItem(Values.encodeItem(ITEM));
    assertArrayEquals(ITEM.vector(), i.vector());
    assertEquals(0.75, i.propensity());
    assertEquals(12.0, i.clicks());
    assertEquals(9, i.modelVersion());
    assertEquals(1764300003000L, Values.decodeClick(Values.encodeClick(1764300003000L)));
    assertEquals(-5L, Values.decodeLong(Values.encodeLong(-5L)));
  }

  @Test
  void rejectsForeignOrCorruptValues() {
    byte[] good = Values.encodeUser(USER);
    byte[] badMagic = good.clone();
    badMagic[0] = 'X';
    assertThrows(IllegalArgumentException.class, () -> Values.decodeUser(badMagic));
    byte[] badVersion = good.clone();
    badVersion[2] = 2;
    assertThrows(IllegalArgumentException.class, () -> Values.decodeUser(badVersion));
    assertThrows(IllegalArgumentException.class, () -> Values.decodeItem(good));
    assertThrows(IllegalArgumentException.class, () -> Values.decodeUser(java.util.Arrays.copyOf(good, good.length - 1)));
    assertThrows(IllegalArgumentException.class, () -> Values.decodeUser(java.util.Arrays.copyOf(good, good.length + 1)));
    assertThrows(IllegalArgumentException.class, () -> Values.decodeLong(new byte[] {'R', 'S', 1}));
    byte[] hugeDim = good.clone();
    hugeDim[4 + 16] = 0x7f;
    assertThrows(IllegalArgumentException.class, () -> Values.decodeUser(hugeDim));
  }

  private static void golden(String name, byte[] actual) throws IOException {
    if (Boolean.getBoolean("golden.update")) {
      Path p = Path.of("src/test/resources/golden", name);
      Files.createDirectories(p.getParent());
      Files.write(p, actual);
    }
    try (InputStream in = ValuesTest.class.getResourceAsStream("/golden/" + name)) {
      if (in == null) {
        throw new AssertionError("missing golden file " + name);
      }
      assertArrayEquals(in.readAllBytes(), actual, name + " differs from the golden file");
    }
  }
}
