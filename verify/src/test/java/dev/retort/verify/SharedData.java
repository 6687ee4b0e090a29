package dev.retort.verify;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Finds ../shared (or -Dretort.shared) and reads its JSONL files; skips tests when it is absent. */
final class SharedData {
  private static final ObjectMapper JSON = new ObjectMapper();

  private SharedData() {}

  static Path root() {
    String prop = System.getProperty("retort.shared");
    Path p = prop != null && !prop.isBlank() ? Path.of(prop) : Path.of("..", "..", "shared");
    if (!Files.isDirectory(p)) {
      p = Path.of("..", "shared");
    }
    return p.toAbsolutePath().normalize();
  }

  /** The rows of shared/REL, or a skipped test (with the path it looked at) when missing. */
  static List<JsonNode> rows(String rel) {
    Path file = root().resolve(rel);
    assumeTrue(Files.isRegularFile(file),
        "shared data not found at " + file + " (set -Dretort.shared=PATH to the shared folder); skipping");
    List<JsonNode> out = new ArrayList<>();
    try {
      for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
        if (!line.isBlank()) {
          out.add(JSON.readTree(line));
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out;
  }
}
