package dev.retort.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import com.fasterxml.jackson.databind.JsonNode;
import dev.retort.core.io.Json;
import dev.retort.model.Checkpoint;
import dev.retort.model.ModelConfig;
import dev.retort.model.PythonRef;
import dev.retort.model.Tokenizer;
import dev.retort.model.Transformer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The in-process trainer's steps equal PyTorch's: from one init checkpoint, three SFT steps on the
 * same rows with the same hyperparameters, Retort (DJL) against src/test/python/torch_step.py
 * (transformers' model, completion-token mean cross-entropy, clip_grad_norm_, torch.optim.AdamW with
 * decay on matrices only): the same loss and gradient norm at every step and the same weights
 * after the last, within float32 rounding.
 */
class TorchStepParityTest {
  static final Path SCRIPT = Paths.get("src/test/python/torch_step.py").toAbsolutePath();

  @TempDir Path tmp;

  @Test
  void threeStepsEqualPyTorchs() throws Exception {
    String python = PythonRef.ecosystem();
    Path data = TestData.sft(tmp.resolve("sft"), 3, 8);
    double lr = 3e-3;
    double wd = 0.1;
    double clip = 0.5;
    int steps = 3;
    // Every row in one micro-batch (grouped: up to batch-size x seq-len tokens), so a step is the
    // three rows, as in the Python loop; a constant learning rate.
    String[] keys = {"max-steps=" + steps, "epochs=10", "batch-size=4", "warmup-steps=0", "min-lr-ratio=1.0",
        "lr=" + lr, "weight-decay=" + wd, "clip-norm=" + clip, "log-every=1", "save-dtype=float32", "checkpoint-every=0"};
    Path init = tmp.resolve("init");
    TrainSettings base = TestData.tiny(keys);
    try (Tokenizer tok = StudentModel.tokenizer(base, tmp.resolve("tok-scratch")); NDManager m = NDManager.newBaseManager()) {
      ModelConfig config = StudentModel.config(base, tok);
      Transformer model = Transformer.create(config, 21, m.newSubManager());
      Checkpoint.save(model, config, init, DataType.FLOAT32, tok);
    }
    String[] withInit = new String[keys.length + 1];
    System.arraycopy(keys, 0, withInit, 0, keys.length);
    withInit[keys.length] = "init-from=\"" + init + "\"";
    TrainSettings s = TestData.tiny(withInit);
    Path out = tmp.resolve("retort");
    SftTrainer.run(s, data, out);

    String settings = Json.toJson(Map.of("steps", steps, "lr", lr, "beta1", s.beta1(), "beta2", s.beta2(), "eps", s.eps(),
        "weight_decay", wd, "clip_norm", clip, "max_length", s.seqLen()));
    JsonNode torch = Json.MAPPER.readTree(PythonRef.run(List.of(python, SCRIPT.toString(), init.toString(), data.toString(),
        out.toString(), settings), ""));
    List<String> rows = Files.readAllLines(out.resolve(MetricsJsonl.FILE));
    assertEquals(steps, rows.size());
    for (int i = 0; i < steps; i++) {
      JsonNode ours = Json.MAPPER.readTree(rows.get(i));
      double loss = torch.get("losses").get(i).asDouble();
      double norm = torch.get("grad_norms").get(i).asDouble();
      System.out.printf("TorchStepParityTest step %d: loss %.7f / %.7f, grad norm %.7f / %.7f (Retort / PyTorch)%n",
          i + 1, ours.get("loss").asDouble(), loss, ours.get("grad_norm").asDouble(), norm);
      assertEquals(loss, ours.get("loss").asDouble(), 1e-5 * loss, "loss at step " + (i + 1));
      assertEquals(norm, ours.get("grad_norm").asDouble(), 1e-4 * norm, "gradient norm at step " + (i + 1));
    }
    double diff = torch.get("max_weight_diff").asDouble();
    System.out.printf("TorchStepParityTest: max |weight difference| after %d steps %.3g (%s)%n", steps, diff, torch.get("worst"));
    assertTrue(diff < 1e-5, "weights after the steps differ by " + diff + " at " + torch.get("worst"));
  }
}
