package dev.retort.train;

import java.nio.file.Files;
import java.nio.file.Path;

/** Manual smoke run (not a test): java ... dev.retort.train.SmokeMain OUT N_SAMPLES overrides... */
final class SmokeMain {
  public static void main(String[] args) throws Exception {
    Path out = Path.of(args[0]);
    Path data = TestData.sft(Files.createDirectories(out.resolve("data")), Integer.parseInt(args[1]), 7);
    String[] over = java.util.Arrays.copyOfRange(args, 2, args.length);
    TrainResult r = SftTrainer.run(TestData.tiny(over), data, out.resolve("model"));
    System.out.println(r);
  }
}
