package dev.retort.teacher;

/** How the N samples of a prompt are asked for. */
public enum RequestMode {
  /**
   * One request per (prompt, sample) with its own derived seed: samples replay exactly on servers
   * that honour seeds, and a failure costs one sample's retry.
   */
  ONE_PER_SAMPLE,
  /**
   * One request with {@code n = N}: the server can share the prompt's prefill across samples, but
   * a failure retries all N and all samples share one seed.
   */
  N_PER_REQUEST
}
