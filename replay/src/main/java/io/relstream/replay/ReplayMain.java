package io.relstream.replay;

import io.relstream.core.data.DataFormatException;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;

/** {@code relstream replay}: config, build, run. Exit codes: 0 done, 2 bad input, 1 failure. */
public final class ReplayMain {
  private ReplayMain() {}

  public static void main(String[] args) {
    System.exit(run(args, home(), System.out, System.err));
  }

  /** The repository root: -Drelstream.home (set by the launcher), else the working directory. */
  public static Path home() {
    return Path.of(System.getProperty("relstream.home", ".")).toAbsolutePath().normalize();
  }

  static int run(String[] args, Path home, PrintStream out, PrintStream err) {
    if (List.of(args).contains("--help")) {
      out.println(ReplayConfig.USAGE);
      return 0;
    }
    return exitCode(args, err, () -> execute(ReplayConfig.parse(args, home), out, err));
  }

  /** A replay command's work; its exceptions become exit codes in {@link #exitCode}. */
  @FunctionalInterface
  public interface Command {
    void run() throws UsageException, DataFormatException, IOException, InterruptedException;
  }

  /**
   * Runs {@code command} and maps the outcome to an exit code: 0 done; 2 for input the user can fix
   * (usage, data format, an unwritable report), printed as one line {@code relstream replay: error:
   * ...}; 1 for an interruption or any other failure. {@code --verbose} among {@code args} adds the
   * stack trace.
   */
  public static int exitCode(String[] args, PrintStream err, Command command) {
    boolean verbose = List.of(args).contains("--verbose");
    try {
      command.run();
      return 0;
    } catch (UsageException | DataFormatException e) {
      err.println("relstream replay: error: " + e.getMessage());
      if (verbose) e.printStackTrace(err);
      return 2;
    } catch (IOException e) {
      err.println("relstream replay: error: cannot write the report: " + e.getMessage());
      if (verbose) e.printStackTrace(err);
      return 2;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      err.println("relstream replay: interrupted");
      return 1;
    } catch (RuntimeException e) {
      err.println("relstream replay: failed: " + e);
      if (verbose) e.printStackTrace(err);
      else err.println("(run with --verbose for the stack trace)");
      return 1;
    }
  }

  static void execute(ReplayConfig config, PrintStream out, PrintStream err)
      throws DataFormatException, IOException, InterruptedException, UsageException {
    Replay replay = Replay.prepare(config, err);
    Replay.Trained trained = replay.trainModels("");
    ReplayReport.write(config.out(), replay.data().dataset.name(), config.seeds(), trained.rows(),
        replay.reportExtra(trained.tuning()), replay.notes(config.tune()), out);
  }
}
