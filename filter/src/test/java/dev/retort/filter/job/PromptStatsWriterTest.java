package dev.retort.filter.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.retort.core.io.Json;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PromptStatsWriterTest {
  @TempDir Path dir;

  @Test
  void writesOneJsonLinePerPromptAndMovesTheFileIntoPlaceOnClose() throws Exception {
    Path file = dir.resolve("prompt_stats/part-00000.jsonl");
    PromptStatsWriter w = new PromptStatsWriter(file);
    w.write("p-1", "gsm8k", 4, 3, 2, List.of());
    w.write("p \"2\"", null, 2, 0, 0, List.of("contaminated:math500", "duplicate_prompt"));
    assertFalse(Files.exists(file), "nothing in place before close");
    w.close();
    List<String> lines = Files.readAllLines(file);
    assertEquals(2, lines.size());
    JsonNode a = Json.MAPPER.readTree(lines.get(0));
    assertEquals("p-1", a.get("prompt_id").asText());
    assertEquals(0.75, a.get("pass_rate").asDouble(), 1e-12);
    assertEquals(2, a.get("accepted").asInt());
    JsonNode b = Json.MAPPER.readTree(lines.get(1));
    assertEquals("p \"2\"", b.get("prompt_id").asText());
    assertTrue(b.get("source").isNull());
    assertEquals("duplicate_prompt", b.get("prompt_reasons").get(1).asText());
  }

  @Test
  void anAbortedWriterLeavesNothing() throws Exception {
    Path file = dir.resolve("prompt_stats/part-00001.jsonl");
    PromptStatsWriter w = new PromptStatsWriter(file);
    w.write("p-1", "s", 1, 1, 1, List.of());
    w.abort();
    try (var s = Files.list(file.getParent())) {
      assertEquals(0, s.count());
    }
    new PromptStatsWriter(dir.resolve("none/part.jsonl")).close();
    assertFalse(Files.exists(dir.resolve("none")), "no prompt, no file");
  }
}
