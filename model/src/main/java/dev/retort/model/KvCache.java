package dev.retort.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * Keys and values of every layer for a batch being decoded, made by {@link
 * Transformer#newCache}. Buffers are preallocated and written in place, and double when a step
 * would overflow them (so a large max_new_tokens costs memory only when used); all rows
 * share one write index (prompts are left-padded to a common length), while each row keeps its
 * own next position id and a per-key additive bias that hides its padding.
 *
 * <p>Not thread-safe: one cache belongs to one decoding loop. Close it to free its native memory.
 */
public final class KvCache implements AutoCloseable {
  private final NDManager manager;
  private final NDArray[] keys; // [B, kv, capacity, hd] per layer
  private final NDArray[] values;
  private NDArray keyBias; // [B, 1, 1, 1, capacity]: 0 for real keys, MASKED for padding
  private final long[] nextPositions;
  private final int batchSize;
  private int capacity;
  private int length;

  KvCache(NDManager manager, ModelConfig config, int batchSize, int capacity) {
    if (batchSize <= 0 || capacity <= 0) {
      throw new IllegalArgumentException("cache needs positive batch size and capacity");
    }
    this.manager = manager;
    this.batchSize = batchSize;
    this.capacity = capacity;
    Shape shape = new Shape(batchSize, config.numKeyValueHeads(), capacity, config.headDim());
    keys = new NDArray[config.numHiddenLayers()];
    values = new NDArray[config.numHiddenLayers()];
    for (int l = 0; l < keys.length; l++) {
      keys[l] = manager.zeros(shape, DataType.FLOAT32);
      values[l] = manager.zeros(shape, DataType.FLOAT32);
    }
    keyBias = manager.zeros(new Shape(batchSize, 1, 1, 1, capacity), DataType.FLOAT32);
    nextPositions = new long[batchSize];
  }

  /** Number of filled positions (prompt plus generated), the same for every row. */
  public int length() {
    return length;
  }

  /** Current buffer length in positions (grows on demand). */
  public int capacity() {
    return capacity;
  }

  public int batchSize() {
    return batchSize;
  }

  /** The position id the next token of {@code row} gets. */
  public long nextPosition(int row) {
    return nextPositions[row];
  }

  /** Makes room for {@code n} more positions, growing the buffers (at least doubling) if needed. */
  void ensureRoom(int n) {
    int need = length + n;
    if (need <= capacity) {
      return;
    }
    int grown = Math.max(need, 2 * capacity);
    for (int l = 0; l < keys.length; l++) {
      keys[l] = grow(keys[l], 2, grown);
      values[l] = grow(values[l], 2, grown);
    }
    keyBias = grow(keyBias, 4, grown); // new keys are generated tokens: visible (bias 0)
    capacity = grown;
  }

  private NDArray grow(NDArray a, int axis, int newCapacity) {
    long[] dims = a.getShape().getShape().clone();
    dims[axis] = newCapacity - capacity;
    try (NDArray zeros = manager.zeros(new Shape(dims), DataType.FLOAT32)) {
      NDArray bigger = a.concat(zeros, axis);
      a.close();
      return bigger;
    }
  }

  /** Stores k/v [B, kv, T, hd] of one layer at positions start..start+T-1. */
  void write(int layer, int start, NDArray k, NDArray v) {
    long t = k.getShape().get(2);
    NDIndex at = new NDIndex().addAllDim(2).addSliceDim(start, start + t);
    keys[layer].set(at, k);
    values[layer].set(at, v);
  }

  /** View of the first {@code len} keys of a layer, owned by {@code m}. */
  NDArray keys(int layer, NDManager m, int len) {
    return keys[layer].get(m, new NDIndex().addAllDim(2).addSliceDim(0, len));
  }

  NDArray values(int layer, NDManager m, int len) {
    return values[layer].get(m, new NDIndex().addAllDim(2).addSliceDim(0, len));
  }

  /** Sets the bias of the prompt's keys [B,1,1,1,T] (pads masked); later keys stay visible. */
  void setKeyBias(NDArray bias) {
    long t = bias.getShape().get(4);
    keyBias.set(new NDIndex().addAllDim(4).addSliceDim(0, t), bias);
  }

  NDArray keyBias(NDManager m, int len) {
    return keyBias.get(m, new NDIndex().addAllDim(4).addSliceDim(0, len));
  }

  void advance(int n, long[] lastPositions) {
    length += n;
    for (int i = 0; i < batchSize; i++) {
      nextPositions[i] = lastPositions[i] + 1;
    }
  }

  @Override
  public void close() {
    manager.close();
  }
}
