package dev.retort.core.io;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import dev.retort.core.store.Location;
import dev.retort.core.store.Manifest;
import dev.retort.core.store.Store;
import org.apache.hadoop.conf.Configuration;
import org.apache.parquet.avro.AvroParquetReader;
import org.apache.parquet.avro.AvroParquetWriter;
import org.apache.parquet.avro.AvroReadSupport;
import org.apache.parquet.hadoop.ParquetFileWriter;
import org.apache.parquet.hadoop.ParquetReader;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.io.InputFile;
import org.apache.parquet.io.LocalInputFile;
import org.apache.parquet.io.LocalOutputFile;
import org.apache.parquet.io.OutputFile;

/**
 * Parquet files without Spark: the same files Spark jobs read and write, on any {@link Store}.
 * Writes are committed ({@link Store#commit}), so a killed writer never leaves a partial file under
 * the final name; readers take {@code *.parquet} only and so ignore temporaries, _SUCCESS and .crc
 * files, and of a folder whose manifest lists files they read exactly those.
 */
public final class ParquetIO {
  private ParquetIO() {}

  /** Writes rows to {@code file} atomically. Returns the number of rows written. */
  public static <T> long write(Path file, RowCodec<T> codec, Iterable<? extends T> rows) {
    return write(Location.local(file), codec, rows);
  }

  /** Writes rows to {@code file}, committed. Returns the number of rows written. */
  public static <T> long write(Location file, RowCodec<T> codec, Iterable<? extends T> rows) {
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
    return writeRecords(Location.local(file), schema, records);
  }

  public static long writeRecords(Location file, Schema schema, Iterable<GenericRecord> records) {
    Store store = Store.of(file);
    long[] n = {0};
    try {
      store.commit(file, target -> {
        try (ParquetWriter<GenericRecord> w = AvroParquetWriter.<GenericRecord>builder(outputFile(store, target))
            .withSchema(schema)
            .withDataModel(GenericData.get())
            .withConf(conf())
            .withCompressionCodec(CompressionCodecName.SNAPPY)
            .withWriteMode(ParquetFileWriter.Mode.OVERWRITE)
            .build()) {
          for (GenericRecord r : records) {
            w.write(r);
            n[0]++;
          }
        }
      });
      return n[0];
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
    }
  }

  /** Reads all rows of a file, or of every {@code *.parquet} file under a folder (sorted by path). */
  public static <T> List<T> read(Path fileOrDir, RowCodec<T> codec) {
    return read(Location.local(fileOrDir), codec);
  }

  public static <T> List<T> read(Location fileOrDir, RowCodec<T> codec) {
    List<T> out = new ArrayList<>();
    forEach(fileOrDir, codec, out::add);
    return out;
  }

  public static <T> void forEach(Path fileOrDir, RowCodec<T> codec, Consumer<? super T> sink) {
    forEach(Location.local(fileOrDir), codec, sink);
  }

  public static <T> void forEach(Location fileOrDir, RowCodec<T> codec, Consumer<? super T> sink) {
    forEachRecord(fileOrDir, r -> sink.accept(codec.decode(r)));
  }

  public static void forEachRecord(Path fileOrDir, Consumer<GenericRecord> sink) {
    forEachRecord(Location.local(fileOrDir), sink);
  }

  public static void forEachRecord(Location fileOrDir, Consumer<GenericRecord> sink) {
    for (Location f : files(fileOrDir)) {
      try (ParquetReader<GenericRecord> reader = AvroParquetReader.<GenericRecord>builder(inputFile(f))
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

  /** The number of rows a Parquet file's footer records. */
  public static long rowCount(Location file) {
    try (ParquetFileReader r = ParquetFileReader.open(inputFile(file))) {
      return r.getRecordCount();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the footer of " + file + ": " + e.getMessage(), e);
    }
  }

  /** Parquet's view of a file to read: local files directly, others through their store. */
  public static InputFile inputFile(Location file) throws IOException {
    return file.isLocal() ? new LocalInputFile(file.localPath()) : Store.of(file).inputFile(file);
  }

  private static OutputFile outputFile(Store store, Location file) throws IOException {
    return file.isLocal() ? new LocalOutputFile(file.localPath()) : store.outputFile(file);
  }

  /**
   * The Parquet data files of a folder, sorted: its own {@code *.parquet} files plus those of
   * Hive-style partition folders ({@code key=value}). Side folders such as {@code errors/} and
   * {@code rejects/} are not data of the folder and are not read. A plain file is returned as is.
   */
  public static List<Path> files(Path fileOrDir) {
    return files(Location.local(fileOrDir)).stream().map(Location::localPath).toList();
  }

  /**
   * {@link #files(Path)} on any store; when the folder's manifest lists files, exactly the listed
   * {@code *.parquet} files (what a commit on a store without atomic rename made visible).
   */
  public static List<Location> files(Location fileOrDir) {
    Store s = Store.of(fileOrDir);
    try {
      if (s.isFile(fileOrDir)) {
        return List.of(fileOrDir);
      }
      if (!s.isDirectory(fileOrDir)) {
        return List.of();
      }
      Manifest m = Manifest.read(fileOrDir);
      if (m != null && m.listsFiles()) {
        return m.locations(fileOrDir).stream().filter(l -> l.name().endsWith(".parquet")).toList();
      }
      List<Location> out = new ArrayList<>();
      collect(s, fileOrDir, out);
      out.sort(null);
      return out;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list " + fileOrDir + ": " + e.getMessage(), e);
    }
  }

  private static void collect(Store s, Location dir, List<Location> out) throws IOException {
    for (Location p : s.list(dir)) {
      String name = p.name();
      if (name.startsWith(".") || name.startsWith("_")) {
        continue;
      }
      if (name.contains("=") && s.isDirectory(p)) {
        collect(s, p, out);
      } else if (name.endsWith(".parquet") && s.isFile(p)) {
        out.add(p);
      }
    }
  }

  /** The Hadoop settings of every Parquet read and write (and of {@link Contract#parquetSchema()}). */
  static Configuration conf() {
    Configuration c = new Configuration(false);
    // Read old 2-level lists and Spark's 3-level lists alike; write the standard 3-level layout.
    c.setBoolean(AvroReadSupport.AVRO_COMPATIBILITY, false);
    c.setBoolean("parquet.avro.write-old-list-structure", false);
    c.setBoolean("parquet.avro.readInt96AsFixed", true);
    return c;
  }
}
