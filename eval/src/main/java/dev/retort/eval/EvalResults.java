package dev.retort.eval;

import com.fasterxml.jackson.databind.JsonNode;
import dev.retort.core.data.EvalSample;
import dev.retort.core.io.Codecs;
import dev.retort.core.io.Json;
import dev.retort.core.io.ParquetIO;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Results already on disk under {@code <run>/eval/}: what {@code retort eval report} rebuilds a
 * report from without loading any model. Each {@code <model>/<benchmark>/} folder's
 * {@code protocol.json} says how its samples were drawn and for which problems.
 */
public final class EvalResults {
  private EvalResults() {}

  /**
   * Reads every {@code <model>/<benchmark>} folder under {@code evalDir} that has a protocol.json.
   *
   * @param models model order in the report; models not listed follow in name order; empty = all
   *     in name order
   * @param only when not empty, read only these models
   */
  public static List<ModelResult> read(Path evalDir, List<String> models, boolean only) {
    if (!Files.isDirectory(evalDir)) {
      throw new IllegalArgumentException("eval folder not found: " + evalDir);
    }
    List<String> order = new ArrayList<>(models);
    for (Path m : list(evalDir)) {
      String name = m.getFileName().toString();
      if (!order.contains(name) && !only) {
        order.add(name);
      }
    }
    List<ModelResult> out = new ArrayList<>();
    for (String model : order) {
      for (Path b : list(evalDir.resolve(model))) {
        if (Files.isRegularFile(b.resolve(EvalRunner.PROTOCOL_FILE))) {
          out.add(readOne(b));
        }
      }
    }
    return out;
  }

  /** The result of one {@code <model>/<benchmark>} folder. */
  public static ModelResult readOne(Path dir) {
    JsonNode p = Json.read(dir.resolve(EvalRunner.PROTOCOL_FILE));
    EvalSettings.Protocol protocol;
    try {
      protocol = Json.MAPPER.treeToValue(p.get("protocol"), EvalSettings.Protocol.class);
    } catch (IOException e) {
      throw new UncheckedIOException(dir.resolve(EvalRunner.PROTOCOL_FILE) + ": bad protocol: " + e.getMessage(), e);
    }
    Set<String> ids = new HashSet<>();
    p.path("problem_ids").forEach(n -> ids.add(n.asText()));
    int k = protocol.k();
    List<EvalSample> samples = samples(dir, ids, k);
    return new ModelResult(p.path("model").asText(), p.path("role").asText(), p.path("model_identity").asText(),
        p.path("benchmark").asText(), protocol, EvalRunner.summarize(samples, k), samples.size(), ids.size() * k);
  }

  /**
   * The samples in {@code dir} of the given problems with sample index below k, one per
   * (problem, index): the first file in path order wins should a pair appear twice.
   */
  static List<EvalSample> samples(Path dir, Set<String> problemIds, int k) {
    Map<String, EvalSample> byKey = new LinkedHashMap<>();
    ParquetIO.forEach(dir, Codecs.EVAL_SAMPLE, s -> {
      if (problemIds.contains(s.problemId()) && s.sampleIndex() < k) {
        byKey.putIfAbsent(s.problemId() + "#" + s.sampleIndex(), s);
      }
    });
    return new ArrayList<>(byKey.values());
  }

  private static List<Path> list(Path dir) {
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    try (Stream<Path> s = Files.list(dir)) {
      return s.filter(Files::isDirectory).filter(d -> !d.getFileName().toString().startsWith(".")).sorted().toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
