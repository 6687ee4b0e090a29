package dev.retort.pipelines.cli;

/**
 * Ends a child JVM when the {@code retort run} that started it is gone. The parent's shutdown hook
 * stops its children on a normal exit or SIGTERM, but not after SIGKILL or an OOM kill; an orphaned
 * trainer would then keep writing the folder that the rerun trains into. Halting is as safe as a
 * kill: checkpoints and outputs are written to a temporary name and renamed.
 */
final class ParentWatch {
  private ParentWatch() {}

  /** Starts the watch when {@code parentPid} is positive. */
  static void start(long parentPid) {
    if (parentPid <= 0) {
      return;
    }
    Thread t = new Thread(() -> {
      while (ProcessHandle.of(parentPid).map(ProcessHandle::isAlive).orElse(false)) {
        try {
          Thread.sleep(1000);
        } catch (InterruptedException e) {
          return;
        }
      }
      System.err.println("retort: parent process " + parentPid + " is gone; stopping");
      Runtime.getRuntime().halt(143);
    }, "retort-parent-watch");
    t.setDaemon(true);
    t.start();
  }
}
