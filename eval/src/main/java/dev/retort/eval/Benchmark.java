package dev.retort.eval;

import dev.retort.core.config.RetortConfig;
import dev.retort.core.config.RunSettings;
import dev.retort.core.data.Prompt;
import dev.retort.core.datasets.Arith;
import dev.retort.core.datasets.ArithSettings;
import dev.retort.core.datasets.PromptReaders;
import dev.retort.core.datasets.PromptSet;
import dev.retort.core.run.Provenance;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A benchmark ready to run: its problems (in file order, after {@code limit}) and its protocol.
 *
 * @param name the benchmark's name (folder name under {@code eval/<model>/})
 * @param source the file it was read from, or {@code arith}
 * @param identity content identity of the source (file hash, or the arith settings' hash and seed)
 * @param protocol template and sampling settings
 * @param problems the problems to evaluate; every one has a reference answer
 * @param skipped problems of the source left out because they have no reference answer
 */
public record Benchmark(String name, String source, String identity, EvalSettings.Protocol protocol,
    List<Prompt> problems, int skipped) {
  private static final Logger LOG = LoggerFactory.getLogger(Benchmark.class);

  public Benchmark {
    problems = List.copyOf(problems);
    if (problems.isEmpty()) {
      throw new IllegalArgumentException("benchmark '" + name + "' has no problems with a reference answer (source " + source + ")");
    }
  }

  public PromptTemplate template() {
    return PromptTemplate.of(protocol.template());
  }

  /** A benchmark straight from prompts, for tests and for callers that already hold the problems. */
  public static Benchmark of(String name, EvalSettings.Protocol protocol, List<Prompt> problems) {
    return new Benchmark(name, "memory", "memory:" + problems.size(), protocol, limit(problems, protocol.limit()), 0);
  }

  /**
   * Loads one configured benchmark: a JSONL/Parquet file through core's PromptReaders, or the
   * arith held-out (TEST) split of the {@code arith} section with seed {@code run.seed}.
   */
  public static Benchmark load(EvalSettings.BenchmarkSpec spec, EvalSettings.Protocol defaults, RetortConfig config) {
    EvalSettings.Protocol protocol;
    try {
      protocol = spec.protocol(defaults);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("benchmark '" + spec.name() + "': " + e.getMessage(), e);
    }
    String source = spec.source();
    List<Prompt> all;
    String identity;
    int rejected = 0;
    if (source.equals("arith")) {
      ArithSettings arith = ArithSettings.from(config);
      long seed = RunSettings.from(config).seed();
      all = Arith.generate(arith.spec(), seed, arith.testSize(), Arith.Split.TEST);
      identity = "arith:" + config.hash(ArithSettings.SECTION).substring(0, 16) + ":seed=" + seed;
    } else {
      Path file = Path.of(source);
      if (!Files.exists(file)) {
        throw new IllegalArgumentException("benchmark '" + spec.name() + "': file not found: " + file.toAbsolutePath());
      }
      PromptSet set = PromptReaders.read(file, spec.layout().orElse("auto"), PromptReaders.DEFAULT_MAX_CHARS);
      rejected = set.rejects().size();
      if (rejected > 0) {
        LOG.warn("benchmark {}: {} rows of {} rejected, first: {}", spec.name(), rejected, file,
            set.rejects().get(0).reason());
      }
      all = set.prompts();
      identity = Provenance.identityOf(file);
    }
    List<Prompt> usable = new ArrayList<>();
    int skipped = rejected;
    for (Prompt p : all) {
      if (p.referenceAnswer() == null || p.referenceAnswer().isBlank()) {
        skipped++;
      } else {
        usable.add(p);
      }
    }
    if (skipped > rejected) {
      LOG.warn("benchmark {}: {} problems have no reference answer and are skipped", spec.name(), skipped - rejected);
    }
    return new Benchmark(spec.name(), source, identity, protocol, limit(usable, protocol.limit()), skipped);
  }

  private static List<Prompt> limit(List<Prompt> problems, int limit) {
    return limit > 0 && problems.size() > limit ? problems.subList(0, limit) : problems;
  }
}
