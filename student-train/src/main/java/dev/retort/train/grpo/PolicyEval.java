package dev.retort.train.grpo;

import dev.retort.core.data.Prompt;
import dev.retort.model.Generation;
import dev.retort.model.Sampler;
import dev.retort.model.SamplingOptions;
import dev.retort.model.Tokenizer;
import dev.retort.model.Transformer;
import java.util.ArrayList;
import java.util.List;

/**
 * Greedy accuracy of a policy on prompts, judged by the same reward as training: a quick check
 * of a model before and after training (tests, the comparison experiment). The eval module's
 * runner is the reference for reported benchmark numbers; this exists so student-train can check
 * itself without depending on eval.
 */
public final class PolicyEval {
  private PolicyEval() {}

  /**
   * @param correct prompts answered correctly
   * @param meanLength mean completion tokens
   * @param wellFormed completions in Retort's format
   */
  public record Result(int prompts, int correct, double meanLength, int wellFormed) {
    public double accuracy() {
      return prompts == 0 ? 0 : (double) correct / prompts;
    }
  }

  /** Greedy decoding of every prompt (in batches of {@code batchSize}), scored by the verifiers. */
  public static Result greedy(Transformer model, Tokenizer tok, List<Integer> stopIds, List<Prompt> prompts,
      String promptTemplate, int maxNewTokens, int batchSize) {
    Sampler sampler = new Sampler(model, tok);
    VerifierReward reward = new VerifierReward(0);
    SamplingOptions opts = SamplingOptions.greedy(maxNewTokens, stopIds);
    int correct = 0;
    int formed = 0;
    long length = 0;
    for (int from = 0; from < prompts.size(); from += batchSize) {
      List<Prompt> chunk = prompts.subList(from, Math.min(prompts.size(), from + batchSize));
      List<int[]> ids = new ArrayList<>();
      for (Prompt p : chunk) {
        ids.add(tok.encode(tok.chatTemplate(null, "a chat_template in the policy's tokenizer_config.json").prompt(promptTemplate.replace(GrpoSettings.PROBLEM, p.problem()))));
      }
      List<Generation> gens = sampler.generate(ids, opts);
      for (int i = 0; i < chunk.size(); i++) {
        Generation g = gens.get(i);
        RewardFunction.Score s = reward.score(chunk.get(i), g.text(), Generation.LENGTH.equals(g.finishReason()));
        correct += s.correct() ? 1 : 0;
        formed += s.wellFormed() ? 1 : 0;
        length += g.completionTokens();
      }
    }
    return new Result(prompts.size(), correct, prompts.isEmpty() ? 0 : (double) length / prompts.size(), formed);
  }
}
