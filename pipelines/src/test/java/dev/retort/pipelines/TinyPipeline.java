package dev.retort.pipelines;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The embedded pipeline at test size: tiny models, 6 prompts, a few steps, filters that keep an
 * untrained teacher's traces so every stage has input. The tests add where the run goes.
 */
public final class TinyPipeline {
  private TinyPipeline() {}

  /** {@code --set} arguments for {@code retort run conf/local.conf}. */
  public static List<String> settings() {
    List<String> a = new ArrayList<>(List.of(
        "--set", "pipeline.teacher-servers=1",
        "--set", "pipeline.bootstrap-size=24",
        "--set", "pipeline.distill-size=6",
        "--set", "arith.test-size=4",
        "--set", "generate.samples-per-prompt=2",
        "--set", "generate.max-tokens=120",
        "--set", "generate.shards=2",
        // An untrained teacher is never right: keep traces anyway so every stage has input.
        "--set", "filter.require-correct=false",
        "--set", "filter.min-reasoning-chars=0",
        "--set", "filter.max-mixed-script-share=1.0",
        "--set", "filter.max-repeated-share=1.0",
        "--set", "filter.dedup-traces=false",
        "--set", "rl.steps=1", "--set", "rl.prompts-per-step=2", "--set", "rl.group-size=2", "--set", "rl.max-new-tokens=8",
        "--set", "eval.benchmarks=[{name=arith, file=arith, template=plain, k=1, max-tokens=16}]"));
    for (String m : List.of("train-teacher", "train-student", "train-base")) {
      a.addAll(List.of("--set", m + ".model.hidden-size=32", "--set", m + ".model.num-layers=1", "--set", m + ".model.num-heads=2",
          "--set", m + ".model.num-kv-heads=1", "--set", m + ".model.intermediate-size=64", "--set", m + ".epochs=1",
          "--set", m + ".batch-size=4", "--set", m + ".seq-len=512", "--set", m + ".threads=1"));
    }
    // Enough epochs for the tiny teacher to learn the output format on its few examples, so its
    // completions end with a stop token instead of being cut off (which the filter rejects); at
    // half as many the loss stays near 1.8 and no trace may survive.
    a.addAll(List.of("--set", "train-teacher.epochs=80", "--set", "train-teacher.lr=3e-3", "--set", "train-teacher.warmup-steps=5"));
    return a;
  }

  /** Runs the CLI in this JVM, echoing its stdout; fails the test unless it exits 0. Returns stdout. */
  public static String run(String... args) {
    PrintStream old = System.out;
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
    int code;
    try {
      code = RetortCli.execute(args);
    } finally {
      System.setOut(old);
    }
    String out = buf.toString(StandardCharsets.UTF_8);
    System.out.print(out);
    assertEquals(0, code, "retort run failed; output:\n" + out);
    return out;
  }
}
