package dev.retort.filter.job;

import dev.retort.core.io.RowCodec;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.hadoop.conf.Configuration;
import org.apache.parquet.avro.AvroParquetWriter;
import org.apache.parquet.hadoop.ParquetFileWriter;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.io.LocalOutputFile;
import org.apache.avro.util.Utf8;

/**
 * One Parquet shard written row by row (core's ParquetIO takes a whole Iterable, and a task writes
 * three outputs at once). Same format as ParquetIO: the contract's Avro schema, Snappy, standard
 * 3-level lists. The file appears under its final name only on {@link #close()}, by an atomic
 * rename, and only if a row was written; a retried Spark task replaces it whole.
 */
final class ShardWriter<T> implements AutoCloseable {
  /**
   * Long, nearly unique text columns: a dictionary never pays off for them, and trying one first
   * hashes every value (it showed as a tenth of the job's CPU profile).
   */
  private static final String[] FREE_TEXT = {"reasoning", "answer", "completion", "error", "messages.list.element.content"};
  private final Path file;
  private final RowCodec<T> codec;
  private Path tmp;
  private ParquetWriter<GenericRecord> writer;
  private long rows;

  ShardWriter(Path file, RowCodec<T> codec) {
    this.file = file;
    this.codec = codec;
  }

  void write(T row) {
    try {
      if (writer == null) {
        open();
      }
      writer.write(utf8(codec.encode(row)));
      rows++;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
    }
  }

  /**
   * Replaces the record's Java strings by Avro Utf8 in place. parquet-avro turns a String into a
   * ByteBuffer-backed Binary through a CharsetEncoder, and every later step (dictionary hashing,
   * statistics, page writes) is slower on those; a Utf8 is one intrinsic String.getBytes and an
   * array-backed Binary. This halved the write time of trace-sized rows.
   */
  static GenericRecord utf8(GenericRecord r) {
    for (Schema.Field f : r.getSchema().getFields()) {
      Object v = r.get(f.pos());
      Object u = utf8Value(v);
      if (u != v) {
        r.put(f.pos(), u);
      }
    }
    return r;
  }

  private static Object utf8Value(Object v) {
    if (v instanceof String s) {
      return new Utf8(s);
    }
    if (v instanceof GenericRecord g) {
      return utf8(g);
    }
    if (v instanceof List<?> list) {
      List<Object> out = new ArrayList<>(list.size());
      for (Object o : list) {
        out.add(utf8Value(o));
      }
      return out;
    }
    return v;
  }

  long rows() {
    return rows;
  }

  private void open() throws IOException {
    Files.createDirectories(file.getParent());
    tmp = file.resolveSibling("." + file.getFileName() + ".tmp-" + ProcessHandle.current().pid() + "-" + Thread.currentThread().getId());
    Files.deleteIfExists(tmp);
    Configuration conf = new Configuration(false);
    conf.setBoolean("parquet.avro.write-old-list-structure", false);
    AvroParquetWriter.Builder<GenericRecord> b = AvroParquetWriter.<GenericRecord>builder(new LocalOutputFile(tmp))
        .withSchema(codec.schema())
        .withDataModel(GenericData.get())
        .withConf(conf)
        .withCompressionCodec(CompressionCodecName.SNAPPY)
        .withWriteMode(ParquetFileWriter.Mode.OVERWRITE);
    for (String column : FREE_TEXT) {
      b = b.withDictionaryEncoding(column, false);
    }
    writer = b.build();
  }

  /** Finishes the file and moves it into place (nothing happens when no row was written). */
  @Override
  public void close() {
    if (writer == null) {
      return;
    }
    try {
      writer.close();
      writer = null;
      Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot finish " + file + ": " + e.getMessage(), e);
    }
  }

  /** Drops a half-written file (the task failed; its retry writes the shard again). */
  void abort() {
    try {
      if (writer != null) {
        writer.close();
        writer = null;
      }
    } catch (IOException | RuntimeException e) {
      // the file is being thrown away
    }
    try {
      if (tmp != null) {
        Files.deleteIfExists(tmp);
      }
    } catch (IOException e) {
      // a leftover temporary is ignored by readers (its name starts with '.')
    }
  }
}
