package dev.retort.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.retort.core.SharedSpark;
import dev.retort.core.config.RetortConfig;
import dev.retort.core.store.Location;
import dev.retort.filter.TestTraces;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code bench filter}'s two arms on a small set of synthetic traces. */
class FilterBenchmarkTest {
  @TempDir Path dir;

  @Test
  void benchmarkRunsBothArmsOnSyntheticTraces() {
    RetortConfig config = RetortConfig.defaults(TestTraces.withoutBenchmarkDir("filter.partitions=3"));
    FilterBenchmark.Result r = FilterBenchmark.run(SharedSpark.get(), config,
        new FilterBenchmark.Options(30, 4, 300, 2, 1, Location.local(dir.resolve("bench")), false, 3), line -> { });
    assertEquals(120, r.traces());
    assertTrue(r.accepted() > 0 && r.accepted() < r.traces(), "synthetic traces mix good and bad ones: " + r.accepted());
    assertTrue(r.copySeconds() > 0 && r.filterSeconds() > 0);
    assertTrue(r.resultLine("file").matches("RESULT filter copy_ratio=[0-9.]+ .*"), r.resultLine("file"));
    assertFalse(Files.exists(dir.resolve("bench/traces")), "scratch data removed");
  }
}
