package io.relstream.core.online;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * A seeded synthetic stream with a known answer: users u0..u(2n-1) in two taste groups (even users in
 * group A, odd in B), items a0..a(m-1) and b0..b(m-1). Every user visible every item of their group, but
 * is only ever shown a random half of them (the other half is the held-out answer). An event shows a user
 * an item, 70% one of their shown own-group items, 30% any item of the other group; an own-group item is
 * clicked with probability 0.9, any other with probability 0.03. A model that learned the groups
 * recommends the never-shown own-group items.
 */
final class TasteGroups {
  /** One interaction of the stream. */
  record Event(String user, String item, int label, long time, boolean shown) {}

  final int users;
  final int itemsPerGroup;
  private final boolean[][] visible;

  TasteGroups(int usersPerGroup, int itemsPerGroup, long seed) {
    this.users = 2 * usersPerGroup;
    this.itemsPerGroup = itemsPerGroup;
    SplittableRandom rng = new SplittableRandom(seed);
    visible = new boolean[users][itemsPerGroup];
    for (int u = 0; u < users; u++) {
      for (int j = 0; j < itemsPerGroup; j++) {
        visible[u][j] = j % 2 == 0;
      }
      for (int j = itemsPerGroup - 1; j > 0; j--) { // shuffle: a random half is shown
        int r = rng.nextInt(j + 1);
        boolean x = visible[u][j];
        visible[u][j] = visible[u][r];
        visible[u][r] = x;
      }
    }
  }

  static String user(int u) {
    return "u" + u;
  }

  static char group(int u) {
    return u % 2 == 0 ? 'a' : 'b';
  }

  static char groupOfItem(String item) {
    return item.charAt(0);
  }

  List<Event> events(int n, long seed) {
    SplittableRandom rng = new SplittableRandom(seed);
    List<Event> out = new ArrayList<>(n);
    for (int k = 0; k < n; k++) {
      int u = rng.nextInt(users);
      boolean own = rng.nextDouble() < 0.7;
      int j = rng.nextInt(itemsPerGroup);
      while (own && !visible[u][j]) {
        j = rng.nextInt(itemsPerGroup);
      }
      char g = own ? group(u) : (group(u) == 'a' ? 'b' : 'a');
      double p = own ? 0.9 : 0.03;
      int label = rng.nextDouble() < p ? 1 : 0;
      out.add(new Event(user(u), g + Integer.toString(j), label, 1_700_000_000_000L + 1000L * k, true));
    }
    return out;
  }
}
