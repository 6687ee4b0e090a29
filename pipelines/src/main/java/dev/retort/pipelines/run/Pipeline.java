package dev.retort.pipelines.run;

import dev.retort.core.config.RetortConfig;
import dev.retort.core.io.Json;
import dev.retort.core.run.SparkPolicy;
import dev.retort.core.store.Location;
import dev.retort.core.store.Store;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs stages in order, holding the run folder's {@link dev.retort.core.run.RunLock} throughout. Each completed stage
 * leaves {@code <run>/.pipeline/<stage>.json} with its
 * fingerprint and results; a rerun skips a stage whose fingerprint is unchanged, and
 * {@code --from STAGE} reruns that stage and every stage after it.
 */
public final class Pipeline {
  private static final Logger LOG = LoggerFactory.getLogger(Pipeline.class);

  private final List<Stage<?>> stages;

  public Pipeline(List<? extends Stage<?>> stages) {
    this.stages = List.copyOf(stages);
  }

  public List<String> stageNames() {
    return stages.stream().map(Stage::name).toList();
  }

  /** Runs the pipeline; {@code from} may be null. Returns every stage's results. */
  public Map<String, Record> run(PipelineContext ctx, String from) throws Exception {
    return run(ctx, from, null);
  }

  /**
   * Runs the pipeline from {@code from} (null: skip what is complete) up to and including
   * {@code until} (null: to the end). Returns the results of every stage that ran or was skipped.
   */
  public Map<String, Record> run(PipelineContext ctx, String from, String until) throws Exception {
    checkStage("--from", from);
    checkStage("--until", until);
    // One run per folder: a second run would rewrite files this one is reading.
    // A stale lock (its process gone) is reported by RunLock and taken over.
    dev.retort.core.run.RunLock lock = dev.retort.core.run.RunLock.acquire(ctx.layout().root());
    try {
      return runLocked(ctx, from, until);
    } finally {
      lock.close();
    }
  }

  private Map<String, Record> runLocked(PipelineContext ctx, String from, String until) throws Exception {
    // On the run's store, whichever it is: a rerun on another machine skips what is done.
    Location marks = ctx.layout().root().resolve(".pipeline");
    Store store = Store.of(marks);
    store.mkdirs(marks);
    String chain = "";
    boolean forced = false;
    for (Stage<?> stage : stages) {
      forced |= stage.name().equals(from);
      String fingerprint = RetortConfig.sha256(chain + "|" + stage.name() + "|"
          + ctx.config().hashWithout(SparkPolicy.EXECUTION_KEYS, stage.configSections().toArray(String[]::new)));
      chain = fingerprint;
      Location mark = marks.resolve(stage.name() + ".json");
      Record previous = forced ? null : readMark(mark, fingerprint, stage.resultType());
      if (previous != null) {
        LOG.info("stage {}: complete for this config, skipped", stage.name());
        ctx.complete(stage.name(), previous);
        if (stage.name().equals(until)) {
          break;
        }
        continue;
      }
      store.delete(mark);
      LOG.info("stage {}: running", stage.name());
      long t0 = System.nanoTime();
      Record result = stage.run(ctx);
      double seconds = Math.round((System.nanoTime() - t0) / 1e7) / 100.0;
      ctx.complete(stage.name(), result);
      Map<String, Object> doc = new LinkedHashMap<>();
      doc.put("fingerprint", fingerprint);
      doc.put("stage_seconds", seconds);
      doc.put("result", result);
      Json.write(mark, doc);
      LOG.info("stage {}: done in {} s", stage.name(), seconds);
      if (stage.name().equals(until)) {
        break;
      }
    }
    return ctx.results();
  }

  private void checkStage(String option, String name) {
    if (name != null && !stageNames().contains(name)) {
      throw new IllegalArgumentException(option + ": unknown stage '" + name + "' (stages: " + String.join(", ", stageNames()) + ")");
    }
  }

  /**
   * The result recorded in {@code mark} when its fingerprint matches; null when there is no mark,
   * another fingerprint, or a result that does not read as {@code type} (the stage then runs again).
   */
  private static <R extends Record> R readMark(Location mark, String fingerprint, Class<R> type) {
    try {
      Store store = Store.of(mark);
      if (!store.isFile(mark)) {
        return null;
      }
      com.fasterxml.jackson.databind.JsonNode doc;
      try (java.io.InputStream in = store.open(mark)) {
        doc = Json.MAPPER.readTree(in);
      }
      if (!fingerprint.equals(doc.path("fingerprint").asText(null)) || !doc.hasNonNull("result")) {
        return null;
      }
      return Json.MAPPER.treeToValue(doc.get("result"), type);
    } catch (IOException e) {
      LOG.warn("{} does not read as a {} ({}); the stage runs again", mark, type.getSimpleName(), e.getMessage());
      return null;
    }
  }

  /** Stage names after (and including) {@code from}, for messages. */
  public List<String> from(String from) {
    List<String> out = new ArrayList<>();
    boolean on = from == null;
    for (Stage<?> s : stages) {
      on |= s.name().equals(from);
      if (on) {
        out.add(s.name());
      }
    }
    return out;
  }
}
