package dev.retort.pipelines.run;

import com.fasterxml.jackson.core.type.TypeReference;
import dev.retort.core.config.RetortConfig;
import dev.retort.core.io.Json;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs stages in order. Each completed stage leaves {@code <run>/.pipeline/<stage>.json} with its
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
    Path marks = ctx.layout().root().localPath("the pipeline").resolve(".pipeline");
    Files.createDirectories(marks);
    String chain = "";
    boolean forced = false;
    for (Stage stage : stages) {
      forced |= stage.name().equals(from);
      String fingerprint = RetortConfig.sha256(chain + "|" + stage.name() + "|"
          + ctx.config().hash(stage.configSections().toArray(String[]::new)));
      chain = fingerprint;
      Path mark = marks.resolve(stage.name() + ".json");
      Map<String, Object> previous = forced ? null : readMark(mark, fingerprint);
      if (previous != null) {
        LOG.info("stage {}: complete for this config, skipped", stage.name());
        ctx.results().put(stage.name(), previous);
        if (stage.name().equals(until)) {
          break;
        }
        continue;
      }
      Files.deleteIfExists(mark);
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

  private static Map<String, Object> readMark(Path mark, String fingerprint) {
    if (!Files.isRegularFile(mark)) {
      return null;
    }
    try {
      Map<String, Object> doc = Json.MAPPER.readValue(mark.toFile(), new TypeReference<Map<String, Object>>() {});
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
