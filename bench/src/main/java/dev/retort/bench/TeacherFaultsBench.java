package dev.retort.bench;

import dev.retort.core.config.RetortConfig;
import dev.retort.core.data.Prompt;
import dev.retort.core.data.SamplingParams;
import dev.retort.core.data.Trace;
import dev.retort.core.io.Codecs;
import dev.retort.core.io.Json;
import dev.retort.core.io.ParquetIO;
import dev.retort.core.run.StageOutput;
import dev.retort.pipelines.RetortCli;
import dev.retort.model.ChatMessage;
import dev.retort.bench.mock.ChildJvm;
import dev.retort.bench.mock.FaultInjection;
import dev.retort.teacher.generate.GenerateStage;
import dev.retort.teacher.generate.ShardFiles;
import dev.retort.teacher.server.Completion;
import dev.retort.teacher.server.CompletionRequest;
import dev.retort.teacher.server.OpenAiServer;
import dev.retort.teacher.server.ScriptedBackend;
import dev.retort.teacher.server.ServerOptions;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code retort bench teacher-faults}: exactly-once generation under faults.
 *
 * <p>K servers (the real OpenAI-compatible server with the deterministic scripted backend, no
 * model needed) run in this JVM behind a {@link FaultInjection} that injects errors (500/503/429),
 * dropped connections and hangs on about 20% of requests. {@code retort generate} runs in a child JVM against them; one server
 * is shut down mid-run, then the child is killed with destroyForcibly (no shutdown hooks, like
 * kill -9) while shards are being written. The same command is then rerun until it exits cleanly
 * (once, normally). Every (prompt, sample) pair is then checked: present once in the main shards
 * (completed), in neither the main shards nor errors/ (lost), more than once or in both
 * (duplicated), and equal to what the scripted teacher answers for its derived seed (mismatched).
 */
@Command(name = "teacher-faults", mixinStandardHelpOptions = true,
    description = "Benchmark: generate under ~20%% injected faults, a server shut down and the job killed mid-run, then rerun;"
        + " ends with RESULT teacher-faults completed=... lost=... duplicated=...")
public final class TeacherFaultsBench implements Callable<Integer> {
  @Option(names = "--work", paramLabel = "DIR", description = "Work folder (default: a new temporary folder).")
  Path work;

  @Option(names = "--servers", defaultValue = "3", description = "Servers (default: ${DEFAULT-VALUE}).")
  int servers;

  @Option(names = "--prompts", defaultValue = "200", description = "Arith prompts (default: ${DEFAULT-VALUE}).")
  int prompts;

  @Option(names = "--samples", defaultValue = "4", description = "Samples per prompt (default: ${DEFAULT-VALUE}).")
  int samples;

  @Option(names = "--shards", defaultValue = "16", description = "Shards (default: ${DEFAULT-VALUE}).")
  int shards;

  @Option(names = "--error-rate", defaultValue = "0.10", description = "Share answered 500/503/429 (default: ${DEFAULT-VALUE}).")
  double errorRate;

  @Option(names = "--drop-rate", defaultValue = "0.05", description = "Share of dropped connections (default: ${DEFAULT-VALUE}).")
  double dropRate;

  @Option(names = "--hang-rate", defaultValue = "0.05", description = "Share never answered; the client times out (default: ${DEFAULT-VALUE}).")
  double hangRate;

  @Option(names = "--latency-ms", defaultValue = "100", description = "Server latency (default: ${DEFAULT-VALUE}).")
  long latencyMs;

  @Option(names = "--in-flight", defaultValue = "16", description = "Requests in flight per executor (default: ${DEFAULT-VALUE}).")
  int inFlight;

  @Option(names = "--max-reruns", defaultValue = "3", description = "Reruns allowed after the kill (default: ${DEFAULT-VALUE}).")
  int maxReruns;

  @Override
  public Integer call() throws Exception {
    if (servers < 2 || prompts < 1 || samples < 1 || shards < 4 || inFlight < 1) {
      throw new IllegalArgumentException("need --servers >= 2 (one is shut down), --shards >= 4, --prompts, --samples, --in-flight >= 1");
    }
    Path dir = work != null ? work : Files.createTempDirectory("retort-teacher-faults");
    Files.createDirectories(dir);
    long t0 = System.nanoTime();
    List<OpenAiServer> pool = new ArrayList<>();
    List<FaultInjection> injections = new ArrayList<>();
    try {
      for (int i = 0; i < servers; i++) {
        FaultInjection faults = new FaultInjection(new FaultInjection.Faults(errorRate, dropRate, hangRate,
            Duration.ofSeconds(30), Duration.ofMillis(latencyMs), 1000 + i));
        injections.add(faults);
        pool.add(faults.start(new ScriptedBackend(), ServerOptions.builder().servedModelName("mock-teacher").build()));
      }
      Path conf = writeConfig(dir, pool);
      RetortConfig cfg = RetortConfig.load(conf, List.of());
      GenerateStage plan = GenerateStage.prepare(cfg);
      Path traces = plan.traces().localPath();
      int shardCount = plan.shards().size();
      System.out.printf("teacher-faults: %d prompts x %d samples = %d pairs in %d shards; %d servers injecting %.0f%% faults%n",
          plan.prompts().size(), samples, plan.expected(), shardCount, servers, 100 * (errorRate + dropRate + hangRate));

      // Run 1: shut one server down after the first commits, kill the job a third of the way in.
      int stopServerAt = Math.max(1, shardCount / 8);
      int killAt = Math.max(stopServerAt + 1, shardCount / 3);
      Process child = start(conf, dir.resolve("run-1.log"));
      boolean serverStopped = false;
      int committedAtKill = -1;
      long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(10);
      while (child.isAlive() && System.nanoTime() < deadline) {
        int done = committed(traces);
        if (!serverStopped && done >= stopServerAt) {
          pool.get(0).close();
          serverStopped = true;
          System.out.printf("run 1: %d shards committed; shut down server %s%n", done, pool.get(0).url());
        }
        if (serverStopped && done >= killAt) {
          child.destroyForcibly();
          child.waitFor(30, TimeUnit.SECONDS);
          committedAtKill = committed(traces);
          System.out.printf("run 1: killed the job (destroyForcibly) with %d of %d shards committed%n", committedAtKill, shardCount);
          break;
        }
        Thread.sleep(10);
      }
      if (committedAtKill < 0) {
        child.destroyForcibly();
        throw new IllegalStateException("run 1 ended before it could be killed (exit " + exitOf(child) + ", log "
            + dir.resolve("run-1.log") + "); use more --prompts or a larger --latency-ms");
      }
      if (committedAtKill >= shardCount) {
        System.out.println("warning: every shard was committed before the kill landed");
      }

      // Reruns: the same command, until it exits 0 (errors left make it exit 1 and are retried next time).
      int runs = 1;
      int exit = -1;
      for (int r = 0; r <= maxReruns && exit != 0; r++) {
        runs++;
        Process again = start(conf, dir.resolve("run-" + runs + ".log"));
        if (!again.waitFor(10, TimeUnit.MINUTES)) {
          again.destroyForcibly();
          throw new IllegalStateException("rerun " + runs + " did not finish in 10 minutes; log " + dir.resolve("run-" + runs + ".log"));
        }
        exit = again.exitValue();
        System.out.printf("run %d: exit %d%s%n", runs, exit, exit == 0 ? "" : " (" + why(dir.resolve("run-" + runs + ".log")) + ")");
        if (exit == 2) {
          throw new IllegalStateException("rerun failed on config: see " + dir.resolve("run-" + runs + ".log"));
        }
      }

      Check c = check(plan, traces);
      long faults = 0;
      long requests = 0;
      for (FaultInjection f : injections) {
        faults += f.stats().injected();
        requests += f.stats().requests.get();
      }
      double completed = (double) c.completed / plan.expected();
      System.out.printf("pairs %d: completed %d, in errors/ %d, lost %d, duplicated %d, mismatched %d; server requests %d,"
          + " injected faults %d (%.1f%%); complete marker %s; %.1f s%n",
          plan.expected(), c.completed, c.errors, c.lost, c.duplicated, c.mismatched, requests, faults,
          100.0 * faults / Math.max(1, requests), StageOutput.isComplete(traces, plan.identity()),
          (System.nanoTime() - t0) / 1e9);
      System.out.printf("RESULT teacher-faults completed=%.4f lost=%d duplicated=%d mismatched=%d runs=%d killed_at_shards=%d"
          + " shards=%d injected_faults=%d%n", completed, c.lost, c.duplicated, c.mismatched, runs, committedAtKill, shardCount, faults);
      return c.lost == 0 && c.duplicated == 0 && c.mismatched == 0 && c.completed == plan.expected() ? 0 : 1;
    } finally {
      for (OpenAiServer s : pool) {
        try {
          s.close();
        } catch (RuntimeException e) {
          // already closed (the one shut down mid-run)
        }
      }
    }
  }

  /**
   * Writes {@code head} (the run, arith and teacher sections) and the generate section the fault
   * benches share (arith prompts, {@code samples} per prompt in {@code shards} shards) to {@code file}.
   */
  static Path writeRunConfig(Path file, String head, int samples, int shards) throws IOException {
    String conf = head
        + "generate {\n"
        + "  prompts = arith\n"
        + "  samples-per-prompt = " + samples + "\n"
        + "  shards = " + shards + "\n"
        + "  max-tokens = 256\n"
        + "  progress-interval = 2s\n"
        + "}\n";
    Files.writeString(file, conf);
    return file;
  }

  private Path writeConfig(Path dir, List<OpenAiServer> pool) throws IOException {
    List<String> urls = new ArrayList<>();
    pool.forEach(s -> urls.add(s.url()));
    String conf = "run { work-dir = " + Json.toJson(dir.toString()) + ", run-id = faults, seed = 7 }\n"
        + "arith { train-size = " + prompts + " }\n"
        + "teacher {\n"
        + "  endpoints = " + Json.toJson(urls) + "\n"
        + "  model = mock-teacher\n"
        + "  request-timeout = 1500ms\n"
        + "  connect-timeout = 1s\n"
        + "  max-retries = 12\n"
        + "  backoff-initial = 20ms\n"
        + "  backoff-max = 500ms\n"
        + "  eject-after-failures = 3\n"
        + "  probe-interval = 500ms\n"
        + "  max-in-flight-per-executor = " + inFlight + "\n"
        + "}\n";
    return TeacherFaultsBench.writeRunConfig(dir.resolve("teacher-faults.conf"), conf, samples, shards);
  }

  private static Process start(Path conf, Path log) throws IOException {
    List<String> cmd = ChildJvm.command("1g", RetortCli.class.getName(), List.of("generate", "--config", conf.toString()));
    File out = log.toFile();
    return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out).start();
  }

  /** The line of a child's log that says why it failed (a "retort generate:" line, else the first ERROR). */
  private static String why(Path log) throws IOException {
    String firstError = null;
    for (String line : Files.readAllLines(log)) {
      if (line.startsWith("retort generate:")) {
        return line;
      }
      if (firstError == null && line.contains(" ERROR ")) {
        firstError = line.length() > 200 ? line.substring(0, 200) + "..." : line;
      }
    }
    return firstError == null ? "see " + log : firstError;
  }

  private static int exitOf(Process p) {
    try {
      return p.waitFor();
    } catch (InterruptedException e) {
      return -1;
    }
  }

  private static int committed(Path traces) throws IOException {
    if (!Files.isDirectory(traces)) {
      return 0;
    }
    try (Stream<Path> s = Files.list(traces)) {
      return (int) s.filter(p -> ShardFiles.shardOf(p.getFileName().toString()) >= 0).count();
    }
  }

  private record Check(long completed, long errors, long lost, long duplicated, long mismatched) {}

  /**
   * Counts each committed row's (prompt, sample) key into {@code seen} and returns how many rows
   * differ from the scripted teacher's answer for their seed (what any correct run writes).
   */
  static long audit(GenerateStage plan, List<dev.retort.core.store.Location> files, Map<String, Integer> seen)
      throws IOException {
    Map<String, Prompt> byId = new HashMap<>();
    plan.prompts().forEach(p -> byId.put(p.id(), p));
    long mismatched = 0;
    for (dev.retort.core.store.Location f : files) {
      for (Trace t : ParquetIO.read(f, Codecs.TRACE)) {
        seen.merge(t.key(), 1, Integer::sum);
        Prompt p = byId.get(t.promptId());
        if (p == null || t.failed()) {
          mismatched++;
          continue;
        }
        String user = plan.settings().render(p.problem());
        SamplingParams sp = new SamplingParams(plan.settings().temperature(), plan.settings().topP(), plan.settings().topK(),
            plan.settings().maxTokens(), t.sampling().seed());
        Completion want = ScriptedBackend.defaultScript(new CompletionRequest(List.of(ChatMessage.user(user)), sp, List.of()));
        if (!want.reasoning().equals(t.reasoning()) || !want.answer().equals(t.answer())) {
          mismatched++;
        }
      }
    }
    return mismatched;
  }

  /** Compares the folder with the plan, pair by pair, and each row with the scripted teacher's answer. */
  private static Check check(GenerateStage plan, Path traces) throws IOException {
    Set<String> expected = new HashSet<>();
    for (Prompt p : plan.prompts()) {
      for (int i = 0; i < plan.settings().samplesPerPrompt(); i++) {
        expected.add(p.id() + "#" + i);
      }
    }
    Map<String, Integer> seen = new HashMap<>();
    List<Path> mains;
    try (Stream<Path> s = Files.list(traces)) {
      mains = s.filter(p -> ShardFiles.shardOf(p.getFileName().toString()) >= 0).sorted().toList();
    }
    long mismatched = audit(plan, mains.stream().map(dev.retort.core.store.Location::local).toList(), seen);
    Set<String> errorKeys = new HashSet<>();
    for (Trace t : ParquetIO.read(ShardFiles.errorsDir(plan.traces()), Codecs.TRACE)) {
      errorKeys.add(t.key());
    }
    long completed = 0;
    long lost = 0;
    long duplicated = 0;
    for (String k : expected) {
      int n = seen.getOrDefault(k, 0);
      if (n >= 1) {
        completed++;
      }
      if (n > 1) {
        duplicated += n - 1;
      }
      if (n >= 1 && errorKeys.contains(k)) {
        duplicated++;
      }
      if (n == 0 && !errorKeys.contains(k)) {
        lost++;
      }
    }
    for (String k : seen.keySet()) {
      if (!expected.contains(k)) {
        mismatched++;
      }
    }
    return new Check(completed, errorKeys.size(), lost, duplicated, mismatched);
  }

}
