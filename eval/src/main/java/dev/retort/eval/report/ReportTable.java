package dev.retort.eval.report;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Extra rows a pipeline adds to the report (compute budget of each arm, filter statistics, ...).
 *
 * @param title the table's heading
 * @param columns column names
 * @param rows cell texts, one list per row, as many cells as columns
 */
public record ReportTable(String title, List<String> columns, List<List<String>> rows) {
  public ReportTable {
    Objects.requireNonNull(title, "title");
    columns = List.copyOf(columns);
    List<List<String>> copy = new ArrayList<>();
    for (List<String> r : rows) {
      if (r.size() != columns.size()) {
        throw new IllegalArgumentException("report table '" + title + "': a row has " + r.size()
            + " cells for " + columns.size() + " columns");
      }
      copy.add(r.stream().map(c -> c == null ? "" : c).toList());
    }
    rows = List.copyOf(copy);
  }

  /** A table from maps: columns are the keys in first-seen order; missing cells are empty. */
  public static ReportTable ofMaps(String title, List<? extends Map<String, ?>> maps) {
    LinkedHashSet<String> cols = new LinkedHashSet<>();
    maps.forEach(m -> cols.addAll(m.keySet()));
    List<List<String>> rows = new ArrayList<>();
    for (Map<String, ?> m : maps) {
      List<String> r = new ArrayList<>();
      for (String c : cols) {
        Object v = m.get(c);
        r.add(v == null ? "" : v.toString());
      }
      rows.add(r);
    }
    return new ReportTable(title, new ArrayList<>(cols), rows);
  }

  /** A two-column key/value table. */
  public static ReportTable ofPairs(String title, Map<String, ?> pairs) {
    List<List<String>> rows = new ArrayList<>();
    pairs.forEach((k, v) -> rows.add(List.of(k, v == null ? "" : v.toString())));
    return new ReportTable(title, List.of("name", "value"), rows);
  }
}
