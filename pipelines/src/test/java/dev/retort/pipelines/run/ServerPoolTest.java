package dev.retort.pipelines.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Start-up of the server pool: readiness, failures that say why (exit status, log tail) without
 * waiting for the timeout, and the regression of a start-up that hung when the server went quiet
 * after its "listening on" line. Shell stand-ins keep the many-start tests cheap; two tests start
 * real {@code retort serve} JVMs the way the pipeline does.
 */
class ServerPoolTest {
  private static final Duration LONG = Duration.ofMinutes(3);
  @TempDir Path dir;

  private static List<String> sh(String script) {
    return List.of("sh", "-c", script);
  }

  @Test
  void readyWhenTheServerGoesQuietAfterListening() throws Exception {
    // The old reader deadlocked here in about 1 start of 10: it closed a stream whose lock the
    // log-draining thread held while waiting for the server's next line, which never came.
    for (int i = 0; i < 25; i++) {
      try (ServerPool pool = ServerPool.startCommands(
          List.of(sh("echo starting; echo 'listening on http://127.0.0.1:" + (9000 + i) + "'; exec sleep 60")),
          dir.resolve("quiet"), Duration.ofSeconds(20))) {
        assertEquals(List.of("http://127.0.0.1:" + (9000 + i)), pool.endpoints());
      }
    }
  }

  @Test
  void endpointsInServerOrderAndLogsKeepLaterOutput() throws Exception {
    List<List<String>> cmds = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      // Server 0 is the slowest to come up: the endpoints still follow the server order.
      cmds.add(sh("sleep 0." + (3 - i) + "; echo 'listening on http://127.0.0.1:" + (7000 + i) + "'; sleep 0.2; echo after-" + i + "; exec sleep 60"));
    }
    Path logs = dir.resolve("order");
    try (ServerPool pool = ServerPool.startCommands(cmds, logs, Duration.ofSeconds(20))) {
      assertEquals(List.of("http://127.0.0.1:7000", "http://127.0.0.1:7001", "http://127.0.0.1:7002"), pool.endpoints());
      // Output after start-up stays in the log (the old reader lost it once the server was up).
      Path log = logs.resolve("server-2.log");
      long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
      while (!Files.readString(log).contains("after-2") && System.nanoTime() < deadline) {
        Thread.sleep(50);
      }
      assertTrue(Files.readString(log).contains("after-2"), Files.readString(log));
    }
  }

  @Test
  void aStaleLogFromAnEarlierRunIsNotReadAsReady() throws Exception {
    Path logs = dir.resolve("stale");
    Files.createDirectories(logs);
    Files.writeString(logs.resolve("server-0.log"), "listening on http://127.0.0.1:1\n");
    try (ServerPool pool = ServerPool.startCommands(
        List.of(sh("sleep 0.3; echo 'listening on http://127.0.0.1:2'; exec sleep 60")), logs, Duration.ofSeconds(20))) {
      assertEquals(List.of("http://127.0.0.1:2"), pool.endpoints());
    }
  }

  @Test
  void aServerThatExitsFailsAtOnceWithItsStatusAndLogTailAndStopsTheOthers() {
    String marker = "sleep 7" + ProcessHandle.current().pid() % 1000;
    List<List<String>> cmds = List.of(
        sh("echo 'listening on http://127.0.0.1:5'; exec " + marker),
        sh("for i in $(seq 1 30); do echo line $i; done; echo 'boom: no model here' >&2; exit 3"));
    IOException e = assertThrows(IOException.class, () -> ServerPool.startCommands(cmds, dir.resolve("dies"), LONG));
    String msg = e.getMessage();
    String first = msg.lines().findFirst().orElseThrow();
    // Reported as an exit, not as the start-up timeout (LONG) running out.
    assertTrue(first.contains("teacher server 1 exited with status 3 before listening"), first);
    assertTrue(first.contains(dir.resolve("dies").resolve("server-1.log").toAbsolutePath().toString()), first);
    assertTrue(msg.contains("boom: no model here"), msg);
    assertTrue(msg.contains("line 30") && msg.contains("line 12\n"), msg);
    assertFalse(msg.contains("line 11\n"), "only the last " + ServerPool.TAIL_LINES + " lines: " + msg);
    assertTrue(ProcessHandle.current().descendants().noneMatch(h -> h.info().commandLine().orElse("").contains(marker)),
        "the server that did start is stopped");
  }

  @Test
  void aSilentServerTimesOutNamingItAndQuotingItsLog() {
    IOException e = assertThrows(IOException.class, () -> ServerPool.startCommands(
        List.of(sh("echo loading the model; exec sleep 60")), dir.resolve("silent"), Duration.ofSeconds(1)));
    assertTrue(e.getMessage().contains("teacher server 0 printed no 'listening on' line within 1 s (still running)"), e.getMessage());
    assertTrue(e.getMessage().contains("loading the model"), e.getMessage());
  }

  @Test
  void realServeChildrenComeUpOnDistinctPortsAndAnswer() throws Exception {
    Path logs = dir.resolve("real");
    HttpClient http = HttpClient.newHttpClient();
    try (ServerPool pool = ServerPool.start(2, List.of("--mock"), logs, LONG)) {
      assertEquals(2, pool.endpoints().size());
      assertEquals(2, new HashSet<>(pool.endpoints()).size(), "distinct ports: " + pool.endpoints());
      for (String url : pool.endpoints()) {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(url + "/health")).build(),
            HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), url + ": " + r.body());
      }
    }
    assertTrue(Files.readString(logs.resolve("server-0.log")).contains("listening on http://127.0.0.1:"));
  }

  @Test
  void realServeWithAMissingModelFailsFastWithItsError() {
    Path missing = dir.resolve("no-such-model");
    IOException e = assertThrows(IOException.class,
        () -> ServerPool.start(1, List.of("--model", missing.toString()), dir.resolve("bad"), LONG));
    assertTrue(e.getMessage().lines().findFirst().orElseThrow().contains("exited with status 2 before listening"), e.getMessage());
    assertTrue(e.getMessage().contains("retort serve: checkpoint folder " + missing + " does not exist"),
        "the server's own error line is quoted: " + e.getMessage());
  }

  /** After a SIGKILL of retort run no shutdown hook stops its children: they watch it themselves. */
  @Test
  void aRealServeStopsWhenItsParentIsGone() throws Exception {
    Process parent = new ProcessBuilder("sleep", "120").start();
    java.util.List<String> cmd = new java.util.ArrayList<>(ServerPool.javaCommand());
    cmd.addAll(List.of("serve", "--mock", "--port", "0", "--parent-pid", Long.toString(parent.pid())));
    Path log = dir.resolve("orphan.log");
    Process child = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    try {
      long deadline = System.nanoTime() + LONG.toNanos();
      while (!(Files.exists(log) && Files.readString(log).contains("listening on")) && child.isAlive()
          && System.nanoTime() < deadline) {
        Thread.sleep(100);
      }
      assertTrue(child.isAlive(), "serve is up while its parent lives: " + Files.readString(log));
      parent.destroyForcibly().waitFor();
      assertTrue(child.waitFor(30, java.util.concurrent.TimeUnit.SECONDS), "serve outlived its parent");
      assertEquals(143, child.exitValue());
      assertTrue(Files.readString(log).contains("parent process " + parent.pid() + " is gone"), Files.readString(log));
    } finally {
      child.destroyForcibly();
      parent.destroyForcibly();
    }
  }
}
