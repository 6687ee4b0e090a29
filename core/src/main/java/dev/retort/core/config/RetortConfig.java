package dev.retort.core.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigRenderOptions;
import com.typesafe.config.ConfigResolveOptions;
import com.typesafe.config.ConfigSyntax;
import dev.retort.core.io.Json;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A loaded configuration: the user's HOCON file, {@code --set key=value} overrides on top, and the
 * defaults of every module ({@code retort-defaults.conf} on the classpath, merged) underneath.
 * Stages bind their own section to a record with {@link #section}; unknown keys, wrong types and
 * missing values fail there, before any work starts, naming key and file.
 */
public final class RetortConfig {
  /** Each module ships one of these; ConfigFactory.parseResources merges all copies on the classpath. */
  public static final String DEFAULTS_RESOURCE = "retort-defaults.conf";

  private final Config config;
  private final String origin;

  private RetortConfig(Config config, String origin) {
    this.config = config;
    this.origin = origin;
  }

  /** Loads {@code file} (may be null: defaults only) with overrides of the form {@code a.b=value}. */
  public static RetortConfig load(Path file, List<String> overrides) {
    Config user = ConfigFactory.empty();
    String origin = "defaults";
    if (file != null) {
      if (!Files.isRegularFile(file)) {
        throw new ConfigError(file.toString(), null, "config file not found");
      }
      origin = file.toString();
      try {
        user = ConfigFactory.parseFile(file.toFile(), ConfigParseOptions.defaults().setAllowMissing(false));
      } catch (ConfigException e) {
        throw new ConfigError(file.toString(), null, "cannot parse config (" + e.getMessage() + ")");
      }
    }
    Config over = ConfigFactory.empty();
    for (String o : overrides == null ? List.<String>of() : overrides) {
      int eq = o.indexOf('=');
      if (eq <= 0) {
        throw new ConfigError(o, "--set", "expected key=value");
      }
      String key = o.substring(0, eq).trim();
      String value = o.substring(eq + 1).trim();
      try {
        Config one = ConfigFactory.parseString(key + " = " + quoteIfNeeded(value),
            ConfigParseOptions.defaults().setSyntax(ConfigSyntax.CONF).setOriginDescription("--set " + key));
        over = one.withFallback(over);
      } catch (ConfigException e) {
        throw new ConfigError(key, "--set", "cannot parse override (" + e.getMessage() + ")");
      }
    }
    Config defaults = ConfigFactory.parseResources(RetortConfig.class.getClassLoader(), DEFAULTS_RESOURCE);
    Config merged;
    try {
      merged = over.withFallback(user).withFallback(defaults)
          .resolve(ConfigResolveOptions.defaults().setAllowUnresolved(false));
    } catch (ConfigException e) {
      throw new ConfigError(origin, null, "cannot resolve config (" + e.getMessage() + ")");
    }
    return new RetortConfig(merged, origin);
  }

  /** Defaults only, plus overrides: used by tests and by commands run without a file. */
  public static RetortConfig defaults(String... overrides) {
    return load(null, List.of(overrides));
  }

  public static RetortConfig fromString(String hocon, String originName) {
    Config c = ConfigFactory.parseString(hocon, ConfigParseOptions.defaults().setOriginDescription(originName))
        .withFallback(ConfigFactory.parseResources(RetortConfig.class.getClassLoader(), DEFAULTS_RESOURCE))
        .resolve();
    return new RetortConfig(c, originName);
  }

  /**
   * This config with more {@code key=value} overrides on top (same syntax as {@code --set}); the
   * pipeline uses it to hand one stage's outputs to the next (endpoints, input folders).
   */
  public RetortConfig with(String... overrides) {
    Config over = ConfigFactory.empty();
    for (String o : overrides) {
      int eq = o.indexOf('=');
      if (eq <= 0) {
        throw new IllegalArgumentException("expected key=value, got '" + o + "'");
      }
      String key = o.substring(0, eq).trim();
      Config one = ConfigFactory.parseString(key + " = " + quoteIfNeeded(o.substring(eq + 1).trim()),
          ConfigParseOptions.defaults().setOriginDescription("pipeline override " + key));
      over = one.withFallback(over);
    }
    return new RetortConfig(over.withFallback(config).resolve(), origin);
  }

  /**
   * A copy with typed values set (strings, numbers, booleans, paths, lists and maps of those): what
   * the pipeline hands one stage from another (endpoints, input folders, seeds), with no quoting.
   */
  public RetortConfig with(Map<String, ?> values) {
    Config over = ConfigFactory.empty();
    for (Map.Entry<String, ?> e : values.entrySet()) {
      over = over.withValue(e.getKey(), com.typesafe.config.ConfigValueFactory.fromAnyRef(plain(e.getValue()),
          "pipeline override " + e.getKey()));
    }
    return new RetortConfig(over.withFallback(config).resolve(), origin);
  }

  /** Config's own types: a Path or Location as its string, lists and maps element by element. */
  private static Object plain(Object v) {
    if (v instanceof java.nio.file.Path || v instanceof dev.retort.core.store.Location) {
      return v.toString();
    }
    if (v instanceof java.util.List<?> l) {
      return l.stream().map(RetortConfig::plain).toList();
    }
    if (v instanceof Map<?, ?> m) {
      Map<String, Object> out = new java.util.LinkedHashMap<>();
      m.forEach((k, x) -> out.put(k.toString(), plain(x)));
      return out;
    }
    return v;
  }

  public <R extends Record> R section(String path, Class<R> type) {
    return new ConfigBinder(origin).bind(config, path, type);
  }

  /**
   * Fails on top-level sections not in {@code known}, so a typo in a section name (in the file or
   * in {@code --set}) is caught too, with the closest known name.
   */
  public void checkSections(java.util.Collection<String> known) {
    for (String key : config.root().keySet()) {
      if (!known.contains(key)) {
        throw new ConfigError(key, config.root().get(key).origin().description(),
            "unknown section" + Suggest.hint(key, known) + " (expected one of " + new java.util.TreeSet<>(known) + ")");
      }
    }
  }

  /**
   * {@link #checkSections(java.util.Collection)} against every section in a module's defaults on
   * the classpath (a section bound from code defaults only, like grpo, must be added by the caller).
   */
  public void checkSections() {
    checkSections(knownSections());
  }

  /** The top-level sections of the merged {@code retort-defaults.conf} files: every section some module reads. */
  public static java.util.Set<String> knownSections() {
    return new java.util.TreeSet<>(ConfigFactory.parseResources(RetortConfig.class.getClassLoader(), DEFAULTS_RESOURCE).root().keySet());
  }

  public Config raw() {
    return config;
  }

  public String origin() {
    return origin;
  }

  /** Plain Java maps of the named sections (all when none named), with sorted keys. */
  public Map<String, Object> resolved(String... paths) {
    Map<String, Object> out = new TreeMap<>();
    if (paths.length == 0) {
      config.root().forEach((k, v) -> out.put(k, sorted(v.unwrapped())));
    } else {
      for (String p : paths) {
        if (config.hasPath(p)) {
          out.put(p, sorted(config.getValue(p).unwrapped()));
        }
      }
    }
    return out;
  }

  /** A stable hash of the named sections: equal configs hash equally whatever the key order. */
  public String hash(String... paths) {
    return sha256(Json.toJson(resolved(paths)));
  }

  /**
   * {@link #hash} of the named sections less some keys (full paths, e.g. {@code filter.spark-master}):
   * execution settings (where and how wide Spark runs) are left out of output fingerprints, so the
   * same output made on a laptop and on a cluster is the same output.
   */
  public String hashWithout(java.util.Collection<String> excluded, String... paths) {
    Config c = config;
    for (String k : excluded) {
      c = c.withoutPath(k);
    }
    return new RetortConfig(c, origin).hash(paths);
  }

  /** The resolved config as HOCON text, for the log at start and for provenance. */
  public String render(String... paths) {
    if (paths.length == 0) {
      return config.root().render(ConfigRenderOptions.concise().setFormatted(true).setJson(false));
    }
    Config out = ConfigFactory.empty();
    for (String p : paths) {
      if (config.hasPath(p)) {
        out = out.withValue(p, config.getValue(p));
      }
    }
    // Rendered from a Config (not a bare value) so the text parses back as HOCON.
    return out.root().render(ConfigRenderOptions.concise().setFormatted(true).setJson(false));
  }

  public static String sha256(String s) {
    try {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      return HexFormat.of().formatHex(md.digest(s.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  @SuppressWarnings("unchecked")
  private static Object sorted(Object v) {
    if (v instanceof Map<?, ?> m) {
      Map<String, Object> t = new TreeMap<>();
      ((Map<String, Object>) m).forEach((k, x) -> t.put(k, sorted(x)));
      return t;
    }
    if (v instanceof List<?> l) {
      return l.stream().map(RetortConfig::sorted).toList();
    }
    return v;
  }

  private static String quoteIfNeeded(String v) {
    if (v.startsWith("\"") || v.startsWith("[") || v.startsWith("{")) {
      return v;
    }
    if (v.matches("-?[0-9]+(\\.[0-9]+)?([eE]-?[0-9]+)?|true|false|null")) {
      return v;
    }
    return Json.toJson(v);
  }
}
