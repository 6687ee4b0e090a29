package dev.retort.teacher.djl;

import dev.retort.core.data.SamplingParams;
import dev.retort.teacher.Choice;
import dev.retort.teacher.TeacherClient;
import dev.retort.teacher.TeacherException;
import dev.retort.teacher.TeacherRequest;
import dev.retort.teacher.TeacherResponse;
import dev.retort.teacher.server.Batcher;
import dev.retort.teacher.server.Completion;
import dev.retort.teacher.server.CompletionBackend;
import dev.retort.teacher.server.CompletionRequest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * A teacher inside this JVM: a {@link CompletionBackend} (a DJL checkpoint on an executor's GPU,
 * or the scripted backend in tests) behind the same {@link Batcher} the HTTP server uses, so
 * requests from all Spark tasks of an executor share batches. A request with {@code n = k}
 * becomes k samples with seeds seed, seed+1, ... (the server does the same).
 */
public final class LocalTeacher implements TeacherClient {
  private final CompletionBackend backend;
  private final Batcher batcher;
  private final String modelId;

  public LocalTeacher(CompletionBackend backend, String modelId, int maxBatch, Duration batchWait) {
    this.backend = backend;
    this.modelId = modelId;
    this.batcher = new Batcher(backend, maxBatch, batchWait, "retort-local-teacher");
  }

  @Override
  public String modelId() {
    return modelId;
  }

  @Override
  public CompletableFuture<TeacherResponse> complete(TeacherRequest request) {
    long start = System.nanoTime();
    SamplingParams s = request.sampling();
    List<CompletionRequest> samples = new ArrayList<>(request.n());
    for (int i = 0; i < request.n(); i++) {
      samples.add(new CompletionRequest(request.messages(), s.seed() == null ? s : s.withSeed(s.seed() + i), request.stop()));
    }
    CompletableFuture<TeacherResponse> out = new CompletableFuture<>();
    batcher.submitAll(samples).whenComplete((cs, err) -> {
      if (err != null) {
        Throwable c = err.getCause() != null ? err.getCause() : err;
        out.completeExceptionally(new TeacherException("local teacher failed: " + c, 0, 1, c));
        return;
      }
      List<Choice> choices = new ArrayList<>(cs.size());
      int completionTokens = 0;
      for (int i = 0; i < cs.size(); i++) {
        Completion c = cs.get(i);
        choices.add(new Choice(i, c.reasoning(), c.answer(), c.finishReason(), c.completionTokens()));
        completionTokens += c.completionTokens();
      }
      int promptTokens = cs.isEmpty() ? 0 : cs.get(0).promptTokens();
      out.complete(new TeacherResponse(choices, promptTokens, completionTokens, (System.nanoTime() - start) / 1_000_000, 1, "local"));
    });
    return out;
  }

  @Override
  public void close() {
    batcher.close();
    backend.close();
  }
}
