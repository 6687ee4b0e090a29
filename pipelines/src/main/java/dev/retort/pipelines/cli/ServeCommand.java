package dev.retort.pipelines.cli;

import dev.retort.teacher.djl.DjlBackend;
import dev.retort.teacher.http.ApiKeys;
import dev.retort.teacher.server.CompletionBackend;
import dev.retort.teacher.server.OpenAiServer;
import dev.retort.teacher.server.ReasoningFormat;
import dev.retort.teacher.server.ScriptedBackend;
import dev.retort.teacher.server.ServerOptions;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code retort serve --model DIR --port P}: an OpenAI-compatible server (/v1/chat/completions,
 * /v1/models, /health) for a local checkpoint, batching concurrent requests into one Sampler call,
 * so the embedded default teacher is reached over the same HTTP path as a production pool. Prints
 * {@code listening on http://HOST:PORT} once bound (port 0 picks a free one) and serves until
 * killed. {@code --mock} serves the deterministic scripted backend instead of a model (tests and
 * benchmarks; no GPU, no checkpoint). It injects no faults: the benchmarks that need a faulty
 * teacher start one from the bench module.
 */
@Command(name = "serve", mixinStandardHelpOptions = true,
    description = {"Serve a local checkpoint over an OpenAI-compatible HTTP API (/v1/chat/completions, /v1/models, /health).",
        "Prints 'listening on http://127.0.0.1:PORT' when ready."})
public final class ServeCommand implements Callable<Integer> {
  @ArgGroup(exclusive = true, multiplicity = "1")
  Source source;

  static final class Source {
    @Option(names = "--model", paramLabel = "DIR", description = "HF-layout checkpoint folder (config.json, model.safetensors, tokenizer.json).")
    Path model;

    @Option(names = "--mock", description = "Serve the deterministic scripted backend (for tests and benchmarks, not a model).")
    boolean mock;
  }

  @Option(names = "--port", defaultValue = "8000", description = "Port; 0 picks a free one (default: ${DEFAULT-VALUE}).")
  int port;

  @Option(names = "--host", defaultValue = "127.0.0.1", description = "Interface to bind (default: ${DEFAULT-VALUE}).")
  String host;

  @Option(names = "--served-model-name", description = "Model id of /v1/models and requests (default: the checkpoint folder's name, or 'mock').")
  String servedModelName;

  @Option(names = "--max-batch", defaultValue = "16", description = "Most samples per Sampler call (default: ${DEFAULT-VALUE}).")
  int maxBatch;

  @Option(names = "--batch-wait-ms", defaultValue = "5", description = "How long to gather a batch after its first request (default: ${DEFAULT-VALUE}).")
  long batchWaitMs;

  @Option(names = "--device", defaultValue = "auto", description = "auto (GPU 0 if present, else CPU), cpu, gpu or gpu:N (default: ${DEFAULT-VALUE}).")
  String device;

  @Option(names = "--api-key-env", paramLabel = "VAR", description = "Require this environment variable's value as bearer token.")
  String apiKeyEnv;

  @Option(names = "--api-key-file", paramLabel = "FILE", description = "Require this file's content as bearer token.")
  Path apiKeyFile;

  @Option(names = "--reasoning-format", defaultValue = "reasoning-content",
      description = "Where answers carry the reasoning: reasoning-content (default), reasoning, think-tags, think-no-open.")
  String reasoningFormat;

  @Option(names = "--max-n", defaultValue = "128", description = "Largest n a request may ask for; above it: 400 (default: ${DEFAULT-VALUE}).")
  int maxN;

  @Option(names = "--max-tokens-cap", defaultValue = "32768",
      description = "Largest max_tokens a request may ask for; above it: 400 (default: ${DEFAULT-VALUE}). A model's context also bounds prompt + max_tokens.")
  int maxTokensCap;

  @Option(names = "--max-body-bytes", defaultValue = "1048576",
      description = "Largest request body; a larger one is answered 413 without being read (default: ${DEFAULT-VALUE}).")
  int maxBodyBytes;

  @Option(names = "--max-connections", defaultValue = "1024",
      description = "Most open connections; at the cap the longest-idle connection makes room, or a new one is refused when all are busy (default: ${DEFAULT-VALUE}).")
  int maxConnections;

  @Option(names = "--idle-timeout-s", defaultValue = "60",
      description = "Close connections idle this long with no request in progress (default: ${DEFAULT-VALUE}).")
  long idleTimeoutS;

  @Option(names = "--queue-capacity", defaultValue = "1024",
      description = "Most samples queued or decoding; beyond it: 429 with Retry-After (default: ${DEFAULT-VALUE}).")
  int queueCapacity;

  @Option(names = "--slice-tokens", defaultValue = "32",
      description = "New tokens per sample per scheduling round: smaller lets new requests start sooner, larger re-prefills less (default: ${DEFAULT-VALUE}).")
  int sliceTokens;

  @Option(names = "--parent-pid", hidden = true, description = "Exit when this process is gone (set by retort run for its children).")
  long parentPid;

  @Override
  public Integer call() throws Exception {
    ParentWatch.start(parentPid);
    Optional<String> token = ApiKeys.resolve(Optional.ofNullable(apiKeyEnv), Optional.ofNullable(apiKeyFile),
        "--api-key-env", "--api-key-file");
    ReasoningFormat format;
    try {
      format = ReasoningFormat.valueOf(reasoningFormat.trim().toUpperCase(java.util.Locale.ROOT).replace('-', '_'));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("--reasoning-format must be reasoning-content, reasoning, think-tags or think-no-open");
    }
    // Options are checked before a checkpoint is loaded: a bad cap fails in a second, not after the load.
    ServerOptions.Builder opts = ServerOptions.builder()
        .host(host).port(port).maxBatch(maxBatch).batchWait(Duration.ofMillis(batchWaitMs))
        .bearerToken(token.orElse(null)).reasoningFormat(format)
        .maxN(maxN).maxTokensCap(maxTokensCap).maxBodyBytes(maxBodyBytes)
        .maxConnections(maxConnections).idleTimeout(Duration.ofSeconds(idleTimeoutS)).queueCapacity(queueCapacity)
        .sliceTokens(sliceTokens);
    opts.build();
    CompletionBackend backend;
    String name;
    if (source.mock) {
      backend = new ScriptedBackend();
      name = servedModelName != null ? servedModelName : "mock";
    } else {
      DjlBackend djl = DjlBackend.load(source.model, DjlBackend.localDevice(device));
      backend = djl;
      name = servedModelName != null ? servedModelName : djl.name();
    }
    ServerOptions options = opts.servedModelName(name).build();
    if (token.isEmpty() && !isLoopback(host)) {
      System.err.println("retort serve: WARNING: binding " + host + " without an API key: anyone who can reach this"
          + " host can use the model (set --api-key-env or --api-key-file)");
    }
    OpenAiServer server = OpenAiServer.start(backend, options);
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      server.close();
      stopped.countDown();
    }, "retort-serve-stop"));
    String h = host.contains(":") ? "[" + host + "]" : host;
    System.out.println("listening on http://" + h + ":" + server.port());
    System.out.flush();
    stopped.await();
    return 0;
  }

  /** True for addresses only this machine can reach (127.0.0.0/8, ::1, localhost). */
  static boolean isLoopback(String host) {
    try {
      return java.net.InetAddress.getByName(host).isLoopbackAddress();
    } catch (java.net.UnknownHostException e) {
      return false;
    }
  }
}
