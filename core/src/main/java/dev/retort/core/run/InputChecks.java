package dev.retort.core.run;

import dev.retort.core.config.ConfigError;
import dev.retort.core.config.RetortConfig;
import dev.retort.core.store.Location;
import dev.retort.core.store.Manifest;
import dev.retort.core.store.Store;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * The {@code inputs} section: what a stage accepts from its inputs before it does any work. Every
 * default is strict; each tolerance is explicit and lands in the output's provenance.
 *
 * @param allowIncomplete read an upstream folder whose {@code _SUCCESS} is missing or not its producer's
 * @param allowEmpty accept an input without rows
 * @param maxBadFiles files that cannot be read or break the schema, quarantined with the reason
 * @param maxBadRows rows of readable files that break the contract, rejected with the reason
 */
public record InputChecks(boolean allowIncomplete, boolean allowEmpty, int maxBadFiles, long maxBadRows) {
  public static final String SECTION = "inputs";

  public InputChecks {
    if (maxBadFiles < 0) {
      throw new ConfigError(SECTION + ".max-bad-files", null, "must be >= 0");
    }
    if (maxBadRows < 0) {
      throw new ConfigError(SECTION + ".max-bad-rows", null, "must be >= 0");
    }
  }

  public static InputChecks from(RetortConfig config) {
    return config.section(SECTION, InputChecks.class);
  }

  /** Everything strict: the defaults. */
  public static InputChecks strict() {
    return new InputChecks(false, false, 0, 0);
  }

  /**
   * Checks that {@code dir} is a complete output of {@code producer}: its {@code _SUCCESS} is there,
   * its provenance names that stage with the marker's config hash, and every file the marker lists
   * is there with its size. Unless {@link #allowIncomplete}, a folder that is not fails here, with
   * the command that completes it.
   *
   * @param producer the stage that writes the folder ("generate")
   * @param completeWith the command that completes it, for the message
   * @return true when the folder is complete; false when it is not and that is allowed
   * @throws IllegalStateException naming the folder, what is wrong, and the command
   */
  public boolean checkComplete(Location dir, String producer, String completeWith) {
    String problem = incompleteness(dir, producer);
    if (problem == null) {
      return true;
    }
    if (allowIncomplete) {
      return false;
    }
    throw new IllegalStateException(dir + " is not a complete " + producer + " output (" + problem + "); complete it with '"
        + completeWith + "', or read it as it is with --allow-incomplete (inputs.allow-incomplete = true)");
  }

  /** Why {@code dir} is not a complete output of {@code producer}, or null when it is. */
  public static String incompleteness(Location dir, String producer) {
    Manifest m = Manifest.read(dir);
    if (m == null) {
      return "no " + Manifest.FILE;
    }
    Location prov = dir.resolve(Provenance.FILE);
    try {
      if (!Store.of(prov).isFile(prov)) {
        return Manifest.FILE + " without " + Provenance.FILE;
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot check " + prov + ": " + e.getMessage(), e);
    }
    Provenance p;
    try {
      p = Provenance.read(dir);
    } catch (UncheckedIOException | IllegalArgumentException e) {
      return Provenance.FILE + " unreadable";
    }
    if (!producer.equals(p.stage())) {
      return Manifest.FILE + " written by stage '" + p.stage() + "', not " + producer;
    }
    if (!m.configHash().equals(p.configHash())) {
      return Manifest.FILE + " is of another config than " + Provenance.FILE;
    }
    try {
      m.verify(dir);
    } catch (IllegalStateException e) {
      return e.getMessage();
    }
    return null;
  }
}
