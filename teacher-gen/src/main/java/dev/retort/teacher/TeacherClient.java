package dev.retort.teacher;

import java.util.concurrent.CompletableFuture;

/**
 * A teacher model that answers chat requests: an OpenAI-compatible HTTP pool
 * ({@link dev.retort.teacher.http.HttpTeacherPool}) or a model loaded in this JVM
 * ({@link dev.retort.teacher.djl.LocalTeacher}).
 *
 * <p>Contract: {@link #complete} never blocks the caller on the network and never throws for a
 * failed request; the future completes normally with a response, or exceptionally with a
 * {@link TeacherException} once retrying cannot help. Every future completes: implementations bound
 * each attempt with a timeout and the number of attempts. Implementations are thread-safe and meant
 * to be shared by all tasks of an executor JVM.
 */
public interface TeacherClient extends AutoCloseable {
  CompletableFuture<TeacherResponse> complete(TeacherRequest request);

  /** The teacher's id written to every trace: the served model name or the checkpoint's name. */
  String modelId();

  /** Fails requests still queued and releases connections and threads. */
  @Override
  void close();
}
