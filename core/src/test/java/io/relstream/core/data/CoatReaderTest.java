package io.relstream.core.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CoatReaderTest {
  /** The shared Coat folder next to the repository (CI has it too). */
  static final Path COAT = Path.of("..", "..", "shared", "data", "coat");

  @Test
  void readsTheRealCoatFiles() throws Exception {
    assumeTrue(Files.isDirectory(COAT), "Coat not found at " + COAT.toAbsolutePath());
    Dataset d = CoatReader.read(COAT);
    // Shapes and counts from the data set's README: 290 users x 300 items, 24 MNAR ratings per user,
    // 16 MAR test ratings per user.
    assertEquals(290, d.numUsers());
    assertEquals(300, d.numItems());
    assertEquals(290 * 24, d.train().size());
    assertEquals(290 * 16, d.test().size());
    for (int k = 0; k < d.train().size(); k++) {
      assertTrue(d.train().ratings()[k] >= 1 && d.train().ratings()[k] <= 5);
    }
  }

  @Test
  void crlfAndLfGiveTheSameTriples(@TempDir Path dir) throws Exception {
    Files.writeString(dir.resolve("train.ascii"), "0 5 1\r\n3 0 0\r\n");
    Files.writeString(dir.resolve("test.ascii"), "4 0 0\n0 0 2\n");
    Dataset d = CoatReader.read(dir);
    assertEquals(2, d.numUsers());
    assertEquals(3, d.numItems());
    assertEquals(3, d.train().size());
    // row 0: (0,1,5), (0,2,1); row 1: (1,0,3)
    assertEquals(1, d.train().items()[0]);
    assertEquals(5, d.train().ratings()[0]);
    assertEquals(1, d.train().users()[2]);
    assertEquals(3, d.train().ratings()[2]);
    assertEquals(2, d.test().size());
  }

  @Test
  void badInputNamesFileAndLine(@TempDir Path dir) throws IOException {
    Files.writeString(dir.resolve("test.ascii"), "4 0 0\n");
    Files.writeString(dir.resolve("train.ascii"), "0 5 1\n3 x 0\n");
    DataFormatException e = assertThrows(DataFormatException.class, () -> CoatReader.read(dir));
    assertTrue(e.getMessage().contains("train.ascii:2"), e.getMessage());
    assertTrue(e.getMessage().contains("'x' is not an integer"), e.getMessage());

    Files.writeString(dir.resolve("train.ascii"), "0 5 1\n3 7 0\n");
    e = assertThrows(DataFormatException.class, () -> CoatReader.read(dir));
    assertTrue(e.getMessage().contains("train.ascii:2: rating 7 is outside 1-5"), e.getMessage());

    Files.writeString(dir.resolve("train.ascii"), "0 5 1\n3 1\n");
    e = assertThrows(DataFormatException.class, () -> CoatReader.read(dir));
    assertTrue(e.getMessage().contains("train.ascii:2: has 2 columns, expected 3"), e.getMessage());

    Files.writeString(dir.resolve("train.ascii"), "");
    e = assertThrows(DataFormatException.class, () -> CoatReader.read(dir));
    assertTrue(e.getMessage().endsWith("train.ascii: is empty"), e.getMessage());

    Files.writeString(dir.resolve("train.ascii"), "0 0 0\n");
    e = assertThrows(DataFormatException.class, () -> CoatReader.read(dir));
    assertTrue(e.getMessage().contains("shape") || e.getMessage().contains("holds no ratings"), e.getMessage());

    e = assertThrows(DataFormatException.class, () -> CoatReader.read(dir.resolve("nowhere")));
    assertTrue(e.getMessage().contains("train.ascii: file not found"), e.getMessage());
  }
}
