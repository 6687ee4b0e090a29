package dev.retort.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import dev.retort.model.ChatTemplate;
import dev.retort.model.ModelConfig;
import dev.retort.model.Tokenizer;
import dev.retort.model.Transformer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Manual timing of the pieces of one SFT step on arith data (not a test): forward+backward, the
 * gradient norm and the AdamW update; with {@code -Dprofile=FILE} step 5 is also recorded with
 * PyTorch's profiler (chrome trace JSON). Arguments: hidden layers heads intermediate rows seqLen
 * threads [PACKED|GROUPED], e.g. {@code 128 4 4 384 16 512 2 GROUPED}. Run with the test classpath.
 */
final class ProfileMain {
  public static void main(String[] a) throws Exception {
    int hidden = Integer.parseInt(a[0]), layers = Integer.parseInt(a[1]), heads = Integer.parseInt(a[2]);
    int inter = Integer.parseInt(a[3]), rows = Integer.parseInt(a[4]), seq = Integer.parseInt(a[5]);
    int threads = Integer.parseInt(a[6]);
    SftDataset.Batching batching = a.length > 7 ? SftDataset.Batching.valueOf(a[7]) : SftDataset.Batching.PACKED;
    SftTrainer.configureThreads(threads);
    JniUtils.setGradMode(false);
    Path tmp = Files.createTempDirectory("prof");
    Path data = TestData.sft(tmp.resolve("d"), 400, 3);
    TrainSettings s = TestData.tiny("model.hidden-size=" + hidden, "model.num-layers=" + layers, "model.num-heads=" + heads,
        "model.num-kv-heads=" + heads, "model.intermediate-size=" + inter, "seq-len=" + seq, "model.max-position-embeddings=" + seq);
    try (Tokenizer tok = StudentModel.tokenizer(s, tmp); NDManager root = NDManager.newBaseManager()) {
      ModelConfig cfg = StudentModel.config(s, tok);
      TokenStore store = TokenStore.build(data, new SftEncoder(tok, ChatTemplate.QWEN), seq, tmp.resolve("t.bin"));
      SftDataset ds = new SftDataset(store, seq, rows, 1, 1, 1, batching);
      Transformer model = StudentModel.create(s, cfg, root);
      AdamW opt = new AdamW(model.weights(), 0.9, 0.95, 1e-8, 0.1, AdamW::matricesOnly);
      System.out.println("params " + model.numParameters());
      long fb = 0, op = 0, nrm = 0, toks = 0;
      for (int it = 0; it < 14; it++) {
        SftDataset.MicroBatch mbt = ds.step(0, it).get(0);
        PackedBatch b = PackedBatch.of(store, mbt.rows(), mbt.length());
        boolean prof = it == 5 && System.getProperty("profile") != null;
        if (prof) {
          JniUtils.startProfile(false, true, false);
        }
        long t0 = System.nanoTime();
        try (GradientCollector gc = Engine.getInstance().newGradientCollector(); NDManager m = model.manager().newSubManager()) {
          NDArray l = SftLoss.loss(model, b, m, 1000);
          gc.backward(l);
          l.getFloat();
        }
        long t1 = System.nanoTime();
        double norm;
        try (NDManager m = model.manager().newSubManager()) {
          norm = GradClip.globalNorm(opt.gradients(m).values());
        }
        long t2 = System.nanoTime();
        opt.step(1e-3, 1.0);
        long t3 = System.nanoTime();
        if (prof) {
          JniUtils.stopProfile(System.getProperty("profile"));
        }
        if (it >= 4) {
          fb += t1 - t0; nrm += t2 - t1; op += t3 - t2; toks += b.realTokens();
        }
      }
      System.out.printf("fwd+bwd %.1f ms, norm %.1f ms, adam %.1f ms per step; %.0f tok/s (padded)%n", fb / 10e6, nrm / 10e6, op / 10e6,
          toks / ((fb + nrm + op) / 1e9));
    }
  }
}
