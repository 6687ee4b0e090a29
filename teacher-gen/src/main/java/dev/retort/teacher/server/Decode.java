package dev.retort.teacher.server;

import java.util.concurrent.ThreadLocalRandom;

/**
 * One sample between decoding slices of the {@link Batcher}: its request, the seed it draws from,
 * the prompt and the generated token ids so far (ids are the backend's own; the scripted backend
 * only counts them), how many slices it has had, and, once finished, its completion.
 *
 * @param prompt the encoded prompt, filled in by the backend at the first slice (null before)
 * @param tokens every token generated so far, across slices
 * @param done the finished completion, or null while the sample needs more slices
 */
public record Decode(CompletionRequest request, long seed, int[] prompt, int[] tokens, int slices, Completion done) {

  /** A sample before its first slice; a request without a seed gets a random one here. */
  public static Decode start(CompletionRequest r) {
    Long s = r.sampling().seed();
    return new Decode(r, s != null ? s : ThreadLocalRandom.current().nextLong(), null, new int[0], 0, null);
  }

  /** The state after one more slice that did not finish the sample. */
  public Decode next(int[] encodedPrompt, int[] generated) {
    return new Decode(request, seed, encodedPrompt, generated, slices + 1, null);
  }

  /** The state of a finished sample. */
  public Decode finish(Completion c) {
    return new Decode(request, seed, prompt, tokens, slices + 1, c);
  }

  public boolean finished() {
    return done != null;
  }

  /** Tokens this sample may still generate. */
  public int remaining() {
    return Math.max(0, request.sampling().maxTokens() - tokens.length);
  }

  /**
   * The seed of this slice's draws: the sample's own seed in the first slice (so a sample finished
   * in one slice is exactly what an unsliced call gives), a value derived from it and the slice
   * number afterwards (a resumed row starts a fresh generator).
   */
  public long sliceSeed() {
    if (slices == 0) {
      return seed;
    }
    long z = seed + 0x9E3779B97F4A7C15L * slices;
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }
}
