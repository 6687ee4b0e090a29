package dev.retort.train;

import dev.retort.core.data.Prompt;
import dev.retort.core.data.SftExample;
import dev.retort.core.io.Codecs;
import dev.retort.core.io.ParquetIO;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * SFT rows made directly from prompts that carry reference solutions (arith, MATH, GSM8K), so the
 * pipeline can bootstrap the embedded teacher without a teacher: reasoning is the worked solution,
 * the answer is {@code The answer is \boxed{X}.} with the reference answer.
 */
public final class SftData {
  private static final Logger LOG = LoggerFactory.getLogger(SftData.class);

  /** Placeholder of the problem text in a prompt template. */
  public static final String PROBLEM = "{problem}";

  private SftData() {}

  /**
   * One example per prompt that has both a solution and a reference answer; others are skipped
   * (and counted in the log).
   *
   * @param promptTemplate the user turn, with {@value #PROBLEM} where the problem goes (e.g.
   *     {@code "{problem}\n" + Completions.MATH_SUFFIX})
   * @throws IllegalArgumentException when the template lacks the placeholder or no prompt qualifies
   */
  public static List<SftExample> fromPrompts(List<Prompt> prompts, String promptTemplate) {
    if (promptTemplate == null || !promptTemplate.contains(PROBLEM)) {
      throw new IllegalArgumentException("prompt template must contain " + PROBLEM + ", got: " + promptTemplate);
    }
    List<SftExample> out = new ArrayList<>(prompts.size());
    int skipped = 0;
    for (Prompt p : prompts) {
      if (p.solution() == null || p.solution().isBlank() || p.referenceAnswer() == null || p.referenceAnswer().isBlank()) {
        skipped++;
        continue;
      }
      String user = promptTemplate.replace(PROBLEM, p.problem());
      String answer = "The answer is \\boxed{" + p.referenceAnswer().strip() + "}.";
      out.add(SftExample.of(p.id(), 0, p.source(), user, p.solution().strip(), answer));
    }
    if (skipped > 0) {
      LOG.info("SFT from prompts: {} examples, {} prompts skipped (no solution or no reference answer)", out.size(), skipped);
    }
    if (out.isEmpty()) {
      throw new IllegalArgumentException("none of the " + prompts.size() + " prompts has both a solution and a reference answer");
    }
    return out;
  }

  /** Writes examples as one Parquet file of the SFT contract ({@code dir/part-00000.parquet}), atomically. */
  public static Path write(Path dir, List<SftExample> examples) {
    Path file = dir.resolve("part-00000.parquet");
    ParquetIO.write(file, Codecs.SFT, examples);
    return file;
  }

  /** All SFT rows of a folder (or file); training itself streams instead. */
  public static List<SftExample> read(Path dirOrFile) {
    return ParquetIO.read(dirOrFile, Codecs.SFT);
  }
}
