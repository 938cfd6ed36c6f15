package io.relstream.core.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Yahoo! R3 is not on this machine: the reader is tested on small files in the Webscope format. */
class YahooR3ReaderTest {

  static void write(Path dir, String train, String test) throws Exception {
    Files.writeString(dir.resolve(YahooR3Reader.TRAIN_FILE), train);
    Files.writeString(dir.resolve(YahooR3Reader.TEST_FILE), test);
  }

  @Test
  void readsOneBasedTabSeparatedTriples(@TempDir Path dir) throws Exception {
    write(dir, "1\t1\t5\n1\t3\t2\n2\t2\t4\n", "1\t2\t1\n3\t1\t5\n");
    Dataset d = YahooR3Reader.read(dir);
    assertEquals(3, d.numUsers()); // largest user id in either file
    assertEquals(3, d.numItems());
    assertEquals(3, d.train().size());
    assertEquals(0, d.train().users()[0]);
    assertEquals(2, d.train().items()[1]);
    assertEquals(4, d.train().ratings()[2]);
    assertEquals(2, d.test().users()[1]);
  }

  @Test
  void rejectsBadLinesWithFileAndLine(@TempDir Path dir) throws Exception {
    write(dir, "1\t1\t5\n1\t3\n", "1\t2\t1\n");
    DataFormatException e = assertThrows(DataFormatException.class, () -> YahooR3Reader.read(dir));
    assertTrue(e.getMessage().contains(YahooR3Reader.TRAIN_FILE + ":2: expected 3 fields"), e.getMessage());

    write(dir, "1\t1\t5\n", "1\t2\t9\n");
    e = assertThrows(DataFormatException.class, () -> YahooR3Reader.read(dir));
    assertTrue(e.getMessage().contains(YahooR3Reader.TEST_FILE + ":1: rating 9 is outside 1-5"), e.getMessage());

    write(dir, "0\t1\t5\n", "1\t2\t3\n");
    e = assertThrows(DataFormatException.class, () -> YahooR3Reader.read(dir));
    assertTrue(e.getMessage().contains(":1: ids are 1-based"), e.getMessage());

    write(dir, "\n", "1\t2\t3\n");
    e = assertThrows(DataFormatException.class, () -> YahooR3Reader.read(dir));
    assertTrue(e.getMessage().contains("holds no ratings"), e.getMessage());
  }
}
