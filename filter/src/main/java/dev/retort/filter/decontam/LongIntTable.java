package dev.retort.filter.decontam;

/**
 * A set of 64-bit keys with an int value each, by open addressing: the benchmark n-gram index. A
 * {@code HashMap<Long, ...>} boxed every key of every lookup and chased a node per probe; the
 * filter looks up every n-gram of every prompt.
 */
final class LongIntTable {
  private static final int ABSENT = -1;
  private long[] keys = new long[16];
  private int[] values = new int[16];
  private boolean[] used = new boolean[16];
  private int size;

  int size() {
    return size;
  }

  /** Puts {@code value} under {@code key} unless the key is there already (the first value stays). */
  void putIfAbsent(long key, int value) {
    if ((size + 1) * 2 > keys.length) {
      grow();
    }
    int i = slot(key, keys.length);
    while (used[i]) {
      if (keys[i] == key) {
        return;
      }
      i = (i + 1) & (keys.length - 1);
    }
    used[i] = true;
    keys[i] = key;
    values[i] = value;
    size++;
  }

  /** The value under {@code key}, or -1. */
  int get(long key) {
    int mask = keys.length - 1;
    for (int i = slot(key, keys.length); used[i]; i = (i + 1) & mask) {
      if (keys[i] == key) {
        return values[i];
      }
    }
    return ABSENT;
  }

  private static int slot(long key, int capacity) {
    return (int) (key ^ (key >>> 32)) & (capacity - 1); // keys are mixed hashes already
  }

  private void grow() {
    long[] oldKeys = keys;
    int[] oldValues = values;
    boolean[] oldUsed = used;
    int cap = keys.length * 2;
    keys = new long[cap];
    values = new int[cap];
    used = new boolean[cap];
    for (int j = 0; j < oldKeys.length; j++) {
      if (oldUsed[j]) {
        int i = slot(oldKeys[j], cap);
        while (used[i]) {
          i = (i + 1) & (cap - 1);
        }
        used[i] = true;
        keys[i] = oldKeys[j];
        values[i] = oldValues[j];
      }
    }
  }
}
