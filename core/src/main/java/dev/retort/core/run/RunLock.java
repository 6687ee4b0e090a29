package dev.retort.core.run;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.retort.core.io.Json;
import dev.retort.core.store.Location;
import dev.retort.core.store.Store;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Optional;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One run per run folder: {@code <run>/.lock} names the holder (host, PID, the process's start
 * time, when it took the lock). It is created exclusively through {@link Store#createNew} (O_EXCL
 * locally, the NameNode's create on HDFS, check-then-write on object stores), so two runs on one
 * folder cannot both write it; the second gets an error naming the holder. A lock whose holder is
 * gone is stale: on the same host (the PID is not alive, or is now another process) it is
 * reported and taken over; from another host it cannot be checked, so the error says how to clear
 * it. Released on {@link #close} and, if the JVM is stopped, by a shutdown hook; after a SIGKILL
 * the next run finds it stale.
 */
public final class RunLock implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(RunLock.class);
  public static final String FILE = ".lock";

  /**
   * What the lock file holds.
   *
   * @param processStart the holder process's start time (ISO-8601), to tell a reused PID apart; may be null
   * @param token random per acquisition, so a run releases only its own lock
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Holder(String host, long pid, String processStart, String since, String token) {
    static Holder current() {
      ProcessHandle me = ProcessHandle.current();
      return new Holder(hostName(), me.pid(), me.info().startInstant().map(Instant::toString).orElse(null),
          Instant.now().toString(), UUID.randomUUID().toString());
    }

    String describe() {
      return "pid " + pid + " on host " + host + " since " + since;
    }
  }

  private final Location file;
  private final Holder holder;
  private final String takenOver;
  private final Thread hook;

  private RunLock(Location file, Holder holder, String takenOver) {
    this.file = file;
    this.holder = holder;
    this.takenOver = takenOver;
    this.hook = new Thread(this::release, "retort-run-lock");
    Runtime.getRuntime().addShutdownHook(hook);
  }

  /**
   * Takes the lock of run folder {@code runRoot}.
   *
   * @throws IllegalStateException when another live run holds it, or a run on another host does
   */
  public static RunLock acquire(Location runRoot) {
    Location file = runRoot.resolve(FILE);
    Store store = Store.of(file);
    String takenOver = null;
    for (int attempt = 0; attempt < 3; attempt++) {
      Holder me = Holder.current();
      try {
        store.mkdirs(runRoot);
        try (OutputStream out = store.createNew(file)) {
          out.write(Json.toJson(me).getBytes(StandardCharsets.UTF_8));
        }
        return new RunLock(file, me, takenOver);
      } catch (java.nio.file.FileAlreadyExistsException | org.apache.hadoop.fs.FileAlreadyExistsException exists) {
        Optional<Holder> h = read(file);
        if (h.isEmpty()) {
          // Being written this instant, or left empty by a crash between create and write.
          sleep(200);
          h = read(file);
          if (h.isEmpty()) {
            throw new IllegalStateException("run folder " + runRoot + " has a lock file " + file
                + " that names no holder; if no run is using this folder, delete it and run again");
          }
        }
        Holder other = h.get();
        if (!other.host().equals(me.host())) {
          throw new IllegalStateException("run folder " + runRoot + " is in use by " + other.describe()
              + " (lock " + file + "); if that run is no longer running, delete the lock file and run again");
        }
        if (alive(other)) {
          throw new IllegalStateException("run folder " + runRoot + " is in use by another run: " + other.describe()
              + "; wait for it to finish (or stop it), or give this run another run.run-id");
        }
        takenOver = "stale lock of " + other.describe() + " (that process is gone)";
        LOG.warn("run folder {}: {}: taking it over", runRoot, takenOver);
        try {
          store.delete(file);
        } catch (IOException e) {
          throw new UncheckedIOException("cannot remove the stale lock " + file + ": " + e.getMessage(), e);
        }
      } catch (IOException e) {
        throw new UncheckedIOException("cannot take the run lock " + file + ": " + e.getMessage(), e);
      }
    }
    throw new IllegalStateException("run folder " + runRoot + ": another run took the lock " + file + " at the same time");
  }

  /** The holder recorded in a lock file, if it can be read. */
  public static Optional<Holder> read(Location file) {
    try (InputStream in = Store.of(file).open(file)) {
      byte[] b = in.readAllBytes();
      return b.length == 0 ? Optional.empty() : Optional.of(Json.MAPPER.readValue(b, Holder.class));
    } catch (IOException | RuntimeException e) {
      return Optional.empty();
    }
  }

  /** Whether the holder's process still runs on this host (the same PID and, where recorded, the same start). */
  static boolean alive(Holder h) {
    Optional<ProcessHandle> p = ProcessHandle.of(h.pid());
    if (p.isEmpty() || !p.get().isAlive()) {
      return false;
    }
    if (h.processStart() == null) {
      return true;
    }
    return p.get().info().startInstant().map(s -> s.toString().equals(h.processStart())).orElse(true);
  }

  /** What was taken over on acquiring (a stale lock's holder), or null. */
  public String takenOver() {
    return takenOver;
  }

  public Holder holder() {
    return holder;
  }

  public Location file() {
    return file;
  }

  @Override
  public void close() {
    try {
      Runtime.getRuntime().removeShutdownHook(hook);
    } catch (IllegalStateException shuttingDown) {
      // the hook runs anyway
    }
    release();
  }

  /** Deletes the lock file if it is still this acquisition's. */
  private void release() {
    Optional<Holder> h = read(file);
    if (h.isPresent() && holder.token().equals(h.get().token())) {
      try {
        Store.of(file).delete(file);
      } catch (IOException e) {
        LOG.warn("cannot remove the run lock {}: {}", file, e.getMessage());
      }
    }
  }

  /** This machine's name as the JDK resolves it (the same in every JVM on the host). */
  static String hostName() {
    try {
      return java.net.InetAddress.getLocalHost().getHostName();
    } catch (IOException e) {
      String h = System.getenv("HOSTNAME");
      return h == null || h.isBlank() ? "unknown" : h;
    }
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
