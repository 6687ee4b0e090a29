package dev.retort.bench;

import dev.retort.train.SftTrainer;
import dev.retort.train.TrainResult;
import dev.retort.train.TrainSettings;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * A bare entry point for a training child process (the resume benchmark kills one):
 * {@code java -cp ... dev.retort.bench.SftMain DATA_DIR OUT_DIR [key=value under train]...}.
 * Users run {@code bin/retort train} instead.
 */
public final class SftMain {
  private SftMain() {}

  public static void main(String[] args) {
    if (args.length < 2) {
      System.err.println("usage: SftMain DATA_DIR OUT_DIR [key=value]...");
      System.exit(2);
    }
    TrainSettings s = TrainSettings.defaults(Arrays.copyOfRange(args, 2, args.length));
    TrainResult r = SftTrainer.run(s, Path.of(args[0]), Path.of(args[1]));
    System.out.println(r);
    System.exit(0);
  }
}
