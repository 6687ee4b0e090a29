package dev.retort.train.grpo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.retort.core.data.Prompt;
import dev.retort.core.io.Json;
import dev.retort.core.run.Provenance;
import dev.retort.core.run.StageOutput;
import dev.retort.model.Checkpoint;
import dev.retort.model.ModelConfig;
import dev.retort.train.Checkpoints;
import dev.retort.train.MetricsJsonl;
import dev.retort.train.Snapshots;
import dev.retort.train.TrainControl;
import dev.retort.train.TrainingListener;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * End-to-end GRPO runs on the lucky-digit toy task: the base (SFT on answers-only rows) answers
 * 7 about 30% of the time when sampling, and the verifier rewards only 7.
 */
class GrpoTrainerTest {
  @TempDir
  static Path work;
  static Path base;
  static final List<Prompt> PROMPTS = GrpoFixtures.luckyDigit(10);

  @BeforeAll
  static void trainBase() {
    base = GrpoFixtures.sftBase(work, GrpoFixtures.luckyBaseRows(3), 100, 7);
  }

  @Test
  void raisesTheMeanRewardAndWritesACompleteModelFolder() throws Exception {
    Path out = work.resolve("grpo");
    GrpoSettings s = GrpoFixtures.toyGrpo(base);
    GrpoResult r = GrpoTrainer.run(s, PROMPTS, out);

    assertEquals(15, r.steps());
    assertTrue(r.meanRewardFirst() > 0.05 && r.meanRewardFirst() < 0.6,
        "the base should solve some, not all: " + r.meanRewardFirst());
    assertTrue(r.meanRewardLast() > r.meanRewardFirst() + 0.1,
        "GRPO should raise the mean reward: " + r.meanRewardFirst() + " -> " + r.meanRewardLast());
    assertEquals(r.meanRewardFirst(), r.accuracyFirst(), 1e-12, "no format reward: reward is accuracy");

    for (String f : List.of(Checkpoint.CONFIG, Checkpoint.WEIGHTS, "tokenizer.json", Checkpoint.GENERATION_CONFIG,
        MetricsJsonl.FILE, GrpoCurves.REWARD_PNG, "loss.png", Provenance.FILE, StageOutput.SUCCESS)) {
      assertTrue(Files.isRegularFile(out.resolve(f)), "missing " + f);
    }
    List<JsonNode> rows = MetricsJsonl.read(out.resolve(MetricsJsonl.FILE));
    assertEquals(15, rows.size());
    JsonNode last = rows.get(14);
    for (String k : List.of("reward_mean", "accuracy", "response_length", "clip_frac", "loss", "lr", "tokens_sampled",
        "tokens_trained", "flops")) {
      assertTrue(last.hasNonNull(k), "metrics lack " + k);
    }
    assertTrue(last.has("kl") && last.get("kl").isNull(), "no KL without a reference model");
    assertEquals(r.tokensSampled(), last.get("tokens_sampled").asLong());
    assertEquals(r.tokensTrained(), last.get("tokens_trained").asLong());
    assertEquals(r.flops(), last.get("flops").asDouble(), r.flops() * 1e-12);
    double meanLast = rows.subList(11, 15).stream().mapToDouble(n -> n.get("reward_mean").asDouble()).average().orElseThrow();
    assertEquals(r.meanRewardLast(), meanLast, 1e-9);
    // At least 2N per generated token (sampling) plus 6N per trained token, N from the model's own accounting.
    ModelConfig cfg = ModelConfig.read(base.resolve(Checkpoint.CONFIG));
    double floor = cfg.flopsPerToken(1) * r.tokensSampled() + cfg.trainingFlopsPerToken(1) * r.tokensTrained();
    assertTrue(r.flops() > floor, "flops " + r.flops() + " below " + floor);

    Provenance p = Provenance.read(out);
    assertEquals("grpo", p.config().get("method"));
    assertEquals(s.seed(), p.seed());
    JsonNode stats = Json.read(out.resolve(StageOutput.STATS));
    assertEquals("grpo", stats.get("method").asText());

    // A rerun of the same settings finds _SUCCESS and returns the recorded result without training.
    long before = Files.getLastModifiedTime(out.resolve(Checkpoint.WEIGHTS)).toMillis();
    GrpoResult again = GrpoTrainer.run(s, PROMPTS, out);
    assertEquals(r, again);
    assertEquals(before, Files.getLastModifiedTime(out.resolve(Checkpoint.WEIGHTS)).toMillis());
  }

  @Test
  void aKilledRunResumesToTheWeightsOfAnUninterruptedOne() {
    GrpoSettings s = GrpoFixtures.toyGrpo(base, "steps=4", "checkpoint-every=2", "prompts-per-step=2");
    Path straight = work.resolve("straight");
    GrpoTrainer.run(s, PROMPTS, straight);

    Path killed = work.resolve("killed");
    TrainingListener<GrpoStepMetrics> crash = new TrainingListener<>() {
      @Override
      public void onStep(GrpoStepMetrics m, TrainControl control) {
        if (m.step() == 3) {
          throw new IllegalStateException("simulated kill");
        }
      }
    };
    assertThrows(IllegalStateException.class, () -> GrpoTrainer.run(s, PROMPTS, killed, crash));
    assertFalse(Files.exists(killed.resolve(StageOutput.SUCCESS)));
    assertEquals(2, Checkpoints.readState(new Checkpoints(killed.resolve(Checkpoints.DIR), 2).latest().orElseThrow()).step());

    GrpoResult resumed = GrpoTrainer.run(s, PROMPTS, killed);
    assertEquals(4, resumed.steps());
    Map<String, float[]> a = Checkpoints.readTensors(straight.resolve(Checkpoint.WEIGHTS));
    Map<String, float[]> b = Checkpoints.readTensors(killed.resolve(Checkpoint.WEIGHTS));
    assertEquals(0.0, Checkpoints.maxAbsDiff(a, b), 1e-7, "resume must replay the same samples and updates");
    List<JsonNode> rows = MetricsJsonl.read(killed.resolve(MetricsJsonl.FILE));
    assertEquals(List.of(1L, 2L, 3L, 4L), rows.stream().map(n -> n.get("step").asLong()).toList());
    assertEquals(GrpoTrainer.readResult(straight).tokensSampled(), resumed.tokensSampled());
  }

  @Test
  void drGrpoWithKlAndSeveralUpdatesReportsKlAndClipping() {
    GrpoSettings s = GrpoFixtures.toyGrpo(base, "steps=3", "variant=dr-grpo", "kl-coef=0.05", "updates-per-batch=3",
        "lr=3e-3", "prompts-per-step=3");
    Path out = work.resolve("dr");
    GrpoResult r = GrpoTrainer.run(s, PROMPTS, out);
    assertEquals(3, r.steps());
    List<JsonNode> rows = MetricsJsonl.read(out.resolve(MetricsJsonl.FILE));
    assertEquals(0.0, rows.get(0).get("kl").asDouble(), 1e-6, "the first step's policy is the reference");
    assertTrue(rows.get(2).get("kl").asDouble() > 0, "the policy moved away from the reference");
    assertTrue(rows.stream().anyMatch(n -> n.get("clip_frac").asDouble() > 0),
        "later updates on a batch see ratios outside the clip range");
    assertTrue(Provenance.read(out).models().containsKey("reference"), "the KL reference is recorded");
    assertTrue(r.flops() > 0);
  }

  @Test
  void theChunkedLossTrainsAsTheWholeOne() throws Exception {
    // One step (the same samples), a KL reference and two updates per batch (the second compares
    // with the first's log-probabilities), the head applied 3 positions at a time against all at once.
    String[] keys = {"steps=1", "variant=dr-grpo", "kl-coef=0.05", "updates-per-batch=2", "lr=3e-3", "prompts-per-step=3"};
    Path whole = work.resolve("whole");
    Path chunked = work.resolve("chunked");
    GrpoTrainer.run(GrpoFixtures.toyGrpo(base, append(keys, "loss-chunk=0")), PROMPTS, whole);
    GrpoTrainer.run(GrpoFixtures.toyGrpo(base, append(keys, "loss-chunk=3")), PROMPTS, chunked);
    JsonNode a = MetricsJsonl.read(whole.resolve(MetricsJsonl.FILE)).get(0);
    JsonNode b = MetricsJsonl.read(chunked.resolve(MetricsJsonl.FILE)).get(0);
    for (String k : List.of("loss", "grad_norm", "kl", "clip_frac", "reward_mean")) {
      assertEquals(a.get(k).asDouble(), b.get(k).asDouble(), 1e-5 * Math.max(1, Math.abs(a.get(k).asDouble())), k);
    }
    try (var nd = ai.djl.ndarray.NDManager.newBaseManager();
        var x = Checkpoint.load(whole, nd);
        var y = Checkpoint.load(chunked, nd)) {
      Map<String, float[]> wx = Checkpoint.parameterValues(x.model());
      Map<String, float[]> wy = Checkpoint.parameterValues(y.model());
      double worst = 0;
      for (String name : wx.keySet()) {
        for (int i = 0; i < wx.get(name).length; i++) {
          worst = Math.max(worst, Math.abs(wx.get(name)[i] - wy.get(name)[i]));
        }
      }
      assertTrue(worst < 1e-5, "max |weight difference| " + worst);
    }
  }

  private static String[] append(String[] keys, String more) {
    String[] out = java.util.Arrays.copyOf(keys, keys.length + 1);
    out[keys.length] = more;
    return out;
  }

  @Test
  void aFlopBudgetEndsTheRunEarly() {
    GrpoSettings s = GrpoFixtures.toyGrpo(base, "steps=5", "budget-flops=1e6", "prompts-per-step=2");
    Path out = work.resolve("budget");
    GrpoResult r = GrpoTrainer.run(s, PROMPTS, out);
    assertEquals(1, r.steps(), "the first step already spends more than 1e6 FLOPs");
    JsonNode stats = Json.read(out.resolve(StageOutput.STATS));
    assertTrue(stats.get("stop_reason").asText().contains("FLOP budget"), stats.toString());
    assertTrue(Files.isRegularFile(out.resolve(StageOutput.SUCCESS)), "an early stop is a normal end");
  }

  @Test
  void dynamicSamplingFillsTheBatchWithGroupsThatCarrySignal() {
    // Groups of 2 from a base that answers 7 about 30% of the time: about half the groups agree.
    GrpoSettings plain = GrpoFixtures.toyGrpo(base, "steps=4", "prompts-per-step=3", "group-size=2", "lr=1e-9");
    GrpoSettings dynamic = GrpoFixtures.toyGrpo(base, "steps=4", "prompts-per-step=3", "group-size=2", "lr=1e-9",
        "sampling-rounds=4");
    GrpoTrainer.run(plain, PROMPTS, work.resolve("plain"));
    GrpoTrainer.run(dynamic, PROMPTS, work.resolve("dynamic"));
    List<JsonNode> p = MetricsJsonl.read(work.resolve("plain").resolve(MetricsJsonl.FILE));
    List<JsonNode> d = MetricsJsonl.read(work.resolve("dynamic").resolve(MetricsJsonl.FILE));
    int plainTrained = p.stream().mapToInt(n -> n.get("seqs_trained").asInt()).sum();
    int dynamicTrained = d.stream().mapToInt(n -> n.get("seqs_trained").asInt()).sum();
    assertTrue(p.stream().anyMatch(n -> n.get("zero_adv_groups").asDouble() > 0), "some groups agree without resampling");
    assertTrue(dynamicTrained > plainTrained, "more signal per step: " + plainTrained + " -> " + dynamicTrained);
    assertTrue(d.stream().allMatch(n -> n.get("seqs_trained").asInt() <= 6), "never more than prompts-per-step groups");
    assertTrue(d.get(3).get("tokens_sampled").asLong() > p.get(3).get("tokens_sampled").asLong(),
        "extra rounds are sampled (and counted)");
  }

  @Test
  void overlongPenaltyRisesOverTheBuffer() {
    GrpoSettings s = GrpoFixtures.toyGrpo(base, "max-new-tokens=40", "overlong-buffer=10");
    assertEquals(0.0, s.overlongPenalty(30), 1e-12);
    assertEquals(0.5, s.overlongPenalty(35), 1e-12);
    assertEquals(1.0, s.overlongPenalty(40), 1e-12);
    assertEquals(0.0, GrpoFixtures.toyGrpo(base, "max-new-tokens=40").overlongPenalty(40), 1e-12, "off by default");
    assertThrows(dev.retort.core.config.ConfigError.class, () -> GrpoFixtures.toyGrpo(base, "overlong-buffer=40"));
  }

  @Test
  void grpoSnapshotsFollowTheFlopBudgetAndAFreshRunClearsOldOnes() throws Exception {
    Path out = work.resolve("grpo");
    // Budget of about two steps (measured from a one-step run): snapshots at a quarter and half of it.
    GrpoResult one = GrpoTrainer.run(GrpoFixtures.toyGrpo(base, "steps=1", "prompts-per-step=2"), PROMPTS, work.resolve("one"));
    double budget = 2 * one.flops();
    GrpoResult r = GrpoTrainer.run(GrpoFixtures.toyGrpo(base, "steps=50", "prompts-per-step=2", "budget-flops=" + budget,
        "snapshots=[0.25, 0.5]"), PROMPTS, out);
    assertTrue(r.steps() < 50, "the budget ends the run: " + r.steps());
    assertTrue(r.flops() >= budget, "the run spends its budget");
    List<Snapshots.Point> pts = Snapshots.read(out.resolve(Snapshots.DIR));
    assertEquals(List.of(0.25, 0.5), pts.stream().map(Snapshots.Point::fraction).toList());
    for (Snapshots.Point p : pts) {
      assertTrue(p.flops() >= p.fraction() * budget, "taken once the fraction of the budget is spent: " + p);
      assertTrue(Files.isRegularFile(p.dir().resolve("config.json")));
    }
    // Another config into the same folder starts over: the old snapshots must not pass for its own.
    GrpoTrainer.run(GrpoFixtures.toyGrpo(base, "steps=2", "prompts-per-step=2", "seed=99"), PROMPTS, out);
    assertTrue(Snapshots.read(out.resolve(Snapshots.DIR)).isEmpty());
  }

  @Test
  void badInputFailsBeforeTraining() {
    Prompt unlabeled = new Prompt("u", "toy", "Pick a digit.", null, null, null, null);
    assertThrows(IllegalArgumentException.class,
        () -> GrpoTrainer.run(GrpoFixtures.toyGrpo(base), List.of(unlabeled), work.resolve("bad1")));
    IllegalArgumentException noModel = assertThrows(IllegalArgumentException.class,
        () -> GrpoTrainer.run(GrpoFixtures.toyGrpo(work.resolve("nowhere")), PROMPTS, work.resolve("bad2")));
    assertTrue(noModel.getMessage().contains("init-from"), noModel.getMessage());
    IllegalArgumentException tooLong = assertThrows(IllegalArgumentException.class,
        () -> GrpoTrainer.run(GrpoFixtures.toyGrpo(base, "max-new-tokens=500"), PROMPTS, work.resolve("bad3")));
    assertTrue(tooLong.getMessage().contains("max-new-tokens"), tooLong.getMessage());
    assertNull(GrpoTrainer.readResult(work.resolve("bad3")));
    assertNotNull(base);
  }
}
