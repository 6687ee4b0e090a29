package dev.retort.teacher.server;

import java.util.ArrayList;
import java.util.List;

/**
 * What generates text behind {@link OpenAiServer} and {@link dev.retort.teacher.djl.LocalTeacher}:
 * a batch of requests in, one completion per request out, in order. Called from one thread at a
 * time (the batcher's), so implementations holding a model need no locking.
 */
public interface CompletionBackend extends AutoCloseable {
  List<Completion> generate(List<CompletionRequest> batch) throws Exception;

  /**
   * Refuses a request this backend cannot serve (for a model: messages its chat template rejects),
   * so the server answers 400 before the request joins a batch of others.
   *
   * @throws IllegalArgumentException naming the problem
   */
  default void check(CompletionRequest request) {}

  /**
   * True for backends that are cheap and thread-safe (the scripted one): the server then calls
   * {@link #generate} on the connection's own thread and skips the batcher, whose thread hand-offs
   * would only add latency. Model backends keep the default (false).
   */
  default boolean inline() {
    return false;
  }

  /**
   * One decoding slice, the unit the {@link Batcher} schedules: continues every row by at most
   * {@code sliceTokens} new tokens in one batched call and returns each row's next state, finished
   * ({@link Decode#finish}) or to be continued ({@link Decode#next}), in order. Between slices the
   * batcher admits new requests, drops cancelled ones and round-robins, so a long sample cannot
   * hold the backend while short ones wait. The default is for backends that cannot resume: it
   * generates whole completions, one slice per sample.
   */
  default List<Decode> decode(List<Decode> rows, int sliceTokens) throws Exception {
    List<CompletionRequest> reqs = new ArrayList<>(rows.size());
    for (Decode d : rows) {
      reqs.add(d.request());
    }
    List<Completion> out = generate(reqs);
    if (out.size() != rows.size()) {
      throw new IllegalStateException("backend returned " + out.size() + " completions for " + rows.size() + " requests");
    }
    List<Decode> next = new ArrayList<>(rows.size());
    for (int i = 0; i < rows.size(); i++) {
      next.add(rows.get(i).finish(out.get(i)));
    }
    return next;
  }

  @Override
  default void close() {}
}
