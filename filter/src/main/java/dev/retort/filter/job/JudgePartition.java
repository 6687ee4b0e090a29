package dev.retort.filter.job;

import dev.retort.core.data.SftExample;
import dev.retort.core.data.Trace;
import dev.retort.core.data.Verdict;
import dev.retort.filter.FilterSettings;
import dev.retort.filter.SftView;
import dev.retort.filter.TraceDecoder;
import dev.retort.filter.TraceJudge;
import dev.retort.filter.text.Tokens;
import java.nio.charset.StandardCharsets;
import dev.retort.core.store.Location;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.unsafe.Platform;
import org.apache.spark.unsafe.array.ByteArrayMethods;
import org.apache.spark.unsafe.types.UTF8String;

/**
 * The Spark task: rows of a partition arrive with each prompt's traces consecutive (sorted after
 * the shuffle, or as the input shards hold them), so each prompt is judged as one group by the
 * plain-Java {@link TraceJudge} while streaming. The group's hash goes into the report, so the
 * driver can tell if a prompt was split after all; a prompt met again after another one in the
 * same task stops the task at once (the input is not grouped, the driver shuffles).
 * The task writes its shard of accepted/, rejected/, sft/ and prompt_stats/ itself (file name =
 * partition id, so a retried task, or a partition judged again, overwrites its own output) and
 * returns only counts, and on the first pass the digest of its prompts for the prompt screen.
 */
final class JudgePartition implements FlatMapFunction<Iterator<InternalRow>, PartitionReport> {
  private static final long serialVersionUID = 1L;
  private final FilterSettings settings;
  private final String outDir;
  private final Broadcast<Map<String, List<String>>> promptReasons;
  private final int[] only;
  private final int ngram;
  /** The driver's store settings ({@link dev.retort.core.store.Stores#settings}), applied in the task's JVM. */
  private final java.util.HashMap<String, String> storeSettings = dev.retort.core.store.Stores.settings();

  /**
   * The first pass: every partition, no prompt-level reasons yet; each report carries the digest
   * of its prompts (with benchmark fingerprints of {@code ngram}-grams, none when 0).
   */
  static JudgePartition first(FilterSettings settings, String outDir, int ngram) {
    return new JudgePartition(settings, outDir, null, null, ngram);
  }

  /**
   * A second pass over the partitions {@code only} (sorted), which hold prompts the screen
   * rejected: the other tasks return at once, without reading.
   *
   * @param promptReasons prompt-level reasons (contamination, duplicate prompt) by prompt id
   */
  static JudgePartition again(FilterSettings settings, String outDir, Broadcast<Map<String, List<String>>> promptReasons,
      int[] only) {
    return new JudgePartition(settings, outDir, promptReasons, only, 0);
  }

  private JudgePartition(FilterSettings settings, String outDir, Broadcast<Map<String, List<String>>> promptReasons,
      int[] only, int ngram) {
    this.settings = settings;
    this.outDir = outDir;
    this.promptReasons = promptReasons;
    this.only = only;
    this.ngram = ngram;
  }

  @Override
  public Iterator<PartitionReport> call(Iterator<InternalRow> rows) {
    int part = TaskContext.getPartitionId();
    if (only != null && Arrays.binarySearch(only, part) < 0) {
      return java.util.Collections.emptyIterator();
    }
    dev.retort.core.store.Stores.apply(storeSettings);
    return List.of(new Shard(part).run(rows)).iterator();
  }

  /** Thrown inside a task that meets a prompt again after another one: its rows are not grouped. */
  private static final class Ungrouped extends RuntimeException {
    private static final long serialVersionUID = 1L;

    Ungrouped() {
      super(null, null, false, false);
    }
  }

  /** The state of one task: its writers, judge and counts. */
  private final class Shard {
    private final int part;
    private final TraceJudge judge = new TraceJudge(settings);
    private final Map<String, List<String>> reasons = promptReasons == null ? Map.of() : promptReasons.value();
    private final PromptDigest.Builder digest = promptReasons == null ? new PromptDigest.Builder(settings, ngram) : null;
    private final java.util.Set<String> seen = new java.util.HashSet<>();
    private final FilterStats stats = new FilterStats();
    private final PromptStatsWriter promptStats;
    private final ShardWriter<Verdict> accepted;
    private final ShardWriter<Verdict> rejected;
    private final ShardWriter<SftExample> sft;
    private long judgeNanos;
    private long writeNanos;
    private long[] promptHashes = new long[64];
    private int groups;

    Shard(int part) {
      this.part = part;
      String name = fileName(part, "parquet");
      Location out = Location.of(outDir); // an absolute URI, resolved on the driver
      RecyclingAllocator buffers = RecyclingAllocator.SHARED;
      accepted = new ShardWriter<>(out.resolve(FilterJob.ACCEPTED + "/" + name), ContractRows.VERDICT, buffers);
      rejected = new ShardWriter<>(out.resolve(FilterJob.REJECTED + "/" + name), ContractRows.VERDICT, buffers);
      sft = new ShardWriter<>(out.resolve(FilterJob.SFT + "/" + name), ContractRows.SFT, buffers);
      promptStats = new PromptStatsWriter(out.resolve(FilterJob.PROMPT_STATS + "/" + fileName(part, "jsonl")));
    }

    PartitionReport run(Iterator<InternalRow> rows) {
      long start = System.nanoTime();
      boolean ok = false;
      try {
        List<Trace> group = new ArrayList<>();
        RowFields fields = new RowFields();
        while (rows.hasNext()) {
          fields.row = rows.next();
          TraceDecoder.Decoded d = TraceDecoder.decode(fields);
          if (!d.ok()) {
            Verdict v = new Verdict(d.trace(), false, null, d.malformed());
            rejected.write(v);
            stats.add(v, true);
            continue;
          }
          if (!group.isEmpty() && !group.get(0).promptId().equals(d.trace().promptId())) {
            flush(group);
          }
          group.add(d.trace());
        }
        flush(group);
        accepted.close();
        rejected.close();
        sft.close();
        promptStats.close();
        ok = true;
        return new PartitionReport(part, stats, sft.rows(), judgeNanos, writeNanos, System.nanoTime() - start,
            Arrays.copyOf(promptHashes, groups), true, digest == null ? null : digest.build());
      } catch (Ungrouped e) {
        // Judging the rest would be wasted: the driver redoes the pass with the shuffle.
        return new PartitionReport(part, new FilterStats(), 0, judgeNanos, writeNanos, System.nanoTime() - start,
            new long[0], false, null);
      } finally {
        if (!ok) {
          accepted.abort();
          rejected.abort();
          sft.abort();
          promptStats.abort();
        }
      }
    }

    private String lastProblem;
    private String lastPrompt;

    /** The SFT prompt of a problem: one String for a prompt's samples, so the writer encodes it once. */
    private String userPrompt(String problem) {
      if (problem != lastProblem) {
        lastProblem = problem;
        lastPrompt = settings.userPrompt(problem);
      }
      return lastPrompt;
    }

    private void flush(List<Trace> group) {
      if (group.isEmpty()) {
        return;
      }
      String id = group.get(0).promptId();
      if (!seen.add(id)) {
        throw new Ungrouped();
      }
      if (groups == promptHashes.length) {
        promptHashes = Arrays.copyOf(promptHashes, groups * 2);
      }
      promptHashes[groups++] = promptHash(id);
      // Sample order, as after the shuffle's sort: the verdicts must not depend on how rows arrived.
      group.sort(BY_SAMPLE);
      Trace first = group.get(0);
      if (digest != null) {
        digest.add(id, first.problem(), first.referenceAnswer());
      }
      List<String> promptReasonsOf = reasons.getOrDefault(id, List.of());
      long t0 = System.nanoTime();
      List<Verdict> verdicts = judge.judge(group, promptReasonsOf);
      long t1 = System.nanoTime();
      int correct = 0;
      int kept = 0;
      for (Verdict v : verdicts) {
        if (v.accepted()) {
          accepted.write(v);
          sft.write(SftView.of(v.trace(), settings, userPrompt(v.trace().problem())));
          kept++;
        } else {
          rejected.write(v);
        }
        if (v.correct()) {
          correct++;
        }
        stats.add(v, false);
      }
      judgeNanos += t1 - t0;
      writeNanos += System.nanoTime() - t1;
      stats.addPrompt(group.size(), correct, kept);
      promptStats.write(id, group.get(0).source(), group.size(), correct, kept, promptReasonsOf);
      group.clear();
    }
  }

  /** A task's file in each output folder: named after its partition, so a partition judged again replaces it. */
  static String fileName(int part, String ext) {
    return String.format("part-%05d.%s", part, ext);
  }

  private static final Comparator<Trace> BY_SAMPLE = Comparator.comparingInt(Trace::sampleIndex);

  /** 64-bit FNV-1a of the id, mixed: a 32-bit hash would collide among millions of prompts. */
  static long promptHash(String id) {
    long h = 0xcbf29ce484222325L;
    for (int i = 0; i < id.length(); i++) {
      h = (h ^ id.charAt(i)) * 0x100000001b3L;
    }
    return Tokens.mix(h);
  }

  /**
   * Columns of Spark's internal rows (the read schema, {@link TraceSchema#SPARK}), converted to
   * Java values only as the decoder asks for them: no external Row built per trace.
   */
  private static final class RowFields implements TraceDecoder.Fields {
    private static final Map<String, Integer> INDEX = new HashMap<>();
    private static final DataType[] TYPES = new DataType[TraceSchema.SPARK.size()];

    /**
     * Columns that hold one value per prompt, or few values: consecutive rows (a prompt's samples)
     * repeat them, so the last value is kept and reused when the bytes are equal. A comparison of
     * bytes is cheaper than decoding a string, and the samples then share one String, which the
     * writers encode once ({@link ContractRows}).
     */
    private static final boolean[] REPEATING = new boolean[TraceSchema.SPARK.size()];

    static {
      StructField[] f = TraceSchema.SPARK.fields();
      for (int i = 0; i < f.length; i++) {
        INDEX.put(f[i].name(), i);
        TYPES[i] = f[i].dataType();
      }
      for (String c : new String[] {"prompt_id", "teacher_id", "source", "problem", "reference_answer", "answer_type",
          "finish_reason"}) {
        REPEATING[INDEX.get(c)] = true;
      }
    }

    InternalRow row;
    private final byte[][] lastBytes = new byte[TYPES.length][];
    private final String[] lastValue = new String[TYPES.length];

    @Override
    public Object get(String column) {
      Integer i = INDEX.get(column);
      if (i == null || row.isNullAt(i)) {
        return null;
      }
      DataType t = TYPES[i];
      if (t == DataTypes.StringType) {
        return REPEATING[i] ? repeating(i, row.getUTF8String(i)) : string(row.getUTF8String(i));
      } else if (t == DataTypes.IntegerType) {
        return row.getInt(i);
      } else if (t == DataTypes.LongType) {
        return row.getLong(i);
      } else if (t == DataTypes.DoubleType) {
        return row.getDouble(i);
      }
      return row.get(i, t);
    }

    private String repeating(int i, UTF8String u) {
      byte[] last = lastBytes[i];
      if (last != null && last.length == u.numBytes()
          && ByteArrayMethods.arrayEquals(last, Platform.BYTE_ARRAY_OFFSET, u.getBaseObject(), u.getBaseOffset(), last.length)) {
        return lastValue[i];
      }
      lastBytes[i] = u.getBytes();
      lastValue[i] = new String(lastBytes[i], StandardCharsets.UTF_8);
      return lastValue[i];
    }

    /**
     * The Java string of a UTF-8 value, decoded where it lies: UTF8String.toString copies the bytes
     * out first, an extra copy of every text column of every trace.
     */
    static String string(UTF8String u) {
      Object base = u.getBaseObject();
      if (base instanceof byte[] bytes) {
        long offset = u.getBaseOffset() - Platform.BYTE_ARRAY_OFFSET;
        return new String(bytes, (int) offset, u.numBytes(), StandardCharsets.UTF_8);
      }
      return u.toString();
    }
  }
}
