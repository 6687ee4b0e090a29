package dev.retort.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.GradientCollector;
import ai.djl.training.Trainer;
import ai.djl.training.loss.Loss;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import org.junit.jupiter.api.Test;

/** The model trains through DJL's own Trainer/ParameterStore path, as student-train uses it. */
class TrainerIntegrationTest {
  @Test
  void adamStepsThroughDjlTrainerReduceLoss() {
    try (NDManager root = TestModels.manager(); Model djl = Model.newInstance("student")) {
      Transformer t = Transformer.create(TestModels.qwen(20), 3, root);
      djl.setBlock(t);
      DefaultTrainingConfig cfg = new DefaultTrainingConfig(Loss.l2Loss())
          .optOptimizer(Optimizer.adam().optLearningRateTracker(Tracker.fixed(0.01f)).build());
      try (Trainer trainer = djl.newTrainer(cfg)) {
        Shape s = new Shape(2, 6);
        trainer.initialize(s, s, s);
        NDManager m = trainer.getManager();
        NDArray ids = m.create(new long[] {1, 2, 3, 1, 2, 3, 4, 5, 4, 5, 4, 5}, s);
        NDArray pos = m.create(new long[] {0, 1, 2, 3, 4, 5, 0, 1, 2, 3, 4, 5}, s);
        NDArray seg = m.create(new long[] {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1}, s);
        float first = 0;
        float last = 0;
        for (int step = 0; step < 15; step++) {
          try (NDManager batch = m.newSubManager()) {
            float loss;
            try (GradientCollector gc = trainer.newGradientCollector()) {
              NDArray logits = trainer.forward(new NDList(ids, pos, seg)).singletonOrThrow();
              assertEquals(new Shape(2, 6, 20), logits.getShape());
              NDArray logp = logits.logSoftmax(2).get(":, :-1, :");
              NDArray target = ids.get(":, 1:").expandDims(2);
              NDArray nll = logp.gather(target, 2).mean().neg();
              nll.attach(batch);
              loss = nll.getFloat();
              gc.backward(nll);
            }
            trainer.step();
            if (step == 0) {
              first = loss;
            }
            last = loss;
          }
        }
        assertTrue(last < first * 0.5, "loss " + first + " -> " + last);
      }
    }
  }
}
