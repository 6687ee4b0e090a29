package dev.retort.bench.mock;

import dev.retort.teacher.server.CompletionBackend;
import dev.retort.teacher.server.OpenAiServer;
import dev.retort.teacher.server.ServerOptions;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.util.ReferenceCountUtil;
import java.time.Duration;
import java.util.Objects;
import java.util.Random;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A misbehaving teacher for benchmarks and tests of the client: the real {@link OpenAiServer} with
 * a handler in front of it ({@link OpenAiServer#start(CompletionBackend, ServerOptions,
 * java.util.function.Supplier)}) that draws, once per chat request, whether to answer it 500, 503
 * or 429 itself (the last two with {@code Retry-After: 0}), to close its connection without an
 * answer (dropped), or to never answer and close the connection after the hang time (hung); the
 * rest go to the server. Every chat answer, the injected errors included, is delayed by a fixed
 * latency: a scheduled write, not a sleeping thread, so one server holds thousands of delayed
 * requests. Other routes (/health, /v1/models) pass untouched.
 */
public final class FaultInjection {
  /**
   * @param errorRate share of chat requests answered 500, 503 or 429
   * @param dropRate share of chat requests whose connection is closed without an answer
   * @param hangRate share of chat requests never answered; the connection closes after hangTime
   * @param hangTime how long a hung request holds its connection (the server does not see the
   *     request, so its idle timeout closes the connection first when that is shorter)
   * @param latency added to every chat answer
   * @param seed seed of the draws (0: a fresh seed)
   */
  public record Faults(double errorRate, double dropRate, double hangRate, Duration hangTime, Duration latency, long seed) {
    public Faults {
      for (double r : new double[] {errorRate, dropRate, hangRate}) {
        if (!(r >= 0 && r <= 1)) {
          throw new IllegalArgumentException("fault rates must be in [0, 1], got " + r);
        }
      }
      if (errorRate + dropRate + hangRate > 1) {
        throw new IllegalArgumentException("--error-rate + --drop-rate + --hang-rate must be <= 1");
      }
      Objects.requireNonNull(hangTime, "hangTime");
      Objects.requireNonNull(latency, "latency");
      if (hangTime.isNegative() || latency.isNegative()) {
        throw new IllegalArgumentException("hang time and latency must be >= 0");
      }
    }

    /** Only a fixed latency: the mock teacher of the throughput benchmarks. */
    public static Faults latencyOnly(Duration latency) {
      return new Faults(0, 0, 0, Duration.ofSeconds(60), latency, 0);
    }

    boolean none() {
      return errorRate == 0 && dropRate == 0 && hangRate == 0 && latency.isZero();
    }
  }

  /** What this injection did: chat requests seen, and the faults injected into them. */
  public static final class Stats {
    public final AtomicLong requests = new AtomicLong();
    public final AtomicLong errors = new AtomicLong();
    public final AtomicLong dropped = new AtomicLong();
    public final AtomicLong hung = new AtomicLong();

    public long injected() {
      return errors.get() + dropped.get() + hung.get();
    }
  }

  private enum Fault { NONE, ERROR, DROP, HANG }

  private final Faults faults;
  private final Random random;
  private final Stats stats = new Stats();

  public FaultInjection(Faults faults) {
    this.faults = Objects.requireNonNull(faults, "faults");
    this.random = new Random(faults.seed() != 0 ? faults.seed() : ThreadLocalRandom.current().nextLong());
  }

  /** Starts {@code backend} behind a server with this injection in front (none at all when every fault is off). */
  public OpenAiServer start(CompletionBackend backend, ServerOptions options) {
    return faults.none() ? OpenAiServer.start(backend, options) : OpenAiServer.start(backend, options, Injector::new);
  }

  public Faults faults() {
    return faults;
  }

  public Stats stats() {
    return stats;
  }

  private Fault draw() {
    if (faults.errorRate() == 0 && faults.dropRate() == 0 && faults.hangRate() == 0) {
      return Fault.NONE;
    }
    double u;
    synchronized (random) {
      u = random.nextDouble();
    }
    if (u < faults.dropRate()) {
      return Fault.DROP;
    }
    if (u < faults.dropRate() + faults.hangRate()) {
      return Fault.HANG;
    }
    if (u < faults.dropRate() + faults.hangRate() + faults.errorRate()) {
      return Fault.ERROR;
    }
    return Fault.NONE;
  }

  private HttpResponseStatus errorStatus() {
    int kind;
    synchronized (random) {
      kind = random.nextInt(4);
    }
    return kind == 0 ? HttpResponseStatus.TOO_MANY_REQUESTS
        : kind == 1 ? HttpResponseStatus.SERVICE_UNAVAILABLE : HttpResponseStatus.INTERNAL_SERVER_ERROR;
  }

  private static boolean isChat(FullHttpRequest req) {
    String path = req.uri();
    int q = path.indexOf('?');
    return req.method().equals(HttpMethod.POST) && (q < 0 ? path : path.substring(0, q)).equals("/v1/chat/completions");
  }

  /** One connection's injector; both directions run on the connection's event loop. */
  private final class Injector extends ChannelDuplexHandler {
    /** Chat requests handed to the server whose answers are still to be written (clients do not pipeline). */
    private int answersDue;

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      if (!(msg instanceof FullHttpRequest req) || !isChat(req)) {
        ctx.fireChannelRead(msg);
        return;
      }
      stats.requests.incrementAndGet();
      Fault f = draw();
      if (f == Fault.NONE) {
        answersDue++;
        ctx.fireChannelRead(msg);
        return;
      }
      boolean keepAlive = HttpUtil.isKeepAlive(req);
      ReferenceCountUtil.release(msg);
      switch (f) {
        case DROP -> {
          stats.dropped.incrementAndGet();
          ctx.close();
        }
        case HANG -> {
          stats.hung.incrementAndGet();
          ctx.executor().schedule(() -> ctx.close(), faults.hangTime().toMillis(), TimeUnit.MILLISECONDS);
        }
        default -> {
          stats.errors.incrementAndGet();
          HttpResponseStatus st = errorStatus();
          FullHttpResponse r = OpenAiServer.error(st, "injected fault", null);
          if (st != HttpResponseStatus.INTERNAL_SERVER_ERROR) {
            r.headers().set(HttpHeaderNames.RETRY_AFTER, "0");
          }
          r.headers().set(HttpHeaderNames.CONNECTION, keepAlive ? HttpHeaderValues.KEEP_ALIVE : HttpHeaderValues.CLOSE);
          later(() -> {
            if (!ctx.channel().isActive()) {
              r.release();
            } else if (keepAlive) {
              ctx.writeAndFlush(r);
            } else {
              ctx.writeAndFlush(r).addListener(ChannelFutureListener.CLOSE);
            }
          }, ctx);
        }
      }
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
      if (msg instanceof HttpResponse && answersDue > 0) {
        answersDue--;
        later(() -> ctx.writeAndFlush(msg, promise), ctx);
        return;
      }
      ctx.write(msg, promise);
    }

    private void later(Runnable write, ChannelHandlerContext ctx) {
      long ms = faults.latency().toMillis();
      if (ms <= 0) {
        write.run();
      } else {
        ctx.executor().schedule(write, ms, TimeUnit.MILLISECONDS);
      }
    }
  }
}
