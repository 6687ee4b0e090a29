package dev.retort.model.chat;

import com.hubspot.jinjava.objects.SafeString;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;

/** Python's len(), list(), `in` and item lookup on template data. */
final class PyOperators {
  private PyOperators() {}

  static int len(Object v) {
    Object o = PyLibrary.unsafe(v);
    if (o instanceof String s) {
      return s.codePointCount(0, s.length());
    }
    if (o instanceof Collection<?> c) {
      return c.size();
    }
    if (o instanceof Map<?, ?> m) {
      return m.size();
    }
    if (o instanceof Iterable<?> it) {
      int n = 0;
      for (Object ignored : it) {
        n++;
      }
      return n;
    }
    if (o == null) {
      return 0; // jinja2's Undefined has length 0
    }
    throw new IllegalArgumentException("object of type '" + typeName(o) + "' has no len()");
  }

  static List<Object> toList(Object v) {
    Object o = PyLibrary.unsafe(v);
    List<Object> out = new ArrayList<>();
    if (o == null) {
      return out;
    }
    if (o instanceof String s) {
      s.codePoints().forEach(cp -> out.add(new String(Character.toChars(cp))));
    } else if (o instanceof Map<?, ?> m) {
      out.addAll(m.keySet());
    } else if (o instanceof Iterable<?> it) {
      it.forEach(out::add);
    } else {
      throw new IllegalArgumentException("'" + typeName(o) + "' object is not iterable");
    }
    return out;
  }

  static boolean contains(Object container, Object item) {
    Object c = PyLibrary.unsafe(container);
    Object x = PyLibrary.unsafe(item);
    if (c instanceof String s) {
      return s.contains(PyValues.str(x));
    }
    if (c instanceof Map<?, ?> m) {
      return m.containsKey(x);
    }
    for (Object o : toList(c)) {
      if (PyLibrary.pyEquals(o, x)) {
        return true;
      }
    }
    return false;
  }

  /** item[key] as jinja2's getattr/getitem: null (undefined) when absent. */
  static Object getItem(Object item, Object key) {
    Object o = PyLibrary.unsafe(item);
    if (o instanceof Map<?, ?> m) {
      String k = PyValues.str(key);
      if (k.contains(".")) {
        Object cur = o;
        for (String part : k.split("\\.")) {
          cur = getItem(cur, part);
        }
        return cur;
      }
      return m.get(k);
    }
    if (o instanceof List<?> l && key instanceof Number n) {
      int i = n.intValue() < 0 ? n.intValue() + l.size() : n.intValue();
      return i >= 0 && i < l.size() ? l.get(i) : null;
    }
    return null;
  }

  static String typeName(Object o) {
    if (o == null) {
      return "Undefined";
    }
    if (PyValues.isNone(o)) {
      return "NoneType";
    }
    if (o instanceof String || o instanceof SafeString) {
      return "str";
    }
    if (o instanceof Boolean) {
      return "bool";
    }
    if (o instanceof Double || o instanceof Float) {
      return "float";
    }
    if (o instanceof Number) {
      return "int";
    }
    if (o instanceof Map) {
      return "dict";
    }
    if (o instanceof List) {
      return "list";
    }
    return o.getClass().getSimpleName();
  }
}
