package dev.retort.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.retort.core.config.ConfigError;
import dev.retort.core.config.RetortConfig;
import dev.retort.core.data.EvalSample;
import dev.retort.core.io.Codecs;
import dev.retort.core.io.ParquetIO;
import dev.retort.core.run.Provenance;
import dev.retort.eval.report.ReportTable;
import java.awt.image.BufferedImage;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The whole stage on tiny real checkpoints: DJL sampling, real verifiers, Parquet, report. */
class EvalJobTest {
  @TempDir static Path tmp;
  static Path distilled;
  static Path base;

  @BeforeAll
  static void models() throws Exception {
    distilled = TinyModels.checkpoint(tmp.resolve("ckpt/distilled"), 1);
    base = TinyModels.checkpoint(tmp.resolve("ckpt/base"), 2);
    Files.writeString(tmp.resolve("toy.jsonl"), """
        {"id": "t1", "problem": "What is 1+1?", "answer": "2"}
        {"id": "t2", "problem": "What is half of 1?", "answer": "\\\\frac{1}{2}"}
        {"id": "t3", "problem": "No answer given here"}
        """, StandardCharsets.UTF_8);
    Files.writeString(tmp.resolve("metrics.jsonl"), """
        {"step": 1, "loss": 3.2, "lr": 0.0001, "tokens": 100}
        {"step": 2, "loss": 2.9, "lr": 0.0002, "tokens": 200}
        {"step": 3, "loss": 2.5, "lr": 0.0002, "tokens": 300}
        {"step": 4, "loss": 2.4, "lr
        """, StandardCharsets.UTF_8);
  }

  static RetortConfig config(String runId, String extra) {
    String hocon = """
        run { work-dir = "%s", run-id = "%s", seed = 7 }
        arith { test-size = 5 }
        eval {
          models = [
            { name = distilled, checkpoint = "%s", role = distilled }
            { name = base, checkpoint = "%s", role = base }
          ]
          benchmarks = [
            { name = arith, template = plain, k = 2, max-tokens = 6, limit = 3 }
            { name = toy, file = "%s", k = 3, max-tokens = 4, temperature = 1.0 }
          ]
          batch-size = 4
          chunk-size = 4
          device = cpu
          training-metrics { distilled = "%s" }
          %s
        }
        """.formatted(tmp.resolve("work"), runId, distilled, base, tmp.resolve("toy.jsonl"), tmp.resolve("metrics.jsonl"), extra);
    return RetortConfig.fromString(hocon, "test.conf");
  }

  @Test
  void evaluatesTinyCheckpointsAndWritesAReport() throws Exception {
    long t0 = System.nanoTime();
    EvalJob.Result r = EvalJob.run(config("e2e", ""),
        List.of(ReportTable.ofPairs("Compute budget", java.util.Map.of("teacher tokens", 12345))));
    double firstSeconds = (System.nanoTime() - t0) / 1e9;
    assertTrue(r.ok(), r.failures().toString());
    assertEquals(4, r.results().size());
    for (ModelResult m : r.results()) {
      assertTrue(m.complete(), m.toString());
      assertNotNull(m.metrics());
      double p1 = m.metrics().pass(1).mean();
      assertTrue(p1 >= 0 && p1 <= 1);
    }
    Path runDir = tmp.resolve("work/e2e");
    // Per-sample Parquet under eval/<model>/<benchmark>/ with the contract's columns.
    List<EvalSample> arith = ParquetIO.read(runDir.resolve("eval/distilled/arith"), Codecs.EVAL_SAMPLE);
    assertEquals(6, arith.size());
    for (EvalSample s : arith) {
      assertEquals("distilled", s.model());
      assertEquals("arith", s.benchmark());
      assertTrue(s.completionTokens() >= 1 && s.completionTokens() <= 6, "max-tokens bounds the length");
      assertNotNull(s.reference());
    }
    List<EvalSample> toy = ParquetIO.read(runDir.resolve("eval/base/toy"), Codecs.EVAL_SAMPLE);
    assertEquals(6, toy.size(), "the problem without an answer is skipped; 2 problems x k=3");
    assertTrue(Files.isRegularFile(runDir.resolve("eval/base/toy/_SUCCESS")));
    assertTrue(Files.readString(runDir.resolve("eval/base/toy/stats.json")).contains("\"pass@3\""));

    // The report: HTML that loads the plots, Markdown with both models, PNGs that decode.
    Path report = runDir.resolve("report");
    assertEquals(report.resolve("index.html"), r.reportHtml());
    String html = Files.readString(r.reportHtml());
    for (String png : List.of("accuracy.png", "accuracy_vs_length.png", "training_loss.png")) {
      assertTrue(html.contains("<img src=\"" + png + "\""), png);
      BufferedImage img = ImageIO.read(report.resolve(png).toFile());
      assertNotNull(img, png);
      assertEquals(900, img.getWidth());
    }
    assertFalse(Files.exists(report.resolve("training_reward.png")), "no reward in the metrics file");
    assertTrue(html.contains("Compute budget") && html.contains("12345"));
    String md = Files.readString(report.resolve("report.md"));
    assertTrue(md.contains("| distilled | distilled |") && md.contains("| base | base |"), md);
    assertTrue(md.contains("maj@2 (%)") && md.contains("maj@3 (%)"));
    Provenance prov = Provenance.read(report);
    assertNotNull(prov.gitCommit());
    assertEquals(2, prov.models().size());
    assertTrue(prov.models().get("distilled").startsWith("checkpoint:distilled@sha256:"));
    assertTrue(Files.readString(report.resolve("results.json")).contains("\"maj@2\""));

    // A rerun finds every folder complete and redraws nothing.
    Path success = runDir.resolve("eval/distilled/arith/_SUCCESS");
    FileTime before = Files.getLastModifiedTime(success);
    long t1 = System.nanoTime();
    EvalJob.Result again = EvalJob.run(config("e2e", ""));
    double secondSeconds = (System.nanoTime() - t1) / 1e9;
    assertTrue(again.ok());
    assertEquals(before, Files.getLastModifiedTime(success));
    assertEquals(r.results().get(0).metrics(), again.results().get(0).metrics());
    System.out.printf("eval e2e: first run %.2f s, rerun (all complete) %.2f s%n", firstSeconds, secondSeconds);

    // The report alone, from what is on disk.
    Files.delete(report.resolve("index.html"));
    Path rebuilt = EvalJob.report(config("e2e", ""), List.of());
    assertTrue(Files.readString(rebuilt).contains("accuracy.png"));
    List<ModelResult> onDisk = EvalResults.read(runDir.resolve("eval"), List.of("distilled", "base"), true);
    assertEquals(4, onDisk.size());
    assertEquals(r.results().get(0).metrics(), onDisk.get(0).metrics());
  }

  @Test
  void checkpointIdentityFollowsWeightsNotResumeStates() throws Exception {
    Path ckpt = TinyModels.checkpoint(tmp.resolve("ckpt/identity"), 3);
    String id = CheckpointModel.identityOf(ckpt);
    Files.createDirectories(ckpt.resolve("checkpoints/step-10"));
    Files.writeString(ckpt.resolve("checkpoints/step-10/state.json"), "{}");
    assertEquals(id, CheckpointModel.identityOf(ckpt), "a trainer's resume states are not the model");
    assertFalse(id.equals(CheckpointModel.identityOf(distilled)), "other weights, other identity");
  }

  @Test
  void configErrorsNameTheKey() {
    ConfigError missing = assertThrows(ConfigError.class,
        () -> EvalJob.run(config("bad1", "models = [ { name = x, checkpoint = \"/nonexistent/ckpt\" } ]")));
    assertTrue(missing.getMessage().contains("eval.models[0]") && missing.getMessage().contains("/nonexistent/ckpt"),
        missing.getMessage());
    ConfigError both = assertThrows(ConfigError.class,
        () -> EvalJob.run(config("bad2", "models = [ { name = x, checkpoint = a, endpoint = \"http://h/v1\" } ]")));
    assertTrue(both.getMessage().contains("exactly one of"), both.getMessage());
    ConfigError typo = assertThrows(ConfigError.class, () -> EvalJob.run(config("bad3", "temprature = 0.6")));
    assertTrue(typo.getMessage().contains("eval.temprature"), typo.getMessage());
    ConfigError template = assertThrows(ConfigError.class,
        () -> EvalJob.run(config("bad4", "protocol.template = \"no placeholder\"")));
    assertTrue(template.getMessage().contains("{problem}"), template.getMessage());
  }
}
