package dev.retort.pipelines.run;

import dev.retort.core.store.Location;
import dev.retort.core.store.Manifest;
import dev.retort.core.store.Store;
import dev.retort.core.store.Stores;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Local files for the parts of the pipeline that need them (DJL trainers and their child JVMs, the
 * teacher servers, logs), standing for locations on the run's store.
 *
 * <p>A local location is its own local file: nothing is copied, so a local run reads and writes
 * exactly the paths it always did. A location on another store (hdfs://, s3a://) is mirrored under
 * the local cache ({@link Stores#cacheDir()}), at {@code mirror/<scheme>/<authority>/<path>}: inputs
 * are fetched from the store, outputs are written in the mirror and published back with
 * {@link Stores#publish} (markers last). The store is the truth; the mirror is a cache of it, and a
 * copy is taken at most once per process ("current" below) unless the store holds a newer complete
 * output.
 */
final class Staging {
  private static final Logger LOG = LoggerFactory.getLogger(Staging.class);
  /** Remote locations whose mirror this process fetched or wrote: as current as the store, or newer. */
  private final Set<Location> current = ConcurrentHashMap.newKeySet();

  /** The local path standing for {@code l}; nothing is copied. */
  Path path(Location l) {
    if (l.isLocal()) {
      return l.localPath();
    }
    String authority = l.uri().getAuthority() == null ? "_" : l.uri().getAuthority().replace(':', '_');
    String rel = l.uri().getPath().replaceFirst("^/+", "");
    Path p = Stores.cacheDir().resolve("mirror").resolve(l.scheme()).resolve(authority);
    return rel.isEmpty() ? p : p.resolve(rel);
  }

  /** A local path holding what {@code l} holds: {@code l} itself when local, else the mirror, fetched unless current. */
  Path input(Location l) {
    Path p = path(l);
    if (l.isLocal() || isCurrent(l)) {
      return p;
    }
    deleteLocal(p);
    Stores.copyToLocal(l, p);
    current.add(l);
    return p;
  }

  /**
   * A local folder to write {@code l} in: {@code l} itself when local. Else the mirror: a fresh
   * copy of {@code l} when the store holds it complete (a finished trainer then finds itself done);
   * otherwise the mirror's own progress is kept (an interrupted trainer resumes from its local
   * checkpoints, which it checks against its run hash), or, when there is none, whatever partial
   * output the store holds.
   */
  Path output(Location l) {
    Path p = path(l);
    if (l.isLocal() || isCurrent(l)) {
      return p;
    }
    try {
      Store s = Store.of(l);
      boolean complete = s.isFile(l.resolve(Manifest.FILE));
      if (complete || !Files.exists(p)) {
        deleteLocal(p);
        if (s.exists(l)) {
          Stores.copyToLocal(l, p);
        }
      } else {
        LOG.info("{}: incomplete on the store; resuming from the local mirror {}", l, p);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + l + ": " + e.getMessage(), e);
    }
    current.add(l);
    return p;
  }

  /**
   * Publishes what the mirror of {@code l} holds to {@code l} (nothing when local). A folder whose
   * markers ({@code _SUCCESS}, {@code provenance.json}) equal the store's is already there: a writer
   * that found its output complete changed nothing, and it is not copied again.
   */
  void publish(Location l) {
    if (l.isLocal()) {
      return;
    }
    Path p = path(l);
    if (!Files.isDirectory(p)) {
      throw new IllegalStateException("nothing to publish at " + p + " for " + l);
    }
    if (!sameMarkers(p, l)) {
      Stores.publish(p, l);
      LOG.info("published {} to {}", p, l);
    }
    current.add(l);
  }

  private boolean isCurrent(Location l) {
    for (Location a = l; a != null; a = a.parent()) {
      if (current.contains(a)) {
        return true;
      }
    }
    return false;
  }

  private static boolean sameMarkers(Path local, Location l) {
    for (String marker : new String[] {Manifest.FILE, "provenance.json"}) {
      Path f = local.resolve(marker);
      if (!Files.isRegularFile(f)) {
        return false;
      }
      Location g = l.resolve(marker);
      try {
        Store s = Store.of(g);
        if (!s.isFile(g)) {
          return false;
        }
        try (InputStream in = s.open(g)) {
          if (!Arrays.equals(in.readAllBytes(), Files.readAllBytes(f))) {
            return false;
          }
        }
      } catch (IOException e) {
        return false;
      }
    }
    return true;
  }

  private static void deleteLocal(Path p) {
    if (!Files.exists(p)) {
      return;
    }
    try (var walk = Files.walk(p)) {
      for (Path f : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.delete(f);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot clear " + p + ": " + e.getMessage(), e);
    }
  }
}
