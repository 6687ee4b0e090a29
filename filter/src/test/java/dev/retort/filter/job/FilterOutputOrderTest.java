package dev.retort.filter.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.retort.core.SharedSpark;
import dev.retort.core.config.RetortConfig;
import dev.retort.core.data.Trace;
import dev.retort.core.io.Codecs;
import dev.retort.core.store.Location;
import dev.retort.core.io.ParquetIO;
import dev.retort.filter.TestTraces;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The filter's output row order depends on the input's rows only, not on its files' sizes: two
 * trace folders with the same judged content, whose shards differ only in latency (so the largest
 * file, which Spark's scan takes first, is another one), give SFT shards with the same rows in the
 * same order: the input shards' path order, as teacher-gen wrote them.
 */
class FilterOutputOrderTest {
  // Enough shards that Spark would pack several into one scan partition (largest first).
  static final int PROMPTS = 24;
  static final int SHARDS = 12;

  @TempDir Path dir;

  /** Teacher-gen's layout: each shard holds whole prompts, sorted; shard {@code big} has varied latencies (larger file). */
  private Path traces(String name, int big) {
    Path in = dir.resolve(name);
    for (int shard = 0; shard < SHARDS; shard++) {
      List<Trace> rows = new ArrayList<>();
      for (int p = shard * (PROMPTS / SHARDS); p < (shard + 1) * (PROMPTS / SHARDS); p++) {
        String id = String.format("arith-%03d", p);
        for (int s = 0; s < 2; s++) {
          Trace t = TestTraces.trace(id, s, "What is " + p + " plus " + s + "?", Integer.toString(p + s),
              "We add " + p + " and " + s + " to get " + (p + s) + ", checking the sum once more.", "\\boxed{" + (p + s) + "}");
          long latency = shard == big ? 1_000_003L * (p * 2 + s + 1) : 5;
          rows.add(new Trace(t.promptId(), t.sampleIndex(), t.teacherId(), t.source(), t.problem(), t.referenceAnswer(),
              t.answerType(), t.sampling(), t.reasoning(), t.answer(), t.finishReason(), t.promptTokens(), t.completionTokens(),
              latency, t.error()));
        }
      }
      ParquetIO.write(in.resolve(String.format("shard-%05d-of-%05d.parquet", shard, SHARDS)), Codecs.TRACE, rows);
    }
    return in;
  }

  private List<List<String>> sftOrder(Path in, Path out) {
    RetortConfig config = RetortConfig.defaults(TestTraces.withoutBenchmarkDir("filter.partitions=2", "filter.dedup-traces=false",
        "filter.min-reasoning-chars=0", "inputs.allow-incomplete=true"));
    FilterResult r = FilterJob.run(SharedSpark.get(), config, in, out);
    assertEquals(PROMPTS * 2, r.accepted(), "every trace is correct and kept");
    List<List<String>> files = new ArrayList<>();
    for (Location f : ParquetIO.files(Location.local(out.resolve(FilterJob.SFT)))) {
      files.add(ParquetIO.read(f, Codecs.SFT).stream().map(e -> e.promptId() + "/" + e.sampleIndex()).toList());
    }
    return files;
  }

  @Test
  void sftRowOrderFollowsTheInputRowsNotTheFileSizes() {
    List<List<String>> first = sftOrder(traces("a", 0), dir.resolve("out-a"));
    List<List<String>> last = sftOrder(traces("b", SHARDS - 1), dir.resolve("out-b"));
    assertEquals(first, last, "the same rows in the same order");
    List<String> all = first.stream().flatMap(List::stream).toList();
    List<String> sorted = new ArrayList<>(all);
    sorted.sort(null);
    assertEquals(sorted, all, "the shards' path order, each shard's rows as written: " + all);
    assertTrue(first.size() == 2, "two output shards: " + first.size());
  }
}
