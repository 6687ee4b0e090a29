package dev.retort.train;

import dev.retort.core.data.SftExample;
import dev.retort.core.io.Codecs;
import dev.retort.core.io.ParquetIO;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.IntBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The tokenized dataset on disk: every sample's ids back to back in one little-endian int32 file
 * (memory-mapped), and per sample its offset, length and prompt length in memory (16 bytes a
 * sample: 800k samples take 13 MB, their tokens stay in the page cache). Built in one streaming
 * pass over the SFT Parquet rows, so the rows themselves are never all in memory; shuffling and
 * packing work on sample indices only.
 */
public final class TokenStore implements Samples, AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(TokenStore.class);
  private static final int CHUNK_INTS = 1 << 28; // 1 GiB per mapping

  private final Path file;
  private final long[] offsets;
  private final int[] lengths;
  private final int[] promptLengths;
  private final IntBuffer[] chunks;
  private final long totalTokens;
  private final long lossTokens;

  private TokenStore(Path file, long[] offsets, int[] lengths, int[] promptLengths) throws IOException {
    this.file = file;
    this.offsets = offsets;
    this.lengths = lengths;
    this.promptLengths = promptLengths;
    long total = 0;
    long loss = 0;
    for (int i = 0; i < lengths.length; i++) {
      total += lengths[i];
      loss += lengths[i] - promptLengths[i];
    }
    this.totalTokens = total;
    this.lossTokens = loss;
    int n = (int) ((total + CHUNK_INTS - 1) / CHUNK_INTS);
    chunks = new IntBuffer[n];
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      for (int c = 0; c < n; c++) {
        long start = (long) c * CHUNK_INTS;
        long ints = Math.min(CHUNK_INTS, total - start);
        chunks[c] = ch.map(FileChannel.MapMode.READ_ONLY, start * 4, ints * 4).order(ByteOrder.LITTLE_ENDIAN).asIntBuffer();
      }
    }
  }

  /**
   * Tokenizes every SFT row under {@code dataDir} into {@code file}.
   *
   * @param maxLength longest sample allowed (the packing length)
   * @throws IllegalArgumentException when there are no rows, or some sample is longer than
   *     {@code maxLength} (naming how many, the longest and the first offending row)
   */
  public static TokenStore build(Path dataDir, SftEncoder encoder, int maxLength, Path file) {
    if (ParquetIO.files(dataDir).isEmpty()) {
      throw new IllegalArgumentException("no SFT Parquet files (*.parquet) under " + dataDir
          + " (expected the filter's filtered/sft view: prompt_id, prompt, completion; reasoning, answer and messages optional)");
    }
    try {
      Files.createDirectories(file.toAbsolutePath().getParent());
      Writer w = new Writer(encoder, maxLength);
      try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(file), 1 << 16)) {
        w.out = out;
        ParquetIO.forEach(dataDir, Codecs.SFT, w);
        w.flush();
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
      return new TokenStore(file, Arrays.copyOf(w.offsets, w.n), Arrays.copyOf(w.lengths, w.n), Arrays.copyOf(w.prompts, w.n));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write token cache " + file + ": " + e.getMessage(), e);
    }
  }

  /** Streams encoded rows into the token file; long samples are only counted (reported all at once). */
  private static final class Writer implements Consumer<SftExample> {
    final SftEncoder encoder;
    final int maxLength;
    final ByteBuffer buf = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
    OutputStream out;
    long[] offsets = new long[1024];
    int[] lengths = new int[1024];
    int[] prompts = new int[1024];
    int n;
    long written;
    long unknown;
    int tooLong;
    int longest;
    final List<String> tooLongIds = new ArrayList<>();

    Writer(SftEncoder encoder, int maxLength) {
      this.encoder = encoder;
      this.maxLength = maxLength;
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
      if (n == offsets.length) {
        offsets = Arrays.copyOf(offsets, n * 2);
        lengths = Arrays.copyOf(lengths, n * 2);
        prompts = Arrays.copyOf(prompts, n * 2);
      }
      offsets[n] = written;
      lengths[n] = enc.length();
      prompts[n] = enc.promptLength();
      n++;
      unknown += enc.unknown();
      written += enc.length();
      try {
        for (int t : enc.tokens()) {
          if (!buf.hasRemaining()) {
            flush();
          }
          buf.putInt(t);
        }
      } catch (IOException ex) {
        throw new UncheckedIOException(ex);
      }
    }

    void flush() throws IOException {
      out.write(buf.array(), 0, buf.position());
      buf.clear();
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
    long off = offsets[sample];
    for (int j = 0; j < lengths[sample]; j++) {
      long k = off + j;
      dst[at + j] = chunks[(int) (k / CHUNK_INTS)].get((int) (k % CHUNK_INTS));
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

  @Override
  public void close() {
    // Mappings are released by the GC; the file is deleted by its owner once training ends.
  }
}
