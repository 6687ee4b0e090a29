package dev.retort.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.retort.verify.code.CodeExtractor;
import dev.retort.verify.code.CodeLimits;
import dev.retort.verify.code.CodeTest;
import dev.retort.verify.code.CodeVerdict;
import dev.retort.verify.code.CodeVerifier;
import dev.retort.verify.code.PythonSandbox;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.SocketTimeoutException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code retort bench code-verify}: the code verifier on public problems (data/code).
 *
 * <ol>
 *   <li>accuracy: every reference solution must be accepted ({@code accepted_ref}); every broken
 *       variant must get the verdict plain python3 gave it ({@code broken_rejected}, and per
 *       transformation on stderr);</li>
 *   <li>containment: the hostile programs (fork bomb, infinite output, loopback connection,
 *       writes and reads outside the temp dir, sleeping past the wall limit, a detached child)
 *       must not be accepted and leave nothing behind ({@code contained=N/M});</li>
 *   <li>speed: the reference solutions with each problem's tests repeated to
 *       {@code --tests-per-response} tests (short tests, run in one sandbox per response), and the
 *       same programs run unsandboxed, one {@code python3} process per test. Core-seconds are this
 *       JVM's CPU time plus that of all its reaped child processes (/proc/self/stat), so the
 *       sandbox's own processes count; {@code sandbox_over_bare} is core-seconds per execution
 *       sandboxed over unsandboxed.</li>
 * </ol>
 */
@Command(name = "code-verify", mixinStandardHelpOptions = true,
    description = "Benchmark: sandboxed code verification on public problems; ends with RESULT code-verify ...")
public final class CodeVerifyBench implements Callable<Integer> {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final long TICKS_PER_SECOND = 100; // USER_HZ on Linux

  @Option(names = "--data", paramLabel = "DIR",
      description = "Folder with function.jsonl, stdio.jsonl and broken.jsonl (default: data/code of the project).")
  Path data;

  @Option(names = "--tests-per-response", defaultValue = "5",
      description = "Tests run per response in the speed phase (default: ${DEFAULT-VALUE}).")
  int testsPerResponse;

  @Option(names = "--rounds", defaultValue = "2", description = "Speed phase passes over the problems (default: ${DEFAULT-VALUE}).")
  int rounds;

  @Option(names = "--skip-broken", description = "Skip the broken variants (their infinite loops take most of the time).")
  boolean skipBroken;

  @Override
  public Integer call() throws Exception {
    Path dir = data != null ? data : Path.of(System.getProperty("retort.home", "."), "data", "code");
    List<JsonNode> refs = new ArrayList<>(read(dir.resolve("function.jsonl")));
    refs.addAll(read(dir.resolve("stdio.jsonl")));
    int cores = Runtime.getRuntime().availableProcessors();
    CodeVerifier verifier = new CodeVerifier(PythonSandbox.Mode.BWRAP, CodeLimits.defaults());
    verifier.sandbox();
    System.err.printf("bench code-verify: %d reference solutions from %s, %d cores%n", refs.size(), dir, cores);

    List<CodeVerdict> refVerdicts = verifyAll(verifier, refs, 1, cores);
    long accepted = refVerdicts.stream().filter(CodeVerdict::correct).count();
    for (int i = 0; i < refs.size(); i++) {
      if (!refVerdicts.get(i).correct()) {
        System.err.printf("  reference NOT accepted: %s %s%n", refs.get(i).get("id").asText(), refVerdicts.get(i).reason());
      }
    }

    long brokenRight = 0;
    long brokenTotal = 0;
    if (!skipBroken) {
      List<JsonNode> broken = read(dir.resolve("broken.jsonl"));
      List<CodeVerdict> bv = verifyAll(verifier, broken, 1, cores);
      Map<String, long[]> byHow = new TreeMap<>();
      for (int i = 0; i < broken.size(); i++) {
        JsonNode b = broken.get(i);
        String key = b.get("transformation").asText() + " -> " + b.get("expected").asText();
        long[] c = byHow.computeIfAbsent(key, k -> new long[2]);
        c[1]++;
        if (bv.get(i).reason().equals(b.get("expected").asText())) {
          c[0]++;
        } else {
          System.err.printf("  broken variant misjudged: %s %s: %s%n", b.get("id").asText(), key, bv.get(i).reason());
        }
      }
      for (var e : byHow.entrySet()) {
        System.err.printf("  broken %-34s %d/%d with that reason%n", e.getKey(), e.getValue()[0], e.getValue()[1]);
        brokenRight += e.getValue()[0];
        brokenTotal += e.getValue()[1];
      }
    }

    int[] contained = hostile(verifier);

    // Speed: warm-up pass, then measured passes, sandboxed and bare.
    verifyAll(verifier, refs.subList(0, Math.min(10, refs.size())), testsPerResponse, cores);
    long execs = 0;
    double[] t0 = cpuAndWall();
    for (int r = 0; r < rounds; r++) {
      List<CodeVerdict> v = verifyAll(verifier, refs, testsPerResponse, cores);
      execs += v.stream().mapToLong(CodeVerdict::testsRun).sum();
    }
    double[] t1 = cpuAndWall();
    double sandboxCpu = t1[0] - t0[0];
    double sandboxPerCore = execs / sandboxCpu;

    long bareExecs = 0;
    double[] b0 = cpuAndWall();
    for (int r = 0; r < rounds; r++) {
      bareExecs += bare(refs, testsPerResponse, cores);
    }
    double[] b1 = cpuAndWall();
    double barePerCore = bareExecs / (b1[0] - b0[0]);

    System.out.printf("RESULT code-verify executions_per_core_s=%.1f bare_executions_per_core_s=%.1f "
            + "sandbox_over_bare=%.2f accepted_ref=%.4f broken_rejected=%s contained=%d/%d executions=%d "
            + "tests_per_response=%d wall_s=%.1f cpu_s=%.1f cores=%d%n",
        sandboxPerCore, barePerCore, barePerCore / sandboxPerCore, (double) accepted / refs.size(),
        brokenTotal == 0 ? "skipped" : String.format("%.4f", (double) brokenRight / brokenTotal),
        contained[0], contained[1], execs, testsPerResponse, t1[1] - t0[1], sandboxCpu, cores);
    return 0;
  }

  private static List<JsonNode> read(Path file) throws IOException {
    if (!Files.isRegularFile(file)) {
      throw new IllegalArgumentException("--data: file not found: " + file);
    }
    List<JsonNode> out = new ArrayList<>();
    for (String line : Files.readAllLines(file)) {
      if (!line.isBlank()) {
        out.add(JSON.readTree(line));
      }
    }
    return out;
  }

  private static List<CodeTest> tests(JsonNode row, int perResponse) {
    List<CodeTest> base = CodeTest.parse(row.get("tests"));
    if (perResponse <= 1) {
      return base;
    }
    List<CodeTest> out = new ArrayList<>();
    for (int i = 0; out.size() < perResponse; i++) {
      out.add(base.get(i % base.size()));
    }
    return out;
  }

  private static List<CodeVerdict> verifyAll(CodeVerifier v, List<JsonNode> rows, int perResponse, int threads)
      throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      List<Future<CodeVerdict>> fs = new ArrayList<>();
      for (JsonNode r : rows) {
        fs.add(pool.submit(() -> v.run(tests(r, perResponse), r.get("response").asText())));
      }
      List<CodeVerdict> out = new ArrayList<>();
      for (Future<CodeVerdict> f : fs) {
        out.add(f.get());
      }
      return out;
    } finally {
      pool.shutdownNow();
    }
  }

  /** The same programs and tests with plain python3, one process per test; returns the executions. */
  private static long bare(List<JsonNode> rows, int perResponse, int threads) throws Exception {
    Path dir = Files.createTempDirectory("retort-bare-");
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      List<Future<Integer>> fs = new ArrayList<>();
      int n = 0;
      for (JsonNode r : rows) {
        int id = n++;
        fs.add(pool.submit(() -> {
          String code = CodeExtractor.extract(r.get("response").asText()).orElseThrow().source();
          int ran = 0;
          for (CodeTest t : tests(r, perResponse)) {
            Path src = dir.resolve("p" + id + ".py");
            Files.writeString(src, t.isAssertion() ? code + "\n\n" + t.assertion() + "\n" : code);
            ProcessBuilder pb = new ProcessBuilder("/usr/bin/python3", "-I", "-S", src.toString())
                .redirectErrorStream(true).directory(dir.toFile());
            Process p = pb.start();
            p.getOutputStream().write(t.isAssertion() ? new byte[0] : t.input().getBytes());
            p.getOutputStream().close();
            p.getInputStream().readAllBytes();
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
              p.destroyForcibly();
            }
            ran++;
          }
          return ran;
        }));
      }
      long total = 0;
      for (Future<Integer> f : fs) {
        total += f.get();
      }
      return total;
    } finally {
      pool.shutdownNow();
      try (var s = Files.list(dir)) {
        for (Path p : (Iterable<Path>) s::iterator) {
          Files.deleteIfExists(p);
        }
      }
      Files.deleteIfExists(dir);
    }
  }

  /** This JVM's CPU seconds including reaped children (utime+stime+cutime+cstime), and wall seconds. */
  private static double[] cpuAndWall() throws IOException {
    String stat = Files.readString(Path.of("/proc/self/stat"));
    String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    // Fields after the command: state is index 0, so utime (14th field overall) is index 11.
    long ticks = Long.parseLong(f[11]) + Long.parseLong(f[12]) + Long.parseLong(f[13]) + Long.parseLong(f[14]);
    return new double[] {(double) ticks / TICKS_PER_SECOND, System.nanoTime() / 1e9};
  }

  /** Hostile programs: each contained when not accepted and, where it tries, nothing reached the host. */
  private static int[] hostile(CodeVerifier base) throws Exception {
    CodeVerifier v = base.withLimits(CodeLimits.of(1, CodeLimits.DEFAULT_MEMORY_BYTES).withWallSeconds(2)
        .withOutputBytes(64 << 10).withProcesses(16));
    List<CodeTest> escaped = List.of(CodeTest.io("", "escaped"));
    int ok = 0;
    int total = 0;
    String tag = "cvb" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
    Path outside = Path.of(System.getProperty("java.io.tmpdir"), "retort-hostile-" + UUID.randomUUID());
    Files.createDirectories(outside);
    Path secret = outside.resolve("secret.txt");
    Files.writeString(secret, "escaped");
    try (ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      List<String[]> cases = List.of(
          new String[] {"fork bomb", "import os, ctypes\nctypes.CDLL(None).prctl(15, b'" + tag + "', 0, 0, 0)\n"
              + "n = 0\nfor _ in range(100000):\n    try:\n        os.fork(); n += 1\n    except OSError:\n        pass\n"
              + "print('escaped' if n > 1000 else 'contained')"},
          new String[] {"infinite output", "while True:\n    print('escaped' * 100)"},
          new String[] {"network", "import socket\ntry:\n    socket.create_connection(('127.0.0.1', "
              + server.getLocalPort() + "), timeout=1)\n    print('escaped')\nexcept OSError:\n    print('blocked')"},
          new String[] {"write outside", "import os\nok = []\nfor p in ['" + outside.resolve("pwned") + "', '/usr/pwned', "
              + "'/pwned']:\n    try:\n        open(p, 'w').write('x'); ok.append(p)\n    except OSError:\n        pass\n"
              + "print('escaped' if ok else 'blocked')"},
          new String[] {"read host files", "out = []\nfor p in ['" + secret + "', '/etc/passwd']:\n    try:\n"
              + "        out.append(open(p).read())\n    except OSError:\n        pass\n"
              + "print('escaped' if any('escaped' in s or 'root:' in s for s in out) else 'blocked')"},
          new String[] {"sleep past wall", "import time\ntime.sleep(60)\nprint('escaped')"},
          new String[] {"child left behind", "import os, time, ctypes\nif os.fork() == 0:\n    os.setsid()\n"
              + "    ctypes.CDLL(None).prctl(15, b'" + tag + "', 0, 0, 0)\n    time.sleep(60)\n    os._exit(0)\nprint('escaped')"});
      for (String[] c : cases) {
        total++;
        CodeVerdict verdict = v.run(escaped, "```python\n" + c[1] + "\n```");
        boolean held = !verdict.correct() || c[0].equals("child left behind");
        held &= !Files.exists(outside.resolve("pwned")) && !Files.exists(Path.of("/usr/pwned"))
            && !Files.exists(Path.of("/pwned"));
        held &= leftBehind(tag) == 0;
        if (c[0].equals("network")) {
          server.setSoTimeout(200);
          try {
            server.accept().close();
            held = false;
          } catch (SocketTimeoutException expected) {
            // nothing connected
          }
        }
        if (c[0].equals("child left behind")) {
          held &= verdict.correct(); // the program itself ran fine; its child must be gone
        }
        System.err.printf("  hostile %-18s %s (%s)%n", c[0], held ? "contained" : "NOT CONTAINED", verdict.reason());
        ok += held ? 1 : 0;
      }
    } finally {
      Files.deleteIfExists(secret);
      Files.deleteIfExists(outside.resolve("pwned"));
      Files.deleteIfExists(outside);
    }
    return new int[] {ok, total};
  }

  /** Processes on the host named {@code tag}, after a bounded wait for the kernel to reap them. */
  private static long leftBehind(String tag) throws InterruptedException {
    String name = tag.substring(0, Math.min(15, tag.length()));
    long n = 0;
    for (int i = 0; i < 50; i++) {
      n = 0;
      try (var dirs = Files.list(Path.of("/proc"))) {
        for (Path d : (Iterable<Path>) dirs::iterator) {
          try {
            if (Files.readString(d.resolve("comm")).strip().equals(name)) {
              n++;
            }
          } catch (IOException | RuntimeException e) {
            // not a process, or gone
          }
        }
      } catch (IOException e) {
        return -1;
      }
      if (n == 0) {
        return 0;
      }
      Thread.sleep(100);
    }
    return n;
  }
}
