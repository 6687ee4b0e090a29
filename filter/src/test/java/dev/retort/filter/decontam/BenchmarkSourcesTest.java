package dev.retort.filter.decontam;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.retort.core.config.RetortConfig;
import dev.retort.core.datasets.ArithSettings;
import dev.retort.core.store.Location;
import dev.retort.filter.FilterSettings;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Benchmark files come from configured locations, never from the folder Retort was launched in. */
class BenchmarkSourcesTest {
  @TempDir Path dir;

  @Test
  void relativePathsResolveAgainstTheCheckoutOnly() {
    String before = System.getProperty("retort.home");
    try {
      System.clearProperty("retort.home");
      assertNull(BenchmarkSources.resolve("../shared/data/benchmarks"), "no checkout: not the launch folder");
      System.setProperty("retort.home", dir.toString());
      assertEquals(Location.local(dir.resolve("bench")), BenchmarkSources.resolve("bench"));
      assertEquals("hdfs://nn:8020/bench", BenchmarkSources.resolve("hdfs://nn:8020/bench").toString());
    } finally {
      if (before == null) {
        System.clearProperty("retort.home");
      } else {
        System.setProperty("retort.home", before);
      }
    }
  }

  @Test
  void benchmarksLoadFromAUri() throws Exception {
    Path f = dir.resolve("toy.jsonl");
    Files.writeString(f, "{\"id\": \"a\", \"problem\": \"What is 2+2?\", \"answer\": \"4\"}\n");
    RetortConfig cfg = RetortConfig.defaults("filter.decontamination.benchmark-dir=\"\"",
        "filter.decontamination.benchmarks=[\"" + f.toUri() + "\"]", "filter.decontamination.arith-test=false");
    FilterSettings s = FilterSettings.from(cfg);
    List<DecontamBenchmark> b = BenchmarkSources.load(s.decontamination(), ArithSettings.from(cfg), 1);
    assertEquals(1, b.size());
    assertEquals("toy", b.get(0).name());
  }

  @Test
  void theDefaultIsTheBundledSetWhereverRetortRuns() {
    String before = System.getProperty("retort.home");
    try {
      System.clearProperty("retort.home"); // a cluster jar: no checkout, no ../shared
      RetortConfig cfg = RetortConfig.defaults("filter.decontamination.arith-test=false");
      List<DecontamBenchmark> b = BenchmarkSources.load(FilterSettings.from(cfg).decontamination(), ArithSettings.from(cfg), 1);
      assertEquals(List.of("aime24", "gsm8k_test", "math500"), b.stream().map(DecontamBenchmark::name).toList());
      assertEquals(List.of(30, 1319, 500), b.stream().map(x -> x.problems().size()).toList());
      assertTrue(b.get(2).problems().stream().anyMatch(p -> p.contains("Convert the point $(0,3)$")), "MATH-500's first problem");
    } finally {
      if (before != null) {
        System.setProperty("retort.home", before);
      }
    }
  }

  @Test
  void aConfiguredFolderThatIsAbsentIsAnErrorNamingTheKey() {
    RetortConfig cfg = RetortConfig.defaults("filter.decontamination.benchmark-dir=\"" + dir.resolve("nope") + "\"");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> BenchmarkSources.files(FilterSettings.from(cfg).decontamination()));
    assertTrue(e.getMessage().startsWith("filter.decontamination.benchmark-dir: folder not found"), e.getMessage());
  }
}
