package dev.retort.core.io;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The project's shared data folder (benchmark files, verifier cases) beside a checkout:
 * {@code -Dretort.shared}, else {@code shared/} next to the checkout ({@code -Dretort.home/../shared}),
 * else {@code ../shared} or {@code ../../shared} from the working folder (a module's folder under
 * Maven). A user's clone has none; CI has one, and there a missing file is an error rather than a
 * skipped check.
 */
public final class SharedFolder {
  private SharedFolder() {}

  /**
   * {@code shared/rel}, or null when it is absent outside CI.
   *
   * @throws IllegalStateException when it is absent and the environment says CI ({@code CI=true})
   */
  public static Path resolve(String rel) {
    List<Path> tried = new ArrayList<>();
    for (Path root : roots()) {
      Path p = root.resolve(rel).toAbsolutePath().normalize();
      if (Files.exists(p)) {
        return p;
      }
      tried.add(p);
    }
    if ("true".equalsIgnoreCase(System.getenv("CI"))) {
      throw new IllegalStateException("shared/" + rel + " not found (tried " + tried
          + "); CI needs the shared folder: set -Dretort.shared=PATH");
    }
    return null;
  }

  private static List<Path> roots() {
    List<Path> out = new ArrayList<>();
    String prop = System.getProperty("retort.shared");
    if (prop != null && !prop.isBlank()) {
      out.add(Path.of(prop));
    }
    String home = System.getProperty("retort.home");
    if (home != null && !home.isBlank()) {
      out.add(Path.of(home).resolve("..").resolve("shared"));
    }
    out.add(Path.of("..", "shared"));
    out.add(Path.of("..", "..", "shared"));
    return out;
  }
}
