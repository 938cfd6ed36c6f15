package io.relstream.http;

/**
 * A route's code: runs once the request's body has fully arrived (within the limits), holding one
 * of {@link HttpLimits#maxConcurrent()} slots; it may block. Throw {@link ApiException} for a JSON
 * error; any other exception is logged and answered 500.
 */
@FunctionalInterface
public interface ApiHandler {
  ApiResponse handle(ApiRequest request) throws Exception;
}
