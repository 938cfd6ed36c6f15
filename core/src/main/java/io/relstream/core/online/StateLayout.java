package io.relstream.core.online;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Which layout of the training job's state a checkpoint directory holds, so that a new version refuses an
 * old directory with one clear line instead of a Flink stack trace. The job writes {@value #FILE} into
 * its checkpoint directory when it starts ({@link #claim}); a directory with completed checkpoints
 * ({@code <job id>/chk-N/_metadata}) and without that file, or with another layout in it, is refused
 * ({@link #problem}). Layouts: none (before this file existed: the whole model as one operator-state
 * snapshot) and {@value #CURRENT} (one keyed-state row per user, item and reservoir slot).
 */
public final class StateLayout {
  private StateLayout() {}

  /** The marker file in the checkpoint directory. */
  public static final String FILE = "STATE-LAYOUT";
  /** The layout this build writes and reads. */
  public static final String CURRENT = "trainer-rows-v" + OnlineTrainer.ROWS_VERSION;

  /**
   * Why {@code checkpointDir} cannot be resumed by this build, or empty when it can (no completed
   * checkpoint, or the current layout).
   */
  public static Optional<String> problem(Path checkpointDir) {
    if (!hasCompletedCheckpoint(checkpointDir)) {
      return Optional.empty();
    }
    Path marker = checkpointDir.resolve(FILE);
    String found;
    try {
      found = Files.isRegularFile(marker) ? Files.readString(marker, StandardCharsets.UTF_8).strip() : null;
    } catch (IOException e) {
      found = "unreadable (" + e.getMessage() + ")";
    }
    if (CURRENT.equals(found)) {
      return Optional.empty();
    }
    String what = found == null ? "the whole-model layout of earlier versions" : "layout '" + found + "'";
    return Optional.of("the checkpoints under " + checkpointDir + " hold the model in " + what
        + ", which this version (" + CURRENT + ") does not read; start afresh with ./relstream demo --reset"
        + " (it discards the trained model and the demo's stored events)");
  }

  /** Records the current layout in {@code checkpointDir} (created if needed). */
  public static void claim(Path checkpointDir) throws IOException {
    Files.createDirectories(checkpointDir);
    Files.writeString(checkpointDir.resolve(FILE), CURRENT + "\n", StandardCharsets.UTF_8);
  }

  private static boolean hasCompletedCheckpoint(Path dir) {
    if (!Files.isDirectory(dir)) {
      return false;
    }
    try (Stream<Path> jobs = Files.list(dir)) {
      return jobs.filter(Files::isDirectory).anyMatch(job -> {
        try (Stream<Path> chk = Files.list(job)) {
          return chk.anyMatch(c -> c.getFileName().toString().matches("chk-\\d+")
              && Files.isRegularFile(c.resolve("_metadata")));
        } catch (IOException e) {
          return false;
        }
      });
    } catch (IOException e) {
      return false;
    }
  }
}
