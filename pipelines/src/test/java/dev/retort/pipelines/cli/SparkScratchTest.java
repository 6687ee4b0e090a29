package dev.retort.pipelines.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A killed run's Spark scratch folders are removed by the next start; a live process's are kept. */
class SparkScratchTest {
  @TempDir Path root;

  @Test
  void removesFoldersOfGoneProcessesOnly() throws Exception {
    Process p = new ProcessBuilder("true").start();
    p.waitFor();
    Path gone = Files.createDirectories(root.resolve(Long.toString(p.pid())).resolve("blockmgr-1234/0c"));
    Files.writeString(gone.resolve("shuffle_0_0_0.data"), "x");
    Path live = Files.createDirectories(root.resolve(Long.toString(ProcessHandle.current().pid())).resolve("blockmgr-5678"));
    Path other = Files.createDirectories(root.resolve("notes"));
    List<Path> removed = SparkScratch.removeStale(root);
    assertEquals(List.of(root.resolve(Long.toString(p.pid()))), removed);
    assertFalse(Files.exists(root.resolve(Long.toString(p.pid()))));
    assertTrue(Files.isDirectory(live));
    assertTrue(Files.isDirectory(other));
  }
}
