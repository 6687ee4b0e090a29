package dev.retort.filter.job;

import java.io.IOException;
import java.io.UncheckedIOException;
import dev.retort.core.store.Location;
import dev.retort.core.store.Store;
import java.nio.file.Path;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.parquet.bytes.ByteBufferAllocator;
import org.apache.parquet.hadoop.ParquetFileWriter;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.api.WriteSupport;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.io.LocalOutputFile;
import org.apache.parquet.io.OutputFile;
import org.apache.parquet.io.api.RecordConsumer;
import org.apache.parquet.schema.MessageType;

/**
 * One Parquet shard written row by row (core's ParquetIO takes a whole Iterable, and a task writes
 * three outputs at once). Same format as ParquetIO: the contract's Parquet schema, its Avro schema in
 * the footer (as parquet-avro puts it), Snappy, standard 3-level lists; the rows go through {@link ContractRows}
 * instead of Avro records. The file appears under its final name only on {@link #close()}, by an
 * atomic rename, and only if a row was written; a retried Spark task replaces it whole.
 */
final class ShardWriter<T> implements AutoCloseable {
  /**
   * Long or nearly unique text columns: a dictionary never pays off for them (a prompt's id and
   * problem repeat only over its few samples, next to each other, where Snappy finds them), and
   * trying one first hashes and compares every value. Column paths.
   */
  private static final String[] NO_DICTIONARY = {"prompt_id", "problem", "prompt", "reasoning", "answer", "completion",
      "error", "messages.list.element.content",
      // One value per prompt or nearly per trace: a dictionary of them is as large as the values,
      // and each value would cost a hash lookup and a fallback check.
      "reference_answer", "extracted", "prompt_tokens", "completion_tokens", "latency_ms", "seed"};
  /** Free text and answers: min/max statistics of them help no reader, and Parquet would compare every value and keep whole texts in the footer. */
  private static final String[] NO_STATISTICS = {"problem", "prompt", "reasoning", "answer", "completion", "error",
      "messages.list.element.content", "reference_answer", "extracted"};
  private static final String AVRO_SCHEMA_KEY = "parquet.avro.schema";
  private final Location file;
  private final ContractRows.Writer<T> rows;
  private Location tmp;
  private ParquetWriter<T> writer;
  private long count;

  private final ByteBufferAllocator allocator;

  /** @param allocator page buffers (thread-safe: parquet-java may hand it to other writers; see {@link RecyclingAllocator}) */
  ShardWriter(Path file, ContractRows.Writer<T> rows, ByteBufferAllocator allocator) {
    this(Location.local(file), rows, allocator);
  }

  ShardWriter(Location file, ContractRows.Writer<T> rows, ByteBufferAllocator allocator) {
    this.file = file;
    this.rows = rows;
    this.allocator = allocator;
  }

  void write(T row) {
    try {
      if (writer == null) {
        open();
      }
      writer.write(row);
      count++;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
    }
  }

  long rows() {
    return count;
  }

  private void open() throws IOException {
    tmp = TaskFile.temporary(file);
    Configuration conf = new Configuration(false);
    Builder<T> b = new Builder<>(tmp.isLocal() ? new LocalOutputFile(tmp.localPath()) : Store.of(tmp).outputFile(tmp), new Support<>(rows))
        .withConf(conf)
        .withCompressionCodec(CompressionCodecName.SNAPPY)
        .withAllocator(allocator)
        .withWriteMode(ParquetFileWriter.Mode.OVERWRITE);
    for (String column : NO_DICTIONARY) {
      b = b.withDictionaryEncoding(column, false);
    }
    for (String column : NO_STATISTICS) {
      b = b.withStatisticsEnabled(column, false);
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
      TaskFile.commit(tmp, file);
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
    TaskFile.discard(tmp, file);
  }

  /** Rows through {@link ContractRows}; the footer carries the Avro schema and model name as parquet-avro writes them. */
  private static final class Support<T> extends WriteSupport<T> {
    private final MessageType schema;
    private final ContractRows.Writer<T> rows;
    private RecordConsumer consumer;
    private ContractRows.Out out;

    Support(ContractRows.Writer<T> rows) {
      this.schema = rows.contract().parquetSchema();
      this.rows = rows;
    }

    @Override
    public String getName() {
      return "avro";
    }

    // Parquet 1.16 deprecates the Hadoop-Configuration hooks for its own ParquetConfiguration, but
    // its writer still calls them for a Hadoop Configuration, which is what this job passes.
    @SuppressWarnings("deprecation")
    @Override
    public WriteContext init(Configuration configuration) {
      return new WriteContext(schema, Map.of(AVRO_SCHEMA_KEY, rows.contract().avroSchema().toString()));
    }

    @Override
    public void prepareForWrite(RecordConsumer recordConsumer) {
      consumer = recordConsumer;
      out = new ContractRows.Out(recordConsumer);
    }

    @Override
    public void write(T row) {
      consumer.startMessage();
      rows.write(out, row);
      consumer.endMessage();
    }
  }

  private static final class Builder<T> extends ParquetWriter.Builder<T, Builder<T>> {
    private final WriteSupport<T> support;

    Builder(OutputFile file, WriteSupport<T> support) {
      super(file);
      this.support = support;
    }

    @Override
    protected Builder<T> self() {
      return this;
    }

    @SuppressWarnings("deprecation") // see init above
    @Override
    protected WriteSupport<T> getWriteSupport(Configuration conf) {
      return support;
    }
  }
}
