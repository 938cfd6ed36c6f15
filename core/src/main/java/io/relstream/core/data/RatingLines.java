package io.relstream.core.data;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;

/** Shared reading helpers: growable triple buffers and checked integer parsing. */
final class RatingLines {
  private int[] users = new int[1024];
  private int[] items = new int[1024];
  private byte[] ratings = new byte[1024];
  private int size;

  void add(int user, int item, int rating) {
    if (size == users.length) {
      users = Arrays.copyOf(users, size * 2);
      items = Arrays.copyOf(items, size * 2);
      ratings = Arrays.copyOf(ratings, size * 2);
    }
    users[size] = user;
    items[size] = item;
    ratings[size] = (byte) rating;
    size++;
  }

  Ratings toRatings() {
    return new Ratings(Arrays.copyOf(users, size), Arrays.copyOf(items, size), Arrays.copyOf(ratings, size));
  }

  /** Fails unless the file gave at least one rating. */
  static Ratings requireRatings(Ratings r, Path file) throws DataFormatException {
    if (r.size() == 0) {
      throw new DataFormatException(file, 0, "holds no ratings");
    }
    return r;
  }

  static BufferedReader open(Path file) throws DataFormatException {
    try {
      if (Files.isDirectory(file)) {
        throw new DataFormatException(file, 0, "is a directory, expected a file");
      }
      return Files.newBufferedReader(file, StandardCharsets.UTF_8);
    } catch (NoSuchFileException e) {
      throw new DataFormatException(file, 0, "file not found");
    } catch (IOException e) {
      throw new DataFormatException(file, 0, "cannot read: " + e.getMessage());
    }
  }

  static int parseInt(String token, Path file, long line, String what) throws DataFormatException {
    try {
      return Integer.parseInt(token);
    } catch (NumberFormatException e) {
      throw new DataFormatException(file, line, what + " '" + abbreviate(token) + "' is not an integer");
    }
  }

  static void checkRating(int rating, Path file, long line) throws DataFormatException {
    if (rating < 1 || rating > 5) {
      throw new DataFormatException(file, line, "rating " + rating + " is outside 1-5");
    }
  }

  static String abbreviate(String s) {
    return s.length() > 40 ? s.substring(0, 40) + "..." : s;
  }
}
