package io.relstream.http;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.http.HttpParser;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.internal.HttpConnection;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.Scheduler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The request-header deadline Jetty lacks (its idle timeout restarts at every byte, so a client
 * sending one header byte a second would hold a connection forever). A sweep every
 * {@link #PERIOD_MS} ms looks at each connection's HTTP parser: a connection whose request line and
 * headers are still incomplete after the header timeout gets a raw 408 JSON answer and is closed.
 * The clock starts at the connection's opening for its first request, and at the first sight of
 * a started request line for later ones (an idle kept-alive connection is left to the idle timeout).
 * No thread is held by a slow connection: the sweep only reads parser state.
 */
final class HeaderDeadline implements Connection.Listener, Runnable {
  static final long PERIOD_MS = 250;
  private static final Logger LOG = LoggerFactory.getLogger(HeaderDeadline.class);
  private static final byte[] BODY = Json.error("request headers not received within the header timeout");
  private static final byte[] RESPONSE;

  static {
    byte[] head = ("HTTP/1.1 408 Request Timeout\r\nContent-Type: application/json\r\nContent-Length: " + BODY.length
        + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
    RESPONSE = new byte[head.length + BODY.length];
    System.arraycopy(head, 0, RESPONSE, 0, head.length);
    System.arraycopy(BODY, 0, RESPONSE, head.length, BODY.length);
  }

  /** Per open connection: the request count when its clock started, and that start. */
  private record Clock(long messagesIn, long startNanos) {}

  private final ServerConnector connector;
  private final long timeoutNanos;
  private final HttpServerMetrics metrics;
  private final Map<Connection, Clock> clocks = new ConcurrentHashMap<>();
  private volatile Scheduler.Task task;
  private volatile Scheduler scheduler;

  HeaderDeadline(ServerConnector connector, long timeoutNanos, HttpServerMetrics metrics) {
    this.connector = connector;
    this.timeoutNanos = timeoutNanos;
    this.metrics = metrics;
  }

  void start(Scheduler s) {
    scheduler = s;
    task = s.schedule(this, PERIOD_MS, TimeUnit.MILLISECONDS);
  }

  void stop() {
    Scheduler.Task t = task;
    scheduler = null;
    if (t != null) {
      t.cancel();
    }
  }

  @Override
  public void onOpened(Connection connection) {
    clocks.put(connection, new Clock(0, System.nanoTime()));
  }

  @Override
  public void onClosed(Connection connection) {
    clocks.remove(connection);
  }

  @Override
  public void run() {
    try {
      sweep();
    } catch (RuntimeException e) {
      LOG.warn("header deadline sweep failed", e);
    } finally {
      Scheduler s = scheduler;
      if (s != null) {
        task = s.schedule(this, PERIOD_MS, TimeUnit.MILLISECONDS);
      }
    }
  }

  private void sweep() {
    long now = System.nanoTime();
    for (EndPoint ep : connector.getConnectedEndPoints()) {
      if (!(ep.getConnection() instanceof HttpConnection hc)) {
        continue;
      }
      HttpParser parser = hc.getParser();
      long messages = hc.getMessagesIn();
      Clock clock = clocks.get(hc);
      if (clock == null) {
        continue;
      }
      boolean waiting = parser.inHeaderState() && !parser.isClose() && !parser.isClosed();
      boolean started = !parser.isStart();
      if (!waiting || (messages > 0 && !started)) {
        // busy with a body or a response, or idle between requests: restart the clock next time
        if (clock.messagesIn != -1) {
          clocks.replace(hc, clock, new Clock(-1, now));
        }
        continue;
      }
      if (clock.messagesIn == -1 || clock.messagesIn != messages) {
        if (messages > 0) {
          clocks.replace(hc, clock, new Clock(messages, now));
          continue;
        }
      }
      if (now - clock.startNanos > timeoutNanos) {
        clocks.remove(hc);
        metrics.rejected(HttpServerMetrics.Rejection.HEADER_TIMEOUT);
        metrics.response(408);
        LOG.debug("header timeout on {}", ep);
        ep.write(Callback.from(ep::close, x -> ep.close(x)), ByteBuffer.wrap(RESPONSE));
      }
    }
  }
}
