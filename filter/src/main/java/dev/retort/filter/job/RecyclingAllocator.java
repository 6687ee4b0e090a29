package dev.retort.filter.job;

import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import org.apache.parquet.bytes.ByteBufferAllocator;

/**
 * Heap buffers for Parquet writers, reused by size. A column writer allocates its page buffers
 * slab by slab and releases them all at every page, so with the default allocator a task would
 * zero and collect its whole output several times over. Released buffers are kept, up to {@code maxPooledBytes}, and handed out again for the same
 * size.
 *
 * <p>Thread-safe, and meant to be shared by every writer of a JVM ({@link #SHARED}): parquet-java
 * 1.16 builds every writer's value writers through one static factory
 * ({@code ParquetProperties.DEFAULT_VALUES_WRITER_FACTORY}) that keeps the properties, allocator
 * included, of the writer initialized last, so writers opened at the same time in two Spark tasks
 * use each other's allocator. (A per-task pool failed that way: a concurrent modification in
 * about one run of the filter tests in three.)
 */
final class RecyclingAllocator implements ByteBufferAllocator {
  /** The pool of this JVM's filter tasks. */
  static final RecyclingAllocator SHARED = new RecyclingAllocator(128L << 20);

  private final long maxPooledBytes;
  private final Map<Integer, ArrayDeque<ByteBuffer>> free = new HashMap<>();
  /** The buffers in {@link #free}, by identity: a buffer released twice must not be handed out twice. */
  private final java.util.Set<ByteBuffer> pooled = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
  private long pooledBytes;

  RecyclingAllocator(long maxPooledBytes) {
    this.maxPooledBytes = maxPooledBytes;
  }

  @Override
  public synchronized ByteBuffer allocate(int size) {
    ArrayDeque<ByteBuffer> q = free.get(size);
    ByteBuffer b = q == null ? null : q.pollLast();
    if (b == null) {
      return ByteBuffer.allocate(size);
    }
    pooled.remove(b);
    pooledBytes -= size;
    b.clear(); // position 0, limit = capacity: as a fresh buffer (contents are overwritten before read)
    return b;
  }

  @Override
  public synchronized void release(ByteBuffer b) {
    if (b.isDirect() || b.isReadOnly() || !b.hasArray() || b.arrayOffset() != 0 || b.capacity() != b.array().length) {
      return; // not one of ours (a slice or a wrapped array): leave it to the collector
    }
    if (pooledBytes + b.capacity() > maxPooledBytes || !pooled.add(b)) {
      return;
    }
    free.computeIfAbsent(b.capacity(), k -> new ArrayDeque<>()).addLast(b);
    pooledBytes += b.capacity();
  }

  @Override
  public boolean isDirect() {
    return false;
  }

  /** Bytes held for reuse (for tests). */
  synchronized long pooledBytes() {
    return pooledBytes;
  }
}
