package dev.retort.train;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The training schedule of a tokenized dataset: for each epoch, the shuffled order, its
 * micro-batches, and their grouping into optimizer steps. Every step is a pure function of
 * (seed, epoch, step in epoch), which is what lets a resumed run replay the data exactly.
 *
 * <p>Two layouts (setting {@code batching}):
 *
 * <ul>
 *   <li>{@link Batching#PACKED}: samples packed into rows of {@code seq-len} (segment ids keep them
 *       apart), {@code batch-size} rows per micro-batch. Little padding, but attention is computed
 *       over the whole row, so short samples in long rows waste attention FLOPs.
 *   <li>{@link Batching#GROUPED}: padding-free-style batches: one sample per row, micro-batches of
 *       similar lengths (sorted within shuffled mega-batches, as Hugging Face's group_by_length)
 *       padded only to their longest sample, at most {@code batch-size x seq-len} tokens each; the
 *       micro-batch order is shuffled again. Attention costs what the samples need.
 * </ul>
 */
public final class SftDataset {
  /** How samples are laid out in micro-batches. */
  public enum Batching { PACKED, GROUPED }

  /** Mega-batch size of GROUPED in micro-batches: larger sorts better, smaller shuffles better. */
  static final int MEGA = 32;

  /**
   * One forward pass's rows.
   *
   * @param rows sample indices per row
   * @param length row length (seq-len when packed, the longest sample when grouped)
   */
  public record MicroBatch(List<int[]> rows, int length) {}

  private final Samples samples;
  private final int seqLen;
  private final int batchSize;
  private final int gradAccum;
  private final long seed;
  private final List<List<MicroBatch>> epochs = new ArrayList<>();

  public SftDataset(Samples samples, int seqLen, int batchSize, int gradAccum, long seed, int epochs) {
    this(samples, seqLen, batchSize, gradAccum, seed, epochs, Batching.PACKED);
  }

  public SftDataset(Samples samples, int seqLen, int batchSize, int gradAccum, long seed, int epochs, Batching batching) {
    this.samples = samples;
    this.seqLen = seqLen;
    this.batchSize = batchSize;
    this.gradAccum = gradAccum;
    this.seed = seed;
    for (int e = 0; e < epochs; e++) {
      int[] order = Packing.order(samples.size(), seed, e);
      this.epochs.add(batching == Batching.PACKED ? packed(order) : grouped(order, e));
    }
  }

  private List<MicroBatch> packed(int[] order) {
    List<int[]> rows = Packing.pack(order, samples::length, seqLen, Packing.OPEN_ROWS);
    List<MicroBatch> out = new ArrayList<>();
    for (int i = 0; i < rows.size(); i += batchSize) {
      out.add(new MicroBatch(rows.subList(i, Math.min(i + batchSize, rows.size())), seqLen));
    }
    return out;
  }

  private List<MicroBatch> grouped(int[] order, int epoch) {
    long budget = (long) batchSize * seqLen;
    int perMega = Math.max(1, (int) Math.min(Integer.MAX_VALUE, MEGA * budget / Math.max(1, meanLength())));
    List<MicroBatch> out = new ArrayList<>();
    for (int from = 0; from < order.length; from += perMega) {
      List<Integer> mega = new ArrayList<>();
      for (int i = from; i < Math.min(order.length, from + perMega); i++) {
        mega.add(order[i]);
      }
      // Longest first; ties keep the shuffled order (List.sort is stable).
      mega.sort(Comparator.comparingInt((Integer s) -> samples.length(s)).reversed());
      List<int[]> rows = new ArrayList<>();
      int longest = 0;
      for (int s : mega) {
        int len = samples.length(s);
        int l = Math.max(longest, len);
        if (!rows.isEmpty() && (long) l * (rows.size() + 1) > budget) {
          out.add(new MicroBatch(rows, longest));
          rows = new ArrayList<>();
          l = len;
        }
        rows.add(new int[] {s});
        longest = l;
      }
      if (!rows.isEmpty()) {
        out.add(new MicroBatch(rows, longest));
      }
    }
    // Shuffle the micro-batches so lengths do not march in step with training time.
    SplittableRandom r = new SplittableRandom(dev.retort.core.Hashing.mix64(seed + 0x9E3779B97F4A7C15L * (epoch + 1)));
    for (int i = out.size() - 1; i > 0; i--) {
      int j = r.nextInt(i + 1);
      MicroBatch t = out.get(i);
      out.set(i, out.get(j));
      out.set(j, t);
    }
    return out;
  }

  private int meanLength() {
    long sum = 0;
    for (int i = 0; i < samples.size(); i++) {
      sum += samples.length(i);
    }
    return (int) Math.max(1, sum / Math.max(1, samples.size()));
  }

  public int epochs() {
    return epochs.size();
  }

  /** Micro-batches of an epoch in training order. */
  public List<MicroBatch> microBatches(int epoch) {
    return epochs.get(epoch);
  }

  /** All rows of an epoch in training order. */
  public List<int[]> rows(int epoch) {
    List<int[]> out = new ArrayList<>();
    for (MicroBatch mb : epochs.get(epoch)) {
      out.addAll(mb.rows());
    }
    return out;
  }

  public int microBatchesInEpoch(int epoch) {
    return epochs.get(epoch).size();
  }

  /** Optimizer steps of an epoch; the last one may have fewer micro-batches. */
  public int stepsInEpoch(int epoch) {
    return (microBatchesInEpoch(epoch) + gradAccum - 1) / gradAccum;
  }

  /** Steps of all epochs. */
  public long totalSteps() {
    long n = 0;
    for (int e = 0; e < epochs(); e++) {
      n += stepsInEpoch(e);
    }
    return n;
  }

  /** (epoch, step in epoch) of a global step index. */
  public int[] position(long step) {
    long left = step;
    for (int e = 0; e < epochs(); e++) {
      int n = stepsInEpoch(e);
      if (left < n) {
        return new int[] {e, (int) left};
      }
      left -= n;
    }
    throw new IllegalArgumentException("step " + step + " is past the last epoch");
  }

  /** The micro-batches of one optimizer step. */
  public List<MicroBatch> step(int epoch, int stepInEpoch) {
    List<MicroBatch> all = epochs.get(epoch);
    int first = stepInEpoch * gradAccum;
    return all.subList(first, Math.min(first + gradAccum, all.size()));
  }

  public Samples samples() {
    return samples;
  }

  public int seqLen() {
    return seqLen;
  }

  public long seed() {
    return seed;
  }

  /** Padding share of the epoch's micro-batches (0: every position holds a token). */
  public double paddingFraction(int epoch) {
    long used = 0;
    long cells = 0;
    for (MicroBatch mb : epochs.get(epoch)) {
      cells += (long) mb.rows().size() * mb.length();
      for (int[] row : mb.rows()) {
        for (int s : row) {
          used += samples.length(s);
        }
      }
    }
    return cells == 0 ? 0 : 1.0 - used / (double) cells;
  }

  /** Mean row length of an epoch (the attention span the model pays for). */
  public double meanRowLength(int epoch) {
    long cells = 0;
    long rows = 0;
    for (MicroBatch mb : epochs.get(epoch)) {
      cells += (long) mb.rows().size() * mb.length();
      rows += mb.rows().size();
    }
    return rows == 0 ? 0 : cells / (double) rows;
  }
}
