package dev.retort.bench;

import dev.retort.core.config.RetortConfig;
import dev.retort.core.config.RunSettings;
import dev.retort.core.data.Prompt;
import dev.retort.core.io.Codecs;
import dev.retort.core.io.Json;
import dev.retort.core.io.ParquetIO;
import dev.retort.core.run.StageOutput;
import dev.retort.core.store.Location;
import dev.retort.core.store.Manifest;
import dev.retort.core.store.Store;
import dev.retort.bench.mock.FaultInjection;
import dev.retort.teacher.generate.GenerateStage;
import dev.retort.teacher.generate.ShardFiles;
import dev.retort.teacher.server.OpenAiServer;
import dev.retort.teacher.server.ScriptedBackend;
import dev.retort.teacher.server.ServerOptions;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code retort bench cluster-faults}: generate and filter on a real multi-process Spark
 * standalone cluster with the run folder on HDFS, one worker killed in the middle of generate.
 *
 * <p>Every piece is its own process on 127.0.0.1, started from the jars a deployment would use:
 * HDFS (Hadoop's MiniHadoopClusterManager: a namenode and a datanode, from
 * hadoop-client-minicluster), a Spark master and two workers ({@code
 * org.apache.spark.deploy.master.Master} and {@code ...worker.Worker} from Spark's own jars, in a
 * Spark-home layout whose {@code jars/} the workers also put on their executors' classpath), and
 * the stages as the {@code -Pcluster} jar submitted with {@code org.apache.spark.deploy.SparkSubmit}
 * in client mode. The mock teacher servers (the real OpenAI-compatible server with the
 * deterministic scripted backend, slowed by a fixed latency ({@link FaultInjection})) run in this JVM; executors reach them
 * over loopback.
 *
 * <p>Once some but not all shards are committed on HDFS, one worker and its executor JVM are
 * killed with SIGKILL (a lost node). Spark reschedules that executor's tasks on the other worker;
 * generate must still exit 0 and write {@code _SUCCESS}. Then filter runs, also through
 * spark-submit against the (now one-worker) cluster. The check reads the files the traces'
 * {@code _SUCCESS} manifest lists: completed = distinct (prompt, sample) pairs / expected, lost =
 * expected pairs missing, duplicated = rows beyond one per pair, mismatched = rows that differ
 * from the scripted teacher's answer for the pair's derived seed (what a local run writes), and
 * for filter the same counts over accepted/ and rejected/.
 *
 * <p>Why Java drives it and the script only prepares: the kill needs the worker's child JVMs
 * ({@link ProcessHandle#descendants}), the accounting needs the generate plan and Parquet over
 * HDFS, and every started process must be stopped on every path, which a finally block and a
 * shutdown hook do reliably. Spark's and HDFS's jars come from {@code --spark-home} /
 * {@code $SPARK_HOME} and {@code --hdfs-classpath}, else are resolved once with Maven
 * ({@code MAVEN_ARGS} passed on) and cached under {@code pipelines/target/cluster-check/}.
 */
@Command(name = "cluster-faults", mixinStandardHelpOptions = true,
    description = "Benchmark: generate and filter on a Spark standalone cluster (master + 2 workers, HDFS work dir),"
        + " one worker killed mid-generate; ends with RESULT cluster-faults completed=... lost=... duplicated=... workers_killed=...")
public final class ClusterFaultsBench implements Callable<Integer> {
  @Option(names = "--work", paramLabel = "DIR", description = "Local scratch folder: logs, HDFS data, worker dirs (default: a new temporary folder).")
  Path work;

  @Option(names = "--jar", paramLabel = "JAR", description = "The -Pcluster jar (default: pipelines/target/retort-pipelines-*-cluster.jar under retort.home).")
  Path jar;

  @Option(names = "--spark-home", paramLabel = "DIR", description = "A Spark distribution (its jars/ is used); default $SPARK_HOME, else resolved with Maven.")
  Path sparkHome;

  @Option(names = "--hdfs-classpath", paramLabel = "CP", description = "Classpath of hadoop-client-minicluster and its runtime deps; default resolved with Maven.")
  String hdfsClasspath;

  @Option(names = "--servers", defaultValue = "2", description = "Mock teacher servers (default: ${DEFAULT-VALUE}).")
  int servers;

  @Option(names = "--prompts", defaultValue = "240", description = "Arith prompts (default: ${DEFAULT-VALUE}).")
  int prompts;

  @Option(names = "--samples", defaultValue = "4", description = "Samples per prompt (default: ${DEFAULT-VALUE}).")
  int samples;

  @Option(names = "--shards", defaultValue = "16", description = "Shards (default: ${DEFAULT-VALUE}).")
  int shards;

  @Option(names = "--latency-ms", defaultValue = "250", description = "Teacher latency per request (default: ${DEFAULT-VALUE}).")
  long latencyMs;

  @Option(names = "--in-flight", defaultValue = "8", description = "Requests in flight per executor (default: ${DEFAULT-VALUE}).")
  int inFlight;

  @Option(names = "--kill-at-shards", defaultValue = "0", description = "Kill a worker once this many shards are committed (default 0: a quarter of the shards).")
  int killAtShards;

  @Option(names = "--kill-delay-ms", defaultValue = "1500",
      description = "Wait this long after --kill-at-shards, so the running tasks hold answers not yet committed (default: ${DEFAULT-VALUE}).")
  long killDelayMs;

  @Option(names = "--kill-workers", defaultValue = "1", description = "Workers to kill mid-generate, 0 or 1 (default: ${DEFAULT-VALUE}).")
  int killWorkers;

  @Option(names = "--timeout-s", defaultValue = "600", description = "Limit for each stage's spark-submit (default: ${DEFAULT-VALUE}).")
  int timeoutS;

  private static final String SPARK_SCALA = "2.13";
  private Path dir;
  private LocalProcesses procs;
  private Path home;
  private Path root;

  @Override
  public Integer call() throws Exception {
    if (servers < 1 || prompts < 1 || samples < 1 || shards < 4 || inFlight < 1 || killWorkers < 0 || killWorkers > 1) {
      throw new IllegalArgumentException("need --servers, --prompts, --samples, --in-flight >= 1, --shards >= 4, --kill-workers 0 or 1");
    }
    root = Path.of(System.getProperty("retort.home", ".")).toAbsolutePath().normalize();
    dir = (work != null ? work : Files.createTempDirectory("retort-cluster-faults")).toAbsolutePath();
    procs = new LocalProcesses(dir);
    Path appJar = jar != null ? jar : clusterJar(root);
    home = sparkHome(root);
    long t0 = System.nanoTime();
    Thread hook = new Thread(procs::stopAll, "cluster-faults-stop");
    Runtime.getRuntime().addShutdownHook(hook);
    List<OpenAiServer> pool = new ArrayList<>();
    try {
      String hdfs = procs.startHdfs(root, hdfsClasspath);

      // Spark standalone: a master and two workers, 2 cores and 1 GB each.
      int masterPort = LocalProcesses.freePort();
      String master = "spark://127.0.0.1:" + masterPort;
      Path masterLog = procs.start("master", List.of("-Xmx512m"), sparkCp(), "org.apache.spark.deploy.master.Master",
          List.of("--host", "127.0.0.1", "--port", Integer.toString(masterPort), "--webui-port", Integer.toString(LocalProcesses.freePort())),
          sparkEnv());
      LocalProcesses.await("the Spark master at " + master, 120, () -> LocalProcesses.listening(masterPort));
      List<Process> workers = new ArrayList<>();
      for (int i = 1; i <= 2; i++) {
        Path wd = dir.resolve("worker-" + i);
        Files.createDirectories(wd);
        procs.start("worker-" + i, List.of("-Xmx512m"), sparkCp(), "org.apache.spark.deploy.worker.Worker",
            List.of("--host", "127.0.0.1", "--webui-port", Integer.toString(LocalProcesses.freePort()), "--cores", "2", "--memory", "1g",
                "--work-dir", wd.toString(), master), sparkEnv());
        workers.add(procs.started.get(procs.started.size() - 1));
      }
      LocalProcesses.await("2 workers registered with the master", 120, () -> count(masterLog, "Registering worker") >= 2);

      for (int i = 0; i < servers; i++) {
        pool.add(new FaultInjection(FaultInjection.Faults.latencyOnly(Duration.ofMillis(latencyMs)))
            .start(new ScriptedBackend(), ServerOptions.builder().servedModelName("mock-teacher").build()));
      }
      Path conf = writeConfig(hdfs + "/runs", pool);
      RetortConfig cfg = RetortConfig.load(conf, List.of());
      GenerateStage plan = GenerateStage.prepare(cfg);
      Location traces = plan.traces();
      int shardCount = plan.shards().size();
      int killAt = killAtShards > 0 ? killAtShards : Math.max(1, shardCount / 4);
      System.out.printf("cluster-faults: HDFS %s, master %s with 2 workers; %d prompts x %d samples = %d pairs in %d shards,"
          + " %d mock teachers at %d ms%n", hdfs, master, plan.prompts().size(), samples, plan.expected(), shardCount,
          servers, latencyMs);

      // generate, one worker killed with its executor once killAt shards are on HDFS.
      long tg = System.nanoTime();
      Process gen = submit("generate", appJar, master, conf);
      int workersKilled = 0;
      int committedAtKill = -1;
      long killAfter = -1;
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(timeoutS);
      while (gen.isAlive() && System.nanoTime() < deadline) {
        int done = committed(traces);
        if (killAfter < 0 && done >= killAt) {
          killAfter = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(killDelayMs);
        }
        if (workersKilled < killWorkers && killAfter >= 0 && System.nanoTime() >= killAfter) {
          committedAtKill = committed(traces);
          done = committedAtKill;
          String which = killWorker(workers);
          workersKilled++;
          System.out.printf("generate: %d of %d shards committed; killed %s%n", done, shardCount, which);
        }
        Thread.sleep(100);
      }
      int genExit = finish("generate", gen, deadline);
      double genSeconds = (System.nanoTime() - tg) / 1e9;
      if (workersKilled < killWorkers) {
        System.out.printf("warning: generate ended (exit %d) before %d shards were committed; no worker was killed%n", genExit, killAt);
      }
      Check g = checkTraces(plan, traces);
      Map<String, Integer> ends = taskEnds("generate");
      int tasksLost = ends.entrySet().stream().filter(e -> !e.getKey().equals("Success")).mapToInt(Map.Entry::getValue).sum();
      long teacherRequests = 0;
      for (OpenAiServer s : pool) {
        teacherRequests += s.stats().requests.get();
      }
      System.out.printf("generate: Spark task ends %s; the teacher answered %d requests for %d pairs%n", ends, teacherRequests,
          plan.expected());
      System.out.printf("generate: exit %d in %.1f s; _SUCCESS %s, %d files listed (%d not listed: %s); pairs %d: completed %d,"
          + " lost %d, duplicated %d, mismatched %d, error rows %d; %d temporaries of killed tasks left (hidden)%n", genExit,
          genSeconds, g.complete ? "matches the plan" : "MISSING or another identity", g.listed, g.unlisted.size(), g.unlisted,
          plan.expected(), g.completed, g.lost, g.duplicated, g.mismatched, g.errors, g.strayTemporaries);

      // filter, through spark-submit against the cluster that is left.
      long tf = System.nanoTime();
      Process filter = submit("filter", appJar, master, conf);
      int filterExit = finish("filter", filter, System.nanoTime() + TimeUnit.SECONDS.toNanos(timeoutS));
      double filterSeconds = (System.nanoTime() - tf) / 1e9;
      Location filtered = RunSettings.from(cfg).layout().filtered();
      FilterCheck f = checkFiltered(plan, filtered);
      System.out.printf("filter: exit %d in %.1f s; _SUCCESS %s; accepted %d, rejected %d; pairs judged %d, lost %d, duplicated %d%n",
          filterExit, filterSeconds, f.complete ? "present" : "MISSING", f.accepted, f.rejected, f.distinct, f.lost, f.duplicated);

      double completed = (double) g.completed / plan.expected();
      boolean ok = genExit == 0 && filterExit == 0 && g.complete && f.complete && g.unlisted.isEmpty()
          && g.completed == plan.expected() && g.lost == 0 && g.duplicated == 0 && g.mismatched == 0
          && f.lost == 0 && f.duplicated == 0 && workersKilled == killWorkers
          // the kill must land mid-job: some shards still to commit
          && (killWorkers == 0 || committedAtKill < shardCount);
      if (workersKilled > 0 && tasksLost == 0) {
        System.out.println("warning: the killed executor was running no task; nothing was rescheduled");
      }
      System.out.printf("%s; %.1f s in all; logs in %s%n", ok ? "cluster check passed" : "cluster check FAILED",
          (System.nanoTime() - t0) / 1e9, dir.resolve("logs"));
      System.out.printf("RESULT cluster-faults completed=%.4f lost=%d duplicated=%d workers_killed=%d mismatched=%d"
          + " killed_at_shards=%d shards=%d tasks_lost=%d teacher_requests=%d filter_judged=%d filter_lost=%d filter_duplicated=%d"
          + " generate_s=%.1f filter_s=%.1f%n",
          completed, g.lost, g.duplicated, workersKilled, g.mismatched, committedAtKill, shardCount, tasksLost, teacherRequests,
          f.distinct, f.lost, f.duplicated, genSeconds, filterSeconds);
      return ok ? 0 : 1;
    } finally {
      for (OpenAiServer s : pool) {
        s.close();
      }
      procs.stopAll();
      try {
        Runtime.getRuntime().removeShutdownHook(hook);
      } catch (IllegalStateException e) {
        // the JVM is already shutting down: the hook runs stopAll again, harmlessly
      }
    }
  }

  // ---- processes ----

  /** One stage as {@code spark-submit --master spark://... --deploy-mode client}; stdout and stderr to logs/. */
  private Process submit(String stage, Path appJar, String master, Path conf) throws IOException {
    List<String> cmd = new ArrayList<>();
    cmd.add(LocalProcesses.javaBin());
    cmd.addAll(LocalProcesses.MODULE_FLAGS);
    cmd.add("-Xmx1g");
    cmd.add("-Dai.djl.offline=true");
    cmd.add("-Dretort.home=" + root);
    cmd.add("-cp");
    cmd.add(sparkCp());
    cmd.add("org.apache.spark.deploy.SparkSubmit");
    cmd.addAll(List.of("--master", master, "--deploy-mode", "client", "--name", "retort-" + stage,
        "--class", "dev.retort.pipelines.RetortCli",
        "--conf", "spark.executor.memory=768m", "--conf", "spark.executor.cores=2", "--conf", "spark.cores.max=4",
        "--conf", "spark.ui.enabled=false",
        // The event log says which tasks Spark lost with the executor and ran again.
        "--conf", "spark.eventLog.enabled=true", "--conf", "spark.eventLog.compress=false",
        "--conf", "spark.eventLog.dir=" + eventDir(stage).toUri(),
        "--conf", "spark.executor.extraJavaOptions=-Dai.djl.offline=true -Dai.djl.default_engine=PyTorch",
        appJar.toString(), stage, "--config", conf.toString()));
    ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile())
        .redirectOutput(dir.resolve("logs").resolve(stage + ".out").toFile())
        .redirectError(dir.resolve("logs").resolve(stage + ".log").toFile());
    pb.environment().putAll(sparkEnv());
    pb.environment().put("SPARK_LOCAL_IP", "127.0.0.1");
    Process p = pb.start();
    procs.started.add(p);
    return p;
  }

  private Path eventDir(String stage) throws IOException {
    return Files.createDirectories(dir.resolve("events").resolve(stage));
  }

  /** Task ends in a stage's event logs by reason: Success, ExecutorLostFailure, ... */
  private Map<String, Integer> taskEnds(String stage) throws IOException {
    Map<String, Integer> out = new java.util.TreeMap<>();
    // Spark 4 writes rolling event logs: a folder per application holding events_N_* files.
    try (var files = Files.walk(eventDir(stage))) {
      for (Path f : files.filter(Files::isRegularFile).filter(f -> !f.getFileName().toString().startsWith(".")).toList()) {
        // Latin-1 never fails to decode; only the ASCII event and reason names are read.
        for (String line : Files.readAllLines(f, java.nio.charset.StandardCharsets.ISO_8859_1)) {
          if (line.contains("\"Event\":\"SparkListenerTaskEnd\"")) {
            String reason = Json.MAPPER.readTree(line).path("Task End Reason").path("Reason").asText("?");
            out.merge(reason, 1, Integer::sum);
          }
        }
      }
    }
    return out;
  }

  private Map<String, String> sparkEnv() {
    Map<String, String> env = new LinkedHashMap<>();
    env.put("SPARK_HOME", home.toString());
    // What bin/load-spark-env.sh sets in a distribution; the worker's executor command builder needs it.
    env.put("SPARK_SCALA_VERSION", SPARK_SCALA);
    env.put("JAVA_HOME", System.getProperty("java.home"));
    env.put("SPARK_LOG_DIR", dir.resolve("logs").toString());
    return env;
  }

  private String sparkCp() {
    return home.resolve("jars") + File.separator + "*";
  }

  /** Waits for a submitted stage, killing it at the deadline; its exit status (-1 when killed). */
  private static int finish(String stage, Process p, long deadlineNanos) throws InterruptedException {
    long left = Math.max(1, deadlineNanos - System.nanoTime());
    if (!p.waitFor(left, TimeUnit.NANOSECONDS)) {
      LocalProcesses.kill(p);
      System.out.printf("%s: no result before the timeout; killed%n", stage);
      return -1;
    }
    return p.exitValue();
  }

  /** Kills (SIGKILL) the first worker that runs an executor, and that executor: a lost node. */
  private String killWorker(List<Process> workers) throws InterruptedException {
    Process victim = null;
    for (Process w : workers) {
      if (w.isAlive() && w.descendants().findAny().isPresent()) {
        victim = w;
        break;
      }
    }
    if (victim == null) {
      victim = workers.get(0);
    }
    List<ProcessHandle> children = victim.descendants().toList();
    victim.destroyForcibly();
    for (ProcessHandle c : children) {
      c.destroyForcibly();
    }
    victim.waitFor(30, TimeUnit.SECONDS);
    for (ProcessHandle c : children) {
      c.onExit().completeOnTimeout(c, 30, TimeUnit.SECONDS).join();
    }
    return "worker-" + (workers.indexOf(victim) + 1) + " (pid " + victim.pid() + ") and its "
        + children.size() + " child process(es) " + children.stream().map(ProcessHandle::pid).toList() + " with SIGKILL";
  }

  private static long count(Path log, String needle) {
    try {
      return Files.readAllLines(log).stream().filter(l -> l.contains(needle)).count();
    } catch (IOException | UncheckedIOException e) {
      return 0;
    }
  }

  // ---- jars ----

  private static Path clusterJar(Path root) throws IOException {
    Path target = root.resolve("pipelines/target");
    if (Files.isDirectory(target)) {
      try (var s = Files.list(target)) {
        var found = s.filter(p -> p.getFileName().toString().matches("retort-pipelines-.*-cluster\\.jar")).findFirst();
        if (found.isPresent()) {
          return found.get();
        }
      }
    }
    throw new IllegalStateException("no cluster jar in " + target + "; build it with: mvn -B -Pcluster -DskipTests package (or pass --jar)");
  }

  /** A Spark home whose jars/ holds Spark's own jars: --spark-home, $SPARK_HOME, else spark-sql and its dependencies. */
  private Path sparkHome(Path root) throws IOException, InterruptedException {
    Path given = sparkHome != null ? sparkHome : System.getenv("SPARK_HOME") != null ? Path.of(System.getenv("SPARK_HOME")) : null;
    if (given != null) {
      if (!Files.isDirectory(given.resolve("jars"))) {
        throw new IllegalArgumentException("no jars/ folder in Spark home " + given);
      }
      return given.toAbsolutePath();
    }
    String cp = procs.resolved(root, "spark", "org.apache.spark", "spark-sql_" + SPARK_SCALA, org.apache.spark.package$.MODULE$.SPARK_VERSION());
    Path h = dir.resolve("spark-home");
    Path jars = h.resolve("jars");
    Files.createDirectories(jars);
    Files.createDirectories(h.resolve("conf"));
    Set<String> names = new HashSet<>();
    for (String e : cp.split(File.pathSeparator)) {
      if (e.isBlank()) {
        continue;
      }
      Path f = Path.of(e);
      String name = f.getFileName().toString();
      if (!names.add(name)) {
        name = names.size() + "-" + name;
        names.add(name);
      }
      Files.deleteIfExists(jars.resolve(name));
      Files.createSymbolicLink(jars.resolve(name), f);
    }
    return h;
  }

  // ---- the run's config and the checks ----

  private Path writeConfig(String workDir, List<OpenAiServer> pool) throws IOException {
    List<String> urls = new ArrayList<>();
    pool.forEach(s -> urls.add(s.url()));
    String conf = "run { work-dir = " + Json.toJson(workDir) + ", run-id = cluster, seed = 7 }\n"
        + "arith { train-size = " + prompts + " }\n"
        + "teacher {\n"
        + "  endpoints = " + Json.toJson(urls) + "\n"
        + "  model = mock-teacher\n"
        + "  request-timeout = 10s\n"
        + "  connect-timeout = 2s\n"
        + "  max-in-flight-per-executor = " + inFlight + "\n"
        + "}\n";
    return TeacherFaultsBench.writeRunConfig(dir.resolve("cluster-faults.conf"), conf, samples, shards);
  }

  private static int committed(Location traces) {
    try {
      Store s = Store.of(traces);
      if (!s.isDirectory(traces)) {
        return 0;
      }
      return (int) s.list(traces).stream().filter(l -> ShardFiles.shardOf(l.name()) >= 0).count();
    } catch (IOException | RuntimeException e) {
      return 0;
    }
  }

  private record Check(boolean complete, int listed, List<String> unlisted, int strayTemporaries, long completed, long lost,
      long duplicated, long mismatched, long errors) {}

  /**
   * Counts every expected pair in the main shards that the traces' _SUCCESS lists, and compares
   * each row with the scripted teacher's answer for its derived seed (a local run's row).
   */
  private static Check checkTraces(GenerateStage plan, Location traces) throws IOException {
    boolean complete = StageOutput.isComplete(traces, plan.identity());
    Manifest m = Manifest.read(traces);
    List<Location> mains = new ArrayList<>();
    Set<String> listedNames = new HashSet<>();
    if (m != null) {
      for (Location l : m.locations(traces)) {
        if (ShardFiles.shardOf(l.name()) >= 0 && l.parent().equals(traces)) {
          mains.add(l);
          listedNames.add(l.name());
        }
      }
    }
    List<String> unlisted = new ArrayList<>();
    int stray = 0;
    Store s = Store.of(traces);
    if (s.isDirectory(traces)) {
      for (Location l : s.list(traces)) {
        if (l.name().endsWith(".parquet") && !listedNames.contains(l.name())) {
          unlisted.add(l.name());
        }
        // A killed task's temporary: hidden from readers by its '.' name, never renamed into place.
        if (l.name().startsWith(".") && l.name().contains(".tmp-")) {
          stray++;
        }
      }
    }
    Map<String, Integer> seen = new HashMap<>();
    long mismatched = TeacherFaultsBench.audit(plan, mains, seen);
    long errors = 0;
    Location errorsDir = ShardFiles.errorsDir(traces);
    if (s.isDirectory(errorsDir)) {
      errors = ParquetIO.read(errorsDir, Codecs.TRACE).size();
    }
    long completed = 0;
    long lost = 0;
    long duplicated = 0;
    Set<String> expected = expectedKeys(plan);
    for (String k : expected) {
      int n = seen.getOrDefault(k, 0);
      if (n == 0) {
        lost++;
      } else {
        completed++;
        duplicated += n - 1;
      }
    }
    for (String k : seen.keySet()) {
      if (!expected.contains(k)) {
        mismatched++;
      }
    }
    return new Check(complete, mains.size(), unlisted, stray, completed, lost, duplicated, mismatched, errors);
  }

  private static Set<String> expectedKeys(GenerateStage plan) {
    Set<String> expected = new HashSet<>();
    for (Prompt p : plan.prompts()) {
      for (int i = 0; i < plan.settings().samplesPerPrompt(); i++) {
        expected.add(p.id() + "#" + i);
      }
    }
    return expected;
  }

  private record FilterCheck(boolean complete, long accepted, long rejected, long distinct, long lost, long duplicated) {}

  /** Every expected pair judged exactly once across filtered/accepted and filtered/rejected. */
  private static FilterCheck checkFiltered(GenerateStage plan, Location filtered) throws IOException {
    Store s = Store.of(filtered);
    boolean complete = s.isFile(filtered.resolve(Manifest.FILE));
    Map<String, Integer> seen = new HashMap<>();
    long[] counts = new long[2];
    String[] parts = {"accepted", "rejected"};
    for (int i = 0; i < parts.length; i++) {
      Location d = filtered.resolve(parts[i]);
      if (!s.isDirectory(d)) {
        continue;
      }
      final int at = i;
      ParquetIO.forEachRecord(d, r -> {
        seen.merge(r.get("prompt_id") + "#" + r.get("sample_index"), 1, Integer::sum);
        counts[at]++;
      });
    }
    long lost = 0;
    long duplicated = 0;
    long distinct = 0;
    for (String k : expectedKeys(plan)) {
      int n = seen.getOrDefault(k, 0);
      if (n == 0) {
        lost++;
      } else {
        distinct++;
        duplicated += n - 1;
      }
    }
    return new FilterCheck(complete, counts[0], counts[1], distinct, lost, duplicated);
  }
}
