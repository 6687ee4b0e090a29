package dev.retort.teacher.generate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.retort.core.config.RetortConfig;
import dev.retort.core.data.Trace;
import dev.retort.core.io.Codecs;
import dev.retort.core.io.ParquetIO;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

/** Config and output helpers shared by the generate tests. */
final class TestRuns {
  private TestRuns() {}

  static RetortConfig config(Path work, String endpoint, String... more) {
    List<String> sets = new ArrayList<>(List.of(
        "run.work-dir=" + work,
        "run.run-id=t",
        "teacher.endpoints=[\"" + endpoint + "\"]",
        "teacher.model=retort",
        "teacher.backoff-initial=5ms",
        "teacher.backoff-max=20ms",
        "teacher.request-timeout=5s",
        "generate.prompts=arith",
        "generate.limit=24",
        "generate.samples-per-prompt=2",
        "generate.shards=4",
        "generate.max-tokens=200",
        "generate.progress-interval=1s"));
    sets.addAll(List.of(more));
    return RetortConfig.defaults(sets.toArray(String[]::new));
  }

  /** Rows of the main shard files only (not errors/). */
  static List<Trace> mainRows(Path traces) {
    List<Trace> out = new ArrayList<>();
    try (Stream<Path> s = Files.list(traces)) {
      for (Path f : s.filter(p -> ShardFiles.shardOf(p.getFileName().toString()) >= 0).sorted().toList()) {
        out.addAll(ParquetIO.read(f, Codecs.TRACE));
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out;
  }

  static List<Trace> errorRows(Path traces) {
    return ParquetIO.read(ShardFiles.errorsDir(dev.retort.core.store.Location.local(traces)), Codecs.TRACE);
  }

  /** Asserts every expected key appears exactly once in main and nowhere else. */
  static void assertExactlyOnce(Path traces, Set<String> expectedKeys) {
    List<Trace> rows = mainRows(traces);
    Set<String> seen = new HashSet<>();
    for (Trace t : rows) {
      assertTrue(seen.add(t.key()), "duplicate " + t.key());
      assertTrue(t.error() == null, "error row in a main shard: " + t.key());
    }
    assertEquals(expectedKeys, seen);
    assertTrue(errorRows(traces).isEmpty(), "errors left");
  }

  static int shardFiles(Path traces) {
    if (!Files.isDirectory(traces)) {
      return 0;
    }
    try (Stream<Path> s = Files.list(traces)) {
      return (int) s.filter(p -> ShardFiles.shardOf(p.getFileName().toString()) >= 0).count();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
