package io.relstream.serving;

import io.relstream.core.topk.DebiasedPopularity;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The in-memory copy of the item rows that top-k scans: a row-major vector table plus propensity,
 * clicks and debiased-popularity score per item. Items are kept <b>sorted by id</b>, so an index tie
 * in {@link io.relstream.core.topk.TopK} is a tie broken by item id, and the ranking does not depend
 * on the order in which rows arrived (a restarted instance and a freshly built one agree).
 *
 * <p>Updating an existing item is O(dim); a batch that adds new items rebuilds the arrays in
 * O(count * dim + m log m). Not thread-safe: {@link ModelStore} guards it.
 */
final class ItemTable {
  private final DebiasedPopularity popularity;
  private int dim;
  private int count;
  private String[] ids = new String[0];
  private final Map<String, Integer> index = new HashMap<>();
  private float[] vectors = new float[0];
  private double[] propensity = new double[0];
  private double[] clicks = new double[0];
  private float[] popScore = new float[0];

  ItemTable(DebiasedPopularity popularity) {
    this.popularity = popularity;
  }

  int count() {
    return count;
  }

  int dim() {
    return dim;
  }

  /** Index of {@code id}, or -1. */
  int indexOf(String id) {
    Integer i = index.get(id);
    return i == null ? -1 : i;
  }

  String id(int i) {
    return ids[i];
  }

  double propensity(int i) {
    return propensity[i];
  }

  /** The live vector table (row-major, {@link #count()} rows of {@link #dim()}). */
  float[] vectors() {
    return vectors;
  }

  /** The live array of debiased-popularity scores. */
  float[] popularityScores() {
    return popScore;
  }

  /**
   * Inserts or replaces rows; later entries for the same id win. Every vector must have the table's
   * dimension (the first row sets it).
   */
  void putAll(List<Map.Entry<String, Values.ItemRow>> rows) {
    Map<String, Values.ItemRow> fresh = new HashMap<>();
    for (Map.Entry<String, Values.ItemRow> e : rows) {
      Values.ItemRow row = e.getValue();
      if (dim == 0) {
        dim = row.vector().length;
      } else if (row.vector().length != dim) {
        throw new IllegalArgumentException("item " + e.getKey() + " has dimension " + row.vector().length
            + ", the table " + dim);
      }
      int i = indexOf(e.getKey());
      if (i >= 0) {
        set(i, row);
      } else {
        fresh.put(e.getKey(), row);
      }
    }
    if (!fresh.isEmpty()) {
      merge(fresh);
    }
  }

  private void set(int i, Values.ItemRow row) {
    System.arraycopy(row.vector(), 0, vectors, i * dim, dim);
    propensity[i] = row.propensity();
    clicks[i] = row.clicks();
    popScore[i] = (float) popularity.score(row.clicks(), row.propensity());
  }

  /** Merges new ids into the sorted arrays. */
  private void merge(Map<String, Values.ItemRow> fresh) {
    String[] added = fresh.keySet().toArray(new String[0]);
    Arrays.sort(added);
    int n = count + added.length;
    String[] oldIds = ids;
    float[] oldVectors = vectors;
    double[] oldPropensity = propensity;
    double[] oldClicks = clicks;
    float[] oldScores = popScore;
    ids = new String[n];
    vectors = new float[n * dim];
    propensity = new double[n];
    clicks = new double[n];
    popScore = new float[n];
    int a = 0;
    int b = 0;
    for (int i = 0; i < n; i++) {
      if (b >= added.length || (a < count && oldIds[a].compareTo(added[b]) < 0)) {
        ids[i] = oldIds[a];
        System.arraycopy(oldVectors, a * dim, vectors, i * dim, dim);
        propensity[i] = oldPropensity[a];
        clicks[i] = oldClicks[a];
        popScore[i] = oldScores[a];
        a++;
      } else {
        ids[i] = added[b];
        set(i, fresh.get(added[b]));
        b++;
      }
    }
    count = n;
    index.clear();
    for (int i = 0; i < n; i++) {
      index.put(ids[i], i);
    }
  }

  /** The ids, in index order (for tests). */
  List<String> ids() {
    return new ArrayList<>(Arrays.asList(ids).subList(0, count));
  }
}
