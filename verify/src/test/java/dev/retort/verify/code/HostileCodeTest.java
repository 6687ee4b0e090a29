package dev.retort.verify.code;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.SocketTimeoutException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Hostile solutions are contained: each one's verdict is not "accepted", it leaves nothing on the
 * host, and the sandbox still judges a correct solution right afterwards. Every case is bounded
 * by the sandbox's own limits (1 s CPU, 2 s wall, 16 processes, 64 KiB of output).
 */
class HostileCodeTest {
  private static final CodeLimits TIGHT = CodeLimits.of(1, 256L << 20).withWallSeconds(2).withOutputBytes(64 << 10)
      .withProcesses(16);
  /** A test whose expected output is what the attack prints if it succeeds. */
  private static final List<CodeTest> ESCAPED = List.of(CodeTest.io("", "escaped"));

  private static CodeVerdict run(String code, List<CodeTest> tests) {
    return Sandboxes.verifier(TIGHT).run(tests, "```python\n" + code + "\n```");
  }

  @AfterEach
  void theExecutorSurvives() {
    CodeVerdict v = run("print(int(input()) * 2)", List.of(CodeTest.io("21\n", "42")));
    assertEquals(CodeVerdict.ACCEPTED, v.reason(), v.detail());
  }

  /** Processes on this host whose name (set by the solution with PR_SET_NAME) is the marker. */
  private static long processesRunning(String marker) {
    try (var dirs = Files.list(Path.of("/proc"))) {
      return dirs.filter(d -> d.getFileName().toString().chars().allMatch(Character::isDigit))
          .filter(d -> {
            try {
              return Files.readString(d.resolve("comm")).strip().equals(marker);
            } catch (IOException | RuntimeException e) {
              return false; // the process ended while we looked
            }
          })
          .count();
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /** Waits (bounded) until no process has the marker in its command line; returns how many are left. */
  private static long leftAfterClose(String marker) throws InterruptedException {
    long left = processesRunning(marker);
    for (int i = 0; i < 50 && left > 0; i++) {
      Thread.sleep(100);
      left = processesRunning(marker);
    }
    return left;
  }

  @Test
  void forkBombHitsTheProcessLimitAndDiesWithItsSandbox() throws InterruptedException {
    String tag = "bomb" + UUID.randomUUID().toString().replace("-", "");
    // Each process renames itself so the host can look for survivors; all spin until killed.
    String code = """
        import ctypes, os
        ctypes.CDLL(None).prctl(15, b"%s", 0, 0, 0)
        n = 0
        for _ in range(100000):
            try:
                if os.fork() == 0:
                    ctypes.CDLL(None).prctl(15, b"%s", 0, 0, 0)
                n += 1
            except OSError:
                pass
        print("escaped" if n > 1000 else "contained")
        """.formatted(tag.substring(0, 15), tag.substring(0, 15));
    CodeVerdict v = run(code, ESCAPED);
    assertNotEquals(CodeVerdict.ACCEPTED, v.reason(), v.detail());
    assertEquals(0, leftAfterClose(tag.substring(0, 15)));
  }

  @Test
  void infiniteOutputStopsAtTheOutputCap() {
    CodeVerdict v = run("import sys\nwhile True:\n    sys.stdout.write('escaped\\n' * 1000)", ESCAPED);
    assertEquals(CodeVerdict.OUTPUT_LIMIT, v.reason(), v.detail());
  }

  @Test
  void noNetworkEvenToTheHostsLoopback() throws IOException {
    try (ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      String code = """
          import socket
          try:
              socket.create_connection(("127.0.0.1", %d), timeout=1).sendall(b"hi")
              print("escaped")
          except OSError as e:
              print("blocked", e)
          """.formatted(server.getLocalPort());
      CodeVerdict v = run(code, ESCAPED);
      assertEquals(CodeVerdict.WRONG_ANSWER, v.reason(), v.detail());
      assertTrue(v.detail().contains("got: blocked"), v.detail());
      server.setSoTimeout(200);
      assertThrows(SocketTimeoutException.class, server::accept, "the sandbox reached the host's loopback");
    }
  }

  @Test
  void writesOutsideTheTempDirFailAndLeaveNothing() throws IOException {
    Path outside = Path.of("target", "hostile-" + UUID.randomUUID()).toAbsolutePath();
    Files.createDirectories(outside);
    Path target = outside.resolve("pwned.txt");
    String code = """
        import os
        done = []
        for p in [%s, "/usr/pwned.txt", "/pwned.txt", "/dev/pwned.txt", "/dev/shm/pwned.txt"]:
            try:
                os.makedirs(os.path.dirname(p), exist_ok=True)
                with open(p, "w") as f:
                    f.write("x")
                done.append(p)
            except OSError:
                pass
        open("scratch.txt", "w").write("the private temp dir is writable")
        # A host path under /tmp lands in the sandbox's own /tmp (a private tmpfs): the host-side
        # check below decides for it; the system paths must refuse the write inside the sandbox.
        print("escaped" if [p for p in done if p != %s] else "blocked")
        """.formatted("\"" + target + "\"", "\"" + target + "\"");
    CodeVerdict v = run(code, ESCAPED);
    assertEquals(CodeVerdict.WRONG_ANSWER, v.reason(), v.detail());
    assertTrue(v.detail().contains("got: blocked"), v.detail());
    assertFalse(Files.exists(target));
    assertFalse(Files.exists(Path.of("/usr/pwned.txt")));
    Files.delete(outside);
  }

  @Test
  void hostFilesAreNotVisible() throws IOException {
    Path secret = Path.of("target", "secret-" + UUID.randomUUID()).toAbsolutePath();
    Files.writeString(secret, "escaped");
    try {
      String code = """
          found = []
          for p in [%s, "/etc/passwd", "/etc/hostname", "/root/.bashrc", "/proc/1/environ"]:
              try:
                  found.append(open(p).read())
              except OSError:
                  pass
          print("escaped" if any("escaped" in f or "root:" in f for f in found) else "blocked")
          """.formatted("\"" + secret + "\"");
      CodeVerdict v = run(code, ESCAPED);
      assertEquals(CodeVerdict.WRONG_ANSWER, v.reason(), v.detail());
      assertTrue(v.detail().contains("got: blocked"), v.detail());
    } finally {
      Files.delete(secret);
    }
  }

  @Test
  void sleepingPastTheWallLimitIsATimeout() {
    CodeVerdict v = run("import time\ntime.sleep(60)\nprint('escaped')", ESCAPED);
    assertEquals(CodeVerdict.TIMEOUT, v.reason(), v.detail());
  }

  @Test
  void aChildLeftBehindIsKilledBeforeTheNextTestAndWithTheSandbox() throws InterruptedException {
    String tag = "left" + UUID.randomUUID().toString().replace("-", "").substring(0, 11);
    // A detached child (its own session, stdout closed) that would print into the next test's output.
    String code = """
        import ctypes, os, sys, time
        if not os.path.exists("/tmp/.started"):
            open("/tmp/.started", "w").close()
            if os.fork() == 0:
                os.setsid()
                ctypes.CDLL(None).prctl(15, b"%s", 0, 0, 0)
                for _ in range(600):
                    time.sleep(0.1)
                os._exit(0)
        print("ok")
        """.formatted(tag);
    // The marker file is in the shared /tmp, so a surviving child would also still be counted here.
    CodeVerdict v = run(code, List.of(CodeTest.io("", "ok"), CodeTest.io("", "ok")));
    assertEquals(CodeVerdict.ACCEPTED, v.reason(), v.detail());
    assertEquals(0, leftAfterClose(tag));
  }
}
