package dev.retort.verify.code;

/**
 * Limits of one test's run of a solution, each enforced inside the sandbox (see {@link PythonSandbox}).
 *
 * @param cpuSeconds CPU time of the test's process (RLIMIT_CPU; over it: timeout)
 * @param wallSeconds wall time of the test, processes it started included (over it: timeout)
 * @param memoryBytes address space of each process (RLIMIT_AS; over it: memory_limit)
 * @param outputBytes bytes the test may write to stdout (over it: output_limit)
 * @param fileBytes largest file a process may write in its temp dir (RLIMIT_FSIZE)
 * @param tmpBytes size of the sandbox's private temp dir (a tmpfs of this size)
 * @param processes processes alive at once in the sandbox (RLIMIT_NPROC, counted per sandbox)
 */
public record CodeLimits(double cpuSeconds, double wallSeconds, long memoryBytes, long outputBytes, long fileBytes,
    long tmpBytes, int processes) {
  public static final double DEFAULT_CPU_SECONDS = 2.0;
  public static final long DEFAULT_MEMORY_BYTES = 256L << 20;

  public CodeLimits {
    if (!(cpuSeconds > 0) || !(wallSeconds > 0) || memoryBytes <= 0 || outputBytes <= 0 || fileBytes <= 0
        || tmpBytes <= 0 || processes < 2) {
      throw new IllegalArgumentException("code limits must be positive (processes >= 2): " + this);
    }
  }

  /** 2 s CPU, 256 MB: the defaults of the issue; wall time 2 x CPU + 1 s leaves room for I/O waits. */
  public static CodeLimits defaults() {
    return of(DEFAULT_CPU_SECONDS, DEFAULT_MEMORY_BYTES);
  }

  /** The given CPU and memory limits, the rest derived: 1 MiB of stdout, 16 MiB files, 64 MiB temp dir, 32 processes. */
  public static CodeLimits of(double cpuSeconds, long memoryBytes) {
    return new CodeLimits(cpuSeconds, 2 * cpuSeconds + 1, memoryBytes, 1L << 20, 16L << 20, 64L << 20, 32);
  }

  public CodeLimits withWallSeconds(double s) {
    return new CodeLimits(cpuSeconds, s, memoryBytes, outputBytes, fileBytes, tmpBytes, processes);
  }

  public CodeLimits withOutputBytes(long b) {
    return new CodeLimits(cpuSeconds, wallSeconds, memoryBytes, b, fileBytes, tmpBytes, processes);
  }

  public CodeLimits withProcesses(int n) {
    return new CodeLimits(cpuSeconds, wallSeconds, memoryBytes, outputBytes, fileBytes, tmpBytes, n);
  }
}
