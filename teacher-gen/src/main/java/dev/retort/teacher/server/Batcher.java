package dev.retort.teacher.server;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Collects concurrent requests into batches for one backend: after the first request arrives it
 * waits up to {@code maxWait} for more, up to {@code maxBatch}, then makes one backend call. One
 * worker thread owns the backend, so a model is never called concurrently, and requests arriving
 * while a batch runs form the next batch (continuous-batching-lite).
 */
public final class Batcher implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Batcher.class);

  private record Item(CompletionRequest request, CompletableFuture<Completion> result) {}

  private final CompletionBackend backend;
  private final int maxBatch;
  private final long maxWaitNanos;
  private final BlockingQueue<Item> queue = new LinkedBlockingQueue<>();
  private final Thread worker;
  private volatile boolean closed;
  private final AtomicLong batches = new AtomicLong();
  private final AtomicLong items = new AtomicLong();
  private volatile int largestBatch;

  public Batcher(CompletionBackend backend, int maxBatch, Duration maxWait, String name) {
    if (maxBatch < 1) {
      throw new IllegalArgumentException("max batch must be >= 1, got " + maxBatch);
    }
    this.backend = backend;
    this.maxBatch = maxBatch;
    this.maxWaitNanos = Math.max(0, maxWait.toNanos());
    this.worker = new Thread(this::loop, name);
    this.worker.setDaemon(true);
    this.worker.start();
  }

  public CompletableFuture<Completion> submit(CompletionRequest r) {
    CompletableFuture<Completion> f = new CompletableFuture<>();
    if (closed) {
      f.completeExceptionally(new IllegalStateException("batcher closed"));
      return f;
    }
    queue.add(new Item(r, f));
    return f;
  }

  /** Submits several requests; the future completes when all are done, in order. */
  public CompletableFuture<List<Completion>> submitAll(List<CompletionRequest> rs) {
    List<CompletableFuture<Completion>> fs = new ArrayList<>(rs.size());
    for (CompletionRequest r : rs) {
      fs.add(submit(r));
    }
    return CompletableFuture.allOf(fs.toArray(CompletableFuture[]::new))
        .thenApply(v -> fs.stream().map(CompletableFuture::join).toList());
  }

  public long batches() {
    return batches.get();
  }

  public long items() {
    return items.get();
  }

  public int largestBatch() {
    return largestBatch;
  }

  private void loop() {
    List<Item> batch = new ArrayList<>(maxBatch);
    while (!closed) {
      batch.clear();
      try {
        Item first = queue.poll(200, TimeUnit.MILLISECONDS);
        if (first == null) {
          continue;
        }
        batch.add(first);
        long deadline = System.nanoTime() + maxWaitNanos;
        while (batch.size() < maxBatch) {
          queue.drainTo(batch, maxBatch - batch.size());
          long left = deadline - System.nanoTime();
          if (batch.size() >= maxBatch || left <= 0) {
            break;
          }
          Item next = queue.poll(left, TimeUnit.NANOSECONDS);
          if (next == null) {
            break;
          }
          batch.add(next);
        }
      } catch (InterruptedException e) {
        break;
      }
      run(batch);
    }
    for (Item i : batch) {
      i.result.completeExceptionally(new IllegalStateException("batcher closed"));
    }
    Item i;
    while ((i = queue.poll()) != null) {
      i.result.completeExceptionally(new IllegalStateException("batcher closed"));
    }
  }

  private void run(List<Item> batch) {
    List<CompletionRequest> reqs = new ArrayList<>(batch.size());
    for (Item i : batch) {
      reqs.add(i.request);
    }
    batches.incrementAndGet();
    items.addAndGet(batch.size());
    largestBatch = Math.max(largestBatch, batch.size());
    try {
      List<Completion> out = backend.generate(reqs);
      if (out.size() != batch.size()) {
        throw new IllegalStateException("backend returned " + out.size() + " completions for " + batch.size() + " requests");
      }
      for (int k = 0; k < batch.size(); k++) {
        batch.get(k).result.complete(out.get(k));
      }
    } catch (Exception | OutOfMemoryError e) {
      LOG.warn("backend failed on a batch of {}: {}", batch.size(), e.toString());
      for (Item i : batch) {
        i.result.completeExceptionally(e);
      }
    }
    batch.clear();
  }

  @Override
  public void close() {
    closed = true;
    worker.interrupt();
    try {
      worker.join(5000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
