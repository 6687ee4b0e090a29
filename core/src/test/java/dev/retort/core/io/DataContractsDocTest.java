package dev.retort.core.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.retort.core.io.Contract.Column;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * docs/data-contracts.md's column tables say what {@link Contracts} defines: one row per column, in
 * file order, with the column's type ({@link Column#docType()}) and meaning. The verdict's table
 * lists only the columns it adds to the trace's.
 */
class DataContractsDocTest {
  private static final Path DOC = Path.of("..", "docs", "data-contracts.md");

  /** The heading of each contract's section names its codec. */
  private static final Map<Contract, String> SECTIONS = Map.of(Contracts.PROMPT, "`Codecs.PROMPT`", Contracts.TRACE,
      "`Codecs.TRACE`", Contracts.VERDICT, "`Codecs.VERDICT`", Contracts.SFT, "`Codecs.SFT`", Contracts.EVAL_SAMPLE,
      "`Codecs.EVAL_SAMPLE`");

  /** The table rows as cells (column, type, meaning), trimmed. */
  private static List<List<String>> table(List<String> doc, String codec) {
    int i = 0;
    while (i < doc.size() && !(doc.get(i).startsWith("## ") && doc.get(i).contains(codec))) {
      i++;
    }
    assertTrue(i < doc.size(), "no section for " + codec + " in " + DOC);
    int heading = i;
    while (i < doc.size() && !doc.get(i).startsWith("| column |")) {
      assertTrue(i == heading || !doc.get(i).startsWith("## "), "no table in the section of " + codec);
      i++;
    }
    List<List<String>> rows = new ArrayList<>();
    for (i += 2; i < doc.size() && doc.get(i).startsWith("|"); i++) {
      String line = doc.get(i).strip();
      rows.add(Arrays.stream(line.substring(1, line.length() - 1).split("\\|", -1)).map(String::strip).toList());
    }
    return rows;
  }

  private static List<List<String>> expected(List<Column> columns) {
    return columns.stream().map(c -> List.of(c.name(), c.docType(), c.meaning())).toList();
  }

  @Test
  void everyContractTableMatchesTheDefinition() throws IOException {
    List<String> doc = Files.readAllLines(DOC);
    for (Contract c : Contracts.ALL) {
      List<Column> own = c == Contracts.VERDICT
          ? c.columns().subList(Contracts.TRACE.size(), c.size()) : c.columns();
      List<List<String>> want = expected(own);
      List<List<String>> got = table(doc, SECTIONS.get(c));
      for (int i = 0; i < Math.max(want.size(), got.size()); i++) {
        assertEquals(i < want.size() ? want.get(i) : null, i < got.size() ? got.get(i) : null,
            "row " + (i + 1) + " of the " + c.name() + " table in " + DOC);
      }
    }
    assertTrue(String.join("\n", doc).contains("All trace columns, plus:"), "the verdict section says it extends the trace");
  }
}
