package dev.retort.teacher.http;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * Resolves a bearer token from an environment variable or a file. Only the variable's name or the
 * file's path ever appear in configs, logs and errors; the token itself is returned to the caller
 * and nowhere else.
 */
public final class ApiKeys {
  private ApiKeys() {}

  /**
   * @return the token, or empty when neither source is configured
   * @throws IllegalArgumentException when a configured source is missing or empty (naming the
   *     source, never the value)
   */
  public static Optional<String> resolve(Optional<String> envName, Optional<Path> file) {
    return resolve(envName, file, "teacher.api-key-env", "teacher.api-key-file", System.getenv());
  }

  /** The same, naming the sources as the caller's user knows them (e.g. --api-key-env). */
  public static Optional<String> resolve(Optional<String> envName, Optional<Path> file, String envLabel, String fileLabel) {
    return resolve(envName, file, envLabel, fileLabel, System.getenv());
  }

  static Optional<String> resolve(Optional<String> envName, Optional<Path> file, String envLabel, String fileLabel,
      Map<String, String> env) {
    if (envName.isPresent() && !envName.get().isBlank()) {
      String v = env.get(envName.get());
      if (v != null && !v.isBlank()) {
        return Optional.of(v.strip());
      }
      if (file.isEmpty()) {
        throw new IllegalArgumentException(envLabel + " names environment variable " + envName.get()
            + ", which is not set or empty");
      }
    }
    if (file.isPresent()) {
      Path f = file.get();
      if (!Files.isRegularFile(f)) {
        throw new IllegalArgumentException(fileLabel + ": no such file " + f);
      }
      try {
        String v = Files.readString(f, StandardCharsets.UTF_8).strip();
        if (v.isEmpty()) {
          throw new IllegalArgumentException(fileLabel + ": " + f + " is empty");
        }
        return Optional.of(v);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read " + fileLabel + " " + f + ": " + e.getMessage(), e);
      }
    }
    return Optional.empty();
  }
}
