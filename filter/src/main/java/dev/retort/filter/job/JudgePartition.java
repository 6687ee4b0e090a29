package dev.retort.filter.job;

import dev.retort.core.data.SftExample;
import dev.retort.core.data.Trace;
import dev.retort.core.data.Verdict;
import dev.retort.core.io.Codecs;
import dev.retort.core.io.Json;
import dev.retort.filter.FilterSettings;
import dev.retort.filter.SftView;
import dev.retort.filter.TraceDecoder;
import dev.retort.filter.TraceJudge;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Row;

/**
 * The Spark task: rows of a partition arrive sorted by prompt id, so each prompt's traces are
 * consecutive and are judged as one group by the plain-Java {@link TraceJudge} while streaming.
 * The task writes its shard of accepted/, rejected/, sft/ and prompt_stats/ itself (file name =
 * partition id, so a retried task overwrites its own output) and returns only counts.
 */
final class JudgePartition implements MapPartitionsFunction<Row, PartitionReport> {
  private static final long serialVersionUID = 1L;
  private final FilterSettings settings;
  private final String outDir;
  private final Broadcast<Map<String, List<String>>> promptReasons;

  JudgePartition(FilterSettings settings, String outDir, Broadcast<Map<String, List<String>>> promptReasons) {
    this.settings = settings;
    this.outDir = outDir;
    this.promptReasons = promptReasons;
  }

  @Override
  public Iterator<PartitionReport> call(Iterator<Row> rows) {
    return List.of(new Shard(TaskContext.getPartitionId()).run(rows)).iterator();
  }

  /** The state of one task: its writers, judge and counts. */
  private final class Shard {
    private final int part;
    private final TraceJudge judge = new TraceJudge(settings);
    private final Map<String, List<String>> reasons = promptReasons.value();
    private final FilterStats stats = new FilterStats();
    private final List<Map<String, Object>> promptRows = new ArrayList<>();
    private final ShardWriter<Verdict> accepted;
    private final ShardWriter<Verdict> rejected;
    private final ShardWriter<SftExample> sft;
    private long judgeNanos;
    private long writeNanos;

    Shard(int part) {
      this.part = part;
      String name = String.format("part-%05d.parquet", part);
      Path out = Path.of(outDir);
      accepted = new ShardWriter<>(out.resolve(FilterJob.ACCEPTED).resolve(name), Codecs.VERDICT);
      rejected = new ShardWriter<>(out.resolve(FilterJob.REJECTED).resolve(name), Codecs.VERDICT);
      sft = new ShardWriter<>(out.resolve(FilterJob.SFT).resolve(name), Codecs.SFT);
    }

    PartitionReport run(Iterator<Row> rows) {
      long start = System.nanoTime();
      boolean ok = false;
      try {
        Map<String, Integer> index = null;
        List<Trace> group = new ArrayList<>();
        while (rows.hasNext()) {
          Row row = rows.next();
          if (index == null) {
            index = indexOf(row);
          }
          Map<String, Integer> idx = index;
          TraceDecoder.Decoded d = TraceDecoder.decode(c -> {
            Integer i = idx.get(c);
            return i == null || row.isNullAt(i) ? null : row.get(i);
          });
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
        if (!promptRows.isEmpty()) {
          Json.writeLines(Path.of(outDir, FilterJob.PROMPT_STATS, String.format("part-%05d.jsonl", part)), promptRows);
        }
        ok = true;
        return new PartitionReport(stats, sft.rows(), judgeNanos, writeNanos, System.nanoTime() - start);
      } finally {
        if (!ok) {
          accepted.abort();
          rejected.abort();
          sft.abort();
        }
      }
    }

    private void flush(List<Trace> group) {
      if (group.isEmpty()) {
        return;
      }
      String id = group.get(0).promptId();
      List<String> promptReasonsOf = reasons.getOrDefault(id, List.of());
      long t0 = System.nanoTime();
      List<Verdict> verdicts = judge.judge(group, promptReasonsOf);
      long t1 = System.nanoTime();
      int correct = 0;
      int kept = 0;
      for (Verdict v : verdicts) {
        if (v.accepted()) {
          accepted.write(v);
          sft.write(SftView.of(v.trace(), settings));
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
      Map<String, Object> p = new LinkedHashMap<>();
      p.put("prompt_id", id);
      p.put("source", group.get(0).source());
      p.put("samples", group.size());
      p.put("correct", correct);
      p.put("accepted", kept);
      p.put("pass_rate", (double) correct / group.size());
      p.put("prompt_reasons", promptReasonsOf);
      promptRows.add(p);
      group.clear();
    }
  }

  private static Map<String, Integer> indexOf(Row row) {
    Map<String, Integer> m = new HashMap<>();
    String[] names = row.schema().fieldNames();
    for (int i = 0; i < names.length; i++) {
      m.put(names[i], i);
    }
    return m;
  }
}
