/**
 * relstream-http: the one hardened HTTP/1.1 server of every relstream process (ingest's collector,
 * serving, the demo's front proxy), on Jetty 12's core API, no servlets. Depends only on Jetty,
 * Jackson and slf4j.
 *
 * <h2>Use</h2>
 * <pre>{@code
 * Routes routes = new Routes()
 *     .get("/health", r -> ApiResponse.json(200, Map.of("status", "up")))
 *     .getPrefix("/recommend/", r -> recommend(r.rawPath(), r.param("k")))   // throw ApiException(400, ...)
 *     .post("/events", r -> ingest(r.body()))                                   // body: limited, gzip decoded
 *     .streaming("/api/", proxyHandler);                                        // a Jetty Handler that streams
 * HardenedHttpServer server = HardenedHttpServer.builder("collector")
 *     .bind(bind).port(port).token(token)                // non-loopback without a token: IllegalArgumentException
 *     .limits(HttpLimits.defaults().withMaxBodyBytes(4 << 20))
 *     .routes(routes).listener((method, rawPath, status, nanos) -> myMetrics.request(...)).build();
 * server.start();                                        // metrics text += server.metrics().prometheus("relstream_x")
 * }</pre>
 *
 * <h2>Limits ({@link io.relstream.http.HttpLimits})</h2>
 * <ul>
 *   <li>header timeout (10 s): {@code HeaderDeadline}, a sweep every 250 ms over the connector's
 *       connections reading each HTTP parser's state; headers still incomplete after the timeout
 *       get a raw {@code 408} JSON answer and the connection is closed. Jetty's idle timeout alone
 *       restarts at every byte.</li>
 *   <li>body rate (1 KiB/s after 5 s): the body is read with {@code Request.read()/demand()}, no
 *       thread waits; a scheduler task checks the average rate since the headers: 408 and close.
 *       (Jetty's {@code HttpConfiguration.setMinRequestDataRate} is not used: it is enforced only
 *       while the application reads, which a demand-driven reader never blocks in.)</li>
 *   <li>max header bytes (8 KiB): Jetty's {@code requestHeaderSize}; its 431 goes through the JSON
 *       error handler.</li>
 *   <li>max body bytes (1 MiB): Content-Length checked before reading (413 and close, the body is
 *       never read); chunked bodies as they arrive; gzip bodies on the decoded size.</li>
 *   <li>max concurrent (64): a semaphore taken only when the whole body is in, just before the
 *       handler; 503 with {@code Retry-After} when none is free.</li>
 * </ul>
 *
 * <h2>Streaming handlers</h2>
 * {@link io.relstream.http.Routes#streaming} hands a prefix to a plain Jetty
 * {@link org.eclipse.jetty.server.Handler} (e.g. a proxy built on Jetty's client): the token, URI
 * and header limits, the Content-Length limit and JSON error pages still apply, and a concurrency
 * slot is held until its callback completes. Its body is not read or decoded by the server: the
 * handler streams it and is responsible for chunked size and rate limits.
 */
package io.relstream.http;
