package dev.retort.core;

/** Seed and hash mixing shared by every module (the text hashes of the filter keep their own). */
public final class Hashing {
  private Hashing() {}

  /** SplitMix64's finalizer: a bijection on 64-bit values that decorrelates nearby seeds. */
  public static long mix64(long z) {
    z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
    z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
    return z ^ (z >>> 31);
  }
}
