package io.relstream.http;

import java.io.IOException;
import java.nio.ByteBuffer;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.util.Callback;

/**
 * Jetty's error pages (bad request lines, headers too large, failed handlers,
 * {@code Response.writeError}) as {@code {"error": "..."}} instead of HTML.
 */
final class JsonErrorHandler extends ErrorHandler {
  private final HttpServerMetrics metrics;

  JsonErrorHandler(HttpServerMetrics metrics) {
    this.metrics = metrics;
    setShowStacks(false);
  }

  @Override
  protected void generateResponse(Request request, Response response, int code, String message, Throwable cause,
      Callback callback) throws IOException {
    metrics.response(code);
    if (code == HttpStatus.REQUEST_HEADER_FIELDS_TOO_LARGE_431) {
      metrics.rejected(HttpServerMetrics.Rejection.HEADERS_TOO_LARGE);
    }
    String text = message == null || message.isBlank() ? HttpStatus.getMessage(code) : message;
    response.getHeaders().put(HttpHeader.CONTENT_TYPE, ApiResponse.JSON_TYPE);
    response.write(true, ByteBuffer.wrap(Json.error(text)), callback);
  }
}
