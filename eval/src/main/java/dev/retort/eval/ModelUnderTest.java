package dev.retort.eval;

import java.io.Serializable;
import java.util.List;

/**
 * A model that answers benchmark prompts: a local checkpoint ({@link CheckpointModel}) or an
 * OpenAI-compatible endpoint ({@link EndpointModel}). Implementations batch and parallelize as
 * they see fit; the runner hands over one chunk of requests at a time.
 *
 * <p>Contract: {@link #generate} returns one response per request, in request order. A request
 * that fails on its own (an endpoint gave up after retries) comes back with {@code error} set and
 * is not saved, so a rerun asks again. A failure of the model as a whole (it cannot run at all)
 * throws; samples of earlier chunks are already saved.
 */
public interface ModelUnderTest extends AutoCloseable {
  /** What exactly is being evaluated: a checkpoint's content hash, or endpoint URL and served name. */
  String identity();

  List<Response> generate(List<Request> requests);

  @Override
  void close();

  /**
   * One prompt to answer.
   *
   * @param id {@code problemId#sampleIndex}, for logs and errors
   * @param userText the templated user turn (the model applies its own chat template)
   * @param seed this sample's seed: a function of (eval seed, benchmark, problem, sample index)
   */
  record Request(String id, String userText, double temperature, double topP, int topK, int maxTokens, long seed)
      implements Serializable {}

  /**
   * @param text the full response (reasoning block and answer)
   * @param finishReason stop or length
   * @param error null on success; otherwise why this request failed
   */
  record Response(String text, int completionTokens, String finishReason, String error) {
    public static Response failed(String error) {
      return new Response(null, 0, "error", error);
    }

    public boolean ok() {
      return error == null;
    }
  }
}
