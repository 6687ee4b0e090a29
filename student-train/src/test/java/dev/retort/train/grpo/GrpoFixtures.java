package dev.retort.train.grpo;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import dev.retort.core.data.AnswerType;
import dev.retort.core.data.Prompt;
import dev.retort.model.Checkpoint;
import dev.retort.model.ModelConfig;
import dev.retort.model.Tokenizer;
import dev.retort.model.Transformer;
import dev.retort.train.SftData;
import dev.retort.train.SftTrainer;
import dev.retort.train.StudentModel;
import dev.retort.train.TrainSettings;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Tiny models and a toy task shared by the GRPO tests and the manual experiments. */
final class GrpoFixtures {
  static {
    // Two cores shared with other builds: keep torch's pools small (read at engine start).
    System.setProperty("ai.djl.pytorch.num_threads", "1");
    System.setProperty("ai.djl.pytorch.num_interop_threads", "1");
  }

  /** The user turn of the toy task: the problem alone, so sequences stay short. */
  static final String TEMPLATE = "{problem}";

  private GrpoFixtures() {}

  /** Touching this class applies the thread settings above (call before the engine starts). */
  static void init() {}

  /** "Repeat the digit": prompt "Repeat 7." with answer 7, one prompt per digit. */
  static List<Prompt> repeatDigit() {
    List<Prompt> out = new ArrayList<>();
    for (int d = 0; d <= 9; d++) {
      out.add(new Prompt("repeat-" + d, "toy", "Repeat " + d + ".", Integer.toString(d), AnswerType.NUMBER, null, null));
    }
    return out;
  }

  /** The lucky-digit task: every prompt asks for a digit, 7 is the rewarded one. */
  static List<Prompt> luckyDigit(int n) {
    List<Prompt> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add(new Prompt("lucky-" + i, "toy", "Pick a digit.", "7", AnswerType.NUMBER, null, null));
    }
    return out;
  }

  /**
   * Base rows for the lucky-digit task: the same question answered with 7 in {@code sevens} of
   * every 10 rows and with other digits otherwise, so the base samples the rewarded answer with
   * about that probability.
   */
  static List<Prompt> luckyBaseRows(int sevens) {
    List<Prompt> out = new ArrayList<>();
    int other = 0;
    for (int i = 0; i < 40; i++) {
      String a;
      if (i % 10 < sevens) {
        a = "7";
      } else {
        a = Integer.toString(new int[] {0, 1, 2, 3, 4, 5, 6, 8, 9}[other++ % 9]);
      }
      out.add(new Prompt("lucky-base-" + i, "toy", "Pick a digit.", a, AnswerType.NUMBER, null, null));
    }
    return out;
  }

  /** The architecture of the tiny students (about 30k parameters with the char vocabulary). */
  static TrainSettings tinySft(String... more) {
    String[] base = {
      "model.hidden-size=32", "model.num-layers=2", "model.num-heads=4", "model.num-kv-heads=2",
      "model.intermediate-size=64", "model.max-position-embeddings=256", "seq-len=64", "batch-size=8",
      "epochs=1000", "warmup-steps=2", "lr=1e-2", "log-every=50", "threads=1", "checkpoint-every=0", "devices=cpu"
    };
    String[] all = new String[base.length + more.length];
    System.arraycopy(base, 0, all, 0, base.length);
    System.arraycopy(more, 0, all, base.length, more.length);
    return TrainSettings.defaults(all);
  }

  /** A randomly initialized tiny student saved as a Hugging Face checkpoint in {@code dir}. */
  static Path randomModel(Path dir, long seed) {
    TrainSettings ts = tinySft("seed=" + seed);
    try (Tokenizer tok = StudentModel.tokenizer(ts, dir.resolveSibling(dir.getFileName() + "-scratch"));
        NDManager root = NDManager.newBaseManager()) {
      ModelConfig config = StudentModel.config(ts, tok);
      Transformer model = Transformer.create(config, seed, root.newSubManager());
      Checkpoint.save(model, config, dir, DataType.FLOAT32, tok);
      return dir;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * The toy base: a tiny student SFT-trained for {@code steps} steps on the answers-only rows of
   * {@code prompts} (BaseData, then the SFT trainer, as the pipeline makes the base of both arms).
   */
  static Path sftBase(Path work, List<Prompt> prompts, int steps, long seed) {
    Path data = work.resolve("base-data");
    SftData.write(data, BaseData.answersOnly(prompts, TEMPLATE));
    Path out = work.resolve("base");
    SftTrainer.run(tinySft("max-steps=" + steps, "seed=" + seed), data, out);
    return out;
  }

  /** GRPO settings for the toy task from {@code init}; overrides are "key=value" under grpo. */
  static GrpoSettings toyGrpo(Path init, String... more) {
    String[] base = {
      "init-from=\"" + init + "\"", "prompt-template=\"" + TEMPLATE + "\"", "steps=15", "prompts-per-step=5",
      "group-size=8", "max-new-tokens=40", "lr=1e-3", "warmup-steps=1", "threads=1", "log-every=4",
      "checkpoint-every=0", "micro-batch=40"
    };
    String[] all = new String[base.length + more.length];
    System.arraycopy(base, 0, all, 0, base.length);
    System.arraycopy(more, 0, all, base.length, more.length);
    return GrpoSettings.defaults(all);
  }
}
