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

  /**
   * The identity of an SFT folder by its rows, in file and row order: what a run's resume and
   * skip decisions key on. Parquet bytes are no good for that: parquet-java writes a column's
   * encodings from a hash set, so the same rows written by two JVMs differ in the footer, and a
   * pipeline that rewrites its SFT view would never resume or reuse a finished model.
   */
  public static String identity(Path dirOrFile) {
    java.security.MessageDigest md;
    try {
      md = java.security.MessageDigest.getInstance("SHA-256");
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    long[] rows = {0};
    ParquetIO.forEach(dirOrFile, Codecs.SFT, e -> {
      rows[0]++;
      for (String field : new String[] {e.promptId(), Integer.toString(e.sampleIndex()), e.source(), e.prompt(),
          e.reasoning(), e.answer(), e.completion()}) {
        byte[] b = field == null ? new byte[] {(byte) 0xff} : field.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        md.update(Integer.toString(b.length).getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        md.update((byte) ':');
        md.update(b);
      }
      if (e.messages() != null) {
        for (SftExample.Message m : e.messages()) {
          md.update((m.role() + "\u0000" + m.content() + "\u0000").getBytes(java.nio.charset.StandardCharsets.UTF_8));
        }
      }
    });
    return "rows:" + rows[0] + ":sha256:" + java.util.HexFormat.of().formatHex(md.digest()).substring(0, 32);
  }

  /** All SFT rows of a folder (or file); training itself streams instead. */
  public static List<SftExample> read(Path dirOrFile) {
    return ParquetIO.read(dirOrFile, Codecs.SFT);
  }
}
