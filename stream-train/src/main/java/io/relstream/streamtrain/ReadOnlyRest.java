package io.relstream.streamtrain;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Optional;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.runtime.io.network.netty.InboundChannelHandlerFactory;
import org.apache.flink.shaded.netty4.io.netty.buffer.Unpooled;
import org.apache.flink.shaded.netty4.io.netty.channel.ChannelFutureListener;
import org.apache.flink.shaded.netty4.io.netty.channel.ChannelHandler;
import org.apache.flink.shaded.netty4.io.netty.channel.ChannelHandlerContext;
import org.apache.flink.shaded.netty4.io.netty.channel.ChannelInboundHandlerAdapter;
import org.apache.flink.shaded.netty4.io.netty.handler.codec.http.DefaultFullHttpResponse;
import org.apache.flink.shaded.netty4.io.netty.handler.codec.http.FullHttpResponse;
import org.apache.flink.shaded.netty4.io.netty.handler.codec.http.HttpHeaderNames;
import org.apache.flink.shaded.netty4.io.netty.handler.codec.http.HttpMethod;
import org.apache.flink.shaded.netty4.io.netty.handler.codec.http.HttpRequest;
import org.apache.flink.shaded.netty4.io.netty.handler.codec.http.HttpResponseStatus;
import org.apache.flink.shaded.netty4.io.netty.handler.codec.http.HttpVersion;
import org.apache.flink.shaded.netty4.io.netty.util.ReferenceCountUtil;

/**
 * Makes Flink's REST endpoint read-only: every request other than GET, HEAD or OPTIONS (job cancel
 * {@code PATCH /jobs/:id}, stop-with-savepoint, jar upload and run, rescale, ...) gets {@code 403}
 * and the connection is closed. Needed because in Flink 2.2 {@code web.cancel.enable=false} only
 * hides the dashboard's button: the REST handler for {@code PATCH /jobs/:id?mode=cancel} is still
 * registered. Loaded by Flink's REST server through {@link java.util.ServiceLoader}
 * ({@code META-INF/services}); active only when {@value #KEY} is true, which
 * {@link StreamTrainMain#restOnLoopback} sets.
 */
public final class ReadOnlyRest implements InboundChannelHandlerFactory {
  /** Configuration key that turns the filter on. */
  public static final String KEY = "relstream.rest.read-only";

  @Override
  public int priority() {
    return 100;
  }

  @Override
  public Optional<ChannelHandler> createHandler(Configuration configuration, Map<String, String> responseHeaders) {
    if (!Boolean.parseBoolean(configuration.toMap().getOrDefault(KEY, "false"))) {
      return Optional.empty();
    }
    return Optional.of(new Refuser());
  }

  /** Refuses writes; one per channel (it remembers a refused request's remaining content). */
  static final class Refuser extends ChannelInboundHandlerAdapter {
    private boolean refusing;

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      if (msg instanceof HttpRequest req) {
        HttpMethod m = req.method();
        refusing = !(m.equals(HttpMethod.GET) || m.equals(HttpMethod.HEAD) || m.equals(HttpMethod.OPTIONS));
        if (refusing) {
          ReferenceCountUtil.release(msg);
          byte[] body = ("{\"errors\":[\"read-only REST endpoint: " + m.name()
              + " refused (job cancel and submit are disabled)\"]}").getBytes(StandardCharsets.UTF_8);
          FullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.FORBIDDEN,
              Unpooled.wrappedBuffer(body));
          res.headers().set(HttpHeaderNames.CONTENT_TYPE, "application/json");
          res.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, body.length);
          res.headers().set(HttpHeaderNames.CONNECTION, "close");
          ctx.writeAndFlush(res).addListener(ChannelFutureListener.CLOSE);
          return;
        }
      } else if (refusing) {
        ReferenceCountUtil.release(msg);
        return;
      }
      ctx.fireChannelRead(msg);
    }
  }
}
