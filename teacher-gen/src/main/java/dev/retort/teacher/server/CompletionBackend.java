package dev.retort.teacher.server;

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

  @Override
  default void close() {}
}
