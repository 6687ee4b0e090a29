package dev.retort.teacher.generate;

import com.fasterxml.jackson.databind.JsonNode;
import dev.retort.core.config.RetortConfig;
import dev.retort.core.config.RunSettings;
import dev.retort.core.data.Prompt;
import dev.retort.core.datasets.Arith;
import dev.retort.core.datasets.ArithSettings;
import dev.retort.core.datasets.PromptReaders;
import dev.retort.core.datasets.PromptSet;
import dev.retort.core.datasets.RejectedRow;
import dev.retort.core.io.Json;
import dev.retort.core.io.ParquetIO;
import dev.retort.core.run.Provenance;
import dev.retort.core.run.RunLayout;
import dev.retort.core.run.StageOutput;
import dev.retort.teacher.TeacherClient;
import dev.retort.teacher.TeacherSettings;
import java.io.IOException;
import java.io.UncheckedIOException;
import dev.retort.core.store.Location;
import dev.retort.core.store.Manifest;
import dev.retort.core.store.Store;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The driver side of the generate stage, without Spark: reads and validates the prompts, decides
 * which shards still need work, writes prompts/, rejects and the completion markers. The Spark job
 * ({@link GenerateJob}) only distributes {@link #pendingShards()} to {@link ShardProcessor}s; tests
 * and embedded callers can run the same shards in-process with {@link #runInProcess}.
 *
 * <p>The identity of a traces folder is a hash of everything that decides its rows: the prompts
 * (ids and texts), template, sampling settings, seed, samples per prompt, shard count, request mode
 * and teacher model. Endpoints, timeouts and retry settings are not part of it, so a rerun may use
 * another pool. A folder made under another identity is never mixed with new rows: the run fails,
 * or with {@code generate.overwrite = true} starts over.
 */
public final class GenerateStage {
  public static final String STAGE = "generate";
  /** The stage name in the provenance of the prompts/ copy this stage writes. */
  public static final String PROMPTS_STAGE = "generate-prompts";
  private static final Logger LOG = LoggerFactory.getLogger(GenerateStage.class);

  private final RetortConfig config;
  private final RunSettings run;
  private final GenerateSettings gen;
  private final TeacherSettings teacher;
  private final Location traces;
  private final Location promptsDir;
  private final Location input;
  private final List<Prompt> prompts;
  private final List<RejectedRow> rejects;
  private final Map<Integer, List<Prompt>> byShard;
  private final String promptsHash;
  private final String identity;

  private GenerateStage(RetortConfig config) {
    this.config = config;
    this.run = RunSettings.from(config);
    this.gen = GenerateSettings.from(config);
    this.teacher = TeacherSettings.from(config);
    RunLayout layout = run.layout();
    this.traces = gen.output().orElse(layout.traces());
    // A copy of the prompts used goes to the run's prompts/ only in the run layout: next to a
    // folder the user named, a "prompts" sibling could be anybody's.
    this.promptsDir = gen.output().isPresent() ? null : layout.prompts();
    PromptSet set;
    if (gen.arith()) {
      ArithSettings a = ArithSettings.from(config);
      set = new PromptSet("arith-train", Arith.generate(a.spec(), run.seed(), a.trainSize(), Arith.Split.TRAIN), List.of());
      this.input = null;
    } else {
      try {
        this.input = Location.of(gen.prompts());
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("generate.prompts: " + e.getMessage(), e);
      }
      if (!exists(input)) {
        throw new IllegalArgumentException("generate.prompts: no such file or folder " + input);
      }
      try {
        set = PromptReaders.read(input, gen.layout(), gen.maxPromptChars(), gen.promptColumns(), gen.promptSplit());
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("generate.prompts: " + e.getMessage(), e);
      }
    }
    List<Prompt> ps = set.prompts();
    if (gen.limit() > 0 && ps.size() > gen.limit()) {
      ps = ps.subList(0, gen.limit());
    }
    if (gen.arith()) {
      List<Prompt> kept = new ArrayList<>();
      List<RejectedRow> rj = new ArrayList<>();
      for (Prompt p : ps) {
        if (p.problem().length() > gen.maxPromptChars()) {
          rj.add(new RejectedRow(set.source(), kept.size() + rj.size() + 1, p.problem(), "oversize: problem has "
              + p.problem().length() + " chars, limit " + gen.maxPromptChars()));
        } else {
          kept.add(p);
        }
      }
      ps = kept;
      this.rejects = rj;
    } else {
      this.rejects = set.rejects();
    }
    this.prompts = List.copyOf(ps);
    if (prompts.isEmpty() && !dev.retort.core.run.InputChecks.from(config).allowEmpty()) {
      throw new IllegalStateException("generate: no prompts in " + (input == null ? "the arith set" : input)
          + (rejects.isEmpty() ? "" : " (" + rejects.size() + " rows rejected as malformed: first " + rejects.get(0).reason() + ")")
          + "; accept an empty input with inputs.allow-empty = true");
    }
    Map<Integer, List<Prompt>> shards = new TreeMap<>();
    for (Prompt p : prompts) {
      shards.computeIfAbsent(Seeds.shardOf(p.id(), gen.shards()), k -> new ArrayList<>()).add(p);
    }
    this.byShard = shards;
    this.promptsHash = hashPrompts(prompts);
    this.identity = computeIdentity();
  }

  /** Reads the config and the prompts; fails on config errors before anything is written. */
  public static GenerateStage prepare(RetortConfig config) {
    return new GenerateStage(config);
  }

  public GenerateSettings settings() {
    return gen;
  }

  public TeacherSettings teacher() {
    return teacher;
  }

  public Location traces() {
    return traces;
  }

  public List<Prompt> prompts() {
    return prompts;
  }

  public List<RejectedRow> rejects() {
    return rejects;
  }

  /** The traces folder's identity (also its _SUCCESS config hash). */
  public String identity() {
    return identity;
  }

  public long expected() {
    return (long) prompts.size() * gen.samplesPerPrompt();
  }

  /** Done for this identity: _SUCCESS matches and no error rows wait for a retry. */
  public boolean isComplete() {
    return StageOutput.isComplete(traces, identity) && ParquetIO.files(ShardFiles.errorsDir(traces)).isEmpty();
  }

  /** Shards that hold prompts, in order. */
  public List<Integer> shards() {
    return List.copyOf(byShard.keySet());
  }

  /** The prompts of one shard (empty when none hash there). */
  public List<Prompt> prompts(int shard) {
    return byShard.getOrDefault(shard, List.of());
  }

  /** Shards that still need work: no main file yet, or an errors file to retry. */
  public List<Integer> pendingShards() {
    List<Integer> out = new ArrayList<>();
    for (int s : byShard.keySet()) {
      if (!ShardProcessor.isComplete(traces, s, gen.shards())) {
        out.add(s);
      }
    }
    return out;
  }

  /**
   * Claims the traces folder for this identity (failing, or with overwrite starting over, when it
   * belongs to another), marks it incomplete, and writes prompts/ and the rejects.
   */
  public void begin() {
    Location marker = traces.resolve(ShardFiles.GENERATION);
    if (exists(marker)) {
      JsonNode m = Json.read(marker);
      String had = m.path("identity").asText("");
      if (!had.equals(identity)) {
        if (!gen.overwrite()) {
          throw new IllegalStateException(traces + " holds traces of a different generate config (identity " + shortId(had)
              + ", now " + shortId(identity) + "): use another run.run-id or generate.output, or set generate.overwrite = true to delete them");
        }
        LOG.warn("generate.overwrite = true: deleting {} (made by identity {})", traces, shortId(had));
        StageOutput.deleteTree(traces);
      }
    } else if (hasData(traces)) {
      if (!gen.overwrite()) {
        throw new IllegalStateException(traces + " holds files that no generate run claimed; move them away or set generate.overwrite = true");
      }
      StageOutput.deleteTree(traces);
    }
    try {
      Store.of(traces).mkdirs(traces);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create " + traces + ": " + e.getMessage(), e);
    }
    if (!exists(marker)) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("identity", identity);
      m.put("shards", gen.shards());
      m.put("samples_per_prompt", gen.samplesPerPrompt());
      m.put("prompts", prompts.size());
      m.put("teacher", teacher.model());
      m.put("created_at", Instant.now().toString());
      Json.write(marker, m);
    }
    StageOutput.invalidate(traces);
    writePrompts();
    Location rj = ShardFiles.rejects(traces);
    if (rejects.isEmpty()) {
      StageOutput.deleteTree(rj.parent());
    } else {
      Json.writeLines(rj, rejects);
      LOG.warn("{} malformed prompt rows written to {}", rejects.size(), rj);
    }
  }

  private void writePrompts() {
    if (promptsDir == null) {
      return;
    }
    if (input != null && input.startsWith(promptsDir)) {
      return; // the input already is this run's prompts/
    }
    if (StageOutput.isComplete(promptsDir, promptsHash)) {
      return;
    }
    if (StageOutput.isComplete(promptsDir, null) && !PROMPTS_STAGE.equals(producer(promptsDir))) {
      LOG.info("{} was written by another stage; leaving it as it is", promptsDir);
      return;
    }
    StageOutput.invalidate(promptsDir);
    ParquetIO.write(promptsDir.resolve("prompts.parquet"), dev.retort.core.io.Codecs.PROMPT, prompts);
    Map<String, String> inputs = Map.of("prompts", input == null ? "arith:" + config.hash(ArithSettings.SECTION, "run")
        : Provenance.identityOf(input));
    Map<String, Object> cfg = gen.arith() ? config.resolved(ArithSettings.SECTION, "run") : config.resolved(GenerateSettings.SECTION);
    Map<String, Object> stats = new LinkedHashMap<>();
    stats.put("prompts", prompts.size());
    stats.put("rejects", rejects.size());
    StageOutput.complete(promptsDir, Provenance.of(PROMPTS_STAGE, promptsHash, cfg, run.seed(), inputs, Map.of()), stats);
  }

  private static String producer(Location dir) {
    try {
      return Provenance.read(dir).stage();
    } catch (RuntimeException e) {
      return null;
    }
  }

  /**
   * Runs every pending shard in this JVM, one after another (no Spark): used by tests and by
   * callers that already hold a client. The Spark job does the same work spread over executors.
   */
  public GenerateResult runInProcess(TeacherClient client, GenerationListener listener) {
    if (isComplete()) {
      return skippedResult();
    }
    long t0 = System.nanoTime();
    begin();
    ShardProcessor sp = new ShardProcessor(client, gen, teacher.requestMode(), traces, listener);
    List<ShardOutcome> outcomes = new ArrayList<>();
    for (int s : shards()) {
      outcomes.add(sp.process(s, prompts(s)));
    }
    return finish(outcomes, (System.nanoTime() - t0) / 1e9);
  }

  /** The result of a run that found the folder complete. */
  public GenerateResult skippedResult() {
    return new GenerateResult(traces, true, prompts.size(), rejects.size(), expected(), expected(), 0, byShard.size(), 0,
        0, 0, 0, 0, 0, 0);
  }

  /**
   * Sums the shard outcomes (shards missing from them were complete), writes stats.json,
   * provenance.json and _SUCCESS. Error rows do not block _SUCCESS: downstream stages read the
   * successes, and a rerun of generate retries the errors.
   */
  public GenerateResult finish(List<ShardOutcome> outcomes, double seconds) {
    Map<Integer, ShardOutcome> by = new TreeMap<>();
    for (ShardOutcome o : outcomes) {
      by.put(o.shard(), o);
    }
    long succeeded = 0;
    long errors = 0;
    long generated = 0;
    long requests = 0;
    long attempts = 0;
    long promptTokens = 0;
    long completionTokens = 0;
    int processed = 0;
    List<Manifest.Entry> committed = new ArrayList<>();
    for (int s : byShard.keySet()) {
      ShardOutcome o = by.get(s);
      Location main = ShardFiles.main(traces, s, gen.shards());
      if (o == null || o.skipped()) {
        if (!ShardProcessor.isComplete(traces, s, gen.shards())) {
          throw new IllegalStateException("shard " + s + " was neither processed nor complete in " + traces);
        }
        succeeded += prompts(s).size() * (long) gen.samplesPerPrompt();
        committed.add(entry(main, -1));
        continue;
      }
      // The task reported a commit: the store must hold that file with the rows the task counted
      // (a task whose write went elsewhere, or was lost with its executor, fails the stage here).
      long rows = rowsOf(main);
      if (rows != o.succeeded()) {
        throw new IllegalStateException("shard " + s + ": " + main + " holds " + rows + " rows, its task reported "
            + o.succeeded());
      }
      committed.add(entry(main, rows));
      processed++;
      succeeded += o.succeeded();
      errors += o.errors();
      generated += o.generated();
      requests += o.requests();
      attempts += o.attempts();
      promptTokens += o.promptTokens();
      completionTokens += o.completionTokens();
    }
    GenerateResult r = new GenerateResult(traces, false, prompts.size(), rejects.size(), expected(), succeeded, errors,
        byShard.size(), processed, generated, requests, attempts, promptTokens, completionTokens, seconds);
    Map<String, Object> stats = new LinkedHashMap<>();
    stats.put("stage", STAGE);
    stats.put("teacher", teacher.model());
    stats.put("prompts", r.prompts());
    stats.put("rejects", r.rejects());
    stats.put("samples_per_prompt", gen.samplesPerPrompt());
    stats.put("expected", r.expected());
    stats.put("succeeded", r.succeeded());
    stats.put("errors", r.errors());
    stats.put("completed", r.completedFraction());
    stats.put("shards", r.shards());
    stats.put("shards_processed", r.shardsProcessed());
    stats.put("generated", r.generated());
    stats.put("requests", r.requests());
    stats.put("attempts", r.attempts());
    stats.put("retries", Math.max(0, r.attempts() - r.requests()));
    stats.put("prompt_tokens", r.promptTokens());
    stats.put("completion_tokens", r.completionTokens());
    stats.put("seconds", round(seconds));
    stats.put("requests_per_s", round(r.requests() / Math.max(seconds, 1e-9)));
    stats.put("completion_tokens_per_s", round(r.completionTokens() / Math.max(seconds, 1e-9)));
    stats.put("identity", identity);
    Map<String, String> inputs = Map.of("prompts", input == null ? "arith:" + promptsHash : Provenance.identityOf(input));
    Map<String, String> models = Map.of("teacher", teacher.backend() == TeacherSettings.Backend.DJL
        ? teacher.djl().checkpoint().map(Location::toString).orElse(teacher.model()) : teacher.model());
    Map<String, Object> cfg = config.resolved("run", GenerateSettings.SECTION, TeacherSettings.SECTION);
    if (gen.arith()) {
      cfg.putAll(config.resolved(ArithSettings.SECTION));
    }
    StageOutput.complete(traces, Provenance.of(STAGE, identity, cfg, gen.seed(), inputs, models), stats, committed);
    LOG.info("generate: {} of {} samples in {} ({} errors, {} rejects), {} requests in {} s",
        r.succeeded(), r.expected(), traces, r.errors(), r.rejects(), r.requests(), String.format("%.1f", seconds));
    return r;
  }

  private String computeIdentity() {
    Map<String, Object> m = new TreeMap<>();
    m.put("prompts", promptsHash);
    m.put("template", gen.template());
    m.put("samples_per_prompt", gen.samplesPerPrompt());
    m.put("temperature", gen.temperature());
    m.put("top_p", gen.topP());
    m.put("top_k", gen.topK());
    m.put("max_tokens", gen.maxTokens());
    m.put("seed", gen.seed());
    m.put("shards", gen.shards());
    m.put("stop", gen.stop());
    m.put("request_mode", teacher.requestMode().name());
    m.put("teacher", teacher.model());
    return RetortConfig.sha256(Json.toJson(m)).substring(0, 32);
  }

  private static String hashPrompts(List<Prompt> prompts) {
    StringBuilder b = new StringBuilder();
    for (Prompt p : prompts) {
      b.append(p.id()).append('\u0000').append(p.source()).append('\u0000').append(p.problem()).append('\u0000')
          .append(p.referenceAnswer()).append('\u0000').append(p.answerType().code()).append('\n');
    }
    return RetortConfig.sha256(b.toString()).substring(0, 32);
  }

  private static boolean hasData(Location dir) {
    try {
      return !Store.of(dir).list(dir).isEmpty();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list " + dir + ": " + e.getMessage(), e);
    }
  }

  private static boolean exists(Location l) {
    try {
      return Store.of(l).exists(l);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot check " + l + ": " + e.getMessage(), e);
    }
  }

  private static long rowsOf(Location main) {
    if (!exists(main)) {
      throw new IllegalStateException("a task reported " + main + " committed, but the store does not hold it");
    }
    return ParquetIO.rowCount(main);
  }

  /** A shard's manifest line; {@code rows} -1 when the shard was complete before this run. */
  private Manifest.Entry entry(Location main, long rows) {
    try {
      return new Manifest.Entry(main.relativeTo(traces), Store.of(main).size(main), rows);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot stat " + main + ": " + e.getMessage(), e);
    }
  }

  /**
   * A local path holding the prompts: the input itself when local, else a copy in the local cache
   * (prompt readers parse local files; the prompts are read once, on the driver).
   */
  private static String shortId(String id) {
    return id.length() > 12 ? id.substring(0, 12) : id;
  }

  private static double round(double v) {
    return Math.round(v * 1000) / 1000.0;
  }
}
