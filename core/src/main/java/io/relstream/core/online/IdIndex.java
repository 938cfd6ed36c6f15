package io.relstream.core.online;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** A dense index of string ids: the k-th new id gets index k. */
final class IdIndex {
  private final Map<String, Integer> index = new HashMap<>();
  private final List<String> ids = new ArrayList<>();

  /** The index of {@code id}, assigning the next one when it is new. */
  int indexOf(String id) {
    Integer k = index.get(id);
    if (k != null) {
      return k;
    }
    int next = ids.size();
    index.put(id, next);
    ids.add(id);
    return next;
  }

  /** The index of {@code id}, or -1 when unknown. */
  int find(String id) {
    Integer k = index.get(id);
    return k == null ? -1 : k;
  }

  /** The id at index k, or null when it was erased. */
  String id(int k) {
    return ids.get(k);
  }

  /** Forgets the id at index k: it leaves the map and leaves a hole (the index is never reused). */
  void erase(int k) {
    String id = ids.get(k);
    if (id != null) {
      index.remove(id);
      ids.set(k, null);
    }
  }

  int size() {
    return ids.size();
  }

  /** Count, then each id as length-prefixed UTF-8 in index order (an erased id as length -1). */
  void write(DataOutput out) throws IOException {
    out.writeInt(ids.size());
    for (String id : ids) {
      if (id == null) {
        out.writeInt(-1);
        continue;
      }
      byte[] b = id.getBytes(StandardCharsets.UTF_8);
      out.writeInt(b.length);
      out.write(b);
    }
  }

  /**
   * Appends ids[k] at index size() + k, for an index rebuilt from rows that carry their index.
   *
   * @throws IllegalArgumentException when an entry is missing (null) or repeats an id
   */
  void addAll(String[] ids, String what) {
    addAll(ids, new boolean[ids.length], what);
  }

  /** {@link #addAll(String[], String)} where {@code erased[k]} marks a hole that must be null. */
  void addAll(String[] ids, boolean[] erased, String what) {
    int base = size();
    for (int k = 0; k < ids.length; k++) {
      if (erased[k]) {
        this.ids.add(null);
        continue;
      }
      if (ids[k] == null) {
        throw new IllegalArgumentException("the rows lack " + what + " " + k + " of the " + ids.length
            + " the globals count");
      }
      if (indexOf(ids[k]) != base + k) {
        throw new IllegalArgumentException("duplicate " + what + " id " + ids[k]);
      }
    }
  }

  static IdIndex read(DataInput in) throws IOException {
    int n = in.readInt();
    if (n < 0) {
      throw new IOException("bad id count " + n);
    }
    IdIndex x = new IdIndex();
    for (int k = 0; k < n; k++) {
      int len = in.readInt();
      if (len == -1) {
        x.ids.add(null);
        continue;
      }
      if (len < 0 || len > (1 << 20)) {
        throw new IOException("bad id length " + len);
      }
      byte[] b = new byte[len];
      in.readFully(b);
      String id = new String(b, StandardCharsets.UTF_8);
      if (x.indexOf(id) != k) {
        throw new IOException("duplicate id " + id);
      }
    }
    return x;
  }
}
