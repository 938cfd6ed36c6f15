package io.relstream.events;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.List;
import org.junit.jupiter.api.Test;

class IndexListTest {

  @Test
  void keepsEntriesInTimestampThenIdOrderWithAnyCharactersInIds() {
    String v = null;
    v = IndexList.add(v, 30, "b");
    v = IndexList.add(v, 10, "12:x|y");
    v = IndexList.add(v, 30, "a");
    v = IndexList.add(v, 20, "");
    assertEquals(List.of(new IndexList.Entry(10, "12:x|y"), new IndexList.Entry(20, ""),
        new IndexList.Entry(30, "a"), new IndexList.Entry(30, "b")), IndexList.parse(v));
    assertEquals(List.of("", "12:x|y", "a", "b"), IndexList.ids(v), "ids in event id order");
    assertEquals(List.of("", "a", "b"), IndexList.idsBetween(v, 20, 30), "inclusive bounds");
    assertEquals(List.of("12:x|y"), IndexList.idsBetween(v, -5, 10), "negative lower bound counts as 0");
    assertEquals(List.of(), IndexList.idsBetween(v, 31, 100));
  }

  @Test
  void removingTheLastEntryLeavesNothing() {
    String v = IndexList.add(IndexList.add(null, 5, "e1"), 6, "e2");
    v = IndexList.remove(v, "e1");
    assertEquals(List.of("e2"), IndexList.ids(v));
    assertEquals(v, IndexList.remove(v, "absent"), "removing an absent id changes nothing");
    assertNull(IndexList.remove(v, "e2"));
    assertEquals(List.of(), IndexList.ids(null));
  }
}
