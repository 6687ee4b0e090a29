package dev.retort.pipelines.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.retort.core.config.RetortConfig;
import dev.retort.core.data.Prompt;
import dev.retort.core.datasets.Arith;
import dev.retort.core.datasets.ArithSettings;
import dev.retort.core.datasets.PromptReaders;
import dev.retort.core.io.Json;
import dev.retort.pipelines.RetortCli;
import dev.retort.train.SftData;
import dev.retort.train.grpo.BaseData;
import dev.retort.train.grpo.GrpoSettings;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code retort train} end to end through the CLI: an SFT base on answers-only rows, then GRPO from
 * it with {@code train.method = grpo} on a prompts Parquet folder; and the config errors of the
 * method switch. Tiny model, few steps.
 */
class TrainCommandTest {
  @TempDir Path dir;

  /** One CLI call, its output echoed so a failing run shows it. */
  private static CliRun cli(String... args) {
    CliRun r = CliRun.of(args);
    System.out.print(r.out());
    System.err.print(r.err());
    return r;
  }

  private static String[] train(List<String> extra) {
    List<String> a = new ArrayList<>(List.of("train"));
    for (String s : List.of("train.model.hidden-size=32", "train.model.num-layers=1", "train.model.num-heads=2",
        "train.model.num-kv-heads=1", "train.model.intermediate-size=64", "train.seq-len=512", "train.batch-size=4",
        "train.max-steps=3", "train.warmup-steps=1", "train.threads=1", "train.devices=cpu")) {
      a.addAll(List.of("--set", s));
    }
    a.addAll(extra);
    return a.toArray(String[]::new);
  }

  @Test
  void grpoThroughTheCliFromAnSftBase() throws Exception {
    String template = GrpoSettings.defaults("init-from=x").promptTemplate();
    List<Prompt> prompts = Arith.generate(ArithSettings.from(RetortConfig.defaults()).spec(), 7, 8, Arith.Split.TRAIN);
    Path promptsDir = dir.resolve("prompts");
    PromptReaders.writeParquet(promptsDir.resolve("part-0.parquet"), prompts);
    Path sft = SftData.write(dir.resolve("base-sft"), BaseData.answersOnly(prompts, template));
    Path base = dir.resolve("base");
    CliRun sftRun = cli(train(List.of("--data", sft.toString(), "--out", base.toString())));
    assertEquals(0, sftRun.code(), sftRun.err());
    assertTrue(sftRun.out().contains("\"steps\":3"), sftRun.out());

    Path rl = dir.resolve("rl");
    String[] grpo = train(List.of("--set", "train.method=grpo", "--set", "train.init-from=" + Json.toJson(base.toString()),
        "--set", "grpo.steps=2", "--set", "grpo.prompts-per-step=2", "--set", "grpo.group-size=2",
        "--set", "grpo.max-new-tokens=8", "--set", "grpo.threads=1", "--set", "grpo.log-every=1",
        "--data", promptsDir.toString(), "--out", rl.toString()));
    CliRun r = cli(grpo);
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().contains("\"method\":\"grpo\"") && r.out().contains("\"steps\":2"), r.out());
    for (String f : List.of("config.json", "model.safetensors", "tokenizer.json", "provenance.json", "stats.json",
        "metrics.jsonl", "loss.png", "lr.png", "reward.png", "_SUCCESS")) {
      assertTrue(Files.isRegularFile(rl.resolve(f)), f);
    }
    assertEquals(2, Files.readAllLines(rl.resolve("metrics.jsonl")).size());
    String provenance = Files.readString(rl.resolve("provenance.json"));
    assertTrue(provenance.contains("\"grpo\"") && provenance.contains(base.toString()), provenance);

    // Same config and data: the recorded result, no training.
    long mtime = Files.getLastModifiedTime(rl.resolve("model.safetensors")).toMillis();
    CliRun again = cli(grpo);
    assertEquals(0, again.code(), again.err());
    assertEquals(mtime, Files.getLastModifiedTime(rl.resolve("model.safetensors")).toMillis());
  }

  @Test
  void anUnknownMethodIsAConfigErrorNamingTheKey() {
    CliRun r = cli("train", "--set", "train.method=ppo", "--data", dir.toString(), "--out", dir.resolve("out").toString());
    assertEquals(RetortCli.USAGE, r.code());
    assertTrue(r.err().contains("train.method") && r.err().contains("'ppo' is not one of [sft, grpo]"), r.err());
    assertTrue(Files.notExists(dir.resolve("out")));
  }

  @Test
  void grpoNeedsAStartingPolicyAndHasNoHandoff() {
    CliRun none = cli("train", "--set", "train.method=grpo", "--data", dir.toString(), "--out", dir.resolve("out").toString());
    assertEquals(RetortCli.USAGE, none.code());
    assertTrue(none.err().contains("GRPO needs a starting checkpoint (set grpo.init-from or train.init-from)"), none.err());

    CliRun handoff = cli("train", "--set", "train.method=grpo", "--handoff", "trl");
    assertEquals(RetortCli.USAGE, handoff.code());
    assertTrue(handoff.err().contains("--handoff") && handoff.err().contains("train.method is grpo"), handoff.err());
  }

  @Test
  void theRunsSftViewIsReadOnlyWhenTheFilterCompletedIt() throws Exception {
    Path sft = dir.resolve("runs/r/filtered/sft");
    Files.createDirectories(sft);
    Files.writeString(sft.resolve("part-00000.parquet"), "not yet");
    CliRun r = cli("train", "--set", "run.work-dir=\"" + dir.resolve("runs") + "\"", "--set", "run.run-id=r");
    assertTrue(r.code() != 0);
    String err = r.err().strip();
    assertTrue(err.contains(dir.resolve("runs/r/filtered").toString()) && err.contains("is not a complete filter output")
        && err.contains("retort filter") && err.contains("--allow-incomplete"), err);
    assertTrue(Files.notExists(dir.resolve("runs/r/models")), "nothing trained");
  }
}
