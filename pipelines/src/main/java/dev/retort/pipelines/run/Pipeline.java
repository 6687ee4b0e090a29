package dev.retort.pipelines.run;

import com.fasterxml.jackson.core.type.TypeReference;
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

  private final List<Stage> stages;

  public Pipeline(List<Stage> stages) {
    this.stages = List.copyOf(stages);
  }

  public List<String> stageNames() {
    return stages.stream().map(Stage::name).toList();
  }

  /** Runs the pipeline; {@code from} may be null. Returns every stage's results. */
  public Map<String, Map<String, Object>> run(PipelineContext ctx, String from) throws Exception {
    return run(ctx, from, null);
  }

  /**
   * Runs the pipeline from {@code from} (null: skip what is complete) up to and including
   * {@code until} (null: to the end). Returns the results of every stage that ran or was skipped.
   */
  public Map<String, Map<String, Object>> run(PipelineContext ctx, String from, String until) throws Exception {
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

  private Map<String, Map<String, Object>> runLocked(PipelineContext ctx, String from, String until) throws Exception {
    // On the run's store, whichever it is: a rerun on another machine skips what is done.
    Location marks = ctx.layout().root().resolve(".pipeline");
    Store store = Store.of(marks);
    store.mkdirs(marks);
    String chain = "";
    boolean forced = false;
    for (Stage stage : stages) {
      forced |= stage.name().equals(from);
      String fingerprint = RetortConfig.sha256(chain + "|" + stage.name() + "|"
          + ctx.config().hashWithout(SparkPolicy.EXECUTION_KEYS, stage.configSections().toArray(String[]::new)));
      chain = fingerprint;
      Location mark = marks.resolve(stage.name() + ".json");
      Map<String, Object> previous = forced ? null : readMark(mark, fingerprint);
      if (previous != null) {
        LOG.info("stage {}: complete for this config, skipped", stage.name());
        ctx.results().put(stage.name(), previous);
        if (stage.name().equals(until)) {
          break;
        }
        continue;
      }
      store.delete(mark);
      LOG.info("stage {}: running", stage.name());
      long t0 = System.nanoTime();
      Map<String, Object> result = new LinkedHashMap<>(stage.run(ctx));
      result.put("stage_seconds", Math.round((System.nanoTime() - t0) / 1e7) / 100.0);
      ctx.results().put(stage.name(), result);
      Map<String, Object> doc = new LinkedHashMap<>();
      doc.put("fingerprint", fingerprint);
      doc.put("result", result);
      Json.write(mark, doc);
      LOG.info("stage {}: done in {} s", stage.name(), result.get("stage_seconds"));
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

  private static Map<String, Object> readMark(Location mark, String fingerprint) {
    try {
      Store store = Store.of(mark);
      if (!store.isFile(mark)) {
        return null;
      }
      Map<String, Object> doc;
      try (java.io.InputStream in = store.open(mark)) {
        doc = Json.MAPPER.readValue(in, new TypeReference<Map<String, Object>>() {});
      }
      if (!fingerprint.equals(doc.get("fingerprint"))) {
        return null;
      }
      @SuppressWarnings("unchecked")
      Map<String, Object> result = (Map<String, Object>) doc.get("result");
      return result == null ? new LinkedHashMap<>() : new LinkedHashMap<>(result);
    } catch (IOException e) {
      return null;
    }
  }

  /** Stage names after (and including) {@code from}, for messages. */
  public List<String> from(String from) {
    List<String> out = new ArrayList<>();
    boolean on = from == null;
    for (Stage s : stages) {
      on |= s.name().equals(from);
      if (on) {
        out.add(s.name());
      }
    }
    return out;
  }
}
