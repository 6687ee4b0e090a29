package dev.retort.teacher.generate;

import dev.retort.core.Hashing;
import java.nio.charset.StandardCharsets;

/**
 * Stable hashes for sharding and per-sample seeds. Both are pure functions of their inputs (never
 * String.hashCode or a JVM-specific value), so a rerun on another machine maps every prompt to
 * the same shard and every sample to the same seed.
 */
public final class Seeds {
  private Seeds() {}

  /** FNV-1a 64 over the UTF-8 bytes. */
  public static long hash(String s) {
    long h = 0xcbf29ce484222325L;
    for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
      h ^= b & 0xff;
      h *= 0x100000001b3L;
    }
    return h;
  }

  /** The shard of a prompt id: hash(id) mod shards. */
  public static int shardOf(String promptId, int shards) {
    return (int) Math.floorMod(Hashing.mix64(hash(promptId)), (long) shards);
  }

  /**
   * The seed of one sample, derived from (base seed, prompt id, sample index); non-negative and
   * below 2^31 because several servers take the OpenAI {@code seed} as a 32-bit int.
   */
  public static long sampleSeed(long baseSeed, String promptId, int sampleIndex) {
    long z = Hashing.mix64(baseSeed * 0x9E3779B97F4A7C15L ^ hash(promptId));
    z = Hashing.mix64(z + 0x632BE59BD9B4E019L * (sampleIndex + 1L));
    return z & 0x7fffffffL;
  }

}
