package dev.retort.teacher.generate;

import dev.retort.core.store.Location;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Names inside a traces folder. A shard's main file holds its successful traces and is the commit
 * marker of the shard; its errors file (same name under errors/) holds the samples that failed
 * after retries. Names are a pure function of (shard, shards), so a retried or duplicated task
 * writes the same names and the commit (an atomic rename, or one object written whole) makes the last complete write win.
 */
public final class ShardFiles {
  public static final String ERRORS = "errors";
  public static final String REJECTS = "rejects";
  public static final String REJECTS_FILE = "rejects.jsonl";
  /** Identity of the generation that owns the folder; '_' keeps Spark and ParquetIO from reading it. */
  public static final String GENERATION = "_generation.json";
  private static final Pattern NAME = Pattern.compile("shard-(\\d{5})-of-(\\d{5})\\.parquet");

  private ShardFiles() {}

  public static String name(int shard, int shards) {
    return String.format("shard-%05d-of-%05d.parquet", shard, shards);
  }

  public static Location main(Location traces, int shard, int shards) {
    return traces.resolve(name(shard, shards));
  }

  public static Location errors(Location traces, int shard, int shards) {
    return traces.resolve(ERRORS + "/" + name(shard, shards));
  }

  public static Location errorsDir(Location traces) {
    return traces.resolve(ERRORS);
  }

  public static Location rejects(Location traces) {
    return traces.resolve(REJECTS + "/" + REJECTS_FILE);
  }

  /** The shard number of a shard file name, or -1 when the name is not one. */
  public static int shardOf(String fileName) {
    Matcher m = NAME.matcher(fileName);
    return m.matches() ? Integer.parseInt(m.group(1)) : -1;
  }
}
