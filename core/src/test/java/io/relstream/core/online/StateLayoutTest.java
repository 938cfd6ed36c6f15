package io.relstream.core.online;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StateLayoutTest {
  @TempDir
  Path dir;

  private void completedCheckpoint() throws Exception {
    Path chk = Files.createDirectories(dir.resolve("0123abcd").resolve("chk-7"));
    Files.write(chk.resolve("_metadata"), new byte[] {1, 2, 3});
  }

  @Test
  void aFreshOrEmptyDirectoryIsFine() throws Exception {
    assertEquals(Optional.empty(), StateLayout.problem(dir.resolve("absent")));
    Files.createDirectories(dir.resolve("job").resolve("chk-1")); // never completed: no _metadata
    assertEquals(Optional.empty(), StateLayout.problem(dir));
  }

  @Test
  void checkpointsWithoutTheMarkerAreTheOldLayoutAndRefused() throws Exception {
    completedCheckpoint();
    String why = StateLayout.problem(dir).orElseThrow();
    assertTrue(why.contains("whole-model layout") && why.contains("./relstream demo --reset"), why);
    assertTrue(!why.contains("\n"), "one line");
  }

  @Test
  void theClaimedLayoutResumesAndAnotherIsRefused() throws Exception {
    completedCheckpoint();
    StateLayout.claim(dir);
    assertEquals(Optional.empty(), StateLayout.problem(dir));
    Files.writeString(dir.resolve(StateLayout.FILE), "trainer-rows-v99\n");
    String why = StateLayout.problem(dir).orElseThrow();
    assertTrue(why.contains("trainer-rows-v99"), why);
  }
}
