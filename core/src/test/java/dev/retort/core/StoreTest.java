package dev.retort.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.retort.core.config.ConfigError;
import dev.retort.core.config.RetortConfig;
import dev.retort.core.config.RunSettings;
import dev.retort.core.data.Prompt;
import dev.retort.core.datasets.Arith;
import dev.retort.core.io.Codecs;
import dev.retort.core.io.ParquetIO;
import dev.retort.core.run.Provenance;
import dev.retort.core.run.StageOutput;
import dev.retort.core.store.Location;
import dev.retort.core.store.Manifest;
import dev.retort.core.store.Store;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Locations, config binding of them, and the commit helpers on local disk (HDFS: pipelines' HdfsStagesTest). */
class StoreTest {
  @TempDir Path dir;

  @Test
  void locationsParseAndResolve() {
    Location rel = Location.of("work/runs");
    assertTrue(rel.isLocal());
    assertEquals(Path.of("work/runs").toAbsolutePath().toString(), rel.toString(), "relative: made absolute once, here");
    assertEquals(rel, Location.of("file:" + rel.uri().getPath()));
    Location h = Location.of("hdfs://nn:8020/retort/runs/");
    assertEquals("hdfs://nn:8020/retort/runs", h.toString());
    assertEquals("hdfs://nn:8020/retort/runs/r1/traces", h.resolve("r1").resolve("traces").toString());
    assertEquals("traces", h.resolve("r1/traces").name());
    assertEquals(h, h.resolve("r1").parent());
    assertEquals("r1/traces", h.resolve("r1/traces").relativeTo(h));
    assertTrue(h.resolve("a").startsWith(h));
    assertFalse(Location.of("hdfs://other:8020/retort/runs/a").startsWith(h));
    assertThrows(IllegalStateException.class, () -> h.localPath("a test"));
    assertThrows(IllegalArgumentException.class, () -> h.resolve("../x"));
  }

  @Test
  void aSchemeWithoutFileSystemFailsAtBindingNamingTheKey() {
    RetortConfig cfg = RetortConfig.defaults("run.work-dir=\"nosuchfs://host/runs\"");
    ConfigError e = assertThrows(ConfigError.class, () -> RunSettings.from(cfg));
    assertTrue(e.getMessage().contains("run.work-dir") && e.getMessage().contains("nosuchfs"), e.getMessage());
    assertEquals("hdfs", RunSettings.from(RetortConfig.defaults("run.work-dir=\"hdfs://nn:8020/runs\"")).workDir().scheme());
    RunSettings local = RunSettings.from(RetortConfig.defaults("run.work-dir=rel/work"));
    assertEquals(Path.of("rel/work").toAbsolutePath().toString(), local.workDir().toString());
  }

  @Test
  void commitsLeaveNoTemporaryAndReplace() throws Exception {
    Location f = Location.local(dir.resolve("a/b/p.parquet"));
    List<Prompt> ps = Arith.generate(dev.retort.core.datasets.ArithSettings.from(RetortConfig.defaults()).spec(), 1, 5, Arith.Split.TRAIN);
    assertEquals(5, ParquetIO.write(f, Codecs.PROMPT, ps));
    assertEquals(3, ParquetIO.write(f, Codecs.PROMPT, ps.subList(0, 3)));
    assertEquals(3, ParquetIO.rowCount(f));
    try (var s = Files.list(dir.resolve("a/b"))) {
      assertEquals(List.of("p.parquet"), s.map(p -> p.getFileName().toString()).toList(), "no temporary, no .crc");
    }
    assertThrows(java.io.IOException.class, () -> Store.of(f).commit(f, target -> {
      throw new java.io.IOException("writer died");
    }));
    assertEquals(3, ParquetIO.rowCount(f), "a failed commit leaves the old file");
  }

  @Test
  void manifestListsAndChecksCommittedFiles() throws Exception {
    Location out = Location.local(dir.resolve("out"));
    List<Prompt> ps = Arith.generate(dev.retort.core.datasets.ArithSettings.from(RetortConfig.defaults()).spec(), 1, 4, Arith.Split.TRAIN);
    ParquetIO.write(out.resolve("part-0.parquet"), Codecs.PROMPT, ps);
    ParquetIO.write(out.resolve("part-1.parquet"), Codecs.PROMPT, ps);
    // A stray file (a speculative task's copy): not listed, so not read.
    ParquetIO.write(out.resolve("part-1-attempt2.parquet"), Codecs.PROMPT, ps);
    Store s = Store.of(out);
    List<Manifest.Entry> files = List.of(new Manifest.Entry("part-0.parquet", s.size(out.resolve("part-0.parquet")), 4),
        new Manifest.Entry("part-1.parquet", s.size(out.resolve("part-1.parquet")), 4));
    Provenance prov = Provenance.of("test", "h1", Map.of(), 1, Map.of(), Map.of());
    List<Manifest.Entry> missing = List.of(new Manifest.Entry("part-9.parquet", 10, 1));
    assertThrows(IllegalStateException.class, () -> StageOutput.complete(out, prov, null, missing));
    assertFalse(StageOutput.isComplete(out, "h1"), "no marker over a missing file");
    StageOutput.complete(out, prov, Map.of("rows", 8), files);
    assertTrue(StageOutput.isComplete(out, "h1"));
    assertFalse(StageOutput.isComplete(out, "h2"));
    assertEquals(8, ParquetIO.read(out, Codecs.PROMPT).size(), "readers take the listed files only");
    assertEquals(2, Manifest.read(out).files().size());
  }

  @Test
  void settingsTravelToTasks() {
    org.apache.hadoop.conf.Configuration before = dev.retort.core.store.Stores.conf();
    try {
      org.apache.hadoop.conf.Configuration c = new org.apache.hadoop.conf.Configuration(before);
      c.set("fs.s3a.endpoint", "http://127.0.0.1:9");
      dev.retort.core.store.Stores.configure(c);
      Map<String, String> shipped = dev.retort.core.store.Stores.settings();
      assertEquals("http://127.0.0.1:9", shipped.get("fs.s3a.endpoint"), "what differs from Hadoop's defaults");
      dev.retort.core.store.Stores.configure(new org.apache.hadoop.conf.Configuration());
      dev.retort.core.store.Stores.apply(shipped); // as a task in an executor JVM does
      assertEquals("http://127.0.0.1:9", dev.retort.core.store.Stores.conf().get("fs.s3a.endpoint"));
    } finally {
      dev.retort.core.store.Stores.configure(before);
    }
  }

  @Test
  void publishMakesTheTargetHoldWhatTheLocalFolderHolds() throws Exception {
    Path local = dir.resolve("local");
    Files.createDirectories(local.resolve("checkpoints/step-2"));
    Files.writeString(local.resolve("weights.bin"), "new");
    Files.writeString(local.resolve("checkpoints/step-2/state.json"), "{}");
    Files.writeString(local.resolve(".tokens.bin"), "scratch");
    Files.writeString(local.resolve(Manifest.FILE), "h2\n");
    Location to = Location.local(dir.resolve("published"));
    Store s = Store.of(to);
    Files.createDirectories(dir.resolve("published/checkpoints/step-1"));
    Files.writeString(dir.resolve("published/checkpoints/step-1/state.json"), "{}");
    Files.writeString(dir.resolve("published/weights.bin"), "old");
    Files.writeString(dir.resolve("published/" + Manifest.FILE), "h1\n");
    dev.retort.core.store.Stores.publish(local, to);
    assertEquals("new", Files.readString(dir.resolve("published/weights.bin")));
    assertTrue(s.isFile(to.resolve("checkpoints/step-2/state.json")));
    assertFalse(s.exists(to.resolve("checkpoints/step-1")), "what the local folder no longer has is removed");
    assertFalse(s.exists(to.resolve(".tokens.bin")), "hidden scratch files stay local");
    assertEquals("h2", Manifest.read(to).configHash());
  }
}
