package dev.retort.pipelines;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import com.fasterxml.jackson.databind.JsonNode;
import dev.retort.core.io.Json;
import dev.retort.train.TrlHandoff;
import dev.retort.train.TrlTrainer;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code train-student.trainer = trl} on a machine without GPUs: the tiny pipeline runs up to the
 * student stage, which writes the TRL launch files into the student's folder (reading the run's
 * filtered SFT view) and stops the run with one line naming them and the command to run.
 */
class TrlStudentStageTest {
  @TempDir Path dir;

  @Test
  void studentStageWritesTheLaunchFilesAndStopsWithoutGpus() throws Exception {
    assumeFalse(TrlTrainer.gpusVisible(Map.of()), "this machine has GPUs: the stage would train");
    List<String> a = new ArrayList<>(List.of("run", Path.of("..", "conf", "local.conf").toString(),
        "--set", "run.work-dir=" + dir.resolve("work"),
        "--set", "run.run-id=trl",
        "--set", "pipeline.teacher-cache=" + dir.resolve("cache")));
    a.addAll(TinyPipeline.settings());
    // conf/local.conf's train-base inherits train-student: keep the base in process here.
    a.addAll(List.of("--set", "train-student.trainer=trl", "--set", "train-base.trainer=djl", "--until", "student"));
    PrintStream old = System.err;
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
    int code;
    try {
      code = RetortCli.execute(a.toArray(String[]::new));
    } finally {
      System.setErr(old);
    }
    String stderr = err.toString(StandardCharsets.UTF_8);
    System.err.print(stderr);
    assertEquals(1, code, stderr);
    Path run = dir.resolve("work").resolve("trl");
    Path handoff = run.resolve("models").resolve("student").resolve(TrlTrainer.HANDOFF);
    String line = stderr.lines().filter(l -> l.contains("trainer = trl needs GPUs")).findFirst().orElse("");
    assertTrue(line.contains("bash " + handoff.resolve(TrlHandoff.LAUNCH).toAbsolutePath()), stderr);
    for (String f : List.of(TrlHandoff.LAUNCH, TrlHandoff.SCRIPT, TrlHandoff.SETTINGS, TrlHandoff.ACCELERATE)) {
      assertTrue(Files.isRegularFile(handoff.resolve(f)), f);
    }
    JsonNode s = Json.read(handoff.resolve(TrlHandoff.SETTINGS));
    assertTrue(s.get("data").asText().endsWith("sft"), "the run's filtered SFT view: " + s.get("data"));
    assertFalse(Files.exists(run.resolve(".pipeline").resolve("student.json")), "the student stage is not marked done");
  }
}
