package dev.retort.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.retort.core.io.Json;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The handoff files are complete and syntactically valid (no GPU here to run them). */
class TrlHandoffTest {
  @TempDir Path tmp;

  @Test
  void writesValidLaunchFiles() throws Exception {
    Path data = TestData.sft(tmp.resolve("sft"), 5, 1);
    Path dir = tmp.resolve("handoff");
    List<Path> files = TrlHandoff.write(TestData.tiny("lr=2e-4", "min-lr-ratio=0.1"), data, dir);
    for (Path f : files) {
      assertTrue(Files.isRegularFile(f), f.toString());
    }
    JsonNode s = Json.read(dir.resolve(TrlHandoff.SETTINGS));
    assertEquals(2e-4, s.get("lr").asDouble());
    assertEquals(data.toAbsolutePath().normalize().toString(), s.get("data").asText());
    assertTrue(s.get("random_init").asBoolean());
    assertTrue(Files.isRegularFile(dir.resolve("init/config.json")));
    String yaml = Files.readString(dir.resolve(TrlHandoff.ACCELERATE), StandardCharsets.UTF_8);
    assertTrue(yaml.contains("fsdp_transformer_layer_cls_to_wrap: Qwen2DecoderLayer"), yaml);
    assertTrue(Files.isExecutable(dir.resolve(TrlHandoff.LAUNCH)));
    assumeTrue(onPath("bash") && onPath("python3"), "bash and python3 are needed for the syntax checks");
    run(dir, "bash", "-n", TrlHandoff.LAUNCH);
    run(dir, "python3", "-m", "py_compile", TrlHandoff.SCRIPT);
  }

  private static boolean onPath(String cmd) {
    try {
      return new ProcessBuilder("sh", "-c", "command -v " + cmd).start().waitFor() == 0;
    } catch (IOException | InterruptedException e) {
      return false;
    }
  }

  private static void run(Path dir, String... cmd) throws Exception {
    Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertEquals(0, p.waitFor(), String.join(" ", cmd) + ": " + out);
  }
}
