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

  /**
   * Always a JSON body (Jetty's own {@code handle} writes none for methods outside
   * {@link ErrorHandler#ERROR_METHODS}, e.g. CONNECT).
   */
  @Override
  public boolean handle(Request request, Response response, Callback callback) throws Exception {
    Object s = request.getAttribute(ERROR_STATUS);
    int code = s instanceof Integer i ? i : response.getStatus();
    if (code < 400) {
      code = 500;
    }
    Object m = request.getAttribute(ERROR_MESSAGE);
    Object x = request.getAttribute(ERROR_EXCEPTION);
    response.setStatus(code);
    generateResponse(request, response, code, m == null ? null : m.toString(), x instanceof Throwable t ? t : null,
        callback);
    return true;
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
