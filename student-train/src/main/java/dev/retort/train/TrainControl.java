package dev.retort.train;

import java.nio.file.Path;

/** What listeners may ask of the loop. */
public interface TrainControl {
  /** Ends training after the current step (the end is a normal one: the model is saved). */
  void requestStop(String reason);

  boolean stopRequested();

  /** Writes a resumable checkpoint of the state after the current step and returns its folder. */
  Path checkpoint();
}
