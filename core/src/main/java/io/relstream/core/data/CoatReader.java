package io.relstream.core.data;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.file.Path;

/**
 * Reads Coat (Schnabel et al., ICML 2016): {@code train.ascii} (missing not at random) and
 * {@code test.ascii} (missing at random), dense users x items matrices of space-separated integers,
 * 0 meaning "no rating", CRLF or LF line endings. Each non-zero entry becomes a (user, item, rating)
 * triple.
 */
public final class CoatReader {
  private CoatReader() {}

  public static Dataset read(Path dir) throws DataFormatException {
    Path trainFile = dir.resolve("train.ascii");
    Path testFile = dir.resolve("test.ascii");
    int[] shape = new int[2];
    Ratings train = readMatrix(trainFile, shape);
    int[] testShape = new int[2];
    Ratings test = readMatrix(testFile, testShape);
    if (shape[0] != testShape[0] || shape[1] != testShape[1]) {
      throw new DataFormatException(testFile, 0, "shape " + testShape[0] + "x" + testShape[1]
          + " differs from the training matrix " + shape[0] + "x" + shape[1]);
    }
    RatingLines.requireRatings(train, trainFile);
    RatingLines.requireRatings(test, testFile);
    return new Dataset("coat", shape[0], shape[1], train, test);
  }

  /** Reads one dense matrix; shape receives {rows, columns}. */
  static Ratings readMatrix(Path file, int[] shape) throws DataFormatException {
    RatingLines out = new RatingLines();
    int columns = -1;
    int row = 0;
    long lineNo = 0;
    try (BufferedReader r = RatingLines.open(file)) {
      String line;
      while ((line = r.readLine()) != null) {
        lineNo++;
        String trimmed = line.strip();
        if (trimmed.isEmpty()) {
          continue;
        }
        String[] tokens = trimmed.split("\\s+");
        if (columns < 0) {
          columns = tokens.length;
        } else if (tokens.length != columns) {
          throw new DataFormatException(file, lineNo,
              "has " + tokens.length + " columns, expected " + columns + " as on the first row");
        }
        for (int item = 0; item < tokens.length; item++) {
          int rating = RatingLines.parseInt(tokens[item], file, lineNo, "column " + (item + 1));
          if (rating != 0) {
            RatingLines.checkRating(rating, file, lineNo);
            out.add(row, item, rating);
          }
        }
        row++;
      }
    } catch (IOException e) {
      throw new DataFormatException(file, lineNo, "cannot read: " + e.getMessage());
    }
    if (row == 0) {
      throw new DataFormatException(file, 0, "is empty");
    }
    shape[0] = row;
    shape[1] = columns;
    return out.toRatings();
  }
}
