package dev.retort.filter.job;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.parquet.ParquetReadOptions;
import org.apache.parquet.format.converter.ParquetMetadataConverter;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.io.LocalInputFile;
import org.apache.parquet.schema.MessageType;

/**
 * The Parquet files of a traces folder, sorted into those Spark can read with the contract's
 * schema, those with conflicting column types, and those that are not readable Parquet at all.
 * Only footers are read. teacher-gen's {@code errors/} and {@code rejects/} subfolders are not
 * traces and are skipped, as are temporaries ({@code .name}) and markers ({@code _name}).
 *
 * @param readable files whose columns all have the contract's types
 * @param conflicting file to the columns whose types conflict with the contract
 * @param unreadable files whose footer cannot be read
 */
record InputScan(List<Path> readable, Map<Path, List<String>> conflicting, List<Path> unreadable) {
  static final List<String> SKIPPED_DIRS = List.of("errors", "rejects");

  static InputScan of(Path input) {
    List<Path> files = new ArrayList<>();
    try {
      Files.walkFileTree(input, new SimpleFileVisitor<>() {
        @Override
        public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) {
          String n = dir.getFileName() == null ? "" : dir.getFileName().toString();
          boolean skip = !dir.equals(input) && (SKIPPED_DIRS.contains(n) || n.startsWith(".") || n.startsWith("_"));
          return skip ? FileVisitResult.SKIP_SUBTREE : FileVisitResult.CONTINUE;
        }

        @Override
        public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
          String n = file.getFileName().toString();
          if (attrs.isRegularFile() && n.endsWith(".parquet") && !n.startsWith(".") && !n.startsWith("_")) {
            files.add(file);
          }
          return FileVisitResult.CONTINUE;
        }
      });
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list traces in " + input + ": " + e.getMessage(), e);
    }
    files.sort(null);
    List<Path> readable = new ArrayList<>();
    Map<Path, List<String>> conflicting = new LinkedHashMap<>();
    List<Path> unreadable = new ArrayList<>();
    // Only each file's schema: the row-group metadata is skipped (Spark's tasks read it), and the
    // footers are read in parallel (one after another this was a tenth of the job on 8 files).
    ParquetReadOptions options = ParquetReadOptions.builder().withMetadataFilter(ParquetMetadataConverter.SKIP_ROW_GROUPS).build();
    List<MessageType> schemas = files.parallelStream().map(f -> {
      try (ParquetFileReader r = ParquetFileReader.open(new LocalInputFile(f), options)) {
        return r.getFooter().getFileMetaData().getSchema();
      } catch (IOException | RuntimeException e) {
        return null;
      }
    }).toList();
    for (int i = 0; i < files.size(); i++) {
      Path f = files.get(i);
      MessageType schema = schemas.get(i);
      if (schema == null) {
        unreadable.add(f);
        continue;
      }
      List<String> bad = TraceSchema.conflicts(schema);
      if (bad.isEmpty()) {
        readable.add(f);
      } else {
        conflicting.put(f, bad);
      }
    }
    return new InputScan(readable, conflicting, unreadable);
  }
}
