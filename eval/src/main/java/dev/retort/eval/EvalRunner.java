package dev.retort.eval;

import dev.retort.core.config.RetortConfig;
import dev.retort.core.data.EvalSample;
import dev.retort.core.data.Prompt;
import dev.retort.core.io.Codecs;
import dev.retort.core.io.Json;
import dev.retort.core.io.ParquetIO;
import dev.retort.core.run.Provenance;
import dev.retort.core.run.StageOutput;
import dev.retort.verify.Verification;
import dev.retort.verify.Verifiers;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Evaluates one model on one benchmark into {@code <run>/eval/<model>/<benchmark>/}, resumably.
 *
 * <p>Design choices:
 * <ul>
 *   <li>Samples are written in chunks, each an atomic Parquet file named by a hash of the
 *       (problem, sample) pairs it holds, so a retried Spark task rewrites the same name and a
 *       crash loses at most one chunk. A rerun skips the pairs already on disk.
 *   <li>Every sample has its own seed, a function of (eval seed, benchmark, problem id, sample
 *       index), so a sample does not depend on which chunk or batch it landed in, and raising
 *       k or limit reuses every sample already drawn.
 *   <li>{@code protocol.json} holds a hash of everything that decides a sample (model identity,
 *       source identity, template, sampling settings, seed). Samples made under another hash
 *       are discarded, never mixed in. {@code _SUCCESS} holds a second hash that adds k and the
 *       problem ids: only a folder complete for exactly this benchmark is skipped.
 *   <li>A request that fails on its own is not written (the rerun asks again); a chunk in which
 *       every request failed stops the run: the model is down, not unlucky.
 * </ul>
 */
public final class EvalRunner {
  private static final Logger LOG = LoggerFactory.getLogger(EvalRunner.class);
  public static final String PROTOCOL_FILE = "protocol.json";

  private final String modelName;
  private final String role;
  private final String modelIdentity;
  private final Benchmark benchmark;
  private final long seed;
  private final Path dir;

  /**
   * @param dir the output folder, {@code <run>/eval/<model>/<benchmark>}
   * @param modelIdentity from {@link ModelUnderTest#identity()} or computed without loading the model
   */
  public EvalRunner(String modelName, String role, String modelIdentity, Benchmark benchmark, long seed, Path dir) {
    this.modelName = modelName;
    this.role = role;
    this.modelIdentity = modelIdentity;
    this.benchmark = benchmark;
    this.seed = seed;
    this.dir = dir;
  }

  public Path dir() {
    return dir;
  }

  public Benchmark benchmark() {
    return benchmark;
  }

  /** What a chunk run needs; serializable for Spark tasks. */
  public record Target(String model, String benchmark, String dir, EvalSettings.Protocol protocol) implements java.io.Serializable {}

  public Target target() {
    return new Target(modelName, benchmark.name(), dir.toAbsolutePath().toString(), benchmark.protocol());
  }

  /** The hash of everything that decides one sample. */
  public String sampleHash() {
    EvalSettings.Protocol p = benchmark.protocol();
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("model_identity", modelIdentity);
    m.put("source_identity", benchmark.identity());
    m.put("template", PromptTemplate.of(p.template()).text());
    m.put("temperature", p.temperature());
    m.put("top_p", p.topP());
    m.put("top_k", p.topK());
    m.put("max_tokens", p.maxTokens());
    m.put("seed", seed);
    return RetortConfig.sha256(Json.toJson(m));
  }

  /** The hash {@code _SUCCESS} holds: the sample hash plus k and the problem set. */
  public String completeHash() {
    StringBuilder b = new StringBuilder(sampleHash()).append("|k=").append(benchmark.protocol().k());
    for (Prompt p : benchmark.problems()) {
      b.append('|').append(p.id());
    }
    return RetortConfig.sha256(b.toString());
  }

  public boolean isComplete() {
    return StageOutput.isComplete(dir, completeHash());
  }

  /** The SHA-256-derived seed of one sample: stable across JVMs, batches and chunkings. */
  public static long sampleSeed(long seed, String benchmark, String problemId, int sampleIndex) {
    try {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      byte[] d = md.digest((seed + "\u0000" + benchmark + "\u0000" + problemId + "\u0000" + sampleIndex)
          .getBytes(StandardCharsets.UTF_8));
      return ByteBuffer.wrap(d, 0, 8).getLong() & Long.MAX_VALUE;
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * Makes the folder ready to (re)run and returns the samples still missing, in problem order:
   * discards samples of another protocol, removes a stale {@code _SUCCESS}, writes
   * {@code protocol.json}.
   */
  public List<WorkItem> prepare() {
    String hash = sampleHash();
    Path pf = dir.resolve(PROTOCOL_FILE);
    if (Files.isRegularFile(pf)) {
      String old = Json.read(pf).path("sample_hash").asText("");
      if (!old.equals(hash)) {
        LOG.warn("eval {}/{}: samples in {} were made with another model or protocol (hash {} != {}); discarding them",
            modelName, benchmark.name(), dir, abbrev(old), abbrev(hash));
        StageOutput.deleteTree(dir);
      }
    } else if (!ParquetIO.files(dir).isEmpty()) {
      LOG.warn("eval {}/{}: {} holds samples without {}; discarding them", modelName, benchmark.name(), dir, PROTOCOL_FILE);
      StageOutput.deleteTree(dir);
    }
    StageOutput.invalidate(dir);
    Map<String, Object> protocol = new LinkedHashMap<>();
    protocol.put("sample_hash", hash);
    protocol.put("model", modelName);
    protocol.put("role", role);
    protocol.put("model_identity", modelIdentity);
    protocol.put("benchmark", benchmark.name());
    protocol.put("source", benchmark.source());
    protocol.put("source_identity", benchmark.identity());
    protocol.put("protocol", benchmark.protocol());
    protocol.put("problems", benchmark.problems().size());
    protocol.put("problem_ids", benchmark.problems().stream().map(Prompt::id).toList());
    protocol.put("seed", seed);
    Json.write(pf, protocol);

    Set<String> have = new HashSet<>();
    ParquetIO.forEach(dir, Codecs.EVAL_SAMPLE, s -> have.add(s.problemId() + "#" + s.sampleIndex()));
    PromptTemplate template = benchmark.template();
    List<WorkItem> pending = new ArrayList<>();
    for (Prompt p : benchmark.problems()) {
      String text = template.render(p.problem());
      for (int i = 0; i < benchmark.protocol().k(); i++) {
        if (!have.contains(p.id() + "#" + i)) {
          pending.add(new WorkItem(p.id(), i, text, p.referenceAnswer(), p.answerType().code(),
              sampleSeed(seed, benchmark.name(), p.id(), i)));
        }
      }
    }
    return pending;
  }

  /** Splits pending work into chunks of at most {@code chunkSize} samples, in order. */
  public static List<List<WorkItem>> chunks(List<WorkItem> pending, int chunkSize) {
    List<List<WorkItem>> out = new ArrayList<>();
    for (int i = 0; i < pending.size(); i += chunkSize) {
      out.add(List.copyOf(pending.subList(i, Math.min(pending.size(), i + chunkSize))));
    }
    return out;
  }

  /** How one chunk went. */
  public record ChunkResult(int written, int failed, String firstError) implements java.io.Serializable {}

  /**
   * Generates, scores and writes one chunk: the same code runs in this JVM and inside Spark tasks.
   *
   * @throws ModelFailure when every request of the chunk failed
   */
  public static ChunkResult runChunk(Target target, List<WorkItem> chunk, ModelUnderTest model) {
    EvalSettings.Protocol p = target.protocol();
    List<ModelUnderTest.Request> requests = new ArrayList<>(chunk.size());
    for (WorkItem w : chunk) {
      requests.add(new ModelUnderTest.Request(w.key(), w.userText(), p.temperature(), p.topP(), p.topK(), p.maxTokens(), w.seed()));
    }
    List<ModelUnderTest.Response> responses = model.generate(requests);
    if (responses.size() != chunk.size()) {
      throw new IllegalStateException("model returned " + responses.size() + " responses for " + chunk.size() + " requests");
    }
    List<EvalSample> rows = new ArrayList<>();
    String firstError = null;
    int failed = 0;
    for (int i = 0; i < chunk.size(); i++) {
      WorkItem w = chunk.get(i);
      ModelUnderTest.Response r = responses.get(i);
      if (!r.ok()) {
        failed++;
        firstError = firstError == null ? w.key() + ": " + r.error() : firstError;
        continue;
      }
      // The verifiers that judge teacher traces judge the samples; a response cut off by the token
      // budget is scored on what it holds (no answer is found in an unclosed think block).
      Verification s = Verifiers.shared(w.answerType()).verify(w.reference(), r.text());
      rows.add(new EvalSample(target.model(), target.benchmark(), w.problemId(), w.sampleIndex(), r.text(),
          s.extracted(), s.correct(), r.completionTokens(), r.finishReason(), w.reference()));
    }
    if (!rows.isEmpty()) {
      TreeSet<String> keys = new TreeSet<>();
      rows.forEach(e -> keys.add(e.problemId() + "#" + e.sampleIndex()));
      String name = "part-" + RetortConfig.sha256(String.join("\n", keys)).substring(0, 16) + ".parquet";
      ParquetIO.write(Path.of(target.dir()).resolve(name), Codecs.EVAL_SAMPLE, rows);
    }
    if (rows.isEmpty() && failed > 0) {
      throw new ModelFailure("all " + failed + " requests of a chunk failed; first: " + firstError);
    }
    return new ChunkResult(rows.size(), failed, firstError);
  }

  /** Runs every pending chunk in this JVM. Returns how many samples failed (0 = all written). */
  public int run(List<WorkItem> pending, ModelUnderTest model, int chunkSize) {
    long start = System.nanoTime();
    int done = 0;
    int failed = 0;
    String firstError = null;
    for (List<WorkItem> chunk : chunks(pending, chunkSize)) {
      ChunkResult r = runChunk(target(), chunk, model);
      done += r.written();
      failed += r.failed();
      firstError = firstError == null ? r.firstError() : firstError;
      LOG.info("eval {}/{}: {}/{} samples written, {} failed ({} s)", modelName, benchmark.name(), done,
          pending.size(), failed, (System.nanoTime() - start) / 1_000_000_000L);
    }
    if (failed > 0) {
      LOG.warn("eval {}/{}: {} samples failed and were not saved (rerun to retry); first: {}", modelName,
          benchmark.name(), failed, firstError);
    }
    return failed;
  }

  /** The samples on disk that belong to this benchmark's problems and k, one per (problem, index). */
  public List<EvalSample> samples() {
    Set<String> ids = new HashSet<>();
    benchmark.problems().forEach(p -> ids.add(p.id()));
    return EvalResults.samples(dir, ids, benchmark.protocol().k());
  }

  /**
   * Computes the metrics of what is on disk and, when every sample is there, marks the folder
   * complete (stats.json, provenance.json, then _SUCCESS).
   *
   * @param config the resolved eval config, recorded in provenance
   */
  public ModelResult finish(Map<String, Object> config) {
    List<EvalSample> samples = samples();
    int expected = benchmark.problems().size() * benchmark.protocol().k();
    MetricsSummary metrics = summarize(samples, benchmark.protocol().k());
    ModelResult result = new ModelResult(modelName, role, modelIdentity, benchmark.name(), benchmark.protocol(),
        metrics, samples.size(), expected);
    if (result.complete() && !isComplete()) {
      Map<String, Object> stats = new LinkedHashMap<>(metrics.toJson());
      stats.put("finish_reasons", finishReasons(samples));
      stats.put("skipped_problems", benchmark.skipped());
      Map<String, String> models = new LinkedHashMap<>();
      models.put(modelName, modelIdentity);
      Provenance prov = Provenance.of("eval", completeHash(), config, seed,
          Map.of(benchmark.name(), benchmark.identity()), models);
      StageOutput.complete(dir, prov, stats);
    }
    return result;
  }

  /** Metrics over the problems that have all k samples; null when none has. */
  static MetricsSummary summarize(List<EvalSample> samples, int k) {
    Map<String, List<Outcome>> byProblem = new LinkedHashMap<>();
    for (EvalSample s : samples) {
      byProblem.computeIfAbsent(s.problemId(), x -> new ArrayList<>()).add(Outcome.of(s));
    }
    List<Outcome> full = new ArrayList<>();
    byProblem.values().stream().filter(l -> l.size() == k).forEach(full::addAll);
    if (full.isEmpty()) {
      return null;
    }
    return Metrics.summarize(full, ks(k), AnswerGrouping.EQUIVALENT);
  }

  /** 1, 2, 4, ... up to k, and k itself. */
  public static List<Integer> ks(int k) {
    TreeSet<Integer> out = new TreeSet<>();
    for (int i = 1; i <= k; i *= 2) {
      out.add(i);
    }
    out.add(k);
    return new ArrayList<>(out);
  }

  private static Map<String, Integer> finishReasons(List<EvalSample> samples) {
    Map<String, Integer> out = new HashMap<>();
    samples.forEach(s -> out.merge(String.valueOf(s.finishReason()), 1, Integer::sum));
    return new java.util.TreeMap<>(out);
  }

  private static String abbrev(String h) {
    return h.length() > 12 ? h.substring(0, 12) : h;
  }

  /** The model as a whole failed (every request of a chunk failed). */
  public static final class ModelFailure extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public ModelFailure(String message) {
      super(message);
    }
  }
}
