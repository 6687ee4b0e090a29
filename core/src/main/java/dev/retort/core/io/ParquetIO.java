package dev.retort.core.io;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.hadoop.conf.Configuration;
import org.apache.parquet.avro.AvroParquetReader;
import org.apache.parquet.avro.AvroParquetWriter;
import org.apache.parquet.avro.AvroReadSupport;
import org.apache.parquet.hadoop.ParquetFileWriter;
import org.apache.parquet.hadoop.ParquetReader;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.io.LocalInputFile;
import org.apache.parquet.io.LocalOutputFile;

/**
 * Parquet files without Spark: the same files Spark jobs read and write. Writes are atomic (a
 * temporary name renamed into place), so a killed writer never leaves a partial file under the
 * final name; readers list {@code *.parquet} only and so ignore temporaries, _SUCCESS and .crc files.
 */
public final class ParquetIO {
  private ParquetIO() {}

  /** Writes rows to {@code file} atomically. Returns the number of rows written. */
  public static <T> long write(Path file, RowCodec<T> codec, Iterable<? extends T> rows) {
    return writeRecords(file, codec.schema(), () -> new java.util.Iterator<GenericRecord>() {
      final java.util.Iterator<? extends T> it = rows.iterator();

      @Override
      public boolean hasNext() {
        return it.hasNext();
      }

      @Override
      public GenericRecord next() {
        return codec.encode(it.next());
      }
    });
  }

  /** Writes generic records to {@code file} atomically. */
  public static long writeRecords(Path file, Schema schema, Iterable<GenericRecord> records) {
    try {
      Path parent = file.toAbsolutePath().getParent();
      Files.createDirectories(parent);
      Path tmp = parent.resolve("." + file.getFileName() + ".tmp-" + ProcessHandle.current().pid() + "-" + Thread.currentThread().getId());
      Files.deleteIfExists(tmp);
      long n = 0;
      try (ParquetWriter<GenericRecord> w = AvroParquetWriter.<GenericRecord>builder(new LocalOutputFile(tmp))
          .withSchema(schema)
          .withDataModel(GenericData.get())
          .withConf(conf())
          .withCompressionCodec(CompressionCodecName.SNAPPY)
          .withWriteMode(ParquetFileWriter.Mode.OVERWRITE)
          .build()) {
        for (GenericRecord r : records) {
          w.write(r);
          n++;
        }
      }
      Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      return n;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
    }
  }

  /** Reads all rows of a file, or of every {@code *.parquet} file under a folder (sorted by path). */
  public static <T> List<T> read(Path fileOrDir, RowCodec<T> codec) {
    List<T> out = new ArrayList<>();
    forEach(fileOrDir, codec, out::add);
    return out;
  }

  public static <T> void forEach(Path fileOrDir, RowCodec<T> codec, Consumer<? super T> sink) {
    forEachRecord(fileOrDir, r -> sink.accept(codec.decode(r)));
  }

  public static void forEachRecord(Path fileOrDir, Consumer<GenericRecord> sink) {
    for (Path f : files(fileOrDir)) {
      try (ParquetReader<GenericRecord> reader = AvroParquetReader.<GenericRecord>builder(new LocalInputFile(f))
          .withDataModel(GenericData.get())
          .withConf(conf())
          .build()) {
        for (GenericRecord r = reader.read(); r != null; r = reader.read()) {
          sink.accept(r);
        }
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read " + f + ": " + e.getMessage(), e);
      }
    }
  }

  /**
   * The Parquet data files of a folder, sorted: its own {@code *.parquet} files plus those of
   * Hive-style partition folders ({@code key=value}). Side folders such as {@code errors/} and
   * {@code rejects/} are not data of the folder and are not read. A plain file is returned as is.
   */
  public static List<Path> files(Path fileOrDir) {
    if (Files.isRegularFile(fileOrDir)) {
      return List.of(fileOrDir);
    }
    if (!Files.isDirectory(fileOrDir)) {
      return List.of();
    }
    List<Path> out = new ArrayList<>();
    collect(fileOrDir, out);
    out.sort(null);
    return out;
  }

  private static void collect(Path dir, List<Path> out) {
    try (Stream<Path> s = Files.list(dir)) {
      for (Path p : s.toList()) {
        String name = p.getFileName().toString();
        if (name.startsWith(".") || name.startsWith("_")) {
          continue;
        }
        if (Files.isDirectory(p) && name.contains("=")) {
          collect(p, out);
        } else if (Files.isRegularFile(p) && name.endsWith(".parquet")) {
          out.add(p);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static Configuration conf() {
    Configuration c = new Configuration(false);
    // Read old 2-level lists and Spark's 3-level lists alike; write the standard 3-level layout.
    c.setBoolean(AvroReadSupport.AVRO_COMPATIBILITY, false);
    c.setBoolean("parquet.avro.write-old-list-structure", false);
    c.setBoolean("parquet.avro.readInt96AsFixed", true);
    return c;
  }
}
