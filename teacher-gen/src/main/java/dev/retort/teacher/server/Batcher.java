package dev.retort.teacher.server;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Schedules the samples of concurrent requests onto one backend in slices (continuous batching at
 * slice granularity). One worker thread owns the backend, so a model is never called concurrently.
 * Each round it takes up to {@code maxBatch} samples from the run queue, one per request before a
 * second of any request (round-robin over requests), and calls {@link CompletionBackend#decode}
 * for at most {@code sliceTokens} new tokens each; finished samples complete their request,
 * unfinished ones go to the back of the queue. So a request arriving during a long generation
 * starts at the next slice instead of after it, and a request with a huge budget only ever holds
 * one slot for one slice at a time.
 *
 * <ul>
 *   <li>Waiting: when the queue holds only new samples, the worker waits up to {@code maxWait} after
 *       the first one for more (a fuller first batch); continuing samples never wait.
 *   <li>Bound: at most {@code capacity} samples queued or decoding; a submission beyond it fails at
 *       once with {@link Full} (the server answers 429).
 *   <li>Cancellation: cancelling (or otherwise completing) a submission's future drops its samples
 *       before their next slice, freeing their slots.
 *   <li>Isolation: when a batched slice throws (an exception or an OutOfMemoryError), each row is
 *       retried alone, so only the rows that fail alone fail their requests.
 * </ul>
 */
public final class Batcher implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Batcher.class);

  /** New tokens per sample per slice when the caller does not say. */
  public static final int DEFAULT_SLICE_TOKENS = 32;

  /** The queue is full: retry later. */
  public static final class Full extends RejectedExecutionException {
    private static final long serialVersionUID = 1L;

    Full(int capacity) {
      super("the server's queue is full (" + capacity + " samples queued or decoding); retry later");
    }
  }

  /** The samples of one submission and their results. */
  private static final class Group {
    final CompletableFuture<List<Completion>> result = new CompletableFuture<>();
    final Completion[] out;
    int left;

    Group(int n) {
      out = new Completion[n];
      left = n;
    }
  }

  /** One sample: its group, its place in the group's answer, and its decoding state. */
  private static final class Slot {
    final Group group;
    final int index;
    Decode state;

    Slot(Group group, int index, Decode state) {
      this.group = group;
      this.index = index;
      this.state = state;
    }
  }

  private final CompletionBackend backend;
  private final int maxBatch;
  private final long maxWaitNanos;
  private final int sliceTokens;
  private final int capacity;
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition ready = lock.newCondition();
  private final ArrayDeque<Slot> runQueue = new ArrayDeque<>();
  private int pending; // samples queued or decoding, guarded by lock
  private final Thread worker;
  private volatile boolean closed;
  private final AtomicLong batches = new AtomicLong();
  private final AtomicLong items = new AtomicLong();
  private final AtomicLong cancelled = new AtomicLong();
  private final AtomicLong isolatedRetries = new AtomicLong();
  private volatile int largestBatch;

  /** Default slices, no bound on queued samples (the in-process teacher). */
  public Batcher(CompletionBackend backend, int maxBatch, Duration maxWait, String name) {
    this(backend, maxBatch, maxWait, DEFAULT_SLICE_TOKENS, Integer.MAX_VALUE, name);
  }

  public Batcher(CompletionBackend backend, int maxBatch, Duration maxWait, int sliceTokens, int capacity, String name) {
    if (maxBatch < 1) {
      throw new IllegalArgumentException("max batch must be >= 1, got " + maxBatch);
    }
    if (sliceTokens < 1) {
      throw new IllegalArgumentException("slice tokens must be >= 1, got " + sliceTokens);
    }
    if (capacity < 1) {
      throw new IllegalArgumentException("queue capacity must be >= 1, got " + capacity);
    }
    this.backend = backend;
    this.maxBatch = maxBatch;
    this.maxWaitNanos = Math.max(0, maxWait.toNanos());
    this.sliceTokens = sliceTokens;
    this.capacity = capacity;
    this.worker = new Thread(this::loop, name);
    this.worker.setDaemon(true);
    this.worker.start();
  }

  public CompletableFuture<Completion> submit(CompletionRequest r) {
    return submitAll(List.of(r)).thenApply(l -> l.get(0));
  }

  /**
   * Submits the samples of one request; the future completes when all are done, in order. It fails
   * at once with {@link Full} when the queue has no room for all of them; cancelling it drops the
   * samples not yet finished.
   */
  public CompletableFuture<List<Completion>> submitAll(List<CompletionRequest> rs) {
    Group g = new Group(rs.size());
    if (rs.isEmpty()) {
      g.result.complete(List.of());
      return g.result;
    }
    lock.lock();
    try {
      if (closed) {
        g.result.completeExceptionally(new IllegalStateException("batcher closed"));
        return g.result;
      }
      if ((long) pending + rs.size() > capacity) {
        g.result.completeExceptionally(new Full(capacity));
        return g.result;
      }
      for (int i = 0; i < rs.size(); i++) {
        runQueue.addLast(new Slot(g, i, Decode.start(rs.get(i))));
      }
      pending += rs.size();
      ready.signalAll();
    } finally {
      lock.unlock();
    }
    return g.result;
  }

  /** Backend calls (slices) made. */
  public long batches() {
    return batches.get();
  }

  /** Samples that started decoding. */
  public long items() {
    return items.get();
  }

  public int largestBatch() {
    return largestBatch;
  }

  /** Samples dropped because their submission was cancelled or had already failed. */
  public long cancelled() {
    return cancelled.get();
  }

  /** Rows retried alone after their batched slice failed. */
  public long isolatedRetries() {
    return isolatedRetries.get();
  }

  /** Samples queued or decoding. */
  public int pending() {
    lock.lock();
    try {
      return pending;
    } finally {
      lock.unlock();
    }
  }

  public int capacity() {
    return capacity;
  }

  private void loop() {
    while (!closed) {
      List<Slot> batch;
      try {
        batch = take();
      } catch (InterruptedException e) {
        break;
      }
      if (!batch.isEmpty()) {
        run(batch);
      }
    }
    lock.lock();
    try {
      for (Slot s : runQueue) {
        s.group.result.completeExceptionally(new IllegalStateException("batcher closed"));
      }
      runQueue.clear();
      pending = 0;
    } finally {
      lock.unlock();
    }
  }

  /** The next round's samples: waits for work, drops cancelled samples, picks round-robin. */
  private List<Slot> take() throws InterruptedException {
    lock.lock();
    try {
      while (runQueue.isEmpty() && !closed) {
        ready.await(200, TimeUnit.MILLISECONDS);
      }
      if (closed) {
        return List.of();
      }
      boolean onlyNew = runQueue.stream().allMatch(s -> s.state.slices() == 0);
      if (onlyNew && maxWaitNanos > 0) {
        long left = maxWaitNanos;
        while (runQueue.size() < maxBatch && left > 0 && !closed) {
          left = ready.awaitNanos(left);
        }
      }
      dropCancelled();
      return pick();
    } finally {
      lock.unlock();
    }
  }

  private void dropCancelled() {
    for (Iterator<Slot> it = runQueue.iterator(); it.hasNext();) {
      Slot s = it.next();
      if (s.group.result.isDone()) {
        it.remove();
        pending--;
        cancelled.incrementAndGet();
      }
    }
  }

  /** Up to maxBatch samples, at most k of any request before any request gets k + 1. */
  private List<Slot> pick() {
    List<Slot> batch = new ArrayList<>(Math.min(maxBatch, runQueue.size()));
    Map<Group, Integer> taken = new HashMap<>();
    for (int level = 1; batch.size() < maxBatch && !runQueue.isEmpty(); level++) {
      boolean any = false;
      for (Iterator<Slot> it = runQueue.iterator(); it.hasNext() && batch.size() < maxBatch;) {
        Slot s = it.next();
        int t = taken.getOrDefault(s.group, 0);
        if (t < level) {
          taken.put(s.group, t + 1);
          batch.add(s);
          it.remove();
          any = true;
        }
      }
      if (!any) {
        break;
      }
    }
    return batch;
  }

  private void run(List<Slot> batch) {
    batches.incrementAndGet();
    largestBatch = Math.max(largestBatch, batch.size());
    for (Slot s : batch) {
      if (s.state.slices() == 0) {
        items.incrementAndGet();
      }
    }
    List<Decode> next;
    try {
      next = slice(batch);
    } catch (Exception | OutOfMemoryError e) {
      if (batch.size() == 1 || closed) {
        for (Slot s : batch) {
          fail(s, e);
        }
        return;
      }
      LOG.warn("backend failed on a batch of {}: {}; retrying each row alone", batch.size(), e.toString());
      for (Slot s : batch) {
        isolatedRetries.incrementAndGet();
        try {
          advance(s, slice(List.of(s)).get(0));
        } catch (Exception | OutOfMemoryError e1) {
          fail(s, e1);
        }
      }
      return;
    }
    for (int k = 0; k < batch.size(); k++) {
      advance(batch.get(k), next.get(k));
    }
  }

  private List<Decode> slice(List<Slot> rows) throws Exception {
    List<Decode> states = new ArrayList<>(rows.size());
    for (Slot s : rows) {
      states.add(s.state);
    }
    List<Decode> next = backend.decode(states, sliceTokens);
    if (next.size() != rows.size()) {
      throw new IllegalStateException("backend returned " + next.size() + " rows for " + rows.size());
    }
    return next;
  }

  /** Records one row's slice: completes its request when it was the last sample, else requeues it. */
  private void advance(Slot s, Decode d) {
    s.state = d;
    if (d.finished()) {
      boolean last;
      synchronized (s.group) {
        s.group.out[s.index] = d.done();
        last = --s.group.left == 0;
      }
      release(null); // before the answer: a client that got it sees the slot free
      if (last) {
        s.group.result.complete(Arrays.asList(s.group.out));
      }
    } else {
      release(s);
    }
  }

  private void fail(Slot s, Throwable e) {
    LOG.warn("backend failed on one request: {}", e.toString());
    release(null);
    s.group.result.completeExceptionally(e);
  }

  /** One slot leaves the worker: back into the queue ({@code requeue}) or done. */
  private void release(Slot requeue) {
    lock.lock();
    try {
      if (requeue != null) {
        runQueue.addLast(requeue); // after close, the worker's exit fails what is left here
      } else {
        pending--;
      }
    } finally {
      lock.unlock();
    }
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
