package dev.retort.train;

import java.util.ArrayList;
import java.util.List;

/**
 * The training schedule of a tokenized dataset: for each epoch, the shuffled order, its packed
 * rows, and their grouping into micro-batches and optimizer steps. Every step is a pure function
 * of (seed, epoch, step in epoch), which is what lets a resumed run replay the data exactly.
 */
public final class SftDataset {
  private final Samples samples;
  private final int seqLen;
  private final int batchSize;
  private final int gradAccum;
  private final long seed;
  private final List<List<int[]>> epochRows = new ArrayList<>();

  public SftDataset(Samples samples, int seqLen, int batchSize, int gradAccum, long seed, int epochs) {
    this.samples = samples;
    this.seqLen = seqLen;
    this.batchSize = batchSize;
    this.gradAccum = gradAccum;
    this.seed = seed;
    for (int e = 0; e < epochs; e++) {
      epochRows.add(Packing.pack(Packing.order(samples.size(), seed, e), samples::length, seqLen, Packing.OPEN_ROWS));
    }
  }

  public int epochs() {
    return epochRows.size();
  }

  /** Packed rows of an epoch in training order. */
  public List<int[]> rows(int epoch) {
    return epochRows.get(epoch);
  }

  public int microBatchesInEpoch(int epoch) {
    return (rows(epoch).size() + batchSize - 1) / batchSize;
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

  /** The micro-batches (each a list of rows) of one optimizer step. */
  public List<List<int[]>> step(int epoch, int stepInEpoch) {
    List<int[]> rows = rows(epoch);
    List<List<int[]>> out = new ArrayList<>();
    int first = stepInEpoch * gradAccum;
    int last = Math.min(first + gradAccum, microBatchesInEpoch(epoch));
    for (int mb = first; mb < last; mb++) {
      out.add(rows.subList(mb * batchSize, Math.min((mb + 1) * batchSize, rows.size())));
    }
    return out;
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

  /** Padding share of all rows of an epoch (0 = rows exactly full). */
  public double paddingFraction(int epoch) {
    long used = 0;
    for (int[] row : rows(epoch)) {
      for (int s : row) {
        used += samples.length(s);
      }
    }
    return 1.0 - used / (double) ((long) rows(epoch).size() * seqLen);
  }
}
