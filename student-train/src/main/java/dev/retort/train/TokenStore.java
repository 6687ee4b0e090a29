package dev.retort.train;

import dev.retort.core.data.SftExample;
import dev.retort.core.io.Codecs;
import dev.retort.core.io.ParquetIO;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.MappedByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;
import org.apache.arrow.flatbuf.MessageHeader;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.ForeignAllocation;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.memory.util.MemoryUtil;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.TinyIntVector;
import org.apache.arrow.vector.VectorLoader;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.complex.ListVector;
import org.apache.arrow.vector.ipc.ArrowStreamWriter;
import org.apache.arrow.vector.ipc.ReadChannel;
import org.apache.arrow.vector.ipc.message.ArrowRecordBatch;
import org.apache.arrow.vector.ipc.message.MessageMetadataResult;
import org.apache.arrow.vector.ipc.message.MessageSerializer;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The tokenized dataset on disk: an Apache Arrow IPC file in the streaming format, the format
 * Hugging Face {@code datasets} keeps its caches in ({@code Dataset.from_file} and
 * {@code pyarrow.ipc.open_stream} read it as it is), one row per sample:
 *
 * <ul>
 *   <li>{@code input_ids}: list&lt;int32&gt;, the sample's token ids
 *   <li>{@code completion_mask}: list&lt;int8&gt;, 1 on the ids the loss covers (TRL's column)
 *   <li>{@code prompt_length}: int32, the ids before the first trained one
 * </ul>
 *
 * <p>Built in one streaming pass over the SFT Parquet rows (the rows are never all in memory),
 * written under a temporary name and then moved to its own name, so a file is never rewritten
 * while a reader maps it; callers name a cache by what determines its contents, so a changed
 * fingerprint is a new file. Read by memory-mapping each record batch's body and handing it to
 * Arrow Java as a foreign allocation (no copy): the ids stay in the page cache, and per sample only
 * its batch row, length and prompt length live on the heap. Shuffling and packing work on sample
 * indices only.
 */
public final class TokenStore implements Samples, AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(TokenStore.class);
  public static final String INPUT_IDS = "input_ids";
  public static final String COMPLETION_MASK = "completion_mask";
  public static final String PROMPT_LENGTH = "prompt_length";
  /** A record batch ends at this many rows or ids, whichever comes first. */
  static final int BATCH_ROWS = 8192;
  static final long BATCH_IDS = 16L << 20;

  /** The schema every token cache has. */
  public static final Schema SCHEMA = new Schema(List.of(
      new Field(INPUT_IDS, FieldType.notNullable(ArrowType.List.INSTANCE),
          List.of(new Field("item", FieldType.nullable(new ArrowType.Int(32, true)), null))),
      new Field(COMPLETION_MASK, FieldType.notNullable(ArrowType.List.INSTANCE),
          List.of(new Field("item", FieldType.nullable(new ArrowType.Int(8, true)), null))),
      new Field(PROMPT_LENGTH, FieldType.notNullable(new ArrowType.Int(32, true)), null)));

  private final Path file;
  private final BufferAllocator allocator;
  private final List<VectorSchemaRoot> batches;
  private final int[] batchStart; // first sample of each batch
  private final int[] lengths;
  private final int[] promptLengths;
  private final long totalTokens;
  private final long lossTokens;

  private TokenStore(Path file, BufferAllocator allocator, List<VectorSchemaRoot> batches) {
    this.file = file;
    this.allocator = allocator;
    this.batches = batches;
    int n = 0;
    batchStart = new int[batches.size()];
    for (int b = 0; b < batches.size(); b++) {
      batchStart[b] = n;
      n += batches.get(b).getRowCount();
    }
    lengths = new int[n];
    promptLengths = new int[n];
    long total = 0;
    long loss = 0;
    int i = 0;
    for (VectorSchemaRoot root : batches) {
      ListVector ids = (ListVector) root.getVector(INPUT_IDS);
      IntVector prompts = (IntVector) root.getVector(PROMPT_LENGTH);
      for (int r = 0; r < root.getRowCount(); r++, i++) {
        lengths[i] = ids.getElementEndIndex(r) - ids.getElementStartIndex(r);
        promptLengths[i] = prompts.get(r);
        if (promptLengths[i] < 0 || promptLengths[i] > lengths[i]) {
          throw new IllegalArgumentException("token cache " + file + ": row " + i + " has prompt_length "
              + promptLengths[i] + " outside its " + lengths[i] + " ids");
        }
        total += lengths[i];
        loss += lengths[i] - promptLengths[i];
      }
    }
    totalTokens = total;
    lossTokens = loss;
  }

  /**
   * Tokenizes every SFT row under {@code dataDir} into the Arrow file {@code file} (written to a
   * temporary name next to it, then moved into place) and opens it.
   *
   * @param maxLength longest sample allowed (the packing length)
   * @throws IllegalArgumentException when there are no rows, or some sample is longer than
   *     {@code maxLength} (naming how many, the longest and the first offending row)
   */
  public static TokenStore build(Path dataDir, SftEncoder encoder, int maxLength, Path file) {
    return build(dataDir, encoder, maxLength, file, BATCH_ROWS);
  }

  /** {@link #build} with record batches of at most {@code batchRows} rows (tests cross batch boundaries). */
  static TokenStore build(Path dataDir, SftEncoder encoder, int maxLength, Path file, int batchRows) {
    if (ParquetIO.files(dataDir).isEmpty()) {
      throw new IllegalArgumentException("no SFT Parquet files (*.parquet) under " + dataDir
          + " (expected the filter's filtered/sft view: prompt_id, prompt, completion; reasoning, answer and messages optional)");
    }
    Path tmp = file.resolveSibling(file.getFileName() + ".tmp-" + ProcessHandle.current().pid());
    try {
      Files.createDirectories(file.toAbsolutePath().getParent());
      Writer w = new Writer(encoder, maxLength, batchRows);
      try (BufferAllocator alloc = new RootAllocator();
          VectorSchemaRoot root = VectorSchemaRoot.create(SCHEMA, alloc);
          OutputStream out = new BufferedOutputStream(Files.newOutputStream(tmp), 1 << 16);
          ArrowStreamWriter writer = new ArrowStreamWriter(root, null, Channels.newChannel(out))) {
        w.root = root;
        w.writer = writer;
        writer.start();
        w.newBatch();
        ParquetIO.forEach(dataDir, Codecs.SFT, w);
        w.flush();
        writer.end();
      }
      if (w.tooLong > 0) {
        throw new IllegalArgumentException(w.tooLong + " SFT sample(s) under " + dataDir + " are longer than seq-len "
            + maxLength + " tokens (longest " + w.longest + "), e.g. " + String.join(", ", w.tooLongIds)
            + ": raise seq-len (at most the model's max-position-embeddings) or filter long traces out");
      }
      if (w.n == 0) {
        throw new IllegalArgumentException("the SFT data under " + dataDir + " has no rows: nothing to train on");
      }
      if (w.unknown > 0) {
        LOG.warn("{} token(s) of the SFT data encoded to <unk> (characters the tokenizer does not cover)", w.unknown);
      }
      try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
        ch.force(true);
      }
      Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      return open(file);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write token cache " + file + ": " + e.getMessage(), e);
    } finally {
      try {
        Files.deleteIfExists(tmp);
      } catch (IOException e) {
        LOG.debug("could not delete {}: {}", tmp, e.toString());
      }
    }
  }

  /**
   * Maps a token cache written by {@link #build} (or any Arrow IPC stream with these columns).
   *
   * @throws IllegalArgumentException when the file is not an Arrow IPC stream of {@link #SCHEMA}
   */
  public static TokenStore open(Path file) {
    BufferAllocator alloc = new RootAllocator();
    List<VectorSchemaRoot> batches = new ArrayList<>();
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      ReadChannel in = new ReadChannel(ch);
      MessageMetadataResult first = MessageSerializer.readMessage(in);
      if (first == null || first.headerType() != MessageHeader.Schema) {
        throw new IllegalArgumentException("token cache " + file + " is not an Arrow IPC stream (no schema message first)");
      }
      Schema schema = MessageSerializer.deserializeSchema(first);
      if (!schema.getFields().equals(SCHEMA.getFields())) {
        throw new IllegalArgumentException("token cache " + file + " has schema " + schema + ", expected " + SCHEMA);
      }
      MessageMetadataResult msg;
      while ((msg = MessageSerializer.readMessage(in)) != null) {
        long bodyStart = ch.position();
        long bodyLength = msg.getMessageBodyLength();
        if (msg.headerType() != MessageHeader.RecordBatch) {
          throw new IllegalArgumentException("token cache " + file + ": unexpected Arrow message type "
              + msg.headerType() + " at byte " + bodyStart + " (dictionaries are not used here)");
        }
        if (bodyStart + bodyLength > ch.size()) {
          throw new IllegalArgumentException("token cache " + file + " is truncated (a record batch ends at byte "
              + (bodyStart + bodyLength) + " of " + ch.size() + ")");
        }
        MappedByteBuffer body = ch.map(FileChannel.MapMode.READ_ONLY, bodyStart, bodyLength);
        ch.position(bodyStart + bodyLength);
        // deserializeRecordBatch takes over the body's reference; the loaded vectors hold their own.
        ArrowBuf buf = alloc.wrapForeignAllocation(new Mapped(body));
        try (ArrowRecordBatch rb = MessageSerializer.deserializeRecordBatch(msg, buf)) {
          VectorSchemaRoot root = VectorSchemaRoot.create(SCHEMA, alloc);
          batches.add(root);
          new VectorLoader(root).load(rb);
        }
      }
      return new TokenStore(file, alloc, batches);
    } catch (IOException e) {
      batches.forEach(VectorSchemaRoot::close);
      alloc.close();
      throw new UncheckedIOException("cannot read token cache " + file + ": " + e.getMessage(), e);
    } catch (RuntimeException e) {
      batches.forEach(VectorSchemaRoot::close);
      alloc.close();
      throw e;
    }
  }

  /** A mapped region as Arrow memory; the mapping itself is released by the GC once unreferenced. */
  private static final class Mapped extends ForeignAllocation {
    @SuppressWarnings("unused") // keeps the mapping reachable while Arrow uses its address
    private final MappedByteBuffer region;

    Mapped(MappedByteBuffer region) {
      super(region.capacity(), MemoryUtil.getByteBufferAddress(region));
      this.region = region;
    }

    @Override
    protected void release0() {}
  }

  /** Streams encoded rows into record batches; long samples are only counted (reported all at once). */
  private static final class Writer implements Consumer<SftExample> {
    final SftEncoder encoder;
    final int maxLength;
    final int batchRows;
    VectorSchemaRoot root;
    ArrowStreamWriter writer;
    ListVector ids;
    ListVector mask;
    IntVector prompts;
    int row;
    long batchIds;
    int n;
    long unknown;
    int tooLong;
    int longest;
    final List<String> tooLongIds = new ArrayList<>();

    Writer(SftEncoder encoder, int maxLength, int batchRows) {
      this.encoder = encoder;
      this.maxLength = maxLength;
      this.batchRows = batchRows;
    }

    void newBatch() {
      root.allocateNew();
      ids = (ListVector) root.getVector(INPUT_IDS);
      mask = (ListVector) root.getVector(COMPLETION_MASK);
      prompts = (IntVector) root.getVector(PROMPT_LENGTH);
      row = 0;
      batchIds = 0;
    }

    @Override
    public void accept(SftExample e) {
      SftEncoder.Encoded enc = encoder.encode(e);
      if (enc.length() > maxLength) {
        tooLong++;
        longest = Math.max(longest, enc.length());
        if (tooLongIds.size() < 3) {
          tooLongIds.add(e.promptId() + "/" + e.sampleIndex() + " (" + enc.length() + " tokens)");
        }
        return;
      }
      int[] tokens = enc.tokens();
      int len = enc.length();
      IntVector idValues = (IntVector) ids.getDataVector();
      TinyIntVector maskValues = (TinyIntVector) mask.getDataVector();
      int at = ids.startNewValue(row);
      mask.startNewValue(row);
      for (int j = 0; j < len; j++) {
        idValues.setSafe(at + j, tokens[j]);
        maskValues.setSafe(at + j, j >= enc.promptLength() ? 1 : 0);
      }
      ids.endValue(row, len);
      mask.endValue(row, len);
      prompts.setSafe(row, enc.promptLength());
      row++;
      n++;
      batchIds += len;
      unknown += enc.unknown();
      if (row >= batchRows || batchIds >= BATCH_IDS) {
        flush();
        newBatch();
      }
    }

    void flush() {
      if (row == 0) {
        return;
      }
      root.setRowCount(row);
      try {
        writer.writeBatch();
      } catch (IOException ex) {
        throw new UncheckedIOException(ex);
      }
      row = 0;
    }
  }

  @Override
  public int size() {
    return lengths.length;
  }

  @Override
  public int length(int sample) {
    return lengths[sample];
  }

  @Override
  public int promptLength(int sample) {
    return promptLengths[sample];
  }

  /** The ids of a sample into {@code dst[at..]}. */
  @Override
  public void copyTokens(int sample, int[] dst, int at) {
    int b = Arrays.binarySearch(batchStart, sample);
    if (b < 0) {
      b = -b - 2;
    }
    ListVector ids = (ListVector) batches.get(b).getVector(INPUT_IDS);
    int start = ids.getElementStartIndex(sample - batchStart[b]);
    ArrowBuf values = ids.getDataVector().getDataBuffer();
    for (int j = 0; j < lengths[sample]; j++) {
      dst[at + j] = values.getInt((long) (start + j) * Integer.BYTES);
    }
  }

  public int[] tokens(int sample) {
    int[] out = new int[lengths[sample]];
    copyTokens(sample, out, 0);
    return out;
  }

  /** All tokens of all samples. */
  public long totalTokens() {
    return totalTokens;
  }

  /** Tokens the loss covers (completion tokens) over all samples. */
  public long lossTokens() {
    return lossTokens;
  }

  public Path file() {
    return file;
  }

  /** Releases the Arrow vectors; the mappings go with the GC, the file stays (its owner deletes it). */
  @Override
  public void close() {
    batches.forEach(VectorSchemaRoot::close);
    allocator.close();
  }
}
