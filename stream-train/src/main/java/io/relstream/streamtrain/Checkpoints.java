package io.relstream.streamtrain;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.Comparator;
import java.util.Optional;
import java.util.stream.Stream;

/** Finds retained checkpoints: Flink writes {@code DIR/<job id>/chk-N/_metadata} once chk-N completed. */
final class Checkpoints {
  private Checkpoints() {}

  /**
   * The newest completed checkpoint under {@code dir} (the {@code chk-*} directory whose
   * {@code _metadata} was written last; ties by the larger N), or empty when there is none.
   */
  static Optional<Path> latest(Path dir) {
    if (!Files.isDirectory(dir)) {
      return Optional.empty();
    }
    try (Stream<Path> jobs = Files.list(dir)) {
      return jobs.filter(Files::isDirectory)
          .flatMap(Checkpoints::completed)
          .max(Comparator.comparing(Checkpoints::metadataTime).thenComparingLong(Checkpoints::number));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list checkpoints under " + dir, e);
    }
  }

  /** The newest completed checkpoint of one job ({@code dir/<jobId>/chk-N}), or empty. */
  static Optional<Path> latestOfJob(Path dir, String jobId) {
    Path jobDir = dir.resolve(jobId);
    if (!Files.isDirectory(jobDir)) {
      return Optional.empty();
    }
    return completed(jobDir).max(Comparator.comparing(Checkpoints::metadataTime)
        .thenComparingLong(Checkpoints::number));
  }

  /** When chk-N's {@code _metadata} was written (epoch ms; 0 if unreadable). */
  static long completedAtMs(Path chk) {
    return metadataTime(chk).toMillis();
  }

  private static Stream<Path> completed(Path jobDir) {
    try (Stream<Path> s = Files.list(jobDir)) {
      return s.filter(p -> p.getFileName().toString().matches("chk-\\d+"))
          .filter(p -> Files.isRegularFile(p.resolve("_metadata")))
          .toList().stream();
    } catch (IOException e) {
      return Stream.empty();
    }
  }

  private static FileTime metadataTime(Path chk) {
    try {
      return Files.getLastModifiedTime(chk.resolve("_metadata"));
    } catch (IOException e) {
      return FileTime.fromMillis(0);
    }
  }

  private static long number(Path chk) {
    return Long.parseLong(chk.getFileName().toString().substring(4));
  }
}
