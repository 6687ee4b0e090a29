package dev.retort.train.grpo;

import java.util.List;

/**
 * Sequences right-padded to a common length, as flat row-major arrays ready for the engine.
 * Padding has segment 0 and real tokens segment 1, so the model's segment-causal mask keeps
 * padding out of every real token's attention. {@code mask[r, j]} is 1 when position j predicts a
 * completion token of row r ({@code promptLength <= j + 1 < length}).
 */
record SeqBatch(int rows, int len, long[] tokens, long[] positions, long[] segments, float[] mask,
    float[] advantages, float[] weights, long realTokens, long completionTokens) {

  static SeqBatch of(List<PolicySequence> seqs) {
    if (seqs.isEmpty()) {
      throw new IllegalArgumentException("empty batch");
    }
    int b = seqs.size();
    int t = 0;
    for (PolicySequence s : seqs) {
      t = Math.max(t, s.tokens().length);
    }
    long[] ids = new long[b * t];
    long[] pos = new long[b * t];
    long[] seg = new long[b * t];
    float[] mask = new float[b * (t - 1)];
    float[] adv = new float[b];
    float[] w = new float[b];
    long real = 0;
    long completion = 0;
    for (int r = 0; r < b; r++) {
      PolicySequence s = seqs.get(r);
      int[] toks = s.tokens();
      for (int j = 0; j < toks.length; j++) {
        ids[r * t + j] = toks[j];
        pos[r * t + j] = j;
        seg[r * t + j] = 1;
      }
      for (int j = s.promptLength() - 1; j < toks.length - 1; j++) {
        mask[r * (t - 1) + j] = 1f;
      }
      adv[r] = (float) s.advantage();
      w[r] = (float) s.weight();
      real += toks.length;
      completion += s.completionLength();
    }
    return new SeqBatch(b, t, ids, pos, seg, mask, adv, w, real, completion);
  }
}
