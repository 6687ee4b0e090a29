package dev.retort.model.chat;

import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.lib.exptest.ExpTest;
import com.hubspot.jinjava.lib.filter.Filter;
import com.hubspot.jinjava.lib.fn.ELFunctionDefinition;
import com.hubspot.jinjava.lib.tag.Tag;
import com.hubspot.jinjava.objects.SafeString;
import com.hubspot.jinjava.tree.Node;
import com.hubspot.jinjava.tree.TagNode;
import java.time.ZonedDateTime;
import java.time.format.TextStyle;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * The filters, tests, globals and the {@code generation} tag that transformers' chat template
 * environment has, with jinja2's semantics where Jinjava's built-ins differ (printing, None vs
 * undefined, tojson).
 */
final class PyLibrary {
  private PyLibrary() {}

  /** Thrown by raise_exception(msg); the renderer turns it into IllegalArgumentException. */
  static final class TemplateRaise extends RuntimeException {
    TemplateRaise(String message) {
      super(message, null, false, false);
    }
  }

  // ---- globals

  static final List<ELFunctionDefinition> FUNCTIONS = List.of(
      new ELFunctionDefinition("", "raise_exception", PyLibrary.class, "raiseException", Object.class),
      new ELFunctionDefinition("", "strftime_now", PyLibrary.class, "strftimeNow", Object.class),
      new ELFunctionDefinition("", TemplateRewriter.SLICE_FUNCTION, PyLibrary.class, "slice",
          Object.class, Object.class, Object.class, Object.class));

  /** What a global function's name resolves to when it is not called: defined, truthy. */
  static final Object GLOBAL_FUNCTION = new Object() {
    @Override
    public String toString() {
      return "<function>";
    }
  };

  static Object raiseException(Object message) {
    throw new TemplateRaise(PyValues.str(message));
  }

  static String strftimeNow(Object format) {
    return strftime(ZonedDateTime.now(), PyValues.str(format));
  }

  /** Python's datetime.strftime for the C-locale directives. */
  static String strftime(ZonedDateTime t, String fmt) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < fmt.length(); i++) {
      char c = fmt.charAt(i);
      if (c != '%' || i + 1 >= fmt.length()) {
        sb.append(c);
        continue;
      }
      char d = fmt.charAt(++i);
      switch (d) {
        case 'd' -> sb.append(String.format("%02d", t.getDayOfMonth()));
        case 'm' -> sb.append(String.format("%02d", t.getMonthValue()));
        case 'Y' -> sb.append(t.getYear());
        case 'y' -> sb.append(String.format("%02d", t.getYear() % 100));
        case 'b' -> sb.append(t.getMonth().getDisplayName(TextStyle.SHORT, Locale.ENGLISH));
        case 'B' -> sb.append(t.getMonth().getDisplayName(TextStyle.FULL, Locale.ENGLISH));
        case 'a' -> sb.append(t.getDayOfWeek().getDisplayName(TextStyle.SHORT, Locale.ENGLISH));
        case 'A' -> sb.append(t.getDayOfWeek().getDisplayName(TextStyle.FULL, Locale.ENGLISH));
        case 'H' -> sb.append(String.format("%02d", t.getHour()));
        case 'I' -> sb.append(String.format("%02d", (t.getHour() + 11) % 12 + 1));
        case 'p' -> sb.append(t.getHour() < 12 ? "AM" : "PM");
        case 'M' -> sb.append(String.format("%02d", t.getMinute()));
        case 'S' -> sb.append(String.format("%02d", t.getSecond()));
        case 'j' -> sb.append(String.format("%03d", t.getDayOfYear()));
        case 'e' -> sb.append(String.format("%2d", t.getDayOfMonth()));
        case '%' -> sb.append('%');
        default -> sb.append('%').append(d);
      }
    }
    return sb.toString();
  }

  /** x[start:stop:step] with Python's bounds for lists and strings. */
  static Object slice(Object base, Object start, Object stop, Object step) {
    Object self = base instanceof SafeString ? base.toString() : base;
    List<?> items;
    boolean isString = self instanceof String;
    if (isString) {
      List<Object> cps = new ArrayList<>();
      ((String) self).codePoints().forEach(cp -> cps.add(new String(Character.toChars(cp))));
      items = cps;
    } else if (self instanceof List<?> l) {
      items = l;
    } else if (self instanceof Collection<?> c) {
      items = new ArrayList<>(c);
    } else {
      throw new IllegalArgumentException("'" + PyValues.repr(base) + "' object is not subscriptable");
    }
    int len = items.size();
    int st = absent(step) ? 1 : toInt(step);
    if (st == 0) {
      throw new IllegalArgumentException("slice step cannot be zero");
    }
    int lo;
    int hi;
    if (st > 0) {
      lo = absent(start) ? 0 : clamp(toInt(start), len, 0, len);
      hi = absent(stop) ? len : clamp(toInt(stop), len, 0, len);
    } else {
      lo = absent(start) ? len - 1 : clamp(toInt(start), len, -1, len - 1);
      hi = absent(stop) ? -1 : clamp(toInt(stop), len, -1, len - 1);
    }
    List<Object> out = new ArrayList<>();
    for (int i = lo; st > 0 ? i < hi : i > hi; i += st) {
      out.add(items.get(i));
    }
    if (isString) {
      StringBuilder sb = new StringBuilder();
      out.forEach(sb::append);
      return sb.toString();
    }
    return out;
  }

  private static boolean absent(Object o) {
    return o == null || PyValues.isNone(o);
  }

  private static int toInt(Object o) {
    if (o instanceof Number n) {
      return n.intValue();
    }
    throw new IllegalArgumentException("slice indices must be integers or None");
  }

  private static int clamp(int i, int len, int min, int max) {
    int k = i < 0 ? i + len : i;
    return Math.max(min, Math.min(max, k));
  }

  // ---- tag

  /** transformers' AssistantTracker: {% generation %}...{% endgeneration %} renders its body. */
  static final class GenerationTag implements Tag {
    private static final long serialVersionUID = 1L;

    @Override
    public String getName() {
      return "generation";
    }

    @Override
    public String interpret(TagNode tagNode, JinjavaInterpreter interpreter) {
      StringBuilder sb = new StringBuilder();
      for (Node child : tagNode.getChildren()) {
        sb.append(child.render(interpreter).getValue());
      }
      return sb.toString();
    }
  }

  // ---- tests

  private record Test(String name, java.util.function.BiPredicate<Object, Object[]> fn) implements ExpTest {
    @Override
    public String getName() {
      return name;
    }

    @Override
    public boolean evaluate(Object var, JinjavaInterpreter interpreter, Object... args) {
      return fn.test(unsafe(var), args);
    }
  }

  static final List<ExpTest> TESTS = List.of(
      new Test("defined", (v, a) -> v != null),
      new Test("undefined", (v, a) -> v == null),
      new Test("none", (v, a) -> PyValues.isNone(v)),
      new Test("string", (v, a) -> v instanceof String),
      new Test("mapping", (v, a) -> v instanceof Map),
      new Test("iterable", (v, a) -> v instanceof String || v instanceof Iterable || v instanceof Map),
      new Test("sequence", (v, a) -> v instanceof String || v instanceof Iterable || v instanceof Map),
      new Test("number", (v, a) -> v instanceof Number || v instanceof Boolean),
      new Test("integer", (v, a) -> v instanceof Long || v instanceof Integer || v instanceof java.math.BigInteger),
      new Test("float", (v, a) -> v instanceof Double || v instanceof Float || v instanceof java.math.BigDecimal),
      new Test("boolean", (v, a) -> v instanceof Boolean),
      new Test("true", (v, a) -> Boolean.TRUE.equals(v)),
      new Test("false", (v, a) -> Boolean.FALSE.equals(v)),
      new Test("equalto", (v, a) -> pyEquals(v, unsafe(a[0]))),
      new Test("eq", (v, a) -> pyEquals(v, unsafe(a[0]))),
      new Test("==", (v, a) -> pyEquals(v, unsafe(a[0]))),
      new Test("ne", (v, a) -> !pyEquals(v, unsafe(a[0]))),
      new Test("!=", (v, a) -> !pyEquals(v, unsafe(a[0]))),
      new Test("in", (v, a) -> PyOperators.contains(unsafe(a[0]), v)),
      new Test("lower", (v, a) -> v instanceof String s && s.equals(s.toLowerCase(Locale.ROOT))),
      new Test("upper", (v, a) -> v instanceof String s && s.equals(s.toUpperCase(Locale.ROOT))),
      new Test("odd", (v, a) -> v instanceof Number n && n.longValue() % 2 != 0),
      new Test("even", (v, a) -> v instanceof Number n && n.longValue() % 2 == 0),
      new Test("callable", (v, a) -> false));

  static Object unsafe(Object o) {
    return o instanceof SafeString ? o.toString() : o;
  }

  static boolean pyEquals(Object a, Object b) {
    a = unsafe(a);
    b = unsafe(b);
    if (a instanceof Number x && b instanceof Number y && !(a instanceof Boolean) && !(b instanceof Boolean)) {
      return x.doubleValue() == y.doubleValue();
    }
    return Objects.equals(a, b);
  }

  // ---- filters

  @FunctionalInterface
  private interface FilterFn {
    Object apply(Object var, JinjavaInterpreter in, Object[] args, Map<String, Object> kwargs);
  }

  private record PyFilter(String name, FilterFn fn) implements Filter {
    @Override
    public String getName() {
      return name;
    }

    @Override
    public Object filter(Object var, JinjavaInterpreter interpreter, Object[] args, Map<String, Object> kwargs) {
      return fn.apply(var instanceof SafeString && !name.equals("safe") ? var.toString() : var, interpreter,
          args == null ? new Object[0] : args, kwargs == null ? Map.of() : kwargs);
    }

    @Override
    public Object filter(Object var, JinjavaInterpreter interpreter, String... args) {
      return filter(var, interpreter, args, Map.of());
    }
  }

  private static Object arg(Object[] args, Map<String, Object> kwargs, int i, String name) {
    if (kwargs.containsKey(name)) {
      return kwargs.get(name);
    }
    return args.length > i ? args[i] : null;
  }

  static final List<Filter> FILTERS = List.of(
      new PyFilter("tojson", (v, in, a, k) -> {
        Object indent = arg(a, k, 0, "indent");
        return PyValues.toJson(v, indent instanceof Number n ? n.intValue() : null);
      }),
      new PyFilter("string", (v, in, a, k) -> PyValues.str(v)),
      new PyFilter("safe", (v, in, a, k) -> v),
      new PyFilter("length", (v, in, a, k) -> (long) PyOperators.len(v)),
      new PyFilter("count", (v, in, a, k) -> (long) PyOperators.len(v)),
      new PyFilter("trim", (v, in, a, k) -> {
        Object chars = arg(a, k, 0, "chars");
        String s = PyValues.str(v);
        return PyMethods.rstrip(PyMethods.lstrip(s, chars), chars);
      }),
      new PyFilter("upper", (v, in, a, k) -> PyValues.str(v).toUpperCase(Locale.ROOT)),
      new PyFilter("lower", (v, in, a, k) -> PyValues.str(v).toLowerCase(Locale.ROOT)),
      new PyFilter("capitalize", (v, in, a, k) -> {
        String s = PyValues.str(v);
        return s.isEmpty() ? s : s.substring(0, 1).toUpperCase(Locale.ROOT) + s.substring(1).toLowerCase(Locale.ROOT);
      }),
      new PyFilter("title", (v, in, a, k) -> PyMethods.title(PyValues.str(v))),
      new PyFilter("replace", (v, in, a, k) -> {
        String s = PyValues.str(v);
        Object count = arg(a, k, 2, "count");
        String old = PyValues.str(a[0]);
        String neu = PyValues.str(a[1]);
        if (count instanceof Number n) {
          StringBuilder sb = new StringBuilder();
          int from = 0;
          for (long done = 0; done < n.longValue(); done++) {
            int idx = s.indexOf(old, from);
            if (idx < 0 || old.isEmpty()) {
              break;
            }
            sb.append(s, from, idx).append(neu);
            from = idx + old.length();
          }
          return sb.append(s.substring(from)).toString();
        }
        return s.replace(old, neu);
      }),
      new PyFilter("default", (v, in, a, k) -> {
        Object dflt = arg(a, k, 0, "default_value");
        Object bool = arg(a, k, 1, "boolean");
        boolean useFalsy = bool != null && PyValues.truthy(bool);
        if (v == null || (useFalsy && !PyValues.truthy(v))) {
          return dflt == null ? "" : dflt;
        }
        return v;
      }),
      new PyFilter("d", (v, in, a, k) -> v == null ? (a.length > 0 ? a[0] : "") : v),
      new PyFilter("items", (v, in, a, k) -> {
        if (v == null) {
          return List.of();
        }
        if (!(v instanceof Map<?, ?> m)) {
          throw new IllegalArgumentException("Can only get item pairs from a mapping.");
        }
        List<Object> out = new ArrayList<>();
        m.forEach((key, value) -> out.add(new PyValues.Tuple(key, value == null ? PyValues.NONE : value)));
        return out;
      }),
      new PyFilter("list", (v, in, a, k) -> PyOperators.toList(v)),
      new PyFilter("first", (v, in, a, k) -> {
        List<Object> l = PyOperators.toList(v);
        return l.isEmpty() ? null : l.get(0);
      }),
      new PyFilter("last", (v, in, a, k) -> {
        List<Object> l = PyOperators.toList(v);
        return l.isEmpty() ? null : l.get(l.size() - 1);
      }),
      new PyFilter("reverse", (v, in, a, k) -> {
        if (v instanceof String s) {
          return new StringBuilder(s).reverse().toString();
        }
        List<Object> l = new ArrayList<>(PyOperators.toList(v));
        Collections.reverse(l);
        return l;
      }),
      new PyFilter("join", (v, in, a, k) -> {
        String sep = a.length > 0 && a[0] != null ? PyValues.str(a[0]) : "";
        Object attribute = arg(a, k, 1, "attribute");
        StringBuilder sb = new StringBuilder();
        boolean first = true;
        for (Object o : PyOperators.toList(v)) {
          if (!first) {
            sb.append(sep);
          }
          first = false;
          sb.append(PyValues.str(attribute == null ? o : PyOperators.getItem(o, attribute)));
        }
        return sb.toString();
      }),
      new PyFilter("int", (v, in, a, k) -> {
        Object dflt = arg(a, k, 0, "default");
        if (v instanceof Boolean b) {
          return b ? 1L : 0L;
        }
        if (v instanceof Number n) {
          return n.longValue();
        }
        try {
          return Long.parseLong(PyValues.str(v).strip().replace("_", ""));
        } catch (NumberFormatException e) {
          try {
            return (long) Double.parseDouble(PyValues.str(v).strip());
          } catch (NumberFormatException e2) {
            return dflt == null ? 0L : dflt;
          }
        }
      }),
      new PyFilter("float", (v, in, a, k) -> {
        if (v instanceof Number n) {
          return n.doubleValue();
        }
        try {
          return Double.parseDouble(PyValues.str(v).strip());
        } catch (NumberFormatException e) {
          Object dflt = arg(a, k, 0, "default");
          return dflt == null ? 0.0 : dflt;
        }
      }),
      new PyFilter("map", (v, in, a, k) -> {
        List<Object> out = new ArrayList<>();
        Object attribute = k.get("attribute");
        for (Object o : PyOperators.toList(v)) {
          if (attribute != null) {
            Object got = PyOperators.getItem(o, attribute);
            out.add(got == null && k.containsKey("default") ? k.get("default") : got);
          } else {
            Filter f = in.getContext().getFilter(PyValues.str(a[0]));
            Object[] rest = java.util.Arrays.copyOfRange(a, 1, a.length);
            out.add(f.filter(o, in, rest, Map.of()));
          }
        }
        return out;
      }),
      new PyFilter("selectattr", (v, in, a, k) -> select(v, in, a, true, true)),
      new PyFilter("rejectattr", (v, in, a, k) -> select(v, in, a, false, true)),
      new PyFilter("select", (v, in, a, k) -> select(v, in, a, true, false)),
      new PyFilter("reject", (v, in, a, k) -> select(v, in, a, false, false)),
      new PyFilter("unique", (v, in, a, k) -> new ArrayList<>(new java.util.LinkedHashSet<>(PyOperators.toList(v)))),
      new PyFilter("sum", (v, in, a, k) -> {
        Object attribute = arg(a, k, 0, "attribute");
        Object start = arg(a, k, 1, "start");
        Number total = start instanceof Number n ? n : 0L;
        for (Object o : PyOperators.toList(v)) {
          Object x = attribute == null ? o : PyOperators.getItem(o, attribute);
          Number n = (Number) (x instanceof Boolean b ? (b ? 1L : 0L) : x);
          total = total instanceof Long && (n instanceof Long || n instanceof Integer)
              ? (Number) (total.longValue() + n.longValue()) : (Number) (total.doubleValue() + n.doubleValue());
        }
        return total;
      }),
      new PyFilter("max", (v, in, a, k) -> extreme(v, k, true)),
      new PyFilter("min", (v, in, a, k) -> extreme(v, k, false)),
      new PyFilter("batch", (v, in, a, k) -> {
        int size = ((Number) a[0]).intValue();
        boolean fill = a.length > 1 || k.containsKey("fill_with");
        Object filler = k.containsKey("fill_with") ? k.get("fill_with") : a.length > 1 ? a[1] : null;
        List<Object> out = new ArrayList<>();
        List<Object> cur = new ArrayList<>();
        for (Object o : PyOperators.toList(v)) {
          cur.add(o);
          if (cur.size() == size) {
            out.add(cur);
            cur = new ArrayList<>();
          }
        }
        if (!cur.isEmpty()) {
          while (fill && cur.size() < size) {
            cur.add(filler);
          }
          out.add(cur);
        }
        return out;
      }),
      new PyFilter("abs", (v, in, a, k) -> v instanceof Double d ? Math.abs(d) : Math.abs(((Number) v).longValue())));

  /** jinja2's max/min: case-insensitive for strings unless case_sensitive, optional attribute. */
  private static Object extreme(Object v, Map<String, Object> k, boolean max) {
    Object attribute = k.get("attribute");
    boolean caseSensitive = k.get("case_sensitive") != null && PyValues.truthy(k.get("case_sensitive"));
    Object best = null;
    Comparable<Object> bestKey = null;
    for (Object o : PyOperators.toList(v)) {
      Object key = attribute == null ? o : PyOperators.getItem(o, attribute);
      if (key instanceof String str && !caseSensitive) {
        key = str.toLowerCase(Locale.ROOT);
      }
      if (key instanceof Number n && !(key instanceof Double)) {
        key = n.doubleValue();
      } else if (key instanceof Number n) {
        key = n.doubleValue();
      }
      @SuppressWarnings("unchecked")
      Comparable<Object> c = (Comparable<Object>) key;
      if (bestKey == null || (max ? c.compareTo(bestKey) > 0 : c.compareTo(bestKey) < 0)) {
        best = o;
        bestKey = c;
      }
    }
    return best;
  }

  private static List<Object> select(Object v, JinjavaInterpreter in, Object[] a, boolean keep, boolean byAttr) {
    List<Object> out = new ArrayList<>();
    int testAt = byAttr ? 1 : 0;
    for (Object o : PyOperators.toList(v)) {
      Object subject = byAttr ? PyOperators.getItem(o, a[0]) : o;
      boolean pass;
      if (a.length <= testAt) {
        pass = PyValues.truthy(subject);
      } else {
        ExpTest test = in.getContext().getExpTest(PyValues.str(a[testAt]));
        if (test == null) {
          throw new IllegalArgumentException("No test named '" + a[testAt] + "'");
        }
        pass = test.evaluate(subject, in, java.util.Arrays.copyOfRange(a, testAt + 1, a.length));
      }
      if (pass == keep) {
        out.add(o);
      }
    }
    return out;
  }
}
