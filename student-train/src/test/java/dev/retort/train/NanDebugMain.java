package dev.retort.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import dev.retort.model.ChatTemplate;
import dev.retort.model.ModelConfig;
import dev.retort.model.Tokenizer;
import dev.retort.model.Transformer;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/** Debug (not a test): args DATA OUT STEP lr. Reproduces the batch of a step on a checkpoint. */
final class NanDebugMain {
  public static void main(String[] a) throws Exception {
    Path data = Path.of(a[0]);
    Path out = Path.of(a[1]);
    int step = Integer.parseInt(a[2]);
    TrainSettings s = TrainSettings.defaults("lr=" + a[3], "log-every=20");
    SftTrainer.configureThreads(2);
    if (a.length > 4) {
      try {
        SftTrainer.run(s, data, out, new TrainingListener() {
          @Override
          public void onStep(StepMetrics m, TrainControl control) {
            if (m.step() == step) {
              control.checkpoint();
              throw new IllegalStateException("stop for debugging at " + step);
            }
          }
        });
      } catch (IllegalStateException e) {
        System.out.println(e.getMessage());
      }
    }
    JniUtils.setGradMode(false);
    try (Tokenizer tok = StudentModel.tokenizer(s, out); NDManager root = NDManager.newBaseManager()) {
      ModelConfig cfg = StudentModel.config(s, tok);
      TokenStore store = TokenStore.build(data, new SftEncoder(tok, ChatTemplate.QWEN), s.seqLen(), out.resolve("dbg.bin"));
      SftDataset ds = new SftDataset(store, s.seqLen(), s.batchSize(), s.gradAccum(), s.seed(), s.epochs(), s.batching());
      Transformer model = Transformer.create(cfg, 1, root.newSubManager());
      Path ck = out.resolve("checkpoints").resolve(String.format("step-%09d", step));
      model.setParameterValues(Checkpoints.readTensors(ck.resolve("model.safetensors")));
      int[] pos = ds.position(step);
      for (SftDataset.MicroBatch mb : ds.step(pos[0], pos[1])) {
        System.out.println("micro-batch rows " + mb.rows().size() + " length " + mb.length());
        PackedBatch b = PackedBatch.of(store, mb.rows(), mb.length());
        try (GradientCollector gc = Engine.getInstance().newGradientCollector(); NDManager m = root.newSubManager()) {
          NDArray l = SftLoss.loss(model, b, m, 1000);
          System.out.println("loss " + l.getFloat());
          gc.backward(l);
        }
        for (Map.Entry<String, NDArray> e : model.weights().entrySet()) {
          float[] g = e.getValue().getGradient().toFloatArray();
          int nan = 0;
          for (float x : g) {
            if (!Float.isFinite(x)) {
              nan++;
            }
          }
          if (nan > 0) {
            System.out.println("NaN grad " + e.getKey() + " " + nan + "/" + g.length);
          }
        }
        // logits check
        try (NDManager m = root.newSubManager()) {
          Shape sh = new Shape(b.rows(), b.seqLen());
          NDArray logits = model.forward(m.create(b.tokens(), sh), m.create(b.positions(), sh), m.create(b.segments(), sh));
          float[] lg = logits.toFloatArray();
          float mx = 0;
          int bad = 0;
          for (float x : lg) {
            if (!Float.isFinite(x)) {
              bad++;
            } else {
              mx = Math.max(mx, Math.abs(x));
            }
          }
          NDArray lsm = logits.logSoftmax(2);
          float[] ls = lsm.toFloatArray();
          int inf = 0;
          for (float x : ls) {
            if (!Float.isFinite(x)) {
              inf++;
            }
          }
          System.out.println("logits max " + mx + " nonfinite " + bad + " logsoftmax nonfinite " + inf);
        }
      }
    }
  }
}
