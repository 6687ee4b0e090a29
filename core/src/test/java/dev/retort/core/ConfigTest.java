package dev.retort.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.retort.core.config.ConfigError;
import dev.retort.core.config.RetortConfig;
import dev.retort.core.config.RunSettings;
import dev.retort.core.datasets.ArithSettings;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigTest {
  @TempDir Path dir;

  record Inner(String name, List<Integer> sizes) {}

  record Sample(String label, int count, double rate, boolean on, Optional<String> note, Inner inner) {}

  private Path write(String text) throws Exception {
    Path f = dir.resolve("test.conf");
    Files.writeString(f, text);
    return f;
  }

  @Test
  void bindsDefaultsAndFileValues() throws Exception {
    RetortConfig c = RetortConfig.load(write("run { seed = 7 }\n"), List.of());
    RunSettings run = RunSettings.from(c);
    assertEquals(7, run.seed());
    assertEquals("local", run.runId());
    assertEquals(2000, ArithSettings.from(c).trainSize());
  }

  @Test
  void unknownKeyNamesKeyAndFile() throws Exception {
    Path f = write("run {\n  seed = 1\n  sede = 2\n}\n");
    ConfigError e = assertThrows(ConfigError.class, () -> RunSettings.from(RetortConfig.load(f, List.of())));
    assertTrue(e.getMessage().contains("run.sede"), e.getMessage());
    assertTrue(e.getMessage().contains("test.conf"), e.getMessage());
    assertTrue(e.getMessage().contains(": 3"), "names the line: " + e.getMessage());
    assertTrue(e.getMessage().contains("did you mean 'seed'?"), e.getMessage());
  }

  @Test
  void wrongTypeNamesKeyAndFile() throws Exception {
    Path f = write("run { seed = \"many\" }\n");
    ConfigError e = assertThrows(ConfigError.class, () -> RunSettings.from(RetortConfig.load(f, List.of())));
    assertTrue(e.getMessage().contains("run.seed"), e.getMessage());
    assertTrue(e.getMessage().contains("test.conf"), e.getMessage());
  }

  @Test
  void missingValueNamesKeyAndFile() throws Exception {
    Path f = write("sample { label = x, count = 1, rate = 0.5, on = true, inner { name = a } }\n");
    ConfigError e = assertThrows(ConfigError.class,
        () -> RetortConfig.load(f, List.of()).section("sample", Sample.class));
    assertTrue(e.getMessage().contains("sample.inner.sizes"), e.getMessage());
    assertTrue(e.getMessage().contains("missing"), e.getMessage());
    assertTrue(e.getMessage().contains("test.conf"), e.getMessage());
  }

  @Test
  void nestedRecordsListsOptionalsAndOverrides() throws Exception {
    Path f = write("sample { label = x, count = 1, rate = 0.5, on = true, inner { name = a, sizes = [1, 2] } }\n");
    Sample s = RetortConfig.load(f, List.of("sample.count=5", "sample.note=hello world")).section("sample", Sample.class);
    assertEquals(5, s.count());
    assertEquals(Optional.of("hello world"), s.note());
    assertEquals(List.of(1, 2), s.inner().sizes());
  }

  @Test
  void unknownSectionIsCaught() throws Exception {
    RetortConfig c = RetortConfig.load(write("rnu { seed = 1 }\n"), List.of());
    ConfigError e = assertThrows(ConfigError.class, () -> c.checkSections(List.of("run", "arith", "inputs")));
    assertTrue(e.getMessage().contains("rnu") && e.getMessage().contains("test.conf"), e.getMessage());
    assertTrue(e.getMessage().contains("did you mean 'run'?"), e.getMessage());
  }

  @Test
  void misspeltSectionInSetIsCaughtAgainstEveryModulesSections() {
    // Core's own sections here; the CLI's classpath has every module's.
    assertEquals(java.util.Set.of("arith", "inputs", "run"), RetortConfig.knownSections());
    RetortConfig c = RetortConfig.defaults("rnn.seed=3");
    ConfigError e = assertThrows(ConfigError.class, c::checkSections);
    assertTrue(e.getMessage().contains("unknown section; did you mean 'run'?") && e.getMessage().contains("--set rnn.seed"),
        e.getMessage());
    RetortConfig.defaults("run.seed=3").checkSections();
  }

  @Test
  void suggestionsOnlyForCloseNames() {
    assertEquals("filter", dev.retort.core.config.Suggest.closest("fliter", List.of("filter", "generate", "eval")));
    assertEquals("generate", dev.retort.core.config.Suggest.closest("genrate", List.of("filter", "generate", "eval")));
    assertEquals("dedup-traces", dev.retort.core.config.Suggest.closest("dedupp-traces", List.of("dedup-prompts", "dedup-traces")));
    assertEquals(null, dev.retort.core.config.Suggest.closest("zzzzzz", List.of("filter", "generate", "eval")));
  }

  @Test
  void hashIsStableUnderKeyOrderAndChangesWithValues() throws Exception {
    Path a = dir.resolve("a.conf");
    Path b = dir.resolve("b.conf");
    Files.writeString(a, "run { seed = 1, run-id = x }\n");
    Files.writeString(b, "run { run-id = x\n seed = 1 }\n");
    assertEquals(RetortConfig.load(a, List.of()).hash("run"), RetortConfig.load(b, List.of()).hash("run"));
    assertNotEquals(RetortConfig.load(a, List.of()).hash("run"), RetortConfig.load(a, List.of("run.seed=2")).hash("run"));
  }

  @Test
  void renderedSectionsParseBackToTheSameValues() throws Exception {
    Path f = write("sample { label = x, count = 1, rate = 0.5, on = true, inner { name = a, sizes = [1, 2] } }\n");
    RetortConfig c = RetortConfig.load(f, List.of());
    RetortConfig back = RetortConfig.fromString(c.render("sample", "run"), "rendered");
    assertEquals(c.section("sample", Sample.class), back.section("sample", Sample.class));
    assertEquals(c.hash("sample", "run"), back.hash("sample", "run"));
  }

  @Test
  void missingFileIsAConfigError() {
    ConfigError e = assertThrows(ConfigError.class, () -> RetortConfig.load(dir.resolve("nope.conf"), List.of()));
    assertTrue(e.getMessage().contains("nope.conf"));
  }
}
