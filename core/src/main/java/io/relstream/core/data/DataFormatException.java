package io.relstream.core.data;

import java.nio.file.Path;

/** Input that cannot be read as a data set; the message names the file and, where known, the line. */
public final class DataFormatException extends Exception {
  private static final long serialVersionUID = 1L;

  public DataFormatException(String message) {
    super(message);
  }

  public DataFormatException(Path file, long line, String message) {
    super(file + (line > 0 ? ":" + line : "") + ": " + message);
  }
}
