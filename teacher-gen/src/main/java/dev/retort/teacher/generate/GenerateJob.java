package dev.retort.teacher.generate;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.retort.core.config.RetortConfig;
import dev.retort.core.data.Prompt;
import dev.retort.core.io.Json;
import dev.retort.core.run.SparkPolicy;
import dev.retort.core.store.Location;
import dev.retort.core.store.Stores;
import dev.retort.teacher.TeacherClient;
import dev.retort.teacher.TeacherClients;
import dev.retort.teacher.TeacherSettings;
import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.resource.ResourceInformation;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.util.LongAccumulator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code retort generate}: the Spark job. Thin on purpose: the driver prepares the plan
 * ({@link GenerateStage}), Spark runs one task per pending shard, each task calls the plain-Java
 * {@link ShardProcessor} with its executor's shared {@link TeacherClient}, and the driver sums the
 * outcomes and writes the markers.
 *
 * <p>Why shards as tasks: a shard is the unit of atomic commit, so a killed or retried task never
 * leaves half a shard behind, and a rerun resubmits only the shards that are not complete. The
 * prompts travel inside the task (as JSON; core's records are not Serializable), and each task
 * commits its shard files straight into the traces folder, named by the absolute URI the driver
 * resolved (a relative work dir would otherwise resolve against each executor's working folder):
 * local disk in local mode, HDFS or an object store on a cluster. The driver checks that every
 * shard a task reports is in the store with its rows before it writes _SUCCESS.
 */
public final class GenerateJob {
  private static final Logger LOG = LoggerFactory.getLogger(GenerateJob.class);

  private GenerateJob() {}

  /**
   * {@code spark-submit --class dev.retort.teacher.generate.GenerateJob JAR --config FILE [--set k=v]...}
   * (bin/retort generate is the usual entry; this one needs nothing but this module).
   */
  public static void main(String[] args) {
    Path file = null;
    List<String> sets = new ArrayList<>();
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      if ((a.equals("--config") || a.equals("--set")) && i + 1 >= args.length) {
        throw new IllegalArgumentException(a + " needs a value");
      }
      if (a.equals("--config")) {
        file = Path.of(args[++i]);
      } else if (a.equals("--set")) {
        sets.add(args[++i]);
      } else {
        throw new IllegalArgumentException("unknown argument " + a + " (expected --config FILE, --set key=value)");
      }
    }
    GenerateResult r = run(RetortConfig.load(file, sets));
    System.out.println("generate: " + r.succeeded() + "/" + r.expected() + " samples, " + r.errors() + " errors, "
        + r.rejects() + " rejects -> " + r.traces());
    System.exit(r.errors() == 0 ? 0 : 1);
  }

  /** Creates (or reuses) the SparkSession from {@code generate.spark-master} and runs the job. */
  public static GenerateResult run(RetortConfig config) {
    GenerateStage stage = GenerateStage.prepare(config); // config and prompt errors before Spark starts
    if (stage.isComplete()) {
      LOG.info("generate: {} is complete for this config (identity {}); nothing to do", stage.traces(), stage.identity());
      return stage.skippedResult();
    }
    SparkSession spark = session(stage.settings().sparkMaster());
    return run(config, spark, stage);
  }

  /** Runs on a caller's session (pipelines share one across stages; tests share one per JVM). */
  public static GenerateResult run(RetortConfig config, SparkSession spark) {
    return run(config, spark, GenerateStage.prepare(config));
  }

  /**
   * The session a standalone run uses: an existing one if any; else one on {@code master}, under
   * {@link SparkPolicy} (what spark-submit passes wins).
   */
  public static SparkSession session(String master) {
    SparkSession s = SparkSession.builder().config(SparkPolicy.sessionConf("retort-generate", master, Map.of())).getOrCreate();
    Stores.shareWith(s.sparkContext().hadoopConfiguration());
    return s;
  }

  private static GenerateResult run(RetortConfig config, SparkSession spark, GenerateStage stage) {
    if (stage.isComplete()) {
      LOG.info("generate: {} is complete for this config (identity {}); nothing to do", stage.traces(), stage.identity());
      return stage.skippedResult();
    }
    long t0 = System.nanoTime();
    GenerateSettings gen = stage.settings();
    LOG.info("generate config:\n{}", sections(config, true, "run", GenerateSettings.SECTION, TeacherSettings.SECTION));
    stage.begin();
    List<Integer> pending = stage.pendingShards();
    List<ShardTask> tasks = new ArrayList<>(pending.size());
    long toGenerate = 0;
    for (int s : pending) {
      List<Prompt> ps = stage.prompts(s);
      tasks.add(ShardTask.of(s, ps));
      toGenerate += (long) ps.size() * gen.samplesPerPrompt();
    }
    LOG.info("generate: {} prompts x {} samples = {} pairs in {} shards; {} shards to do ({} rejects)",
        stage.prompts().size(), gen.samplesPerPrompt(), stage.expected(), stage.shards().size(), pending.size(),
        stage.rejects().size());

    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    Counters acc = new Counters(spark);
    Reporter reporter = new Reporter(toGenerate, acc, gen.progressInterval().toMillis());
    List<ShardOutcome> outcomes;
    String text = sections(resolvedLocations(config, stage), false, "run", GenerateSettings.SECTION, TeacherSettings.SECTION, "arith");
    jsc.setJobGroup("retort-generate", "retort generate " + stage.traces(), true);
    reporter.start();
    try {
      outcomes = tasks.isEmpty() ? List.of()
          : jsc.parallelize(tasks, tasks.size())
              .mapPartitions(new RunShards(text, stage.traces().toString(), acc, dev.retort.core.store.Stores.settings()))
              .collect();
    } finally {
      reporter.stop();
      jsc.clearJobGroup();
    }
    if (spark.sparkContext().isLocal()) {
      TeacherClients.closeAll(); // the executors were this JVM: free sockets and threads now
    }
    return stage.finish(outcomes, (System.nanoTime() - t0) / 1e9);
  }

  /**
   * The config with the locations executors could resolve differently replaced by the absolute
   * ones the driver resolved: run.work-dir and generate.output.
   */
  static RetortConfig resolvedLocations(RetortConfig config, GenerateStage stage) {
    String workDir = dev.retort.core.config.RunSettings.from(config).workDir().uri().toString();
    RetortConfig c = config.with(java.util.Map.of("run.work-dir", workDir));
    return stage.settings().output().isPresent()
        ? c.with(java.util.Map.of("generate.output", stage.traces().uri().toString())) : c;
  }

  /**
   * The named sections as one HOCON document (JSON syntax, which HOCON reads): shipped to executors,
   * which bind it again with {@link RetortConfig#fromString}, and logged at start.
   */
  static String sections(RetortConfig config, boolean pretty, String... paths) {
    com.typesafe.config.Config c = com.typesafe.config.ConfigFactory.empty();
    for (String p : paths) {
      if (config.raw().hasPath(p)) {
        c = c.withValue(p, config.raw().getValue(p));
      }
    }
    return c.root().render(com.typesafe.config.ConfigRenderOptions.concise().setFormatted(pretty));
  }

  /** One Spark element: a shard and its prompts as JSON. */
  record ShardTask(int shard, ArrayList<String> prompts) implements Serializable {
    static ShardTask of(int shard, List<Prompt> ps) {
      ArrayList<String> js = new ArrayList<>(ps.size());
      for (Prompt p : ps) {
        try {
          js.add(Json.COMPACT.writeValueAsString(p));
        } catch (JsonProcessingException e) {
          throw new IllegalStateException(e);
        }
      }
      return new ShardTask(shard, js);
    }

    List<Prompt> decode() {
      List<Prompt> out = new ArrayList<>(prompts.size());
      for (String s : prompts) {
        try {
          out.add(Json.COMPACT.readValue(s, Prompt.class));
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      }
      return out;
    }
  }

  /** Executor side: binds the shipped config, takes the JVM's shared client, processes shards. */
  static final class RunShards implements FlatMapFunction<Iterator<ShardTask>, ShardOutcome> {
    private static final long serialVersionUID = 1L;
    private final String configText;
    private final String traces;
    private final Counters acc;
    private final java.util.HashMap<String, String> storeSettings;

    RunShards(String configText, String traces, Counters acc, java.util.HashMap<String, String> storeSettings) {
      this.configText = configText;
      this.traces = traces;
      this.acc = acc;
      this.storeSettings = storeSettings;
    }

    @Override
    public Iterator<ShardOutcome> call(Iterator<ShardTask> it) {
      dev.retort.core.store.Stores.apply(storeSettings); // the stores as the driver reaches them
      RetortConfig cfg = RetortConfig.fromString(configText, "generate job config");
      GenerateSettings gen = GenerateSettings.from(cfg);
      TeacherSettings teacher = TeacherSettings.from(cfg);
      TeacherClient client = TeacherClients.shared(teacher, gpuAddresses());
      ShardProcessor sp = new ShardProcessor(client, gen, teacher.requestMode(), Location.of(traces), Progress.JVM);
      List<ShardOutcome> out = new ArrayList<>();
      while (it.hasNext()) {
        ShardTask t = it.next();
        ShardOutcome o = sp.process(t.shard(), t.decode());
        acc.add(o);
        out.add(o);
      }
      return out.iterator();
    }

    /** The GPUs Spark assigned to this task (spark.task.resource.gpu.amount), empty without. */
    private static List<String> gpuAddresses() {
      TaskContext tc = TaskContext.get();
      if (tc == null) {
        return List.of();
      }
      Map<String, ResourceInformation> res = tc.resourcesJMap();
      ResourceInformation gpu = res == null ? null : res.get("gpu");
      return gpu == null ? List.of() : Arrays.asList(gpu.addresses());
    }
  }

  /** Spark accumulators of shard outcomes: the driver's view of executors' work on a cluster. */
  static final class Counters implements Serializable {
    private static final long serialVersionUID = 1L;
    final LongAccumulator samples;
    final LongAccumulator failed;
    final LongAccumulator requests;
    final LongAccumulator attempts;
    final LongAccumulator completionTokens;

    Counters(SparkSession spark) {
      var sc = spark.sparkContext();
      samples = sc.longAccumulator("retort.generate.samples");
      failed = sc.longAccumulator("retort.generate.errors");
      requests = sc.longAccumulator("retort.generate.requests");
      attempts = sc.longAccumulator("retort.generate.attempts");
      completionTokens = sc.longAccumulator("retort.generate.completion_tokens");
    }

    void add(ShardOutcome o) {
      samples.add(o.generated());
      failed.add(o.errors());
      requests.add(o.requests());
      attempts.add(o.attempts());
      completionTokens.add(o.completionTokens());
    }

    Progress.Snapshot snapshot() {
      return new Progress.Snapshot(samples.value(), failed.value(), requests.value(), attempts.value(), 0,
          completionTokens.value(), System.nanoTime());
    }
  }

  /** Logs a progress line every interval: live from this JVM's counters, else from finished shards. */
  private static final class Reporter {
    private final long total;
    private final Counters acc;
    private final long intervalMs;
    private final Progress.Snapshot base = Progress.JVM.snapshot();
    private final long t0 = System.nanoTime();
    private Thread thread;

    Reporter(long total, Counters acc, long intervalMs) {
      this.total = total;
      this.acc = acc;
      this.intervalMs = Math.max(100, intervalMs);
    }

    void start() {
      thread = new Thread(() -> {
        try {
          while (!Thread.currentThread().isInterrupted()) {
            Thread.sleep(intervalMs);
            LOG.info(line());
          }
        } catch (InterruptedException e) {
          // stopped
        }
      }, "retort-generate-progress");
      thread.setDaemon(true);
      thread.start();
    }

    String line() {
      Progress.Snapshot s = Progress.JVM.snapshot().minus(base).max(acc.snapshot());
      return s.line(total, (System.nanoTime() - t0) / 1e9);
    }

    void stop() {
      thread.interrupt();
      LOG.info(line());
    }
  }
}
