package dev.retort.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import dev.retort.model.ChatTemplate;
import dev.retort.model.CharTokenizer;
import dev.retort.model.ModelConfig;
import dev.retort.model.Tokenizer;
import dev.retort.model.Transformer;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The gradient of a batch must not depend on the garbage collector. In DJL 0.35.1,
 * {@code NDArray.mul(Number)} (and add/div/sub with a Java number) wraps the number in a 0-d tensor
 * over a direct ByteBuffer without copying, closes the wrapper at once, and autograd keeps the
 * tensor for the backward pass: once the GC frees the buffer, the backward reads freed memory.
 * This test forces that (GC, then junk written into freshly allocated direct buffers, between
 * forward and backward) and checks that the gradients stay bitwise equal. SftLoss folds its
 * normalizer into the weights, and the model's attention keeps its scale in an NDArray of the
 * forward pass's manager, which outlives the per-layer scopes that free each layer's intermediates.
 */
class GradientUnderGcTest {
  @TempDir Path tmp;

  @Test
  void gradientsAreTheSameUnderGcChurn() throws Exception {
    Path f = tmp.resolve("tokenizer.json");
    CharTokenizer.write(f);
    TestData.engine();
    try (Tokenizer tok = Tokenizer.load(f); NDManager root = NDManager.newBaseManager()) {
      SftEncoder enc = new SftEncoder(tok, ChatTemplate.chatml());
      LossMaskTest.ListSamples samples = new LossMaskTest.ListSamples(TestData.examples(4, 3).stream().map(enc::encode).toList());
      ModelConfig cfg = StudentModel.config(TestData.tiny(), tok);
      Transformer model = Transformer.create(cfg, 7, root.newSubManager());
      PackedBatch b = PackedBatch.of(samples, List.of(new int[] {0}, new int[] {1}, new int[] {2}, new int[] {3}), 512);
      float[] reference = null;
      for (int rep = 0; rep < 4; rep++) {
        try (GradientCollector gc = Engine.getInstance().newGradientCollector(); NDManager m = root.newSubManager()) {
          NDArray loss = SftLoss.loss(model, b, m, 100);
          churn();
          gc.backward(loss);
        }
        float[] g = model.weights().get("model.layers.0.self_attn.q_proj.weight").getGradient().toFloatArray();
        model.weights().values().forEach(p -> JniUtils.zeroGrad((PtNDArray) p));
        if (reference == null) {
          reference = g;
        } else {
          assertArrayEquals(reference, g, "gradient of repetition " + rep);
        }
      }
    }
  }

  private static void churn() throws InterruptedException {
    System.gc();
    Thread.sleep(50);
    List<ByteBuffer> junk = new ArrayList<>();
    for (int k = 0; k < 20000; k++) {
      ByteBuffer bb = ByteBuffer.allocateDirect(4).order(ByteOrder.nativeOrder());
      bb.putFloat(0, 1e20f);
      junk.add(bb);
    }
  }
}
