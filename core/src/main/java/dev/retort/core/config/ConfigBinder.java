package dev.retort.core.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * Binds a HOCON section to an immutable Java record, strictly: every record component must have a
 * value (defaults come from {@code retort-defaults.conf} resources), a key that matches no component
 * is an error, and a wrong type is an error. Keys are the kebab-case form of component names
 * ({@code maxTokens} -> {@code max-tokens}). Supported component types: String, int, long, double,
 * boolean (and boxed), enums, Path, Location (a URI on a Hadoop FileSystem), Duration, List of those or of records, Map of String to String,
 * nested records, and Optional of any of these (absent or null allowed).
 */
public final class ConfigBinder {
  private final String file;

  /** @param file the file the values came from, named in errors */
  public ConfigBinder(String file) {
    this.file = file;
  }

  public <R extends Record> R bind(Config config, String path, Class<R> type) {
    if (!config.hasPath(path)) {
      throw new ConfigError(path, file, "missing required section");
    }
    ConfigValue v = config.getValue(path);
    if (v.valueType() != ConfigValueType.OBJECT) {
      throw new ConfigError(path, where(v), "expected an object, got " + v.valueType().name().toLowerCase(Locale.ROOT));
    }
    return bindRecord(((ConfigObject) v).toConfig(), path, type);
  }

  public static String kebab(String camel) {
    StringBuilder b = new StringBuilder();
    for (char c : camel.toCharArray()) {
      if (Character.isUpperCase(c)) {
        b.append('-').append(Character.toLowerCase(c));
      } else {
        b.append(c);
      }
    }
    return b.toString();
  }

  private <R> R bindRecord(Config c, String prefix, Class<R> type) {
    RecordComponent[] comps = type.getRecordComponents();
    Set<String> known = new TreeSet<>();
    for (RecordComponent rc : comps) {
      known.add(kebab(rc.getName()));
    }
    for (String key : c.root().keySet()) {
      if (!known.contains(key)) {
        throw new ConfigError(join(prefix, key), where(c.root().get(key)),
            "unknown key" + Suggest.hint(key, known) + " (expected one of " + known + ")");
      }
    }
    Object[] args = new Object[comps.length];
    Class<?>[] types = new Class<?>[comps.length];
    for (int i = 0; i < comps.length; i++) {
      RecordComponent rc = comps[i];
      types[i] = rc.getType();
      String key = kebab(rc.getName());
      String full = join(prefix, key);
      boolean optional = rc.getType() == Optional.class;
      if (!c.hasPathOrNull(key) || c.getIsNull(key)) {
        if (optional) {
          args[i] = Optional.empty();
          continue;
        }
        throw new ConfigError(full, file, "missing required value");
      }
      ConfigValue value = c.getValue(key);
      try {
        if (optional) {
          Type inner = ((ParameterizedType) rc.getGenericType()).getActualTypeArguments()[0];
          args[i] = Optional.of(convert(value, c, key, full, inner));
        } else {
          args[i] = convert(value, c, key, full, rc.getGenericType());
        }
      } catch (ConfigException.WrongType | IllegalArgumentException e) {
        String msg = e instanceof ConfigException ce ? stripOrigin(ce.getMessage()) : e.getMessage();
        throw new ConfigError(full, where(value), "wrong type or value (" + msg + ")");
      }
    }
    try {
      var ctor = type.getDeclaredConstructor(types);
      ctor.setAccessible(true);
      return ctor.newInstance(args);
    } catch (java.lang.reflect.InvocationTargetException e) {
      Throwable cause = e.getCause();
      if (cause instanceof ConfigError ce) {
        throw ce;
      }
      throw new ConfigError(prefix, file, "invalid value (" + cause.getMessage() + ")");
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException("cannot build " + type.getName() + ": " + e, e);
    }
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  private Object convert(ConfigValue value, Config c, String key, String full, Type type) {
    if (type instanceof ParameterizedType pt) {
      Class<?> raw = (Class<?>) pt.getRawType();
      Type arg0 = pt.getActualTypeArguments()[0];
      if (List.class.isAssignableFrom(raw)) {
        if (value.valueType() != ConfigValueType.LIST) {
          throw new IllegalArgumentException("expected a list, got " + value.valueType().name().toLowerCase(Locale.ROOT));
        }
        List<Object> out = new ArrayList<>();
        List<? extends ConfigValue> items = c.getList(key);
        for (int j = 0; j < items.size(); j++) {
          ConfigValue item = items.get(j);
          Config holder = com.typesafe.config.ConfigFactory.empty().withValue("v", item);
          out.add(convert(item, holder, "v", full + "[" + j + "]", arg0));
        }
        return List.copyOf(out);
      }
      if (Map.class.isAssignableFrom(raw)) {
        Type valueType = pt.getActualTypeArguments()[1];
        if (value.valueType() != ConfigValueType.OBJECT) {
          throw new IllegalArgumentException("expected an object, got " + value.valueType().name().toLowerCase(Locale.ROOT));
        }
        Map<String, Object> out = new LinkedHashMap<>();
        ConfigObject obj = (ConfigObject) value;
        Config oc = obj.toConfig();
        for (String k : obj.keySet()) {
          Config holder = com.typesafe.config.ConfigFactory.empty().withValue("v", obj.get(k));
          out.put(k, convert(obj.get(k), holder, "v", full + "." + k, valueType));
        }
        return java.util.Collections.unmodifiableMap(out);
      }
      throw new IllegalStateException("unsupported config type " + type);
    }
    Class<?> t = (Class<?>) type;
    if (t == String.class) {
      if (value.valueType() == ConfigValueType.OBJECT || value.valueType() == ConfigValueType.LIST) {
        throw new IllegalArgumentException("expected a string, got " + value.valueType().name().toLowerCase(Locale.ROOT));
      }
      return c.getString(key);
    }
    if (t == int.class || t == Integer.class) {
      return c.getInt(key);
    }
    if (t == long.class || t == Long.class) {
      return c.getLong(key);
    }
    if (t == double.class || t == Double.class) {
      return c.getDouble(key);
    }
    if (t == boolean.class || t == Boolean.class) {
      return c.getBoolean(key);
    }
    if (t == Path.class) {
      return Path.of(c.getString(key));
    }
    if (t == dev.retort.core.store.Location.class) {
      // Parsed here, on the driver: relative paths become absolute before any task is planned,
      // and a scheme without a FileSystem fails here, naming the key.
      return dev.retort.core.store.Location.of(c.getString(key));
    }
    if (t == Duration.class) {
      return c.getDuration(key);
    }
    if (t.isEnum()) {
      String s = c.getString(key).trim().toUpperCase(Locale.ROOT).replace('-', '_');
      for (Object e : t.getEnumConstants()) {
        if (((Enum) e).name().equals(s)) {
          return e;
        }
      }
      List<String> names = new ArrayList<>();
      for (Object e : t.getEnumConstants()) {
        names.add(((Enum) e).name().toLowerCase(Locale.ROOT).replace('_', '-'));
      }
      throw new IllegalArgumentException("'" + c.getString(key) + "' is not one of " + names);
    }
    if (t.isRecord()) {
      if (value.valueType() != ConfigValueType.OBJECT) {
        throw new IllegalArgumentException("expected an object, got " + value.valueType().name().toLowerCase(Locale.ROOT));
      }
      return bindRecord(((ConfigObject) value).toConfig(), full, t);
    }
    throw new IllegalStateException("unsupported config type " + t.getName() + " for " + full);
  }

  private String where(ConfigValue v) {
    if (v == null || v.origin() == null) {
      return file;
    }
    String d = v.origin().description();
    return d == null ? file : d;
  }

  private static String join(String prefix, String key) {
    return prefix == null || prefix.isEmpty() ? key : prefix + "." + key;
  }

  private static String stripOrigin(String msg) {
    int i = msg.indexOf(": ");
    return i > 0 && msg.substring(0, i).contains(":") ? msg.substring(i + 2) : msg;
  }
}
