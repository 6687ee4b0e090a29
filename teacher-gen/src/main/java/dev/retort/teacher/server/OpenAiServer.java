package dev.retort.teacher.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.retort.core.data.Completions;
import dev.retort.core.data.SamplingParams;
import dev.retort.core.io.Json;
import dev.retort.model.ChatMessage;
import dev.retort.teacher.http.Transports;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBufInputStream;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An OpenAI-compatible server ({@code POST /v1/chat/completions}, {@code GET /v1/models},
 * {@code GET /health}) in front of a {@link CompletionBackend}: a local checkpoint
 * ({@link dev.retort.teacher.djl.DjlBackend}) or the deterministic {@link ScriptedBackend}.
 *
 * <p>Design choices:
 * <ul>
 *   <li>The embedded default teacher is served over the same HTTP path as a production pool, so
 *       the client, retries and the generate job are exercised for real on one laptop.
 *   <li>Netty, fully asynchronous: requests wait in the {@link Batcher} and answers are written from
 *       whatever thread finishes them, so one server holds thousands of requests.
 *   <li>A request with {@code n = k} becomes k samples with seeds seed, seed+1, ... in the batch.
 *   <li>The server injects no faults. A caller may put one more handler per connection in front
 *       of the request handler ({@link #start(CompletionBackend, ServerOptions, Supplier)}): the
 *       bench module's fault injection (errors, dropped connections, hangs, added latency) for
 *       benchmarks and tests of the client lives there.
 *   <li>Binds 127.0.0.1 unless told otherwise; an optional bearer token guards /v1/* and is
 *       compared in constant time and never logged.
 *   <li>Limits, so that no client can starve others: n and max_tokens above their caps, and prompts
 *       the backend cannot fit in its context, are a 400 before anything is allocated; a body over
 *       the limit is a 413 decided from its Content-Length (or once the chunks read pass the limit),
 *       never buffered in full; a full batcher queue is a 429 with Retry-After; idle connections
 *       are closed, and at the connection cap an idle connection makes room, never-used ones
 *       first (a new connection is refused only when every one is busy); the
 *       {@link Batcher} schedules in slices, round-robin, and isolates failing rows; a request whose
 *       client disconnects is cancelled and its samples leave the batch.
 * </ul>
 */
public final class OpenAiServer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(OpenAiServer.class);

  private final ServerOptions options;
  private final CompletionBackend backend;
  private final Batcher batcher;
  private final EventLoopGroup boss;
  private final EventLoopGroup workers;
  private final ChannelGroup channels = new DefaultChannelGroup(GlobalEventExecutor.INSTANCE);
  private final Channel serverChannel;
  private final AtomicLong ids = new AtomicLong();
  private final Stats stats = new Stats();
  private final Set<Conn> conns = ConcurrentHashMap.newKeySet();
  private final Object admission = new Object();
  private int open; // connections admitted and not yet closed, guarded by admission

  /** Counters of what the server did, for tests and benchmarks. */
  public static final class Stats {
    public final AtomicLong requests = new AtomicLong();
    public final AtomicLong completed = new AtomicLong();
    public final AtomicLong samples = new AtomicLong();
    public final AtomicLong rejected = new AtomicLong();
    /** 413s: bodies over --max-body-bytes. */
    public final AtomicLong tooLarge = new AtomicLong();
    /** 429s: the batcher's queue was full. */
    public final AtomicLong queueFull = new AtomicLong();
    /** Requests whose client disconnected before the answer (their generation was cancelled). */
    public final AtomicLong disconnected = new AtomicLong();
    /** Connections closed for being idle longer than --idle-timeout-s. */
    public final AtomicLong idleClosed = new AtomicLong();
    /** Idle connections closed to make room for a new one at --max-connections. */
    public final AtomicLong evicted = new AtomicLong();
    /** New connections closed at once because every connection had a request in progress. */
    public final AtomicLong refusedConnections = new AtomicLong();
  }

  private OpenAiServer(CompletionBackend backend, ServerOptions options, Supplier<? extends ChannelHandler> extra)
      throws InterruptedException {
    this.options = options;
    this.backend = backend;
    this.batcher = new Batcher(backend, options.maxBatch(), options.batchWait(), options.sliceTokens(),
        options.queueCapacity(), "retort-server-batcher");
    this.boss = Transports.group(1, "retort-server-accept");
    this.workers = Transports.group(options.ioThreads(), "retort-server-io");
    try {
      this.serverChannel = new ServerBootstrap()
          .group(boss, workers)
          .channel(Transports.serverSocket())
          .option(ChannelOption.SO_BACKLOG, 4096)
          .option(ChannelOption.SO_REUSEADDR, true)
          .childOption(ChannelOption.TCP_NODELAY, true)
          .childHandler(new ChannelInitializer<SocketChannel>() {
            @Override
            protected void initChannel(SocketChannel ch) {
              if (!admit()) {
                stats.refusedConnections.incrementAndGet();
                ch.config().setOption(ChannelOption.SO_LINGER, 0); // reset: the descriptor is freed at once
                ch.close();
                return;
              }
              Conn conn = new Conn(ch);
              conns.add(conn);
              ch.closeFuture().addListener(f -> {
                conns.remove(conn);
                synchronized (admission) {
                  open--;
                }
              });
              channels.add(ch);
              long idleMs = options.idleTimeout().toMillis();
              ch.pipeline().addLast(new IdleStateHandler(0, 0, idleMs, TimeUnit.MILLISECONDS));
              ch.pipeline().addLast(conn);
              ch.pipeline().addLast(new HttpServerCodec());
              ch.pipeline().addLast(new BodyLimit(options.maxBodyBytes()));
              if (extra != null) {
                ch.pipeline().addLast(extra.get());
              }
              ch.pipeline().addLast(new Handler(conn));
            }
          })
          .bind(options.host(), options.port()).sync().channel();
    } catch (RuntimeException | InterruptedException e) {
      shutdownGroups();
      batcher.close();
      throw e;
    }
  }

  /**
   * Starts a server; it runs until {@link #close()}.
   *
   * @throws IllegalStateException when the address cannot be bound (message names host and port)
   */
  public static OpenAiServer start(CompletionBackend backend, ServerOptions options) {
    return start(backend, options, null);
  }

  /**
   * As {@link #start(CompletionBackend, ServerOptions)}, with {@code extra} making one more handler
   * per connection, placed after the HTTP codec and the body limit and before the request handler:
   * it sees each whole request ({@code FullHttpRequest}) before the server does, may answer it
   * itself or close the connection, and sees each response the server writes.
   *
   * @param extra null for none
   */
  public static OpenAiServer start(CompletionBackend backend, ServerOptions options,
      Supplier<? extends ChannelHandler> extra) {
    try {
      OpenAiServer s = new OpenAiServer(backend, options, extra);
      LOG.info("serving {} on {} ({})", options.servedModelName(), s.url(), options);
      return s;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while binding " + options.host() + ":" + options.port(), e);
    } catch (RuntimeException e) {
      throw new IllegalStateException("cannot listen on " + options.host() + ":" + options.port() + ": " + e.getMessage(), e);
    }
  }

  public int port() {
    return ((InetSocketAddress) serverChannel.localAddress()).getPort();
  }

  /** Base URL including /v1, as {@code teacher.endpoints} expects it. */
  public String url() {
    String h = options.host().contains(":") ? "[" + options.host() + "]" : options.host();
    return "http://" + h + ":" + port() + "/v1";
  }

  public ServerOptions options() {
    return options;
  }

  public Stats stats() {
    return stats;
  }

  public Batcher batcher() {
    return batcher;
  }

  /** Connections open now. */
  public int openConnections() {
    synchronized (admission) {
      return open;
    }
  }

  /**
   * Takes a slot for a new connection. At the cap, an idle connection (no request in progress) is
   * closed to make room, so idle connections cannot lock out clients that have work: first the
   * longest-idle one that never sent a request, else the longest-idle one. When every connection
   * has a request in progress, the new one is refused.
   */
  private boolean admit() {
    synchronized (admission) {
      if (open < options.maxConnections()) {
        open++;
        return true;
      }
      Conn victim = null;
      for (Conn c : conns) {
        if (c.inFlight.get() == 0 && !c.evicting && (victim == null || c.evictsBefore(victim))) {
          victim = c;
        }
      }
      if (victim == null) {
        return false;
      }
      victim.evicting = true;
      stats.evicted.incrementAndGet();
      victim.channel.config().setOption(ChannelOption.SO_LINGER, 0); // reset: no FIN handshake to wait for
      victim.channel.close();
      open++; // the victim's slot is released when its close completes
      return true;
    }
  }

  /** One connection: when it last saw traffic, how many requests it has in progress; closes it when idle. */
  private final class Conn extends ChannelInboundHandlerAdapter {
    final Channel channel;
    final AtomicInteger inFlight = new AtomicInteger();
    volatile long lastActivity = System.nanoTime();
    volatile boolean evicting;
    volatile boolean used;

    Conn(Channel channel) {
      this.channel = channel;
    }

    /** Never-used connections go first (a flood of empty connections), then the longest idle. */
    boolean evictsBefore(Conn other) {
      if (used != other.used) {
        return !used;
      }
      return lastActivity < other.lastActivity;
    }

    void touch() {
      lastActivity = System.nanoTime();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      touch();
      ctx.fireChannelRead(msg);
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
      if (evt instanceof IdleStateEvent) {
        if (inFlight.get() == 0) {
          stats.idleClosed.incrementAndGet();
          ctx.close();
        }
        return;
      }
      super.userEventTriggered(ctx, evt);
    }
  }

  /** The body limit: decided from Content-Length before the body is read (413), counted in the stats. */
  private final class BodyLimit extends HttpObjectAggregator {
    BodyLimit(int maxBytes) {
      super(maxBytes);
    }

    @Override
    protected void handleOversizedMessage(ChannelHandlerContext ctx, HttpMessage oversized) throws Exception {
      stats.tooLarge.incrementAndGet();
      super.handleOversizedMessage(ctx, oversized);
    }
  }

  /** Stops listening, drops open connections (in-flight requests see a closed connection), stops the backend. */
  @Override
  public void close() {
    serverChannel.close().syncUninterruptibly();
    channels.close().awaitUninterruptibly(2, TimeUnit.SECONDS);
    batcher.close();
    shutdownGroups();
    try {
      backend.close();
    } catch (Exception e) {
      LOG.warn("backend close failed: {}", e.toString());
    }
  }

  private void shutdownGroups() {
    boss.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    workers.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(3, TimeUnit.SECONDS);
  }

  /** A client error with OpenAI's error body. */
  private static final class BadRequest extends Exception {
    private static final long serialVersionUID = 1L;
    final HttpResponseStatus status;
    final String param;

    BadRequest(HttpResponseStatus status, String message, String param) {
      super(message);
      this.status = status;
      this.param = param;
    }
  }

  private final class Handler extends SimpleChannelInboundHandler<FullHttpRequest> {
    private final Conn conn;

    Handler(Conn conn) {
      this.conn = conn;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
      boolean keepAlive = HttpUtil.isKeepAlive(req);
      String path = req.uri();
      int q = path.indexOf('?');
      if (q >= 0) {
        path = path.substring(0, q);
      }
      if (!req.decoderResult().isSuccess()) {
        send(ctx, error(HttpResponseStatus.BAD_REQUEST, "malformed HTTP request", null), false);
        return;
      }
      if (path.equals("/health")) {
        send(ctx, json(HttpResponseStatus.OK, Json.COMPACT.createObjectNode().put("status", "ok")
            .put("pending_samples", batcher.pending()).put("queue_capacity", batcher.capacity())
            .put("connections", openConnections())), keepAlive);
        return;
      }
      if (path.startsWith("/v1/") && !authorized(req)) {
        send(ctx, error(HttpResponseStatus.UNAUTHORIZED, "missing or wrong bearer token", null), keepAlive);
        return;
      }
      if (path.equals("/v1/models") && req.method().equals(HttpMethod.GET)) {
        send(ctx, json(HttpResponseStatus.OK, models()), keepAlive);
        return;
      }
      if (path.equals("/v1/chat/completions")) {
        if (!req.method().equals(HttpMethod.POST)) {
          send(ctx, error(HttpResponseStatus.METHOD_NOT_ALLOWED, "use POST", null), keepAlive);
          return;
        }
        conn.inFlight.incrementAndGet();
        conn.used = true;
        chat(ctx, req, keepAlive, conn);
        return;
      }
      send(ctx, error(HttpResponseStatus.NOT_FOUND, "no route " + req.method() + " " + path, null), keepAlive);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      LOG.debug("connection error: {}", cause.toString());
      ctx.close();
    }
  }

  private boolean authorized(FullHttpRequest req) {
    if (options.bearerToken() == null) {
      return true;
    }
    String h = req.headers().get(HttpHeaderNames.AUTHORIZATION);
    if (h == null || !h.regionMatches(true, 0, "Bearer ", 0, 7)) {
      return false;
    }
    byte[] given = h.substring(7).trim().getBytes(StandardCharsets.UTF_8);
    return MessageDigest.isEqual(given, options.bearerToken().getBytes(StandardCharsets.UTF_8));
  }

  private ObjectNode models() {
    ObjectNode o = Json.COMPACT.createObjectNode().put("object", "list");
    o.putArray("data").addObject()
        .put("id", options.servedModelName())
        .put("object", "model")
        .put("created", 0)
        .put("owned_by", "retort");
    return o;
  }

  /** Answers one chat request; {@code conn.inFlight} was raised for it and is lowered before the answer is sent. */
  private void chat(ChannelHandlerContext ctx, FullHttpRequest req, boolean keepAlive, Conn conn) {
    stats.requests.incrementAndGet();
    Parsed p;
    try {
      p = parse(req);
    } catch (BadRequest e) {
      stats.rejected.incrementAndGet();
      conn.inFlight.decrementAndGet();
      send(ctx, error(e.status, e.getMessage(), e.param), keepAlive);
      return;
    }
    List<CompletionRequest> samples = new ArrayList<>(p.n);
    for (int i = 0; i < p.n; i++) {
      Long seed = p.seed == null ? null : p.seed + i;
      samples.add(new CompletionRequest(p.messages, new SamplingParams(p.temperature, p.topP, p.topK, p.maxTokens, seed), p.stop));
    }
    try {
      backend.check(samples.get(0));
    } catch (IllegalArgumentException e) {
      stats.rejected.incrementAndGet();
      conn.inFlight.decrementAndGet();
      send(ctx, error(HttpResponseStatus.BAD_REQUEST, e.getMessage(), "messages"), keepAlive);
      return;
    }
    CompletableFuture<List<Completion>> f;
    if (backend.inline()) {
      try {
        f = CompletableFuture.completedFuture(backend.generate(samples));
      } catch (Exception e) {
        f = CompletableFuture.failedFuture(e);
      }
    } else {
      f = batcher.submitAll(samples);
    }
    // A client that disconnects cancels its request: the batcher drops its samples before their next slice.
    CompletableFuture<List<Completion>> request = f;
    ChannelFutureListener onClose = x -> request.cancel(false);
    ctx.channel().closeFuture().addListener(onClose);
    f.whenComplete((out, err) -> {
      ctx.channel().closeFuture().removeListener(onClose);
      conn.inFlight.decrementAndGet();
      conn.touch();
      if (err != null) {
        Throwable c = err instanceof CompletionException && err.getCause() != null ? err.getCause() : err;
        if (c instanceof CancellationException) {
          stats.disconnected.incrementAndGet();
          return;
        }
        if (c instanceof Batcher.Full) {
          stats.queueFull.incrementAndGet();
          FullHttpResponse r = error(HttpResponseStatus.TOO_MANY_REQUESTS, c.getMessage(), null);
          r.headers().set(HttpHeaderNames.RETRY_AFTER, "1");
          send(ctx, r, keepAlive);
          return;
        }
        send(ctx, error(HttpResponseStatus.INTERNAL_SERVER_ERROR, "generation failed: " + c, null), keepAlive);
        return;
      }
      stats.completed.incrementAndGet();
      stats.samples.addAndGet(out.size());
      send(ctx, json(HttpResponseStatus.OK, response(p, out)), keepAlive);
    });
  }

  private record Parsed(List<ChatMessage> messages, int n, double temperature, double topP, int topK, int maxTokens,
      Long seed, List<String> stop) {}

  private Parsed parse(FullHttpRequest req) throws BadRequest {
    JsonNode root;
    try (ByteBufInputStream in = new ByteBufInputStream(req.content())) {
      root = Json.COMPACT.readTree((java.io.InputStream) in);
    } catch (IOException e) {
      throw new BadRequest(HttpResponseStatus.BAD_REQUEST, "body is not valid JSON", null);
    }
    if (root == null || !root.isObject()) {
      throw new BadRequest(HttpResponseStatus.BAD_REQUEST, "body must be a JSON object", null);
    }
    String model = root.path("model").asText(null);
    if (model != null && !model.equals(options.servedModelName())) {
      throw new BadRequest(HttpResponseStatus.NOT_FOUND, "The model `" + model + "` does not exist (this server serves `"
          + options.servedModelName() + "`)", "model");
    }
    JsonNode msgs = root.get("messages");
    if (msgs == null || !msgs.isArray() || msgs.isEmpty()) {
      throw new BadRequest(HttpResponseStatus.BAD_REQUEST, "'messages' must be a non-empty list", "messages");
    }
    List<ChatMessage> messages = new ArrayList<>();
    for (JsonNode m : msgs) {
      String role = m.path("role").asText(null);
      JsonNode c = m.get("content");
      String content;
      if (c != null && c.isTextual()) {
        content = c.asText();
      } else if (c != null && c.isArray()) {
        StringBuilder b = new StringBuilder();
        for (JsonNode part : c) {
          if ("text".equals(part.path("type").asText())) {
            b.append(part.path("text").asText());
          }
        }
        content = b.toString();
      } else {
        content = null;
      }
      if (role == null || content == null) {
        throw new BadRequest(HttpResponseStatus.BAD_REQUEST, "each message needs 'role' and text 'content'", "messages");
      }
      messages.add(new ChatMessage(role, content));
    }
    int n = intField(root, "n", 1);
    if (n < 1 || n > options.maxN()) {
      throw new BadRequest(HttpResponseStatus.BAD_REQUEST, "'n' must be in 1.." + options.maxN()
          + " (this server's --max-n), got " + n, "n");
    }
    double temperature = numberField(root, "temperature", 1.0);
    double topP = numberField(root, "top_p", 1.0);
    int topK = intField(root, "top_k", 0);
    if (topK < 0) {
      throw new BadRequest(HttpResponseStatus.BAD_REQUEST, "'top_k' must be >= 0 (0: off)", "top_k");
    }
    String maxField = root.has("max_completion_tokens") ? "max_completion_tokens" : "max_tokens";
    int maxTokens = intField(root, maxField, 256);
    if (temperature < 0 || temperature > 2) {
      throw new BadRequest(HttpResponseStatus.BAD_REQUEST, "'temperature' must be in [0, 2]", "temperature");
    }
    if (topP <= 0 || topP > 1) {
      throw new BadRequest(HttpResponseStatus.BAD_REQUEST, "'top_p' must be in (0, 1]", "top_p");
    }
    if (maxTokens < 1 || maxTokens > options.maxTokensCap()) {
      throw new BadRequest(HttpResponseStatus.BAD_REQUEST, "'" + maxField + "' must be in 1.." + options.maxTokensCap()
          + " (this server's --max-tokens-cap), got " + maxTokens, maxField);
    }
    Long seed = null;
    JsonNode sd = root.get("seed");
    if (sd != null && !sd.isNull()) {
      if (!sd.isIntegralNumber() || !sd.canConvertToLong()) {
        throw new BadRequest(HttpResponseStatus.BAD_REQUEST, "'seed' must be a 64-bit integer", "seed");
      }
      seed = sd.asLong();
    }
    List<String> stop = new ArrayList<>();
    JsonNode st = root.get("stop");
    if (st != null && st.isTextual()) {
      stop.add(st.asText());
    } else if (st != null && st.isArray()) {
      for (JsonNode s1 : st) {
        if (!s1.isTextual()) {
          throw new BadRequest(HttpResponseStatus.BAD_REQUEST, "'stop' must be a string or a list of strings", "stop");
        }
        stop.add(s1.asText());
      }
    } else if (st != null && !st.isNull()) {
      throw new BadRequest(HttpResponseStatus.BAD_REQUEST, "'stop' must be a string or a list of strings", "stop");
    }
    if (root.path("stream").asBoolean(false)) {
      throw new BadRequest(HttpResponseStatus.BAD_REQUEST, "streaming is not supported by this server", "stream");
    }
    return new Parsed(messages, n, temperature, topP, topK, maxTokens, seed, stop);
  }

  /** An optional integer field: absent or null gives {@code def}; anything but a 32-bit integer is a 400. */
  private static int intField(JsonNode root, String field, int def) throws BadRequest {
    JsonNode v = root.get(field);
    if (v == null || v.isNull()) {
      return def;
    }
    if (!v.isIntegralNumber() || !v.canConvertToInt()) {
      throw new BadRequest(HttpResponseStatus.BAD_REQUEST, "'" + field + "' must be an integer in ["
          + Integer.MIN_VALUE + ", " + Integer.MAX_VALUE + "]", field);
    }
    return v.asInt();
  }

  /** An optional number field: absent or null gives {@code def}; a string or other type is a 400, never coerced. */
  private static double numberField(JsonNode root, String field, double def) throws BadRequest {
    JsonNode v = root.get(field);
    if (v == null || v.isNull()) {
      return def;
    }
    if (!v.isNumber()) {
      throw new BadRequest(HttpResponseStatus.BAD_REQUEST, "'" + field + "' must be a number", field);
    }
    return v.asDouble();
  }

  private ObjectNode response(Parsed p, List<Completion> out) {
    ObjectNode o = Json.COMPACT.createObjectNode();
    o.put("id", "chatcmpl-" + ids.incrementAndGet());
    o.put("object", "chat.completion");
    o.put("created", System.currentTimeMillis() / 1000);
    o.put("model", options.servedModelName());
    ArrayNode choices = o.putArray("choices");
    int completionTokens = 0;
    for (int i = 0; i < out.size(); i++) {
      Completion c = out.get(i);
      completionTokens += c.completionTokens();
      ObjectNode msg = Json.COMPACT.createObjectNode().put("role", "assistant");
      switch (options.reasoningFormat()) {
        case REASONING_CONTENT -> msg.put("content", c.answer()).put("reasoning_content", c.reasoning());
        case REASONING -> msg.put("content", c.answer()).put("reasoning", c.reasoning());
        case THINK_TAGS -> msg.put("content", Completions.compose(c.reasoning(), c.answer()));
        case THINK_NO_OPEN -> msg.put("content", c.reasoning() + "\n" + Completions.THINK_CLOSE + "\n\n" + c.answer());
        default -> throw new IllegalStateException();
      }
      choices.addObject().put("index", i).<ObjectNode>set("message", msg).put("finish_reason", c.finishReason());
    }
    int promptTokens = out.isEmpty() ? 0 : out.get(0).promptTokens();
    o.putObject("usage").put("prompt_tokens", promptTokens).put("completion_tokens", completionTokens)
        .put("total_tokens", promptTokens + completionTokens);
    return o;
  }

  private static FullHttpResponse json(HttpResponseStatus status, JsonNode body) {
    byte[] bytes;
    try {
      bytes = Json.COMPACT.writeValueAsBytes(body);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, Unpooled.wrappedBuffer(bytes));
    r.headers().set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON);
    r.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, bytes.length);
    return r;
  }

  /** An error response with OpenAI's error body ({@code param} may be null). */
  public static FullHttpResponse error(HttpResponseStatus status, String message, String param) {
    ObjectNode o = Json.COMPACT.createObjectNode();
    ObjectNode e = o.putObject("error");
    e.put("message", message);
    e.put("type", status.code() < 500 ? "invalid_request_error" : "server_error");
    if (param != null) {
      e.put("param", param);
    }
    e.put("code", status.code());
    return json(status, o);
  }

  private static void send(ChannelHandlerContext ctx, FullHttpResponse r, boolean keepAlive) {
    if (!ctx.channel().isActive()) {
      r.release();
      return;
    }
    if (keepAlive) {
      r.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
      ctx.writeAndFlush(r);
    } else {
      r.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
      ctx.writeAndFlush(r).addListener(ChannelFutureListener.CLOSE);
    }
  }
}
