package dev.retort.model.chat;

import com.hubspot.jinjava.objects.SafeString;
import com.hubspot.jinjava.util.HasObjectTruthValue;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Python value semantics for template data: None, str(), repr(), json.dumps.
 *
 * <p>Jinjava uses Java {@code null} both for "no such variable" and for a null value. Jinja2
 * tells them apart ({@code Undefined} vs {@code None}: {@code x is defined}, {@code x is none},
 * printing), so every Python None that enters a template becomes the {@link #NONE} sentinel and
 * {@code null} keeps meaning undefined.
 */
final class PyValues {
  private PyValues() {}

  /** Python's None: falsy, prints "None", JSON null. */
  static final Object NONE = new PyNone();

  private static final class PyNone implements HasObjectTruthValue {
    @Override
    public boolean getObjectTruthValue() {
      return false;
    }

    @Override
    public String toString() {
      return "None";
    }
  }

  /** A Python tuple (dict.items() pairs): a fixed list that prints as (a, b). */
  static final class Tuple extends java.util.AbstractList<Object> {
    private final Object[] items;

    Tuple(Object... items) {
      this.items = items.clone();
    }

    @Override
    public Object get(int index) {
      return items[index];
    }

    @Override
    public int size() {
      return items.length;
    }
  }

  static boolean isNone(Object o) {
    return o == NONE;
  }

  /** A caller's value as template data: null becomes None, ints become longs, containers are copied. */
  static Object fromJava(Object value) {
    if (value == null) {
      return NONE;
    }
    if (value instanceof Integer || value instanceof Short || value instanceof Byte) {
      return ((Number) value).longValue();
    }
    if (value instanceof Float) {
      return ((Float) value).doubleValue();
    }
    if (value instanceof Map<?, ?> map) {
      Map<String, Object> out = new LinkedHashMap<>();
      for (Map.Entry<?, ?> e : map.entrySet()) {
        out.put(String.valueOf(e.getKey()), fromJava(e.getValue()));
      }
      return out;
    }
    if (value instanceof Collection<?> c) {
      List<Object> out = new ArrayList<>(c.size());
      for (Object o : c) {
        out.add(fromJava(o));
      }
      return out;
    }
    if (value instanceof Object[] arr) {
      List<Object> out = new ArrayList<>(arr.length);
      for (Object o : arr) {
        out.add(fromJava(o));
      }
      return out;
    }
    return value;
  }

  /** Python's str(x) as Jinja2 prints {{ x }}; null (undefined) prints as empty. */
  static String str(Object o) {
    if (o == null) {
      return "";
    }
    if (o instanceof String s) {
      return s;
    }
    if (o instanceof SafeString s) {
      return s.toString();
    }
    if (o instanceof Character c) {
      return c.toString();
    }
    return repr(o);
  }

  /** Python's repr(x) for the types templates see. */
  static String repr(Object o) {
    if (o == null || o == NONE) {
      return "None";
    }
    if (o instanceof Boolean b) {
      return b ? "True" : "False";
    }
    if (o instanceof String || o instanceof SafeString || o instanceof Character) {
      return reprString(o.toString());
    }
    if (o instanceof Double || o instanceof Float) {
      return floatRepr(((Number) o).doubleValue());
    }
    if (o instanceof BigDecimal d) {
      return floatRepr(d.doubleValue());
    }
    if (o instanceof Number) {
      return o.toString();
    }
    if (o instanceof Map<?, ?> map) {
      StringBuilder sb = new StringBuilder("{");
      boolean first = true;
      for (Map.Entry<?, ?> e : map.entrySet()) {
        if (!first) {
          sb.append(", ");
        }
        first = false;
        sb.append(repr(e.getKey())).append(": ").append(repr(e.getValue()));
      }
      return sb.append('}').toString();
    }
    if (o instanceof Map.Entry<?, ?> e) {
      return "(" + repr(e.getKey()) + ", " + repr(e.getValue()) + ")";
    }
    if (o instanceof Tuple t) {
      StringBuilder sb = new StringBuilder("(");
      for (int i = 0; i < t.size(); i++) {
        sb.append(i > 0 ? ", " : "").append(repr(t.get(i)));
      }
      return sb.append(t.size() == 1 ? ",)" : ")").toString();
    }
    if (o instanceof Iterable<?> it) {
      StringBuilder sb = new StringBuilder("[");
      Iterator<?> i = it.iterator();
      while (i.hasNext()) {
        sb.append(repr(i.next()));
        if (i.hasNext()) {
          sb.append(", ");
        }
      }
      return sb.append(']').toString();
    }
    return o.toString();
  }

  /** repr of a str: single quotes unless the text has ' and no ", escapes as CPython does. */
  static String reprString(String s) {
    char quote = s.indexOf('\'') >= 0 && s.indexOf('"') < 0 ? '"' : '\'';
    StringBuilder sb = new StringBuilder(s.length() + 2).append(quote);
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == quote || c == '\\') {
        sb.append('\\').append(c);
      } else if (c == '\n') {
        sb.append("\\n");
      } else if (c == '\r') {
        sb.append("\\r");
      } else if (c == '\t') {
        sb.append("\\t");
      } else if (c < 0x20 || c == 0x7f) {
        sb.append(String.format("\\x%02x", (int) c));
      } else {
        sb.append(c);
      }
    }
    return sb.append(quote).toString();
  }

  /** Python's float repr: shortest round-trip digits, "1.0", "1e-05", "inf", "nan". */
  static String floatRepr(double d) {
    if (Double.isNaN(d)) {
      return "nan";
    }
    if (Double.isInfinite(d)) {
      return d > 0 ? "inf" : "-inf";
    }
    if (d == 0) {
      return (1 / d < 0) ? "-0.0" : "0.0";
    }
    BigDecimal bd = new BigDecimal(Double.toString(d)).stripTrailingZeros();
    String digits = bd.unscaledValue().abs().toString();
    int exponent = digits.length() - 1 - bd.scale(); // decimal exponent of the first digit
    String sign = d < 0 ? "-" : "";
    if (exponent >= 16 || exponent < -4) {
      String mantissa = digits.length() == 1 ? digits : digits.charAt(0) + "." + digits.substring(1);
      return sign + mantissa + "e" + (exponent < 0 ? "-" : "+") + String.format("%02d", Math.abs(exponent));
    }
    String plain = bd.abs().toPlainString();
    if (plain.indexOf('.') < 0) {
      plain = plain + ".0";
    }
    return sign + plain;
  }

  /** json.dumps(x, ensure_ascii=False, indent=indent, separators=None, sort_keys=False). */
  static String toJson(Object o, Integer indent) {
    StringBuilder sb = new StringBuilder();
    writeJson(sb, o, indent, 0);
    return sb.toString();
  }

  private static void writeJson(StringBuilder sb, Object o, Integer indent, int level) {
    if (o == null || o == NONE) {
      sb.append("null");
    } else if (o instanceof Boolean b) {
      sb.append(b ? "true" : "false");
    } else if (o instanceof String || o instanceof SafeString || o instanceof Character) {
      jsonString(sb, o.toString());
    } else if (o instanceof Double || o instanceof Float || o instanceof BigDecimal) {
      double d = ((Number) o).doubleValue();
      sb.append(Double.isNaN(d) ? "NaN" : Double.isInfinite(d) ? (d > 0 ? "Infinity" : "-Infinity") : floatRepr(d));
    } else if (o instanceof Number) {
      sb.append(o instanceof BigInteger ? o.toString() : Long.toString(((Number) o).longValue()));
    } else if (o instanceof Map<?, ?> map) {
      if (map.isEmpty()) {
        sb.append("{}");
        return;
      }
      sb.append('{');
      boolean first = true;
      for (Map.Entry<?, ?> e : map.entrySet()) {
        if (!first) {
          sb.append(indent == null ? ", " : ",");
        }
        first = false;
        newline(sb, indent, level + 1);
        Object key = e.getKey();
        jsonString(sb, key instanceof String ? (String) key : repr(key));
        sb.append(": ");
        writeJson(sb, e.getValue(), indent, level + 1);
      }
      newline(sb, indent, level);
      sb.append('}');
    } else if (o instanceof Iterable<?> it) {
      Iterator<?> i = it.iterator();
      if (!i.hasNext()) {
        sb.append("[]");
        return;
      }
      sb.append('[');
      boolean first = true;
      while (i.hasNext()) {
        if (!first) {
          sb.append(indent == null ? ", " : ",");
        }
        first = false;
        newline(sb, indent, level + 1);
        writeJson(sb, i.next(), indent, level + 1);
      }
      newline(sb, indent, level);
      sb.append(']');
    } else {
      throw new IllegalArgumentException("Object of type " + o.getClass().getSimpleName() + " is not JSON serializable");
    }
  }

  private static void newline(StringBuilder sb, Integer indent, int level) {
    if (indent != null) {
      sb.append('\n');
      sb.append(" ".repeat(indent * level));
    }
  }

  private static void jsonString(StringBuilder sb, String s) {
    sb.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> sb.append("\\\"");
        case '\\' -> sb.append("\\\\");
        case '\n' -> sb.append("\\n");
        case '\r' -> sb.append("\\r");
        case '\t' -> sb.append("\\t");
        case '\b' -> sb.append("\\b");
        case '\f' -> sb.append("\\f");
        default -> {
          if (c < 0x20) {
            sb.append(String.format("\\u%04x", (int) c));
          } else {
            sb.append(c);
          }
        }
      }
    }
    sb.append('"');
  }

  /** Python truthiness of template data (None, empty containers and strings, zero are false). */
  static boolean truthy(Object o) {
    return com.hubspot.jinjava.util.ObjectTruthValue.evaluate(o);
  }
}
