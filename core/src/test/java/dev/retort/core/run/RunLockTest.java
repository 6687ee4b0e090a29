package dev.retort.core.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.retort.core.io.Json;
import dev.retort.core.store.Location;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** One run per run folder: the lock file, its holder, stale locks of gone processes and other hosts. */
class RunLockTest {
  @TempDir Path dir;

  @Test
  void secondRunOnTheSameFolderGetsAClearErrorUntilTheFirstReleases() {
    Location run = Location.local(dir.resolve("run"));
    try (RunLock first = RunLock.acquire(run)) {
      assertNull(first.takenOver());
      RunLock.Holder h = RunLock.read(run.resolve(RunLock.FILE)).orElseThrow();
      assertEquals(ProcessHandle.current().pid(), h.pid());
      assertEquals(RunLock.hostName(), h.host());
      assertNotNull(h.since());
      IllegalStateException e = assertThrows(IllegalStateException.class, () -> RunLock.acquire(run));
      assertTrue(e.getMessage().contains("in use by another run: pid " + h.pid() + " on host " + h.host()), e.getMessage());
    }
    assertFalse(Files.exists(dir.resolve("run/.lock")), "released");
    RunLock.acquire(run).close();
  }

  @Test
  void lockOfAGoneProcessOnThisHostIsReportedAndTakenOver() throws Exception {
    Process p = new ProcessBuilder("true").start();
    p.waitFor();
    Files.createDirectories(dir.resolve("run"));
    Files.writeString(dir.resolve("run/.lock"), Json.toJson(new RunLock.Holder(RunLock.hostName(), p.pid(), null,
        "2026-01-01T00:00:00Z", "old")));
    try (RunLock lock = RunLock.acquire(Location.local(dir.resolve("run")))) {
      assertTrue(lock.takenOver().contains("pid " + p.pid()), lock.takenOver());
      assertEquals(ProcessHandle.current().pid(), RunLock.read(lock.file()).orElseThrow().pid());
    }
  }

  @Test
  void reusedPidIsStaleToo() throws Exception {
    // This process's PID, but recorded with another start time: the PID now belongs to someone else.
    Files.createDirectories(dir.resolve("run"));
    Files.writeString(dir.resolve("run/.lock"), Json.toJson(new RunLock.Holder(RunLock.hostName(),
        ProcessHandle.current().pid(), "2001-01-01T00:00:00Z", "2001-01-01T00:00:00Z", "old")));
    try (RunLock lock = RunLock.acquire(Location.local(dir.resolve("run")))) {
      assertNotNull(lock.takenOver());
    }
  }

  @Test
  void lockFromAnotherHostIsAnErrorSayingHowToClearIt() throws Exception {
    Files.createDirectories(dir.resolve("run"));
    Files.writeString(dir.resolve("run/.lock"), Json.toJson(new RunLock.Holder("elsewhere-7", 4242, null,
        "2026-01-01T00:00:00Z", "x")));
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> RunLock.acquire(Location.local(dir.resolve("run"))));
    assertTrue(e.getMessage().contains("pid 4242 on host elsewhere-7") && e.getMessage().contains("delete the lock file")
        && e.getMessage().contains(dir.resolve("run/.lock").toString()), e.getMessage());
    assertTrue(Files.exists(dir.resolve("run/.lock")), "another host's lock is left alone");
  }
}
