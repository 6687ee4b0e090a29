package dev.retort.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.retort.core.io.Json;
import dev.retort.core.run.StageOutput;
import dev.retort.model.Checkpoint;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code trainer = trl} through SftTrainer.run: without a GPU it writes the launch files and stops
 * with one message naming them; with GPUs visible it runs launch.sh (here against a fake
 * {@code nvidia-smi} and a fake {@code accelerate} that records its arguments and saves a model the
 * way TRL does) and takes the saved model up as a complete, loadable output folder.
 */
class TrlTrainerTest {
  @TempDir Path tmp;

  @Test
  void withoutGpuItWritesTheLaunchFilesAndStops() throws Exception {
    Path data = TestData.sft(tmp.resolve("sft"), 5, 1);
    Path bin = fakeBin("none", "nvidia-smi", "echo 'No devices were found'; exit 6");
    Path out = tmp.resolve("student");
    TrainSettings s = TestData.tiny("trainer=trl");
    TrlTrainer.NoGpuException e = assertThrows(TrlTrainer.NoGpuException.class,
        () -> TrlTrainer.run(s, data, out, Map.of("PATH", bin + ":/usr/bin:/bin")));
    Path handoff = out.resolve(TrlTrainer.HANDOFF);
    assertEquals(handoff, e.handoff());
    for (String f : List.of(TrlHandoff.LAUNCH, TrlHandoff.SCRIPT, TrlHandoff.SETTINGS, TrlHandoff.ACCELERATE)) {
      assertTrue(Files.isRegularFile(handoff.resolve(f)), f);
    }
    assertFalse(e.getMessage().contains("\n"), "one line: " + e.getMessage());
    assertTrue(e.getMessage().contains("bash " + handoff.resolve(TrlHandoff.LAUNCH).toAbsolutePath()), e.getMessage());
    assertFalse(Files.exists(out.resolve(StageOutput.SUCCESS)), "no output without training");
    // CUDA_VISIBLE_DEVICES = "" hides GPUs even where nvidia-smi lists them.
    Path gpu = fakeBin("one", "nvidia-smi", "echo 'GPU 0: Fake H200 (UUID: GPU-0)'");
    assertTrue(TrlTrainer.gpusVisible(Map.of("PATH", gpu + ":/usr/bin:/bin")));
    assertFalse(TrlTrainer.gpusVisible(Map.of("PATH", gpu + ":/usr/bin:/bin", "CUDA_VISIBLE_DEVICES", "")));
  }

  @Test
  void withGpusItRunsTheLaunchAndTakesTheModelUp() throws Exception {
    Path data = TestData.sft(tmp.resolve("sft"), 5, 1);
    // A real checkpoint for the fake TRL to "save": the in-process trainer's, two steps.
    Path made = tmp.resolve("made");
    SftTrainer.run(TestData.tiny("max-steps=2"), data, made);
    Path calls = tmp.resolve("accelerate-calls.txt");
    Path bin = fakeBin("gpu", "nvidia-smi", "echo 'GPU 0: Fake H200 (UUID: GPU-0)'");
    fakeBin("gpu", "accelerate", String.join("\n",
        "echo \"$@\" >> '" + calls + "'",
        "out=\"$(pwd)/model\"",
        "mkdir -p \"$out\"",
        "cp '" + made + "'/config.json '" + made + "'/model.safetensors '" + made + "'/tokenizer.json '"
            + made + "'/tokenizer_config.json \"$out\"/",
        "printf '%s' '{\"global_step\": 2, \"num_input_tokens_seen\": 640, \"log_history\": ["
            + "{\"loss\": 2.5, \"step\": 1}, {\"loss\": 2.25, \"step\": 2}, {\"train_runtime\": 3.5, \"step\": 2}]}'"
            + " > \"$out\"/trainer_state.json"));
    assumeTrue(Files.isExecutable(Path.of("/bin/bash")) || Files.isExecutable(Path.of("/usr/bin/bash")), "bash needed");
    Map<String, String> env = Map.of("PATH", bin + ":/usr/bin:/bin");
    Path out = tmp.resolve("student");
    TrainResult r = TrlTrainer.run(TestData.tiny("trainer=trl"), data, out, env);
    assertEquals(2, r.steps());
    assertEquals(2.25, r.finalLoss());
    assertEquals(640, r.tokens());
    assertTrue(Files.isRegularFile(out.resolve(StageOutput.SUCCESS)));
    JsonNode stats = Json.read(out.resolve(StageOutput.STATS));
    assertEquals("trl", stats.get("trainer").asText());
    String args = Files.readString(calls, StandardCharsets.UTF_8).strip();
    Path handoff = out.resolve(TrlTrainer.HANDOFF).toAbsolutePath();
    assertTrue(args.startsWith("launch --config_file " + handoff.resolve(TrlHandoff.ACCELERATE)), args);
    assertTrue(args.contains("--num_processes 1"), args);
    assertTrue(args.endsWith(handoff.resolve(TrlHandoff.SCRIPT) + " --settings " + handoff.resolve(TrlHandoff.SETTINGS)), args);
    try (var nd = ai.djl.ndarray.NDManager.newBaseManager(); var lm = Checkpoint.load(out, nd)) {
      assertTrue(lm.model().numParameters() > 0);
    }
    // Through SftTrainer.run with the same settings: complete, so neither TRL nor DJL runs again.
    TrainResult again = SftTrainer.run(TestData.tiny("trainer=trl"), data, out);
    assertEquals(r.steps(), again.steps());
    assertEquals(1, Files.readAllLines(calls).size(), "launched once");
  }

  /** Writes an executable {@code name} into {@code tmp/bin-<dir>} and returns that folder. */
  private Path fakeBin(String dir, String name, String body) throws Exception {
    Path bin = tmp.resolve("bin-" + dir);
    Files.createDirectories(bin);
    Path f = bin.resolve(name);
    Files.writeString(f, "#!/bin/sh\n" + body + "\n", StandardCharsets.UTF_8);
    Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rwxr-xr-x"));
    return bin;
  }
}
