package io.relstream.core.data;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.file.Path;

/**
 * Reads Yahoo! R3 in its original Webscope files {@code ydata-ymusic-rating-study-v1_0-train.txt}
 * (missing not at random) and {@code ydata-ymusic-rating-study-v1_0-test.txt} (missing at random):
 * one {@code user item rating} line per rating, tab- (or space-) separated, ids 1-based. The index
 * space is the largest id seen in either file.
 */
public final class YahooR3Reader {
  public static final String TRAIN_FILE = "ydata-ymusic-rating-study-v1_0-train.txt";
  public static final String TEST_FILE = "ydata-ymusic-rating-study-v1_0-test.txt";

  private YahooR3Reader() {}

  public static Dataset read(Path dir) throws DataFormatException {
    int[] max = new int[2];
    Path trainFile = dir.resolve(TRAIN_FILE);
    Path testFile = dir.resolve(TEST_FILE);
    Ratings train = readTriples(trainFile, max);
    Ratings test = readTriples(testFile, max);
    RatingLines.requireRatings(train, trainFile);
    RatingLines.requireRatings(test, testFile);
    return new Dataset("yahoo-r3", max[0], max[1], train, test);
  }

  /** Reads 1-based triples into 0-based ones; max receives the largest user and item ids. */
  static Ratings readTriples(Path file, int[] max) throws DataFormatException {
    RatingLines out = new RatingLines();
    long lineNo = 0;
    try (BufferedReader r = RatingLines.open(file)) {
      String line;
      while ((line = r.readLine()) != null) {
        lineNo++;
        String trimmed = line.strip();
        if (trimmed.isEmpty()) {
          continue;
        }
        String[] t = trimmed.split("\\s+");
        if (t.length != 3) {
          throw new DataFormatException(file, lineNo,
              "expected 3 fields 'user item rating', found " + t.length);
        }
        int user = RatingLines.parseInt(t[0], file, lineNo, "user id");
        int item = RatingLines.parseInt(t[1], file, lineNo, "item id");
        int rating = RatingLines.parseInt(t[2], file, lineNo, "rating");
        if (user < 1 || item < 1) {
          throw new DataFormatException(file, lineNo, "ids are 1-based, found user " + user + " item " + item);
        }
        RatingLines.checkRating(rating, file, lineNo);
        max[0] = Math.max(max[0], user);
        max[1] = Math.max(max[1], item);
        out.add(user - 1, item - 1, rating);
      }
    } catch (IOException e) {
      throw new DataFormatException(file, lineNo, "cannot read: " + e.getMessage());
    }
    return out.toRatings();
  }
}
