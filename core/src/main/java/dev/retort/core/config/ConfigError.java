package dev.retort.core.config;

/**
 * A configuration problem found before any work starts: unknown key, wrong type or missing value.
 * The message always names the key and the file (and line when known). The CLI exits with 2.
 */
public final class ConfigError extends RuntimeException {
  private static final long serialVersionUID = 1L;
  private final String key;

  public ConfigError(String key, String where, String problem) {
    super(problem + ": '" + key + "'" + (where == null || where.isBlank() ? "" : " in " + where));
    this.key = key;
  }

  public String key() {
    return key;
  }
}
