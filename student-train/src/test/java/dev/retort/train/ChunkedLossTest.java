package dev.retort.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import dev.retort.model.CharTokenizer;
import dev.retort.model.ChatTemplate;
import dev.retort.model.ModelConfig;
import dev.retort.model.Tokenizer;
import dev.retort.model.Transformer;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The chunked cross-entropy (LM head, log-softmax and backward per span of positions, then the
 * trunk's backward with the gathered hidden-state gradient), alone and with activation
 * recomputation, gives the loss and every parameter gradient of the plain computation over the
 * full logits, for spans that do not divide the row and for packed rows with several samples and
 * padding.
 */
class ChunkedLossTest {
  @TempDir Path tmp;

  @Test
  void chunkedLossAndGradientsEqualTheFullLogitsOnes() throws Exception {
    Path f = tmp.resolve("tokenizer.json");
    CharTokenizer.write(f);
    TestData.engine();
    try (Tokenizer tok = Tokenizer.load(f); NDManager root = NDManager.newBaseManager()) {
      SftEncoder enc = new SftEncoder(tok, ChatTemplate.chatml());
      LossMaskTest.ListSamples samples = new LossMaskTest.ListSamples(TestData.examples(5, 3).stream().map(enc::encode).toList());
      ModelConfig cfg = StudentModel.config(TestData.tiny(), tok);
      Transformer model = Transformer.create(cfg, 11, root.newSubManager());
      int seqLen = 0;
      for (int i = 0; i < samples.size(); i++) {
        seqLen = Math.max(seqLen, samples.length(i));
      }
      seqLen = seqLen * 2 + 3; // two samples per row, then padding
      PackedBatch b = PackedBatch.of(samples, List.of(new int[] {0, 1}, new int[] {2, 3}, new int[] {4}), seqLen);
      double normalizer = b.lossTokens();

      Run full = run(model, root, b, normalizer, 0, false);
      assertTrue(full.loss > 0 && Double.isFinite(full.loss), "plain loss " + full.loss);
      int[][] arms = {{7, 0}, {seqLen / 3, 0}, {seqLen - 1, 0}, {0, 1}, {seqLen / 3, 1}};
      for (int[] arm : arms) {
        int chunk = arm[0];
        boolean recompute = arm[1] == 1;
        Run chunked = run(model, root, b, normalizer, chunk, recompute);
        assertEquals(full.loss, chunked.loss, 1e-5 * full.loss, "loss with chunk " + chunk + ", recompute " + recompute);
        for (Map.Entry<String, float[]> e : full.grads.entrySet()) {
          float[] want = e.getValue();
          float[] got = chunked.grads.get(e.getKey());
          double scale = 0;
          for (float v : want) {
            scale = Math.max(scale, Math.abs(v));
          }
          assertTrue(scale > 0, "no gradient reaches " + e.getKey());
          for (int i = 0; i < want.length; i++) {
            assertEquals(want[i], got[i], 1e-4 * scale, e.getKey() + "[" + i + "] with chunk " + chunk
                + ", recompute " + recompute);
          }
        }
      }
    }
  }

  private record Run(double loss, Map<String, float[]> grads) {}

  @SuppressWarnings("try") // a resource held for its scope only (a scope, a gradient recording)
  private static Run run(Transformer model, NDManager root, PackedBatch b, double normalizer, int chunk,
      boolean recompute) {
    model.weights().values().forEach(p -> JniUtils.zeroGrad((PtNDArray) p));
    double loss;
    try (GradientCollector gc = Engine.getInstance().newGradientCollector(); NDManager m = root.newSubManager()) {
      loss = SftLoss.lossAndBackward(model, b, m, normalizer, chunk, recompute);
    }
    Map<String, float[]> grads = new LinkedHashMap<>();
    for (Map.Entry<String, NDArray> e : model.weights().entrySet()) {
      grads.put(e.getKey(), e.getValue().getGradient().toFloatArray());
    }
    return new Run(loss, grads);
  }
}
