package dev.retort.eval;

import java.io.Serializable;

/**
 * One (problem, sample) to generate: the unit of resumption. Serializable because Spark tasks
 * carry lists of them to executors.
 *
 * @param userText the templated user turn
 * @param seed the sample's own seed (see {@link EvalRunner#sampleSeed})
 */
public record WorkItem(String problemId, int sampleIndex, String userText, String reference, String answerType, long seed)
    implements Serializable {
  public String key() {
    return problemId + "#" + sampleIndex;
  }
}
