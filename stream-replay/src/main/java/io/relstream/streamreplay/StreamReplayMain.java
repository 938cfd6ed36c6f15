package io.relstream.streamreplay;

import io.relstream.replay.ReplayMain;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;

/**
 * {@code relstream replay --streaming}: config, build, run. Exit codes as the batch replay's: 0 done,
 * 2 bad input (one line {@code relstream replay: error: ...}), 1 failure.
 */
public final class StreamReplayMain {
  private StreamReplayMain() {}

  public static void main(String[] args) {
    System.exit(run(args, ReplayMain.home(), System.out, System.err));
  }

  static int run(String[] args, Path home, PrintStream out, PrintStream err) {
    if (List.of(args).contains("--help")) {
      out.println(StreamReplayConfig.USAGE);
      return 0;
    }
    return ReplayMain.exitCode(args, err, () -> StreamReplay.execute(StreamReplayConfig.parse(args, home), out, err));
  }
}
