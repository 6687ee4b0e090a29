package dev.retort.verify;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.retort.core.io.SharedFolder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Reads the shared folder's JSONL files ({@link SharedFolder}); skips tests when it is absent outside CI. */
final class SharedData {
  private static final ObjectMapper JSON = new ObjectMapper();

  private SharedData() {}

  /** The rows of shared/REL, or a skipped test when missing (a failure in CI: {@link SharedFolder}). */
  static List<JsonNode> rows(String rel) {
    Path file = SharedFolder.resolve(rel);
    assumeTrue(file != null && Files.isRegularFile(file),
        "shared/" + rel + " not found (set -Dretort.shared=PATH to the shared folder); skipping");
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
