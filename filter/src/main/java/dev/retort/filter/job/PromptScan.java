package dev.retort.filter.job;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;

import dev.retort.filter.FilterSettings;
import dev.retort.filter.PromptScreen;
import dev.retort.filter.dedup.Deduplicator;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.unsafe.types.UTF8String;

/**
 * The job's first pass, over the prompt columns only: each partition's distinct prompts, whether
 * each prompt's rows come one after another in it (the condition for judging without a shuffle),
 * and, when prompts are deduplicated, each prompt's dedup hashes. The hashing depends on a
 * prompt's text alone, so the tasks do it in parallel; the driver keeps only the greedy pass that
 * needs every prompt at once. A partition's result travels as a few arrays: one serialized record
 * per prompt cost more than the scan itself.
 */
final class PromptScan {
  private PromptScan() {}

  /**
   * @param prompts distinct prompts with their hashes (empty when not deduplicating)
   * @param distinct distinct prompt ids
   * @param wholePrompts every prompt's rows sit together in one partition
   * @param partitions input partitions
   */
  record Result(List<PromptScreen.Hashed> prompts, int distinct, boolean wholePrompts, int partitions) {}

  /** @param dedup settings whose prompts are hashed for the dedup, or null for ids only */
  static Result run(Dataset<Row> traces, FilterSettings dedup) {
    boolean withText = dedup != null;
    Column none = lit(null).cast(DataTypes.StringType);
    List<Packed> parts = traces
        .select(col("prompt_id"), withText ? col("problem") : none, withText ? col("reference_answer") : none)
        // Spark's internal rows: a prompt's text is converted to Java once, not once per sample.
        .queryExecution().toRdd().toJavaRDD()
        .mapPartitions(new Task(dedup))
        .collect();
    // Distinct within a partition, so an id seen again here is a prompt that spans partitions.
    Map<String, PromptScreen.Hashed> byId = new HashMap<>();
    boolean whole = true;
    for (Packed p : parts) {
      whole &= p.consecutive;
      for (int i = 0; i < p.ids.length; i++) {
        PromptScreen.Hashed h = p.hashed(i);
        PromptScreen.Hashed had = byId.putIfAbsent(p.ids[i], h);
        if (had != null) {
          whole = false;
          if (had.hashes() == null && h.hashes() != null) {
            byId.put(p.ids[i], h); // the first partition that saw the prompt's text gives it
          }
        }
      }
    }
    List<PromptScreen.Hashed> prompts = new ArrayList<>(withText ? byId.size() : 0);
    if (withText) {
      for (PromptScreen.Hashed h : byId.values()) {
        if (h.hashes() != null) {
          prompts.add(h);
        }
      }
    }
    return new Result(prompts, byId.size(), whole, parts.size());
  }

  /**
   * One partition: its distinct prompts (the first row with a problem gives the text) and whether
   * each prompt's rows were consecutive. Rows without a problem are malformed and never grouped,
   * but they still count here (conservative).
   */
  static final class Task implements FlatMapFunction<Iterator<InternalRow>, Packed> {
    private static final long serialVersionUID = 1L;
    private final FilterSettings dedup;

    Task(FilterSettings dedup) {
      this.dedup = dedup;
    }

    @Override
    public Iterator<Packed> call(Iterator<InternalRow> rows) {
      Map<String, PromptScreen.PromptText> seen = new LinkedHashMap<>();
      Set<String> ended = new HashSet<>();
      UTF8String lastRaw = null;
      PromptScreen.PromptText cur = null;
      boolean consecutive = true;
      while (rows.hasNext()) {
        InternalRow r = rows.next();
        if (r.isNullAt(0)) {
          continue;
        }
        UTF8String raw = r.getUTF8String(0);
        if (!raw.equals(lastRaw)) {
          String id = raw.toString();
          if (cur != null) {
            ended.add(cur.id());
          }
          consecutive &= !ended.contains(id);
          lastRaw = raw.clone(); // rows are reused buffers
          cur = seen.computeIfAbsent(id, k -> new PromptScreen.PromptText(k, null, null));
        }
        if (cur.problem() == null && !r.isNullAt(1)) {
          cur = new PromptScreen.PromptText(cur.id(), r.getUTF8String(1).toString(),
              r.isNullAt(2) ? null : r.getUTF8String(2).toString());
          seen.put(cur.id(), cur);
        }
      }
      return List.of(Packed.of(new ArrayList<>(seen.values()), consecutive,
          dedup == null ? null : PromptScreen.hasher(dedup))).iterator();
    }
  }

  /**
   * A partition's prompts as arrays: ids, and with a hasher, per prompt its exact hash, band keys
   * ({@code bands} each), shingle hashes (ending at {@code gramEnds}) and guard. A prompt whose
   * text the partition never saw has {@code hasText} false.
   */
  static final class Packed implements Serializable {
    private static final long serialVersionUID = 1L;
    final String[] ids;
    final boolean consecutive;
    final boolean[] hasText;
    final long[] exact;
    final int bands;
    final long[] bandKeys;
    final long[] grams;
    final int[] gramEnds;
    final String[] guards;

    private Packed(String[] ids, boolean consecutive, boolean[] hasText, long[] exact, int bands, long[] bandKeys,
        long[] grams, int[] gramEnds, String[] guards) {
      this.ids = ids;
      this.consecutive = consecutive;
      this.hasText = hasText;
      this.exact = exact;
      this.bands = bands;
      this.bandKeys = bandKeys;
      this.grams = grams;
      this.gramEnds = gramEnds;
      this.guards = guards;
    }

    static Packed of(List<PromptScreen.PromptText> prompts, boolean consecutive, Deduplicator hasher) {
      int n = prompts.size();
      String[] ids = new String[n];
      for (int i = 0; i < n; i++) {
        ids[i] = prompts.get(i).id();
      }
      if (hasher == null) {
        return new Packed(ids, consecutive, null, null, 0, null, null, null, null);
      }
      boolean[] hasText = new boolean[n];
      long[] exact = new long[n];
      String[] guards = new String[n];
      int[] gramEnds = new int[n];
      long[] grams = new long[16 * n];
      long[] bandKeys = null;
      int bands = -1;
      int g = 0;
      for (int i = 0; i < n; i++) {
        PromptScreen.PromptText p = prompts.get(i);
        if (p.problem() != null) {
          PromptScreen.Hashed h = PromptScreen.hash(hasher, p);
          Deduplicator.Prepared d = h.hashes();
          hasText[i] = true;
          exact[i] = d.exactHash();
          guards[i] = h.guard();
          if (bands < 0) {
            bands = d.bandKeys() == null ? 0 : d.bandKeys().length;
            bandKeys = new long[bands * n];
          }
          if (bands > 0) {
            System.arraycopy(d.bandKeys(), 0, bandKeys, i * bands, bands);
          }
          if (d.grams() != null) {
            if (g + d.grams().length > grams.length) {
              grams = Arrays.copyOf(grams, Math.max(grams.length * 2, g + d.grams().length));
            }
            System.arraycopy(d.grams(), 0, grams, g, d.grams().length);
            g += d.grams().length;
          }
        }
        gramEnds[i] = g;
      }
      return new Packed(ids, consecutive, hasText, exact, Math.max(bands, 0), bandKeys, Arrays.copyOf(grams, g), gramEnds, guards);
    }

    /** Prompt {@code i} as the screen takes it; hashes null when not hashed or its text was not seen here. */
    PromptScreen.Hashed hashed(int i) {
      if (hasText == null || !hasText[i]) {
        return new PromptScreen.Hashed(ids[i], null, null);
      }
      long[] keys = bands == 0 ? null : Arrays.copyOfRange(bandKeys, i * bands, (i + 1) * bands);
      long[] g = bands == 0 ? null : Arrays.copyOfRange(grams, i == 0 ? 0 : gramEnds[i - 1], gramEnds[i]);
      return new PromptScreen.Hashed(ids[i], new Deduplicator.Prepared(exact[i], g, keys), guards[i]);
    }
  }
}
