package io.relstream.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class DemoConfigTest {
  static final Path HOME = Path.of("/repo");

  @Test
  void defaults() throws Exception {
    DemoConfig c = DemoConfig.parse(new String[0], HOME);
    assertEquals(8080, c.port());
    assertEquals("coat", c.dataset());
    assertEquals(Path.of("/repo/target/demo-state"), c.workdir());
    assertEquals(Path.of("/shared/data"), c.dataDir());
    assertTrue(!c.reset());
  }

  @Test
  void options() throws Exception {
    DemoConfig c = DemoConfig.parse(new String[] {"--port=0", "--dataset", "open-bandit", "--workdir", "/tmp/w",
        "--exit-after-load", "--reset"}, HOME);
    assertEquals(0, c.port());
    assertTrue(c.reset());
    assertEquals("open-bandit", c.dataset());
    assertEquals(Path.of("/tmp/w"), c.workdir());
    assertTrue(c.exitAfterLoad());
  }

  @Test
  void badOptionsAreOneLineErrors() {
    assertTrue(assertThrows(UsageException.class, () -> DemoConfig.parse(new String[] {"--port", "x"}, HOME))
        .getMessage().contains("integer"));
    assertTrue(assertThrows(UsageException.class, () -> DemoConfig.parse(new String[] {"--port", "70000"}, HOME))
        .getMessage().contains("0-65535"));
    assertTrue(assertThrows(UsageException.class, () -> DemoConfig.parse(new String[] {"--dataset", "netflix"}, HOME))
        .getMessage().contains("unknown dataset"));
    assertTrue(assertThrows(UsageException.class, () -> DemoConfig.parse(new String[] {"--bogus"}, HOME))
        .getMessage().contains("unknown option"));
    assertTrue(assertThrows(UsageException.class, () -> DemoConfig.parse(new String[] {"--workdir"}, HOME))
        .getMessage().contains("needs a value"));
  }

  @Test
  void bindAndTokenGoToEveryChildWithTheTokenOffTheCommandLine() throws Exception {
    DemoConfig loop = DemoConfig.parse(new String[0], HOME);
    assertEquals("127.0.0.1", loop.listen().bind());
    assertEquals(java.util.List.of("--bind", "127.0.0.1"), loop.listen().childArgs());

    DemoConfig wide = DemoConfig.parse(new String[] {"--bind", "0.0.0.0", "--token", "s3cret"}, HOME);
    assertEquals(java.util.List.of("--bind", "0.0.0.0"), wide.listen().childArgs());
    assertEquals(java.util.Map.of("RELSTREAM_TOKEN", "s3cret"), wide.listen().childEnv());
    assertEquals("127.0.0.1", wide.listen().connectHost(), "the demo reaches a wildcard-bound child on loopback");
    assertFalse(wide.listen().toString().contains("s3cret"));
    assertFalse(wide.listen().childArgs().contains("s3cret"));
  }

  @Test
  void bindBeyondLoopbackWithoutTokenIsRefused() {
    org.junit.jupiter.api.Assumptions.assumeTrue(System.getenv("RELSTREAM_TOKEN") == null,
        "RELSTREAM_TOKEN is set in this environment, so a token is given");
    assertTrue(assertThrows(UsageException.class, () -> DemoConfig.parse(new String[] {"--bind", "0.0.0.0"}, HOME))
        .getMessage().contains("--token"));
    assertTrue(assertThrows(UsageException.class, () -> DemoConfig.parse(new String[] {"--token", ""}, HOME))
        .getMessage().contains("empty"));
  }

  @Test
  void anOldLayoutWorkdirIsRefusedInOneLineAndResetClearsIt(@org.junit.jupiter.api.io.TempDir Path tmp)
      throws Exception {
    Path work = tmp.resolve("demo-state");
    Path chk = java.nio.file.Files.createDirectories(work.resolve("checkpoints").resolve("job").resolve("chk-4"));
    java.nio.file.Files.writeString(chk.resolve("_metadata"), "written by a whole-model version");
    java.io.PrintStream quiet = new java.io.PrintStream(java.io.OutputStream.nullOutputStream());
    DemoConfig plain = DemoConfig.parse(new String[] {"--workdir", work.toString()}, HOME);
    io.relstream.core.data.DataFormatException e = assertThrows(io.relstream.core.data.DataFormatException.class,
        () -> DemoMain.prepareWorkdir(plain, quiet));
    assertTrue(e.getMessage().contains("--reset") && !e.getMessage().contains("\n"), e.getMessage());
    assertTrue(java.nio.file.Files.exists(chk), "nothing deleted without --reset");
    DemoConfig reset = DemoConfig.parse(new String[] {"--workdir", work.toString(), "--reset"}, HOME);
    DemoMain.prepareWorkdir(reset, quiet);
    assertTrue(!java.nio.file.Files.exists(work), "the work directory is gone");
    Path repo = java.nio.file.Files.createDirectories(tmp.resolve("repo"));
    DemoConfig home = DemoConfig.parse(new String[] {"--workdir", repo.toString(), "--reset"}, repo);
    assertThrows(java.io.IOException.class, () -> DemoMain.prepareWorkdir(home, quiet),
        "--reset refuses the repository itself");
  }
}
