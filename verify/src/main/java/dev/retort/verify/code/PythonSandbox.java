package dev.retort.verify.code;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs untrusted Python against tests in a sandbox made with bubblewrap (Debian package
 * {@code bubblewrap}), started through {@link ProcessBuilder}.
 *
 * <p>What the sandbox gives a solution, and what enforces it:
 * <ul>
 *   <li>no network: a new, empty network namespace ({@code --unshare-all});</li>
 *   <li>no host files: only {@code /usr} (and the interpreter's prefix) mounted read-only, a
 *       fresh {@code /dev} and {@code /proc}, the sandbox's root and {@code /dev} remounted
 *       read-only; the only writable place is a private tmpfs {@code /tmp} of
 *       {@link CodeLimits#tmpBytes()} bytes;</li>
 *   <li>CPU, memory and file size: RLIMIT_CPU, RLIMIT_AS and RLIMIT_FSIZE set on each test's
 *       process by the harness ({@code harness.py}) inside the sandbox;</li>
 *   <li>processes: RLIMIT_NPROC, which the kernel counts per user namespace, so per sandbox. Root
 *       is exempt from it, so when this JVM runs as root the sandbox is started as user 65534
 *       through {@code setpriv} (util-linux);</li>
 *   <li>wall time and output size: the harness kills a test's processes when either is passed,
 *       and after each test kills every process left in the sandbox's pid namespace;</li>
 *   <li>the whole tree: {@code --die-with-parent} and a pid namespace, so killing the sandbox
 *       (on close, or by this class's watchdog when the harness stops answering) kills all.</li>
 * </ul>
 * A response's tests share one sandbox and one interpreter start; each test is still a fresh
 * forked process. Expected outputs never enter the sandbox: the harness reports what ran, this
 * side judges it.
 *
 * <p>{@link Mode#UNSAFE_LOCAL} runs the same harness with no isolation (limits per process
 * only; no network, file or process-count isolation), for trusted single-user setups that lack
 * bubblewrap; it must be chosen explicitly and is logged as unsafe.
 */
public final class PythonSandbox {
  private static final Logger LOG = LoggerFactory.getLogger(PythonSandbox.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String HARNESS = loadHarness();
  /** Extra time the watchdog gives a test over its wall limit before it kills the sandbox. */
  private static final long WATCHDOG_SLACK_MS = 10_000;
  /** How long a closed sandbox may take to exit by itself before it is killed. */
  private static final long EXIT_GRACE_MS = 2_000;
  private static final ScheduledExecutorService WATCHDOG = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "code-sandbox-watchdog");
    t.setDaemon(true);
    return t;
  });
  /**
   * Sandboxes running at once in this JVM, across verifiers and Spark tasks: one per core unless
   * the system property {@code retort.code.concurrency} says otherwise.
   */
  private static final Semaphore SLOTS = new Semaphore(
      Integer.getInteger("retort.code.concurrency", Runtime.getRuntime().availableProcessors()), true);

  /** How solutions are isolated. */
  public enum Mode {
    /** bubblewrap namespaces plus resource limits (the default). */
    BWRAP("bwrap"),
    /** No isolation beyond per-process limits: trusted single-user setups only. */
    UNSAFE_LOCAL("unsafe-local");

    private final String code;

    Mode(String code) {
      this.code = code;
    }

    public String code() {
      return code;
    }

    public static Mode parse(String s) {
      String t = s == null ? "" : s.strip().toLowerCase(Locale.ROOT);
      for (Mode m : values()) {
        if (m.code.equals(t)) {
          return m;
        }
      }
      throw new IllegalArgumentException("unknown sandbox '" + s + "'; expected bwrap or unsafe-local");
    }
  }

  /** The sandbox cannot be used here (tool missing, namespaces refused); the message says what to do. */
  public static final class UnavailableException extends IllegalStateException {
    private static final long serialVersionUID = 1L;

    UnavailableException(String message) {
      super(message);
    }
  }

  /**
   * What one test's run reported.
   *
   * @param status exit, compile, memory, cpu, wall, output_limit, file_limit, signal, or lost (the
   *     sandbox died or stopped answering)
   * @param exitCode the exit code when status is exit, else -1
   * @param signal the signal that ended the process, else 0
   * @param completed whether an assertion test's program ran to its end
   */
  public record Run(String status, int exitCode, int signal, String stdout, String stderr, double cpuSeconds,
      double wallSeconds, boolean completed) {
    static Run lost(String why) {
      return new Run("lost", -1, 0, "", why, 0, 0, false);
    }
  }

  private final Mode mode;
  private final List<String> prefix;
  private final String python;

  private PythonSandbox(Mode mode, List<String> prefix, String python) {
    this.mode = mode;
    this.prefix = prefix;
    this.python = python;
  }

  /**
   * A sandbox of the given mode, checked by running the interpreter in it once.
   *
   * @throws UnavailableException when bubblewrap (or, as root, setpriv) is missing or refuses to run
   */
  public static PythonSandbox create(Mode mode) {
    String python = findPython();
    if (mode == Mode.UNSAFE_LOCAL) {
      LOG.warn("code sandbox: unsafe-local: solutions run WITHOUT isolation (no network, file or process-count "
          + "isolation); only for trusted single-user setups");
      return new PythonSandbox(mode, List.of(), python);
    }
    // -Dretort.code.bwrap=PATH names the executable (a non-standard install); else bwrap from PATH.
    String bwrap = System.getProperty("retort.code.bwrap");
    bwrap = bwrap == null ? onPath("bwrap") : Files.isExecutable(Path.of(bwrap)) ? bwrap : null;
    if (bwrap == null) {
      throw new UnavailableException("code verification needs bubblewrap (bwrap) to sandbox solutions and it is not "
          + "installed: apt-get install -y bubblewrap (see README, set-up); or choose the sandbox 'unsafe-local' "
          + "for a trusted single-user setup");
    }
    List<String> cmd = new ArrayList<>();
    if (isRoot()) {
      String setpriv = onPath("setpriv");
      if (setpriv == null) {
        throw new UnavailableException("running as root, code verification needs setpriv (util-linux) to start the "
            + "sandbox as an unprivileged user, so that its process limit holds; install util-linux");
      }
      cmd.addAll(List.of(setpriv, "--reuid=65534", "--regid=65534", "--clear-groups"));
    }
    cmd.add(bwrap);
    cmd.addAll(List.of("--ro-bind", "/usr", "/usr"));
    for (String dir : List.of("/bin", "/sbin", "/lib", "/lib64", "/lib32")) {
      Path p = Path.of(dir);
      if (Files.isSymbolicLink(p)) {
        try {
          cmd.addAll(List.of("--symlink", Files.readSymbolicLink(p).toString(), dir));
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      } else if (Files.isDirectory(p)) {
        cmd.addAll(List.of("--ro-bind", dir, dir));
      }
    }
    Path prefixDir = Path.of(python).getParent().getParent();
    if (!prefixDir.startsWith("/usr")) {
      cmd.addAll(List.of("--ro-bind", prefixDir.toString(), prefixDir.toString()));
    }
    // --as-pid-1: the harness is the pid namespace's init, which reaps every process in it (with
    // bubblewrap's own init in between, the CPU time of the sandbox's processes would be lost to
    // the caller's accounting).
    cmd.addAll(List.of("--dev", "/dev", "--proc", "/proc", "--unshare-all", "--as-pid-1", "--die-with-parent",
        "--new-session"));
    PythonSandbox box = new PythonSandbox(mode, List.copyOf(cmd), python);
    box.probe();
    return box;
  }

  public Mode mode() {
    return mode;
  }

  /** Runs a trivial program once; a sandbox that cannot start says why here, not per response. */
  private void probe() {
    try (Session s = open("print(6 * 7)", false, CodeLimits.defaults())) {
      Run r = s.run(CodeTest.io("", "42"));
      if (!"exit".equals(r.status()) || !r.stdout().strip().equals("42")) {
        throw new UnavailableException("the bubblewrap sandbox does not run here: " + diagnose()
            + " (needs unprivileged user namespaces, and an interpreter user 65534 can read when run as root; "
            + "-Dretort.code.python=PATH chooses it)");
      }
    }
  }

  /** What bubblewrap says when it starts the interpreter with nothing else around. */
  private String diagnose() {
    List<String> cmd = new ArrayList<>(prefix);
    cmd.addAll(List.of("--", python, "-c", "pass"));
    try {
      Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
      p.getOutputStream().close();
      byte[] out = p.getInputStream().readNBytes(2000);
      if (!p.waitFor(10, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        return "bwrap did not finish in 10 s";
      }
      String text = new String(out, StandardCharsets.UTF_8).strip();
      return "exit " + p.exitValue() + (text.isEmpty() ? "" : ": " + text);
    } catch (IOException e) {
      return e.getMessage();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "interrupted";
    }
  }

  /**
   * Starts a sandbox for one solution; its tests are then run one by one. Holds one of the JVM's
   * sandbox slots until closed.
   *
   * @param assertions whether tests are assertion programs (else stdin/stdout pairs)
   */
  public Session open(String code, boolean assertions, CodeLimits limits) {
    try {
      SLOTS.acquire();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted waiting for a code sandbox slot", e);
    }
    try {
      return new Session(code, assertions, limits);
    } catch (IOException | RuntimeException e) {
      SLOTS.release();
      throw e instanceof RuntimeException re ? re : new UncheckedIOException((IOException) e);
    }
  }

  /** One running sandbox. Not thread-safe. */
  public final class Session implements AutoCloseable {
    private final Process process;
    private final OutputStream requests;
    private final BufferedReader results;
    private final CodeLimits limits;
    private final Path localWork;
    private boolean closed;
    private volatile boolean killed;

    private Session(String code, boolean assertions, CodeLimits limits) throws IOException {
      this.limits = limits;
      List<String> cmd = new ArrayList<>(prefix);
      ObjectNode job = JSON.createObjectNode();
      if (mode == Mode.BWRAP) {
        // The root and /dev that bubblewrap builds are tmpfs mounts too: made read-only, so the sized /tmp
        // is the one writable place.
        cmd.addAll(List.of("--size", Long.toString(limits.tmpBytes()), "--tmpfs", "/tmp", "--remount-ro", "/",
            "--remount-ro", "/dev", "--chdir", "/tmp", "--"));
        localWork = null;
        job.put("isolated", true);
      } else {
        localWork = Files.createTempDirectory("retort-code-");
        job.put("work", localWork.resolve("work").toString());
        job.put("isolated", false);
      }
      cmd.addAll(List.of(python, "-I", "-S", "-c", HARNESS));
      job.put("cpu_s", limits.cpuSeconds());
      job.put("wall_s", limits.wallSeconds());
      job.put("mem_bytes", limits.memoryBytes());
      job.put("out_bytes", limits.outputBytes());
      job.put("file_bytes", limits.fileBytes());
      job.put("nproc", limits.processes());
      job.put("mode", assertions ? "assert" : "stdio");
      job.put("code", code);
      ProcessBuilder pb = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD);
      pb.environment().clear();
      pb.environment().put("PATH", "/usr/local/bin:/usr/bin:/bin");
      pb.environment().put("LANG", "C.UTF-8");
      pb.environment().put("PYTHONIOENCODING", "utf-8");
      pb.environment().put("PYTHONHASHSEED", "0");
      process = pb.start();
      requests = process.getOutputStream();
      results = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
      try {
        send(job);
      } catch (IOException e) {
        // The sandbox exited at once (bubblewrap refused to start): its tests report it as lost.
        killed = true;
      }
    }

    private void send(JsonNode node) throws IOException {
      requests.write(JSON.writeValueAsBytes(node));
      requests.write('\n');
      requests.flush();
    }

    /** Runs one test in a fresh process; never throws for what the solution does. */
    public Run run(CodeTest test) {
      if (closed || killed) {
        return Run.lost(closed ? "sandbox closed" : "the sandbox did not start or was killed");
      }
      ObjectNode t = JSON.createObjectNode();
      if (test.isAssertion()) {
        t.put("assert", test.assertion());
      } else {
        t.put("input", test.input());
      }
      long budget = (long) (limits.wallSeconds() * 1000) + WATCHDOG_SLACK_MS;
      ScheduledFuture<?> dog = WATCHDOG.schedule(this::kill, budget, TimeUnit.MILLISECONDS);
      try {
        send(t);
        String line = results.readLine();
        if (line == null) {
          return Run.lost(killed ? "the sandbox stopped answering and was killed" : "the sandbox exited");
        }
        JsonNode r = JSON.readTree(line);
        return new Run(r.path("status").asText("lost"), r.path("exit").asInt(-1), r.path("signal").asInt(0),
            r.path("stdout").asText(""), r.path("stderr").asText(""), r.path("cpu_s").asDouble(),
            r.path("wall_s").asDouble(), r.path("done").asBoolean(false));
      } catch (IOException e) {
        return Run.lost("sandbox I/O failed: " + e.getMessage());
      } finally {
        dog.cancel(false);
      }
    }

    private void kill() {
      killed = true;
      process.descendants().forEach(ProcessHandle::destroyForcibly);
      process.destroyForcibly();
    }

    /** Kills the sandbox and everything in it, and frees its slot. */
    @Override
    public void close() {
      if (closed) {
        return;
      }
      closed = true;
      try {
        try {
          requests.close();
        } catch (IOException ignored) {
          // the harness may already be gone
        }
        // On end of input the harness exits by itself (it already killed what each test left);
        // an orderly exit lets every process be reaped by its parent, so their CPU time is
        // accounted to this JVM. Whatever is still there after the grace period is killed.
        try {
          if (!process.waitFor(EXIT_GRACE_MS, TimeUnit.MILLISECONDS)) {
            kill();
            process.waitFor(5, TimeUnit.SECONDS);
          }
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          kill();
        }
        if (localWork != null) {
          deleteTree(localWork);
        }
      } finally {
        SLOTS.release();
      }
    }
  }

  private static void deleteTree(Path dir) {
    try (Stream<Path> s = Files.walk(dir)) {
      s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException ignored) {
      // a temp dir left behind is harmless
    }
  }

  /**
   * The interpreter solutions run with: the system's {@code /usr/bin/python3} when present (as
   * root the sandbox runs as an unprivileged user, who may not read a private interpreter), else
   * the first {@code python3} on PATH; the system property {@code retort.code.python} overrides.
   */
  static String findPython() {
    String chosen = System.getProperty("retort.code.python");
    if (chosen == null && Files.isExecutable(Path.of("/usr/bin/python3"))) {
      chosen = "/usr/bin/python3";
    }
    if (chosen == null) {
      chosen = onPath("python3");
    }
    if (chosen == null) {
      throw new UnavailableException("code verification needs python3 and none was found");
    }
    return chosen;
  }

  static String onPath(String name) {
    String path = System.getenv().getOrDefault("PATH", "/usr/bin:/bin");
    for (String dir : (path + ":/usr/bin:/usr/sbin").split(":")) {
      if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, name))) {
        return Path.of(dir, name).toString();
      }
    }
    return null;
  }

  static boolean isRoot() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith("Uid:")) {
          return line.split("\\s+")[1].equals("0");
        }
      }
    } catch (IOException ignored) {
      // not Linux: bubblewrap is not there either
    }
    return false;
  }

  private static String loadHarness() {
    try (InputStream in = PythonSandbox.class.getResourceAsStream("harness.py")) {
      if (in == null) {
        throw new IllegalStateException("harness.py missing from the classpath");
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
