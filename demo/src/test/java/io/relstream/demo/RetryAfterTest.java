package io.relstream.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class RetryAfterTest {
  @Test
  void theServersWaitWithinBounds() {
    assertEquals(2000, RetryAfter.millis("2", 10));
    assertEquals(1000, RetryAfter.millis((String) null, 10), "absent: 1 s");
    assertEquals(1000, RetryAfter.millis("0", 10), "at least 1 s: no busy loop");
    assertEquals(10_000, RetryAfter.millis("3600", 10), "capped");
    assertEquals(1000, RetryAfter.millis("Wed, 21 Oct 2026 07:28:00 GMT", 10), "an HTTP date: 1 s");
  }
}
