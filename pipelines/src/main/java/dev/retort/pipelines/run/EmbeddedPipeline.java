package dev.retort.pipelines.run;

import dev.retort.core.config.RetortConfig;
import dev.retort.core.data.Prompt;
import dev.retort.core.data.SftExample;
import dev.retort.core.data.Trace;
import dev.retort.core.datasets.Arith;
import dev.retort.core.datasets.ArithSettings;
import dev.retort.core.io.Codecs;
import dev.retort.core.io.ParquetIO;
import dev.retort.core.store.Location;
import dev.retort.eval.EvalJob;
import dev.retort.eval.ModelResult;
import dev.retort.eval.report.ReportTable;
import dev.retort.filter.job.FilterJob;
import dev.retort.filter.job.FilterResult;
import dev.retort.teacher.generate.GenerateJob;
import dev.retort.teacher.generate.GenerateResult;
import dev.retort.train.SftData;
import dev.retort.train.SftTrainer;
import dev.retort.train.TrainResult;
import dev.retort.train.TrainSettings;
import dev.retort.train.grpo.BaseData;
import dev.retort.train.grpo.GrpoResult;
import dev.retort.train.grpo.GrpoSettings;
import dev.retort.train.grpo.GrpoTrainer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The embedded default's stages, in order: arith prompts, teacher bootstrap (cached by config
 * hash), teacher-gen through K local {@code retort serve} processes, filter, the answers-only
 * base, the distilled student, the unfiltered ablation, the RL arm, and eval with the report.
 * Every stage calls the same stage code as its own CLI command; only the wiring is here.
 *
 * <p>The run folder may be on any store. Prompts, generate, filter, the pipeline's marks and the
 * unfiltered view read and write it directly; what needs local files (the trainers and their
 * child JVMs, the teacher servers, eval's models, logs) goes through {@link Staging}, which is the
 * location itself on a local run and a mirror in the local cache otherwise, published back when
 * the writer is done.
 */
public final class EmbeddedPipeline {
  private static final Logger LOG = LoggerFactory.getLogger(EmbeddedPipeline.class);
  public static final List<String> SECTIONS = List.of("run", "inputs", "arith", "teacher", "generate", "filter", "train",
      "grpo", "eval", "pipeline", "train-teacher", "train-student", "train-base", "rl", "study");

  private EmbeddedPipeline() {}

  /**
   * Every top-level section some command reads: those of the merged defaults, and those bound
   * from code defaults without one (grpo). What the standalone commands check a config against.
   */
  public static java.util.Set<String> knownSections() {
    java.util.Set<String> all = new java.util.TreeSet<>(RetortConfig.knownSections());
    all.addAll(SECTIONS);
    return all;
  }

  public static Pipeline build(PipelineSettings p) {
    List<Stage<?>> stages = new ArrayList<>();
    stages.add(stage("prompts", List.of("run", "arith", "pipeline"), StageResults.Prompts.class, EmbeddedPipeline::prompts));
    stages.add(stage("teacher", List.of("train-teacher"), StageResults.Trained.class, EmbeddedPipeline::teacher));
    stages.add(stage("generate", List.of("teacher", "generate"), StageResults.Generated.class, EmbeddedPipeline::generate));
    stages.add(stage("filter", List.of("filter"), StageResults.Filtered.class, EmbeddedPipeline::filter));
    if (hasBase(p)) {
      stages.add(stage("base", List.of("train-base"), StageResults.Trained.class, EmbeddedPipeline::base));
    }
    if (p.study()) {
      // Both arms under several seeds, their evaluation and the study's report.
      stages.add(stage("study", List.of("train-student", "rl", "grpo", "study", "eval"), StageResults.Compared.class,
          Study::run));
      return new Pipeline(stages);
    }
    stages.add(stage("student", List.of("train-student"), StageResults.Trained.class, EmbeddedPipeline::distilled));
    if (p.unfilteredAblation()) {
      stages.add(stage("student-unfiltered", List.of("train-student"), StageResults.Trained.class,
          EmbeddedPipeline::unfiltered));
    }
    if (p.rlArm()) {
      stages.add(stage("rl", List.of("rl", "grpo"), StageResults.Reinforced.class, EmbeddedPipeline::rl));
    }
    stages.add(stage("eval", List.of("eval"), StageResults.Evaluated.class, EmbeddedPipeline::eval));
    return new Pipeline(stages);
  }

  /**
   * Binds every section the stages will bind, so a config mistake in a late stage (a typo in rl,
   * method = grpo in train-student) fails in a second, not after the teacher's minutes of training.
   */
  public static void check(RetortConfig cfg) {
    cfg.checkSections(SECTIONS);
    PipelineSettings p = PipelineSettings.from(cfg);
    ArithSettings.from(cfg);
    dev.retort.core.config.RunSettings.from(cfg);
    dev.retort.core.run.InputChecks.from(cfg);
    // With the values the stages set themselves (endpoints of the servers the pipeline starts,
    // the prompt file it writes, the template), as generate and filter bind them.
    RetortConfig gen = cfg.with(Map.of("teacher.endpoints", List.of("http://127.0.0.1:1/v1"), "teacher.model", "teacher",
        "generate.prompts", "arith", "generate.template", p.template()));
    dev.retort.teacher.TeacherSettings.from(gen);
    dev.retort.teacher.generate.GenerateSettings.from(gen);
    dev.retort.filter.FilterSettings.from(cfg.with(Map.of("filter.prompt-template", p.template())));
    dev.retort.eval.EvalSettings.from(cfg);
    for (String section : List.of("train-teacher", "train-base", "train-student")) {
      sft(cfg, section);
    }
    if (p.rlArm()) {
      // init-from is the base stage's output, known once it has run.
      GrpoSettings.from(cfg.with(Map.of("rl.init-from", "base")), "rl");
    }
  }

  interface Body<R extends Record> {
    R run(PipelineContext ctx) throws Exception;
  }

  private static <R extends Record> Stage<R> stage(String name, List<String> sections, Class<R> type, Body<R> body) {
    return new Stage<>() {
      @Override
      public String name() {
        return name;
      }

      @Override
      public List<String> configSections() {
        return sections;
      }

      @Override
      public Class<R> resultType() {
        return type;
      }

      @Override
      public R run(PipelineContext ctx) throws Exception {
        return body.run(ctx);
      }
    };
  }

  private static PipelineSettings settings(PipelineContext ctx) {
    return PipelineSettings.from(ctx.config());
  }

  /** The pipeline's own inputs (prompt splits, SFT sets of the teacher, base and ablation). */
  static Location data(PipelineContext ctx) {
    return ctx.layout().root().resolve("data");
  }

  /** Logs of the servers and of the trainers run alongside (written locally, by child JVMs, then published). */
  private static Location logs(PipelineContext ctx) {
    return ctx.layout().root().resolve("logs");
  }

  /** Writes SFT rows where the trainers read them (local), publishes them to the run; returns the local folder. */
  private static Path sftData(PipelineContext ctx, String name, List<SftExample> rows) {
    Location l = data(ctx).resolve(name);
    Path dir = ctx.staging().path(l);
    SftData.write(dir, rows);
    ctx.staging().publish(l);
    return dir;
  }

  // ---- prompts: disjoint arith problems for the teacher's bootstrap and for distillation.
  static StageResults.Prompts prompts(PipelineContext ctx) {
    PipelineSettings p = settings(ctx);
    ArithSettings a = ArithSettings.from(ctx.config());
    List<Prompt> train = Arith.generate(a.spec(), ctx.run().seed(), p.bootstrapSize() + p.distillSize(), Arith.Split.TRAIN);
    Location dir = data(ctx);
    ParquetIO.write(dir.resolve("bootstrap.parquet"), Codecs.PROMPT, train.subList(0, p.bootstrapSize()));
    ParquetIO.write(dir.resolve("distill.parquet"), Codecs.PROMPT, train.subList(p.bootstrapSize(), train.size()));
    return new StageResults.Prompts(p.bootstrapSize(), p.distillSize());
  }

  // ---- teacher: trained on reference solutions, cached across runs by its config hash.
  static StageResults.Trained teacher(PipelineContext ctx) throws IOException {
    PipelineSettings p = settings(ctx);
    List<Prompt> bootstrap = ParquetIO.read(data(ctx).resolve("bootstrap.parquet"), Codecs.PROMPT);
    // Keyed by what the teacher depends on (its problems come first in the seeded stream, so the
    // distillation set's size does not change them): changing distill-size keeps the teacher.
    String hash = ctx.config().hash("arith", "train-teacher", "pipeline.bootstrap-size", "pipeline.template")
        .substring(0, 16) + "-" + ctx.run().seed();
    Location teacher = p.teacherCache().resolve("teacher-" + hash);
    Path sft = sftData(ctx, "teacher-sft", SftData.fromPrompts(bootstrap, p.template()));
    RetortConfig cfg = ctx.config();
    if (p.concurrentTraining() && hasBase(p)) {
      // The base needs only the prompts: it trains on the other core while the teacher trains.
      // (Were the base stage to be skipped as complete, its trainer finds its output complete too.)
      cfg = cfg.with(Map.of("train-teacher.threads", 1));
      alongside(ctx, "base", ctx.config(), "train-base", baseData(ctx), ctx.staging().output(ctx.layout().model("base")));
    }
    Path dir = ctx.staging().output(teacher);
    TrainResult r = SftTrainer.run(sft(cfg, "train-teacher"), sft, dir);
    ctx.staging().publish(teacher);
    return StageResults.Trained.of(r).withCheckpoint(teacher.isLocal() ? dir.toAbsolutePath().toString() : teacher.toString());
  }

  /**
   * A trainer section of the pipeline: SFT only. The RL arm is its own stage (pipeline.rl-arm,
   * section rl), so method = grpo here is a mistake worth stopping for rather than ignoring.
   */
  static TrainSettings sft(RetortConfig cfg, String section) {
    TrainSettings s = TrainSettings.from(cfg, section);
    if (s.method() != TrainSettings.Method.SFT) {
      throw new IllegalArgumentException(section + ".method = " + s.method().name().toLowerCase()
          + ": the pipeline trains " + section + " by SFT; the GRPO arm is the rl stage (pipeline.rl-arm = true, section rl)");
    }
    return s;
  }

  /** The teacher's checkpoint as a local folder (fetched from the store when the run is on one). */
  static Path teacherDir(PipelineContext ctx) {
    return ctx.staging().input(Location.of(ctx.result("teacher", StageResults.Trained.class).orElseThrow().checkpoint()));
  }

  // ---- generate: K local servers, the same HTTP path as a production teacher pool.
  static StageResults.Generated generate(PipelineContext ctx) throws Exception {
    PipelineSettings p = settings(ctx);
    Path logs = ctx.staging().output(logs(ctx));
    // The run's own servers answer only its generate job, whose requests share one budget: a
    // whole generation per scheduling round (no slices) gives up no fairness and saves the
    // prefill a resumed slice costs.
    int maxTokens = ctx.config().raw().getInt("generate.max-tokens");
    try (ServerPool pool = ServerPool.start(p.teacherServers(),
        List.of("--model", teacherDir(ctx).toString(), "--served-model-name", "teacher",
            "--max-batch", Integer.toString(p.serveMaxBatch()), "--slice-tokens", Integer.toString(maxTokens),
            "--max-tokens-cap", Integer.toString(maxTokens)),
        logs, Duration.ofMinutes(3))) {
      List<String> eps = pool.endpoints().stream().map(u -> u.endsWith("/v1") ? u : u + "/v1").toList();
      RetortConfig cfg = ctx.config().with(Map.of("teacher.endpoints", eps, "teacher.model", "teacher",
          "generate.prompts", data(ctx).resolve("distill.parquet"), "generate.template", p.template()));
      GenerateResult r = GenerateJob.run(cfg, spark(cfg));
      if (r.errors() > 0) {
        throw new IllegalStateException("generate: " + r.errors() + " samples failed after retries (see traces/errors); rerun to retry them");
      }
      return new StageResults.Generated(r.succeeded(), r.completionTokens(), r.seconds());
    } finally {
      publishLogs(ctx);
    }
  }

  /** The servers' and children's logs to the run folder (on a local run they are there already). */
  static void publishLogs(PipelineContext ctx) {
    if (Files.isDirectory(ctx.staging().path(logs(ctx)))) {
      ctx.staging().publish(logs(ctx));
    }
  }

  private static SparkSession spark(RetortConfig cfg) {
    return GenerateJob.session(cfg.raw().getString("generate.spark-master"));
  }

  // ---- filter
  static StageResults.Filtered filter(PipelineContext ctx) {
    PipelineSettings p = settings(ctx);
    RetortConfig cfg = ctx.config().with(Map.of("filter.prompt-template", p.template()));
    FilterResult r = FilterJob.run(spark(cfg), cfg, ctx.layout().traces(), ctx.layout().filtered());
    return new StageResults.Filtered(r.traces(), r.accepted(), r.rejected(),
        r.traces() == 0 ? 0.0 : (double) r.accepted() / r.traces(), count(r.stats().get("bad_files")),
        count(r.stats().get("bad_rows")));
  }

  private static long count(Object v) {
    return v instanceof Number n ? n.longValue() : 0;
  }

  // ---- base: answers only, no worked reasoning: the shared starting point of both arms.
  static StageResults.Trained base(PipelineContext ctx) throws Exception {
    Location base = ctx.layout().model("base");
    Path dir = ctx.staging().output(base);
    StageResults.Trained out = joinOrRun(ctx, "base", dir,
        () -> SftTrainer.run(sft(ctx.config(), "train-base"), baseData(ctx), dir));
    ctx.staging().publish(base);
    return out;
  }

  static boolean hasBase(PipelineSettings p) {
    return p.studentInit() == PipelineSettings.StudentInit.BASE || p.rlArm() || p.study();
  }

  /** Writes the base's SFT data (answers only, or with pipeline.base-worked worked solutions); returns its folder. */
  static Path baseData(PipelineContext ctx) {
    PipelineSettings p = settings(ctx);
    List<Prompt> prompts = ParquetIO.read(data(ctx).resolve("bootstrap.parquet"), Codecs.PROMPT);
    return sftData(ctx, "base-sft", BaseData.mixed(prompts, p.template(), p.baseWorked()));
  }

  private static RetortConfig studentConfig(PipelineContext ctx) {
    PipelineSettings p = settings(ctx);
    if (p.studentInit() == PipelineSettings.StudentInit.BASE) {
      return ctx.config().with(Map.of("train-student.init-from", ctx.staging().input(ctx.layout().model("base")).toAbsolutePath()));
    }
    return ctx.config();
  }

  static StageResults.Trained student(PipelineContext ctx, String name, Path sft, RetortConfig cfg) {
    TrainSettings s = sft(cfg, "train-student");
    Location model = ctx.layout().model(name);
    StageResults.Trained out = StageResults.Trained.of(SftTrainer.run(s, sft, ctx.staging().output(model)));
    ctx.staging().publish(model);
    return out;
  }

  // ---- the distilled student; with pipeline.concurrent-training, the ablation trains alongside.
  static StageResults.Trained distilled(PipelineContext ctx) throws Exception {
    PipelineSettings p = settings(ctx);
    RetortConfig cfg = studentConfig(ctx);
    // With trainer = trl the ablation does not train alongside: TRL takes the GPUs, one run at a time.
    if (p.unfilteredAblation() && p.concurrentTraining()
        && sft(cfg, "train-student").trainer() == TrainSettings.Trainer.DJL) {
      cfg = cfg.with(Map.of("train-student.threads", 1));
      // Its step budget is the distilled student's planned steps, known before either starts.
      RetortConfig ablation = ablationConfig(ctx, p.ablationBudget() == PipelineSettings.AblationBudget.MATCHED
          ? SftTrainer.plannedSteps(sft(cfg, "train-student"), ctx.staging().input(ctx.layout().sft())) : 0);
      alongside(ctx, "student-unfiltered", ablation, "train-student", unfilteredData(ctx),
          ctx.staging().output(ctx.layout().model("student-unfiltered")));
    }
    return student(ctx, "student", ctx.staging().input(ctx.layout().sft()), cfg);
  }

  // ---- the ablation: every successful trace, unverified and unfiltered.
  static StageResults.Trained unfiltered(PipelineContext ctx) throws Exception {
    Location model = ctx.layout().model("student-unfiltered");
    Path dir = ctx.staging().output(model);
    StageResults.Trained out = joinOrRun(ctx, "student-unfiltered", dir, () -> {
      PipelineSettings p = settings(ctx);
      long steps = p.ablationBudget() == PipelineSettings.AblationBudget.MATCHED
          ? ctx.result("student", StageResults.Trained.class).map(StageResults.Trained::steps).orElse(0L) : 0;
      Path sft = unfilteredData(ctx);
      return SftTrainer.run(sft(ablationConfig(ctx, steps), "train-student"), sft, dir);
    });
    ctx.staging().publish(model);
    return out.withExamples(SftData.read(ctx.staging().input(data(ctx).resolve("sft-unfiltered"))).size());
  }

  /** The ablation's config: the student's, capped at {@code maxSteps} when > 0. */
  private static RetortConfig ablationConfig(PipelineContext ctx, long maxSteps) {
    RetortConfig cfg = studentConfig(ctx);
    return maxSteps > 0 ? cfg.with(Map.of("train-student.max-steps", maxSteps)) : cfg;
  }

  /** Writes every successful trace, unverified, as SFT rows; returns the folder. */
  static Path unfilteredData(PipelineContext ctx) {
    PipelineSettings p = settings(ctx);
    List<SftExample> all = new ArrayList<>();
    for (Trace t : ParquetIO.read(ctx.layout().traces(), Codecs.TRACE)) {
      if (!t.failed()) {
        all.add(SftExample.of(t.promptId(), t.sampleIndex(), t.source(), p.render(t.problem()), t.reasoning(), t.answer()));
      }
    }
    return sftData(ctx, "sft-unfiltered", all);
  }

  /**
   * Starts a later stage's training now, as a child {@code retort train} JVM with one PyTorch
   * thread. At these sizes a trainer keeps about one core busy (small matmuls do not spread over
   * PyTorch's threads), so two of them take the time of one. A separate JVM, not a thread: DJL allows one collecting GradientCollector per process.
   * If the pipeline dies, the child is stopped by a shutdown hook, or after a SIGKILL by its own
   * watch on this process ({@code --parent-pid}); its checkpoints let the rerun resume.
   */
  private static void alongside(PipelineContext ctx, String stage, RetortConfig cfg, String section, Path data, Path out)
      throws IOException {
    ctx.alongside().put(stage, startTrainer(ctx, stage, cfg, section, data, out));
  }

  /** Starts {@code retort train} for {@code section} in a child JVM with one PyTorch thread (see {@link #alongside}). */
  static Alongside startTrainer(PipelineContext ctx, String stage, RetortConfig cfg, String section, Path data, Path out)
      throws IOException {
    Path logs = ctx.staging().output(logs(ctx));
    Files.createDirectories(logs);
    Path conf = logs.resolve(stage + ".conf");
    Files.writeString(conf, cfg.with(Map.of(section + ".threads", 1)).render(section));
    List<String> cmd = new ArrayList<>(ServerPool.javaCommand("-Dai.djl.pytorch.num_threads=1",
        "-Dai.djl.pytorch.num_interop_threads=1"));
    cmd.addAll(List.of("train", "--config", conf.toString(), "--section", section, "--data", data.toString(),
        "--out", out.toString(), "--parent-pid", Long.toString(ProcessHandle.current().pid())));
    Path log = logs.resolve(stage + ".log");
    Process child = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    child.getOutputStream().close();
    Thread hook = new Thread(child::destroy, "retort-stop-" + stage);
    Runtime.getRuntime().addShutdownHook(hook);
    LOG.info("stage {}: training alongside (pid {}, log {})", stage, child.pid(), log);
    return new Alongside(child, log, hook);
  }

  /** A trainer running in its own process beside the pipeline's next stages. */
  record Alongside(Process process, Path log, Thread hook) {}

  /** The result of {@code stage}'s training started {@link #alongside} an earlier stage, else runs it now. */
  private static StageResults.Trained joinOrRun(PipelineContext ctx, String stage, Path out,
      java.util.concurrent.Callable<TrainResult> work) throws Exception {
    Alongside a = ctx.alongside().remove(stage);
    return StageResults.Trained.of(a == null ? work.call() : await(ctx, stage, a, out));
  }

  /** Waits for a trainer started by {@link #startTrainer}; its result, or an error with the log's tail. */
  static TrainResult await(PipelineContext ctx, String stage, Alongside a, Path out) throws IOException, InterruptedException {
    int code = a.process().waitFor();
    try {
      Runtime.getRuntime().removeShutdownHook(a.hook());
    } catch (IllegalStateException shuttingDown) {
      // the JVM is already exiting; the hook runs anyway
    }
    publishLogs(ctx);
    TrainResult r = code == 0 ? SftTrainer.readResult(out) : null;
    if (r == null) {
      List<String> lines = Files.readAllLines(a.log());
      throw new IllegalStateException(stage + ": the training started alongside exited with status " + code + "; log "
          + a.log() + ":\n" + String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size())));
    }
    return r;
  }

  // ---- the RL arm: GRPO from the same base with the verifier's reward.
  static StageResults.Reinforced rl(PipelineContext ctx) {
    PipelineSettings p = settings(ctx);
    RetortConfig cfg = ctx.config().with(Map.of("rl.init-from", ctx.staging().input(ctx.layout().model("base")).toAbsolutePath(),
        "rl.prompt-template", p.template()));
    GrpoSettings s = GrpoSettings.from(cfg, "rl");
    List<Prompt> prompts = ParquetIO.read(data(ctx).resolve("distill.parquet"), Codecs.PROMPT);
    Location model = ctx.layout().model("rl-student");
    GrpoResult r = GrpoTrainer.run(s, prompts, ctx.staging().output(model));
    ctx.staging().publish(model);
    return new StageResults.Reinforced(r.steps(), r.meanRewardFirst(), r.meanRewardLast(),
        r.tokensSampled() + r.tokensTrained(), r.flops(), r.wallSeconds());
  }

  // ---- eval: every model on the held-out arith split, then the report.
  static StageResults.Evaluated eval(PipelineContext ctx) {
    PipelineSettings p = settings(ctx);
    List<Map<String, Object>> models = new ArrayList<>();
    models.add(model("teacher", teacherDir(ctx), "teacher"));
    Staging staging = ctx.staging();
    models.add(model("student", staging.input(ctx.layout().model("student")), "distilled"));
    if (ctx.results().containsKey("student-unfiltered")) {
      models.add(model("student-unfiltered", staging.input(ctx.layout().model("student-unfiltered")), "ablation"));
    }
    if (ctx.results().containsKey("rl")) {
      models.add(model("rl-student", staging.input(ctx.layout().model("rl-student")), "rl"));
    }
    if (ctx.results().containsKey("base")) {
      models.add(model("base", staging.input(ctx.layout().model("base")), "base"));
    }
    Map<String, String> curves = new LinkedHashMap<>();
    curves.put("teacher", teacherDir(ctx).resolve("metrics.jsonl").toString());
    for (String m : List.of("student", "student-unfiltered", "base", "rl-student")) {
      // The models above are local already; one that is not in this run is not fetched.
      Path f = staging.path(ctx.layout().model(m)).resolve("metrics.jsonl");
      if (Files.isRegularFile(f)) {
        curves.put(m, f.toString());
      }
    }
    RetortConfig cfg = ctx.config().with(Map.of("eval.models", models, "eval.training-metrics", curves));
    List<ReportTable> extras = new ArrayList<>();
    extras.add(ReportTable.ofMaps("Compute budget per arm", budgetRows(ctx)));
    ctx.result("filter", StageResults.Filtered.class).ifPresent(f -> extras.add(ReportTable.ofPairs("Filter",
        dev.retort.core.io.Json.MAPPER.convertValue(f, new com.fasterxml.jackson.core.type.TypeReference<Map<String, Object>>() {}))));
    EvalJob.Result r = EvalJob.run(cfg, extras);
    Map<String, Double> accuracy = new LinkedHashMap<>();
    for (ModelResult m : r.results()) {
      if (m.benchmark().equals("arith") && m.metrics() != null) {
        accuracy.put(m.model(), m.metrics().pass(1).mean());
      }
    }
    if (!r.ok()) {
      throw new IllegalStateException("eval incomplete: " + String.join("; ", r.failures()));
    }
    return new StageResults.Evaluated(accuracy, ctx.layout().report().isLocal() ? r.reportHtml().toString()
        : ctx.layout().report().resolve("index.html").toString());
  }

  /** One entry of eval.models: a checkpoint folder with its name and role. */
  static Map<String, Object> model(String name, Path dir, String role) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("name", name);
    m.put("checkpoint", dir.toAbsolutePath().toString());
    m.put("role", role);
    return m;
  }

  private static List<Map<String, Object>> budgetRows(PipelineContext ctx) {
    List<Map<String, Object>> rows = new ArrayList<>();
    for (String stage : List.of("teacher", "base", "student", "student-unfiltered")) {
      ctx.result(stage, StageResults.Trained.class).ifPresent(t -> rows.add(budgetRow(stage, t.tokens(), t.flops(),
          t.seconds(), t.params())));
    }
    ctx.result("rl", StageResults.Reinforced.class).ifPresent(r -> rows.add(budgetRow("rl-student", r.tokens(), r.flops(),
        r.seconds(), null)));
    return rows;
  }

  private static Map<String, Object> budgetRow(String model, long tokens, double flops, double seconds, Long params) {
    Map<String, Object> row = new LinkedHashMap<>();
    row.put("model", model);
    row.put("tokens", tokens);
    row.put("flops", String.format("%.3g", flops));
    row.put("seconds", seconds);
    row.put("params", params == null ? "" : params);
    return row;
  }
}
