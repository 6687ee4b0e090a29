package dev.retort.eval.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.retort.core.run.Provenance;
import dev.retort.eval.AnswerGrouping;
import dev.retort.eval.EvalSettings;
import dev.retort.eval.Metrics;
import dev.retort.eval.ModelResult;
import dev.retort.eval.Outcome;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReportWriterTest {
  @TempDir Path tmp;

  private static ModelResult result(String model, String role, String bench, int right, boolean complete) {
    List<Outcome> rows = new ArrayList<>();
    for (int p = 0; p < 4; p++) {
      for (int i = 0; i < 2; i++) {
        boolean ok = p < right;
        rows.add(new Outcome("p" + p, i, ok ? "1" : "2", ok, 100 + 10 * p));
      }
    }
    var protocol = new EvalSettings.Protocol("r1", 0.6, 0.95, 0, 2, 512, 0);
    return new ModelResult(model, role, "checkpoint:" + model + "@sha256:0", bench, protocol,
        Metrics.summarize(rows, List.of(1, 2), AnswerGrouping.EXACT), complete ? 8 : 6, 8);
  }

  @Test
  void tablesPlotsAndEscaping() throws Exception {
    Provenance prov = Provenance.of("eval", "abc123", Map.of(), 1, Map.of("math500", "sha256:1"), Map.of("teacher", "endpoint:x"));
    var report = new ReportWriter.Report("Teacher <vs> students",
        List.of(result("teacher", "teacher", "math500", 3, true), result("student", "distilled", "math500", 1, false)),
        Map.of(), List.of(ReportTable.ofMaps("Filter", List.of(Map.of("kept", 10, "rejected", "<script>")))), prov);
    Path html = ReportWriter.write(tmp, report);
    String h = Files.readString(html);
    assertTrue(h.contains("Teacher &lt;vs&gt; students"));
    assertTrue(h.contains("&lt;script&gt;") && !h.contains("<script>"));
    assertTrue(h.contains("<tr class=\"incomplete\">"), "a result with missing samples is marked");
    assertTrue(h.contains("75.0 ± 25.0"), "teacher pass@1: 3 of 4 problems, se = sd/sqrt(4)");
    assertFalse(Files.exists(tmp.resolve("training_loss.png")), "no curves without metrics files");
    String md = Files.readString(tmp.resolve("report.md"));
    assertTrue(md.contains("| teacher | teacher | 75.0 ± 25.0 |"), md);
    assertTrue(md.contains("incomplete: 6/8 samples"));
    assertTrue(md.contains("## Filter"));
    assertEquals("abc123", Provenance.read(tmp).configHash());
  }

  @Test
  void extraTablesMustBeRectangular() {
    assertThrows(IllegalArgumentException.class,
        () -> new ReportTable("t", List.of("a", "b"), List.of(List.of("only one"))));
  }
}
