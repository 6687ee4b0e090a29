package dev.retort.train;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigResolveOptions;
import com.typesafe.config.ConfigValueType;
import dev.retort.core.config.ConfigBinder;
import dev.retort.core.config.ConfigError;
import dev.retort.core.config.RetortConfig;
import java.lang.reflect.RecordComponent;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * How a trainer's settings record meets the config, the same for every trainer: a section at any
 * path ({@code train}, {@code train-student}, {@code grpo}, {@code rl}, ...) is bound with the
 * trainer's defaults section underneath, so a section names only what it changes and unknown
 * keys are still errors naming {@code path.key}; and the record goes back to a kebab-case map
 * (for provenance and the hash of the settings that determine the weights).
 */
public final class Sections {
  private Sections() {}

  /**
   * Binds the section at {@code path} (which may be absent: then the defaults alone) over the
   * {@code defaultsPath} object of the classpath resource {@code resource}.
   *
   * @throws ConfigError naming {@code path.key} for unknown keys, wrong types and bad values
   */
  public static <R extends Record> R bind(RetortConfig config, String path, Class<R> type, String resource,
      String defaultsPath) {
    Config raw = config.raw();
    Config section;
    if (raw.hasPathOrNull(path) && !raw.getIsNull(path)) {
      if (raw.getValue(path).valueType() != ConfigValueType.OBJECT) {
        throw new ConfigError(path, config.origin(), "expected an object");
      }
      section = raw.getConfig(path);
    } else {
      section = ConfigFactory.empty();
    }
    Config merged = section.withFallback(defaults(resource, defaultsPath)).atPath(path);
    return new ConfigBinder(config.origin()).bind(merged, path, type);
  }

  /**
   * {@code overrides} ("key=value") as overrides of the section at {@code path}, for
   * {@code RetortConfig.defaults} (the settings records' {@code defaults(...)}).
   */
  public static String[] under(String path, String... overrides) {
    String[] prefixed = new String[overrides.length];
    for (int i = 0; i < overrides.length; i++) {
      prefixed[i] = path + "." + overrides[i];
    }
    return prefixed;
  }

  /**
   * A settings record's value check: throws IllegalArgumentException "key problem", to which
   * ConfigBinder adds the section path and the file.
   */
  public static void check(boolean ok, String key, String problem) {
    if (!ok) {
      throw new IllegalArgumentException(key + " " + problem);
    }
  }

  /** The {@code path} object of a classpath resource (all copies of it merged, as the config loader does). */
  static Config defaults(String resource, String path) {
    Config c = ConfigFactory.parseResources(Sections.class.getClassLoader(), resource)
        .resolve(ConfigResolveOptions.defaults().setAllowUnresolved(true));
    if (!c.hasPath(path)) {
      throw new IllegalStateException("classpath resource " + resource + " is missing or has no " + path + " section");
    }
    return c.getConfig(path);
  }

  /**
   * Kebab-case map of a settings record: optionals become their value or null, paths strings,
   * nested records maps, lists lists of the same; anything else as it is.
   */
  public static Map<String, Object> toMap(Record r) {
    Map<String, Object> out = new LinkedHashMap<>();
    for (RecordComponent c : r.getClass().getRecordComponents()) {
      Object v;
      try {
        v = c.getAccessor().invoke(r);
      } catch (ReflectiveOperationException e) {
        throw new IllegalStateException(e);
      }
      out.put(ConfigBinder.kebab(c.getName()), plain(v));
    }
    return out;
  }

  private static Object plain(Object v) {
    if (v instanceof Optional<?> o) {
      return o.map(Sections::plain).orElse(null);
    }
    if (v instanceof Record rec) {
      return toMap(rec);
    }
    if (v instanceof Path p) {
      return p.toString();
    }
    if (v instanceof List<?> l) {
      return l.stream().map(Sections::plain).toList();
    }
    return v;
  }
}
