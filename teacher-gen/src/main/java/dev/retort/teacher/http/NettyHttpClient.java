package dev.retort.teacher.http;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.util.AttributeKey;
import io.netty.util.concurrent.ScheduledFuture;
import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLException;

/**
 * A small asynchronous HTTP/1.1 client on Netty with a keep-alive connection pool per host.
 *
 * <p>Why not java.net.http.HttpClient: over HTTP/1.1 both hold one connection per request in
 * flight (OpenAI-compatible servers do not pipeline), but the JDK client spends several times more
 * CPU per request, and the teacher-pool benchmark needs thousands in flight from two cores. One
 * event-loop thread drives every connection; nothing blocks.
 *
 * <p>Every call completes: with the response, or with a {@link ConnectionFailure} on connect
 * errors, resets, a close before the response, or the per-call timeout (which closes the
 * connection, so a late answer can never be mistaken for the next request's).
 */
final class NettyHttpClient implements AutoCloseable {
  private static final AttributeKey<Exchange> EXCHANGE = AttributeKey.valueOf("retort.exchange");
  private static final AttributeKey<Long> IDLE_SINCE = AttributeKey.valueOf("retort.idleSince");
  /**
   * A reused connection that closes before answering counts as stale (closed by the server's
   * keep-alive timeout while idle, nothing processed) only if it sat idle this long; a quicker
   * close is the server dropping the request and counts as a failure.
   */
  private static final long STALE_AFTER_IDLE_NANOS = TimeUnit.MILLISECONDS.toNanos(1000);
  private static final int MAX_BODY = 64 << 20;

  private final EventLoopGroup group;
  private final int connectTimeoutMs;
  /** Connection pools by scheme://host:port, and a cache of the pool of each request URI. */
  private final Map<String, HostPool> hostPools = new ConcurrentHashMap<>();
  private final Map<URI, HostPool> pools = new ConcurrentHashMap<>();
  private volatile SslContext ssl;
  private final java.util.concurrent.atomic.AtomicLong staleRetries = new java.util.concurrent.atomic.AtomicLong();

  NettyHttpClient(int ioThreads, Duration connectTimeout, String threadPrefix) {
    this.group = Transports.group(ioThreads, threadPrefix);
    this.connectTimeoutMs = (int) Math.min(Integer.MAX_VALUE, connectTimeout.toMillis());
  }

  /** The event loops double as the pool's timer, so backoff and probes need no extra thread. */
  EventLoopGroup group() {
    return group;
  }

  CompletableFuture<HttpResult> send(URI uri, HttpMethod method, byte[] body, Map<String, String> headers, Duration timeout) {
    CompletableFuture<HttpResult> out = new CompletableFuture<>();
    attempt(uri, method, body, headers, timeout, false, out);
    return out;
  }

  private void attempt(URI uri, HttpMethod method, byte[] body, Map<String, String> headers, Duration timeout,
      boolean fresh, CompletableFuture<HttpResult> out) {
    HostPool pool = pools.get(uri);
    if (pool == null) {
      pool = pools.computeIfAbsent(uri, u -> hostPools.computeIfAbsent(key(u), k -> new HostPool(u)));
    }
    HostPool hp = pool;
    Channel idle = fresh ? null : hp.pollIdle();
    if (idle != null) {
      Long since = idle.attr(IDLE_SINCE).get();
      boolean staleSuspect = since != null && System.nanoTime() - since >= STALE_AFTER_IDLE_NANOS;
      exchange(hp, idle, staleSuspect, uri, method, body, headers, timeout, out);
      return;
    }
    ChannelFuture cf = hp.bootstrap.connect();
    cf.addListener(f -> {
      if (f.isSuccess()) {
        exchange(hp, cf.channel(), false, uri, method, body, headers, timeout, out);
      } else {
        out.completeExceptionally(new ConnectionFailure("connect to " + hp.hostPort + " failed: " + message(f.cause()),
            false, false, f.cause()));
      }
    });
  }

  /** @param reused the connection was reused after a long idle time (see {@link #STALE_AFTER_IDLE_NANOS}) */
  private void exchange(HostPool pool, Channel ch, boolean reused, URI uri, HttpMethod method, byte[] body,
      Map<String, String> headers, Duration timeout, CompletableFuture<HttpResult> out) {
    CompletableFuture<HttpResult> attemptResult = new CompletableFuture<>();
    Exchange ex = new Exchange(attemptResult, pool, reused);
    ch.attr(EXCHANGE).set(ex);
    ex.timeout = ch.eventLoop().schedule(() -> {
      if (ex.finish()) {
        attemptResult.completeExceptionally(new ConnectionFailure("no response from " + pool.hostPort + " within "
            + timeout.toMillis() + " ms", true, false, null));
        ch.close();
      }
    }, Math.max(1, timeout.toMillis()), TimeUnit.MILLISECONDS);

    String path = uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath();
    if (uri.getRawQuery() != null) {
      path += "?" + uri.getRawQuery();
    }
    ByteBuf content = body == null ? Unpooled.EMPTY_BUFFER : Unpooled.wrappedBuffer(body);
    FullHttpRequest req = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, method, path, content);
    req.headers().set(HttpHeaderNames.HOST, pool.hostPort);
    req.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
    req.headers().set(HttpHeaderNames.ACCEPT, HttpHeaderValues.APPLICATION_JSON);
    if (body != null) {
      req.headers().set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON);
    }
    req.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, content.readableBytes());
    headers.forEach((k, v) -> req.headers().set(k, v));
    ch.writeAndFlush(req).addListener(f -> {
      if (!f.isSuccess() && ex.finish()) {
        attemptResult.completeExceptionally(new ConnectionFailure("send to " + pool.hostPort + " failed: " + message(f.cause()),
            false, reused, f.cause()));
        ch.close();
      }
    });

    attemptResult.whenComplete((r, err) -> {
      if (err instanceof ConnectionFailure cfail && cfail.stale()) {
        // The server closed an idle keep-alive connection just as we reused it: nothing was
        // processed, so one immediate retry on a new connection is free and not a fault.
        staleRetries.incrementAndGet();
        attempt(uri, method, body, headers, timeout, true, out);
      } else if (err != null) {
        out.completeExceptionally(err);
      } else {
        out.complete(r);
      }
    });
  }

  /** Free retries after a reused keep-alive connection turned out closed. */
  long staleRetries() {
    return staleRetries.get();
  }

  @Override
  public void close() {
    for (HostPool p : hostPools.values()) {
      Channel c;
      while ((c = p.idle.poll()) != null) {
        c.close();
      }
    }
    group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
  }

  private SslContext ssl() {
    SslContext s = ssl;
    if (s == null) {
      synchronized (this) {
        if (ssl == null) {
          try {
            ssl = SslContextBuilder.forClient().build();
          } catch (SSLException e) {
            throw new IllegalStateException("cannot set up TLS: " + e.getMessage(), e);
          }
        }
        s = ssl;
      }
    }
    return s;
  }

  private static String key(URI uri) {
    return uri.getScheme() + "://" + uri.getHost() + ":" + port(uri);
  }

  private static int port(URI uri) {
    return uri.getPort() > 0 ? uri.getPort() : ("https".equals(uri.getScheme()) ? 443 : 80);
  }

  private static String message(Throwable t) {
    return t == null ? "unknown" : (t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage());
  }

  /** One request on one connection; finish() makes response, close, error and timeout race safely. */
  private static final class Exchange {
    final CompletableFuture<HttpResult> result;
    final HostPool pool;
    final boolean reused; // after a long idle time: a close before the answer is a stale connection
    ScheduledFuture<?> timeout;
    private boolean done;

    Exchange(CompletableFuture<HttpResult> result, HostPool pool, boolean reused) {
      this.result = result;
      this.pool = pool;
      this.reused = reused;
    }

    /** True for the first caller only. All callers run on the channel's event loop. */
    synchronized boolean finish() {
      if (done) {
        return false;
      }
      done = true;
      if (timeout != null) {
        timeout.cancel(false);
      }
      return true;
    }
  }

  /** The connections of one scheme://host:port: a bootstrap and a stack of idle keep-alive channels. */
  private final class HostPool {
    final String hostPort;
    final Bootstrap bootstrap;
    final ConcurrentLinkedDeque<Channel> idle = new ConcurrentLinkedDeque<>();

    HostPool(URI uri) {
      int port = port(uri);
      boolean tls = "https".equals(uri.getScheme());
      this.hostPort = uri.getHost() + (uri.getPort() > 0 ? ":" + port : "");
      SslContext sslContext = tls ? ssl() : null;
      this.bootstrap = new Bootstrap()
          .group(group)
          .channel(Transports.socket())
          .remoteAddress(uri.getHost(), port)
          .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, connectTimeoutMs)
          .option(ChannelOption.TCP_NODELAY, true)
          .option(ChannelOption.SO_KEEPALIVE, true)
          .handler(new ChannelInitializer<SocketChannel>() {
            @Override
            protected void initChannel(SocketChannel ch) {
              ChannelPipeline p = ch.pipeline();
              if (sslContext != null) {
                p.addLast(sslContext.newHandler(ch.alloc(), uri.getHost(), port));
              }
              p.addLast(new HttpClientCodec());
              p.addLast(new HttpObjectAggregator(MAX_BODY));
              p.addLast(new ResponseHandler());
            }
          });
    }

    /** Most recently used first: warm connections, and the cold ones time out on the server side. */
    Channel pollIdle() {
      Channel c;
      while ((c = idle.pollFirst()) != null) {
        if (c.isActive()) {
          return c;
        }
      }
      return null;
    }

    void release(Channel ch) {
      ch.attr(IDLE_SINCE).set(System.nanoTime());
      idle.addFirst(ch);
    }
  }

  private static final class ResponseHandler extends SimpleChannelInboundHandler<FullHttpResponse> {
    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpResponse res) {
      Exchange ex = ctx.channel().attr(EXCHANGE).getAndSet(null);
      if (ex == null || !ex.finish()) {
        ctx.close(); // an answer nobody waits for (after a timeout): never reuse this connection
        return;
      }
      byte[] bytes = ByteBufUtil.getBytes(res.content());
      String retryAfter = res.headers().get(HttpHeaderNames.RETRY_AFTER);
      HttpResult result = new HttpResult(res.status().code(), retryAfter, bytes);
      if (HttpUtil.isKeepAlive(res) && ctx.channel().isActive()) {
        ex.pool.release(ctx.channel());
      } else {
        ctx.close();
      }
      ex.result.complete(result);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      Exchange ex = ctx.channel().attr(EXCHANGE).getAndSet(null);
      if (ex != null && ex.finish()) {
        ex.result.completeExceptionally(new ConnectionFailure("connection to " + ex.pool.hostPort
            + " closed before a response", false, ex.reused, null));
      }
      ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      Exchange ex = ctx.channel().attr(EXCHANGE).getAndSet(null);
      if (ex != null && ex.finish()) {
        ex.result.completeExceptionally(new ConnectionFailure("connection to " + ex.pool.hostPort + " failed: "
            + (cause instanceof IOException ? message(cause) : cause.toString()), false, false, cause));
      }
      ctx.close();
    }
  }
}
