package dev.retort.filter.job;

import dev.retort.core.io.ParquetIO;
import dev.retort.core.store.Location;
import dev.retort.core.store.Manifest;
import dev.retort.core.store.Store;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.parquet.ParquetReadOptions;
import org.apache.parquet.format.converter.ParquetMetadataConverter;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.schema.MessageType;

/**
 * The Parquet files of a traces folder, sorted into those Spark can read with the contract's
 * schema, those that lack a required column, those with conflicting column types, and those that
 * are not readable Parquet at all (random bytes, a truncated file: no footer).
 * Only footers are read. teacher-gen's {@code errors/} and {@code rejects/} subfolders are not
 * traces and are skipped, as are temporaries ({@code .name}) and markers ({@code _name}).
 *
 * @param readable files with every required column, all of the contract's types
 * @param missing file to the required columns it lacks
 * @param conflicting file to the columns whose types conflict with the contract
 * @param unreadable files whose footer cannot be read
 * @param largestReadable bytes of the largest readable file (0 when none)
 */
record InputScan(List<Location> readable, Map<Location, List<String>> missing, Map<Location, List<String>> conflicting,
    List<Location> unreadable, long largestReadable) {
  static final List<String> SKIPPED_DIRS = List.of("errors", "rejects");

  static InputScan of(Location input) {
    List<Location> files = new ArrayList<>();
    Store store = Store.of(input);
    try {
      Manifest m = Manifest.read(input);
      if (m != null && m.listsFiles()) {
        // What the producer committed, nothing else (a retried task's stray object on a store without rename).
        m.locations(input).stream().filter(l -> l.name().endsWith(".parquet")).forEach(files::add);
      } else {
        walk(store, input, files);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list traces in " + input + ": " + e.getMessage(), e);
    }
    files.sort(null);
    List<Location> readable = new ArrayList<>();
    Map<Location, List<String>> missing = new LinkedHashMap<>();
    Map<Location, List<String>> conflicting = new LinkedHashMap<>();
    List<Location> unreadable = new ArrayList<>();
    // Only each file's schema: the row-group metadata is skipped (Spark's tasks read it), and the
    // footers are read in parallel (each is a read of its own, a round trip on a remote store).
    ParquetReadOptions options = ParquetReadOptions.builder().withMetadataFilter(ParquetMetadataConverter.SKIP_ROW_GROUPS).build();
    List<MessageType> schemas = files.parallelStream().map(f -> {
      try (ParquetFileReader r = ParquetFileReader.open(ParquetIO.inputFile(f), options)) {
        return r.getFooter().getFileMetaData().getSchema();
      } catch (IOException | RuntimeException e) {
        return null;
      }
    }).toList();
    for (int i = 0; i < files.size(); i++) {
      Location f = files.get(i);
      MessageType schema = schemas.get(i);
      if (schema == null) {
        unreadable.add(f);
        continue;
      }
      List<String> bad = TraceSchema.conflicts(schema);
      List<String> absent = TraceSchema.missing(schema);
      if (!bad.isEmpty()) {
        conflicting.put(f, bad);
      } else if (!absent.isEmpty()) {
        missing.put(f, absent);
      } else {
        readable.add(f);
      }
    }
    long largest = 0;
    try {
      for (Location f : readable) {
        largest = Math.max(largest, store.size(f));
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot stat traces in " + input + ": " + e.getMessage(), e);
    }
    return new InputScan(readable, missing, conflicting, unreadable, largest);
  }

  /** Files that cannot be judged as they are: without a required column, with a wrong type, or unreadable. */
  int badFiles() {
    return missing.size() + conflicting.size() + unreadable.size();
  }

  /** Every file found, bad or not. */
  int files() {
    return readable.size() + badFiles();
  }

  /** One line per bad file: the file and what is wrong with it, in file order. */
  List<String> problems() {
    Map<Location, String> all = new java.util.TreeMap<>();
    missing.forEach((f, cols) -> all.put(f, f + ": missing required column" + (cols.size() > 1 ? "s " : " ") + String.join(", ", cols)));
    conflicting.forEach((f, cols) -> all.put(f, f + ": wrong type of column " + String.join(", ",
        cols.stream().map(c -> c + " (expected " + TraceSchema.expected(c) + ")").toList())));
    unreadable.forEach(f -> all.put(f, f + ": not readable Parquet (no valid footer: truncated or not Parquet)"));
    return List.copyOf(all.values());
  }

  private static void walk(Store store, Location dir, List<Location> out) throws IOException {
    for (Location c : store.list(dir)) {
      String n = c.name();
      if (n.startsWith(".") || n.startsWith("_")) {
        continue;
      }
      if (store.isDirectory(c)) {
        if (!SKIPPED_DIRS.contains(n)) {
          walk(store, c, out);
        }
      } else if (n.endsWith(".parquet")) {
        out.add(c);
      }
    }
  }
}
