package dev.retort.model.chat;

import com.hubspot.jinjava.objects.SafeString;
import java.beans.FeatureDescriptor;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import jinjava.javax.el.ELContext;
import jinjava.javax.el.ELResolver;

/**
 * Python's str, dict and list methods and Python indexing, as an EL resolver placed before
 * Jinjava's own: {@code s.startswith('x')}, {@code s.split('</think>')[-1]}, {@code d.get(k, v)},
 * {@code d.items()}. Anything it does not know falls through to Jinjava's resolvers.
 */
final class PyMethods extends ELResolver {

  @Override
  public Object invoke(ELContext context, Object base, Object method, Class<?>[] paramTypes, Object[] params) {
    if (base == null || method == null) {
      return null;
    }
    String name = method.toString();
    Object[] args = params == null ? new Object[0] : params;
    Object self = base instanceof SafeString ? base.toString() : base;
    Object result;
    if (self instanceof String s) {
      result = stringMethod(s, name, args);
    } else if (self instanceof Map<?, ?> m) {
      result = mapMethod(m, name, args);
    } else if (self instanceof List<?> l) {
      result = listMethod(l, name, args);
    } else {
      return null;
    }
    if (result == UNKNOWN) {
      return null;
    }
    context.setPropertyResolved(true);
    return result;
  }

  private static final Object UNKNOWN = new Object();

  private static Object stringMethod(String s, String name, Object[] a) {
    switch (name) {
      case "startswith":
        return affix(s, a, true);
      case "endswith":
        return affix(s, a, false);
      case "split":
        return split(s, arg(a, 0), maxsplit(a, 1));
      case "rsplit":
        return rsplit(s, arg(a, 0), maxsplit(a, 1));
      case "strip":
        return rstrip(lstrip(s, arg(a, 0)), arg(a, 0));
      case "lstrip":
        return lstrip(s, arg(a, 0));
      case "rstrip":
        return rstrip(s, arg(a, 0));
      case "upper":
        return s.toUpperCase(java.util.Locale.ROOT);
      case "lower":
        return s.toLowerCase(java.util.Locale.ROOT);
      case "title":
        return title(s);
      case "capitalize":
        return s.isEmpty() ? s : s.substring(0, 1).toUpperCase(java.util.Locale.ROOT) + s.substring(1).toLowerCase(java.util.Locale.ROOT);
      case "replace": {
        String old = PyValues.str(a[0]);
        String neu = PyValues.str(a[1]);
        long count = a.length > 2 ? ((Number) a[2]).longValue() : -1;
        return replace(s, old, neu, count);
      }
      case "find":
        return (long) s.indexOf(PyValues.str(a[0]));
      case "rfind":
        return (long) s.lastIndexOf(PyValues.str(a[0]));
      case "count":
        return count(s, PyValues.str(a[0]));
      case "join": {
        StringBuilder sb = new StringBuilder();
        boolean first = true;
        for (Object o : iterable(a[0])) {
          if (!first) {
            sb.append(s);
          }
          first = false;
          sb.append(PyValues.str(o));
        }
        return sb.toString();
      }
      case "format":
        return format(s, a);
      case "isdigit":
        return !s.isEmpty() && s.chars().allMatch(Character::isDigit);
      case "isspace":
        return !s.isEmpty() && s.chars().allMatch(PyMethods::isSpace);
      default:
        return UNKNOWN;
    }
  }

  private static Object mapMethod(Map<?, ?> m, String name, Object[] a) {
    switch (name) {
      case "get": {
        Object key = a.length > 0 ? PyValues.str(a[0]) : null;
        if (m.containsKey(key)) {
          return m.get(key);
        }
        return a.length > 1 ? a[1] : PyValues.NONE;
      }
      case "items": {
        List<Object> out = new ArrayList<>();
        for (Map.Entry<?, ?> e : m.entrySet()) {
          out.add(new PyValues.Tuple(e.getKey(), e.getValue() == null ? PyValues.NONE : e.getValue()));
        }
        return out;
      }
      case "keys":
        return new ArrayList<Object>(m.keySet());
      case "values":
        return new ArrayList<Object>(m.values());
      default:
        return UNKNOWN;
    }
  }

  private static Object listMethod(List<?> l, String name, Object[] a) {
    switch (name) {
      case "index": {
        int i = l.indexOf(a[0]);
        if (i < 0) {
          throw new IllegalArgumentException(PyValues.repr(a[0]) + " is not in list");
        }
        return (long) i;
      }
      case "count": {
        long n = 0;
        for (Object o : l) {
          if (java.util.Objects.equals(o, a[0])) {
            n++;
          }
        }
        return n;
      }
      default:
        return UNKNOWN;
    }
  }

  @Override
  public Object getValue(ELContext context, Object base, Object property) {
    if (base instanceof com.hubspot.jinjava.util.ForLoop loop && property != null) {
      return loopItem(context, loop, property.toString());
    }
    Long index = index(property);
    if (base == null || index == null) {
      return null;
    }
    long i = index;
    Object self = base instanceof SafeString ? base.toString() : base;
    if (self instanceof String s) {
      context.setPropertyResolved(true);
      int len = s.codePointCount(0, s.length());
      long k = i < 0 ? i + len : i;
      if (k < 0 || k >= len) {
        return null;
      }
      int at = s.offsetByCodePoints(0, (int) k);
      return new String(Character.toChars(s.codePointAt(at)));
    }
    if (self instanceof List<?> l) {
      context.setPropertyResolved(true);
      long k = i < 0 ? i + l.size() : i;
      return k >= 0 && k < l.size() ? l.get((int) k) : null;
    }
    return null;
  }

  private static Long index(Object property) {
    if (property instanceof Long || property instanceof Integer) {
      return ((Number) property).longValue();
    }
    if (property instanceof String p && p.matches("-?[0-9]+")) {
      return Long.parseLong(p);
    }
    return null;
  }

  /** loop.previtem / loop.nextitem from the items PyForTag keeps in scope for its loop. */
  private static Object loopItem(ELContext context, com.hubspot.jinjava.util.ForLoop loop, String name) {
    if (!name.equals("previtem") && !name.equals("nextitem")) {
      return null;
    }
    context.setPropertyResolved(true);
    Object items = com.hubspot.jinjava.interpret.JinjavaInterpreter.getCurrent().getContext().get(PyForTag.ITEMS);
    if (!(items instanceof PyForTag.LoopItems li)) {
      return null;
    }
    int at = loop.getIndex0() + (name.equals("previtem") ? -1 : 1);
    return at >= 0 && at < li.items().size() ? li.items().get(at) : null;
  }

  @Override
  public Class<?> getType(ELContext context, Object base, Object property) {
    return null;
  }

  @Override
  public void setValue(ELContext context, Object base, Object property, Object value) {}

  @Override
  public boolean isReadOnly(ELContext context, Object base, Object property) {
    return true;
  }

  @Override
  public Iterator<FeatureDescriptor> getFeatureDescriptors(ELContext context, Object base) {
    return null;
  }

  @Override
  public Class<?> getCommonPropertyType(ELContext context, Object base) {
    return null;
  }

  // ---- Python str semantics

  static boolean isSpace(int c) {
    return Character.isWhitespace(c) || Character.isSpaceChar(c) || c == 0x85 || (c >= 0x1c && c <= 0x1f);
  }

  private static Object arg(Object[] a, int i) {
    return a.length > i && a[i] != null && !PyValues.isNone(a[i]) ? a[i] : null;
  }

  private static int maxsplit(Object[] a, int i) {
    return a.length > i && a[i] instanceof Number n ? n.intValue() : -1;
  }

  private static Iterable<?> iterable(Object o) {
    if (o instanceof Iterable<?> it) {
      return it;
    }
    if (o instanceof Map<?, ?> m) {
      return m.keySet();
    }
    if (o instanceof String s) {
      List<Object> chars = new ArrayList<>();
      s.codePoints().forEach(c -> chars.add(new String(Character.toChars(c))));
      return chars;
    }
    throw new IllegalArgumentException("'" + o + "' is not iterable");
  }

  private static boolean affix(String s, Object[] a, boolean start) {
    Object p = a[0];
    if (p instanceof Collection<?> options) {
      for (Object o : options) {
        if (start ? s.startsWith(PyValues.str(o)) : s.endsWith(PyValues.str(o))) {
          return true;
        }
      }
      return false;
    }
    return start ? s.startsWith(PyValues.str(p)) : s.endsWith(PyValues.str(p));
  }

  static List<Object> split(String s, Object sepArg, int maxsplit) {
    List<Object> out = new ArrayList<>();
    if (sepArg == null) {
      int i = 0;
      int n = s.length();
      while (true) {
        while (i < n && isSpace(s.charAt(i))) {
          i++;
        }
        if (i >= n) {
          break;
        }
        if (maxsplit >= 0 && out.size() == maxsplit) {
          out.add(s.substring(i));
          break;
        }
        int j = i;
        while (j < n && !isSpace(s.charAt(j))) {
          j++;
        }
        out.add(s.substring(i, j));
        i = j;
      }
      return out;
    }
    String sep = PyValues.str(sepArg);
    if (sep.isEmpty()) {
      throw new IllegalArgumentException("empty separator");
    }
    int from = 0;
    while (maxsplit < 0 || out.size() < maxsplit) {
      int k = s.indexOf(sep, from);
      if (k < 0) {
        break;
      }
      out.add(s.substring(from, k));
      from = k + sep.length();
    }
    out.add(s.substring(from));
    return out;
  }

  private static List<Object> rsplit(String s, Object sepArg, int maxsplit) {
    if (maxsplit < 0) {
      return split(s, sepArg, -1);
    }
    if (sepArg == null) {
      List<Object> rev = split(new StringBuilder(s).reverse().toString(), null, maxsplit);
      List<Object> out = new ArrayList<>();
      for (int i = rev.size() - 1; i >= 0; i--) {
        out.add(new StringBuilder((String) rev.get(i)).reverse().toString());
      }
      return out;
    }
    String sep = PyValues.str(sepArg);
    List<Object> out = new ArrayList<>();
    int end = s.length();
    while (out.size() < maxsplit) {
      int k = s.lastIndexOf(sep, end - sep.length());
      if (k < 0 || end - sep.length() < 0) {
        break;
      }
      out.add(0, s.substring(k + sep.length(), end));
      end = k;
    }
    out.add(0, s.substring(0, end));
    return out;
  }

  static String lstrip(String s, Object chars) {
    int i = 0;
    String cs = chars == null ? null : PyValues.str(chars);
    while (i < s.length() && (cs == null ? isSpace(s.charAt(i)) : cs.indexOf(s.charAt(i)) >= 0)) {
      i++;
    }
    return s.substring(i);
  }

  static String rstrip(String s, Object chars) {
    int i = s.length();
    String cs = chars == null ? null : PyValues.str(chars);
    while (i > 0 && (cs == null ? isSpace(s.charAt(i - 1)) : cs.indexOf(s.charAt(i - 1)) >= 0)) {
      i--;
    }
    return s.substring(0, i);
  }

  static String title(String s) {
    StringBuilder sb = new StringBuilder(s.length());
    boolean prevCased = false;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (Character.isLetter(c)) {
        sb.append(prevCased ? Character.toLowerCase(c) : Character.toTitleCase(c));
        prevCased = true;
      } else {
        sb.append(c);
        prevCased = false;
      }
    }
    return sb.toString();
  }

  private static String replace(String s, String old, String neu, long count) {
    if (count < 0) {
      if (old.isEmpty()) {
        StringBuilder sb = new StringBuilder(neu);
        for (int i = 0; i < s.length(); i++) {
          sb.append(s.charAt(i)).append(neu);
        }
        return sb.toString();
      }
      return s.replace(old, neu);
    }
    StringBuilder sb = new StringBuilder();
    int from = 0;
    long done = 0;
    while (done < count) {
      int k = s.indexOf(old, from);
      if (k < 0 || old.isEmpty()) {
        break;
      }
      sb.append(s, from, k).append(neu);
      from = k + old.length();
      done++;
    }
    return sb.append(s.substring(from)).toString();
  }

  private static long count(String s, String sub) {
    if (sub.isEmpty()) {
      return s.length() + 1L;
    }
    long n = 0;
    int from = 0;
    while (true) {
      int k = s.indexOf(sub, from);
      if (k < 0) {
        return n;
      }
      n++;
      from = k + sub.length();
    }
  }

  /** str.format with positional {} / {0} fields (no format specs beyond none). */
  private static String format(String s, Object[] a) {
    StringBuilder sb = new StringBuilder();
    int auto = 0;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '{' && i + 1 < s.length() && s.charAt(i + 1) == '{') {
        sb.append('{');
        i++;
      } else if (c == '}' && i + 1 < s.length() && s.charAt(i + 1) == '}') {
        sb.append('}');
        i++;
      } else if (c == '{') {
        int close = s.indexOf('}', i);
        if (close < 0) {
          throw new IllegalArgumentException("Single '{' encountered in format string");
        }
        String field = s.substring(i + 1, close);
        int idx = field.isEmpty() ? auto++ : Integer.parseInt(field);
        sb.append(PyValues.str(a[idx]));
        i = close;
      } else {
        sb.append(c);
      }
    }
    return sb.toString();
  }
}
