package io.relstream.core.propensity;

import java.util.Arrays;
import java.util.Locale;
import java.util.random.RandomGenerator;

/**
 * An exploring serving policy with exact inclusion probabilities: the greedy list's k slots are kept,
 * except that each slot independently, with probability &epsilon;, shows instead an eligible item from
 * outside the greedy list, drawn uniformly without repetition. With N eligible items (those the query
 * could return: the catalogue or the candidate list, less the excluded) and k' = min(k, N) greedy ones:
 * <ul>
 *   <li>a greedy item is shown with probability 1 - &epsilon; (its slot was kept);</li>
 *   <li>any other eligible item with probability k'&epsilon; / (N - k'): the number of replaced slots R
 *       is Binomial(k', &epsilon;) and the replacements a uniform R-subset of the N - k' others, so
 *       P(j shown) = E[R] / (N - k').</li>
 * </ul>
 * When fewer others exist than slots were drawn for replacement (N - k' &lt; R), a uniform N - k' of those
 * slots are replaced and the rest keep their greedy item; with M = min(R, N - k') the probabilities are then
 * 1 - E[M] / k' and E[M] / (N - k'), E[M] summed over the binomial (equal to k'&epsilon; whenever
 * N - k' &ge; k'). With N &le; k nothing is outside the list, and every item is shown with probability 1. These are the
 * propensities an unbiased estimator needs for the served items (the &theta; of Rel-MF for the product's
 * own traffic); a deterministic policy (&epsilon; = 0) shows every greedy item with probability 1 and
 * nothing else ever, so its log corrects nothing.
 */
public record EpsilonSlots(double epsilon) {
  /** A policy exploring each slot with probability {@code epsilon} in [0, 1]. */
  public EpsilonSlots {
    if (!(epsilon >= 0 && epsilon <= 1)) {
      throw new IllegalArgumentException("epsilon must be in [0, 1], got " + epsilon);
    }
  }

  /**
   * Parses {@code epsilon:E} (the {@code --explore} value), E in [0, 1]; {@code none} is &epsilon; = 0.
   *
   * @throws IllegalArgumentException with a one-line reason
   */
  public static EpsilonSlots parse(String spec) {
    String s = spec.trim().toLowerCase(Locale.ROOT);
    if (s.equals("none")) {
      return new EpsilonSlots(0);
    }
    if (!s.startsWith("epsilon:")) {
      throw new IllegalArgumentException("unknown exploration policy '" + spec + "' (expected epsilon:E or none)");
    }
    double e;
    try {
      e = Double.parseDouble(s.substring("epsilon:".length()));
    } catch (NumberFormatException x) {
      throw new IllegalArgumentException("epsilon must be a number in [0, 1], got '" + spec + "'");
    }
    return new EpsilonSlots(e);
  }

  /** P(a greedy item is shown) with {@code greedy} greedy items among {@code eligible}. */
  public double greedyInclusion(int greedy, int eligible) {
    return eligible <= greedy ? 1.0 : 1.0 - expectedReplaced(greedy, eligible - greedy) / greedy;
  }

  /** P(an eligible item outside the greedy list is shown). */
  public double otherInclusion(int greedy, int eligible) {
    return eligible <= greedy ? 0.0 : expectedReplaced(greedy, eligible - greedy) / (eligible - greedy);
  }

  /** E[min(R, others)] for R ~ Binomial(slots, epsilon): the expected number of slots replaced. */
  private double expectedReplaced(int slots, int others) {
    if (others >= slots || epsilon == 0 || epsilon == 1) {
      return Math.min(slots * epsilon, others);
    }
    double sum = 0;
    for (int r = 0; r <= slots; r++) {
      double logPmf = logChoose(slots, r) + r * Math.log(epsilon) + (slots - r) * Math.log1p(-epsilon);
      sum += Math.min(r, others) * Math.exp(logPmf);
    }
    return sum;
  }

  private static double logChoose(int n, int r) {
    double v = 0;
    for (int j = 1; j <= r; j++) {
      v += Math.log(n - r + j) - Math.log(j);
    }
    return v;
  }

  /** Where the others are drawn from: {@code count()} eligible items outside the greedy list. */
  public interface Others {
    /** How many eligible items are outside the greedy list. */
    int count();

    /** The {@code k}-th of them (0 &le; k &lt; count()), in any fixed order. */
    int get(int k);
  }

  /**
   * The shown list: {@code greedy} (the greedy items in rank order) with each slot replaced with
   * probability &epsilon; by a distinct uniform draw from {@code others}. {@code explored[s]} is set true
   * for a replaced slot. Returns the shown items, slot by slot.
   */
  public int[] choose(int[] greedy, Others others, RandomGenerator rng, boolean[] explored) {
    int[] shown = greedy.clone();
    int n = others.count();
    if (epsilon == 0 || n == 0) {
      return shown;
    }
    int replaced = 0;
    for (int s = 0; s < shown.length; s++) {
      if (rng.nextDouble() < epsilon) {
        replaced++;
        explored[s] = true;
      }
    }
    if (replaced == 0) {
      return shown;
    }
    if (replaced > n) { // fewer others than drawn slots: a uniform n of those slots are replaced
      int[] marked = new int[replaced];
      int m = 0;
      for (int s = 0; s < shown.length; s++) {
        if (explored[s]) {
          marked[m++] = s;
        }
      }
      for (int a = 0; a < replaced - n; a++) { // unmark a uniform (replaced - n)-subset
        int b = a + rng.nextInt(replaced - a);
        int x = marked[a];
        marked[a] = marked[b];
        marked[b] = x;
        explored[marked[a]] = false;
      }
      replaced = n;
    }
    // a uniform replaced-subset of the others (Floyd's algorithm: replaced draws, no repetition), in a
    // uniform order over the replaced slots
    int[] picks = new int[replaced];
    int got = 0;
    for (int j = n - picks.length; j < n; j++) {
      int t = rng.nextInt(j + 1);
      int pick = contains(picks, got, t) ? j : t;
      picks[got++] = pick;
    }
    for (int a = picks.length - 1; a > 0; a--) {
      int b = rng.nextInt(a + 1);
      int x = picks[a];
      picks[a] = picks[b];
      picks[b] = x;
    }
    int p = 0;
    for (int s = 0; s < shown.length; s++) {
      if (explored[s]) {
        shown[s] = others.get(picks[p++]);
      }
    }
    return shown;
  }

  private static boolean contains(int[] a, int n, int x) {
    for (int k = 0; k < n; k++) {
      if (a[k] == x) {
        return true;
      }
    }
    return false;
  }

  /**
   * The others of a scan over items {@code 0..count-1}: every index not in {@code excluded} nor in
   * {@code greedy} (both need not be sorted; indices outside the range are ignored).
   */
  public static Others outside(int count, int[] excluded, int[] greedy) {
    return outsideOf(null, count, excluded, greedy);
  }

  /** The others among {@code candidates} (distinct item indices): those not excluded nor greedy. */
  public static Others outsideOf(int[] candidates, int[] excluded, int[] greedy) {
    return outsideOf(candidates, -1, excluded, greedy);
  }

  private static Others outsideOf(int[] candidates, int count, int[] excluded, int[] greedy) {
    int[] gone = new int[excluded.length + greedy.length];
    System.arraycopy(excluded, 0, gone, 0, excluded.length);
    System.arraycopy(greedy, 0, gone, excluded.length, greedy.length);
    Arrays.sort(gone);
    int[] skip = Arrays.stream(gone).distinct().filter(x -> x >= 0).toArray();
    if (candidates != null) {
      int[] rest = Arrays.stream(candidates).filter(c -> Arrays.binarySearch(skip, c) < 0).toArray();
      return new Others() {
        public int count() {
          return rest.length;
        }

        public int get(int k) {
          return rest[k];
        }
      };
    }
    int[] inRange = Arrays.stream(skip).filter(x -> x < count).toArray();
    int n = count - inRange.length;
    // the k-th (from 0) index not skipped: the smallest x with k + 1 free indices in 0..x
    return new Others() {
      public int count() {
        return n;
      }

      public int get(int k) {
        int lo = k;
        int hi = k + inRange.length;
        while (lo < hi) {
          int mid = (lo + hi) >>> 1;
          if (mid + 1 - below(inRange, mid + 1) < k + 1) {
            lo = mid + 1;
          } else {
            hi = mid;
          }
        }
        return lo;
      }
    };
  }

  /** How many of ascending {@code a} are below {@code x}. */
  private static int below(int[] a, int x) {
    int p = Arrays.binarySearch(a, x);
    return p >= 0 ? p : -p - 1;
  }
}
