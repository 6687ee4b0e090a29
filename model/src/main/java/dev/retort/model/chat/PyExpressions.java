package dev.retort.model.chat;

import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.el.ExtendedSyntaxBuilder;
import com.hubspot.jinjava.el.TruthyTypeConverter;
import com.hubspot.jinjava.el.ext.AdditionOperator;
import com.hubspot.jinjava.el.ext.ExtendedParser;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import jinjava.de.odysseus.el.ExpressionFactoryImpl;
import jinjava.de.odysseus.el.misc.TypeConverter;
import jinjava.de.odysseus.el.tree.TreeStore;
import jinjava.de.odysseus.el.tree.impl.Builder;
import jinjava.de.odysseus.el.tree.impl.Cache;
import jinjava.de.odysseus.el.tree.impl.Parser;
import jinjava.de.odysseus.el.tree.impl.ast.AstBinary;
import jinjava.de.odysseus.el.tree.impl.ast.AstNode;
import jinjava.javax.el.ExpressionFactory;

/**
 * Python's {@code +}, {@code *} and {@code %} and str() coercion in Jinjava's expression
 * language: a Jinjava whose expression factory builds a parser that swaps those operators, and a
 * type converter that turns values into strings as Python's str() does (so {@code 'a' ~ true} is
 * "aTrue").
 *
 * <p>Jinjava's {@code +} joined a string with an undefined value as "null"; jinja2 raises, and so
 * does this one (as do str + int and str + None), so a malformed message fails instead of
 * producing a prompt with "null" in it.
 */
final class PyExpressions {
  private PyExpressions() {}

  /** Jinjava with the Python-operator expression factory. */
  static final class Engine extends Jinjava {
    private final ExpressionFactory factory = new ExpressionFactoryImpl(
        new TreeStore(new SyntaxBuilder(), new Cache(1000)), new StrConverter());

    Engine(JinjavaConfig config) {
      super(config);
    }

    @Override
    public ExpressionFactory getExpressionFactory() {
      return factory;
    }
  }

  private static final class SyntaxBuilder extends ExtendedSyntaxBuilder {
    private static final long serialVersionUID = 1L;

    SyntaxBuilder() {
      // Jinjava's factory uses the JEE6 profile: method calls and varargs.
      super(Builder.Feature.METHOD_INVOCATIONS, Builder.Feature.VARARGS);
    }

    @Override
    protected Parser createParser(String expression) {
      return new PyParser(this, expression);
    }
  }

  private static final class PyParser extends ExtendedParser {
    PyParser(Builder context, String input) {
      super(context, input);
    }

    @Override
    protected AstBinary createAstBinary(AstNode left, AstNode right, AstBinary.Operator operator) {
      AstBinary.Operator op = operator;
      if (operator == AdditionOperator.OP) {
        op = ADD;
      } else if (operator == AstBinary.MUL) {
        op = MUL;
      } else if (operator == AstBinary.MOD) {
        op = MOD;
      }
      return super.createAstBinary(left, right, op);
    }
  }

  /** Python's str() where the expression language converts a value to a string. */
  private static final class StrConverter extends TruthyTypeConverter {
    private static final long serialVersionUID = 1L;

    @Override
    protected String coerceToString(Object value) {
      return PyValues.str(value);
    }
  }

  private abstract static class PyOperator extends AstBinary.SimpleOperator {
    private final String symbol;

    PyOperator(String symbol) {
      this.symbol = symbol;
    }

    @Override
    public String toString() {
      return symbol;
    }
  }

  static final AstBinary.Operator ADD = new PyOperator("+") {
    @Override
    protected Object apply(TypeConverter converter, Object a, Object b) {
      Object x = PyLibrary.unsafe(a);
      Object y = PyLibrary.unsafe(b);
      if (x instanceof String s && y instanceof String t) {
        return s + t;
      }
      if (x instanceof Collection<?> l && y instanceof Collection<?> m) {
        List<Object> out = new ArrayList<>(l);
        out.addAll(m);
        return out;
      }
      if (isNumber(x) && isNumber(y)) {
        return integral(x) && integral(y) ? (Object) (asLong(x) + asLong(y)) : (Object) (asDouble(x) + asDouble(y));
      }
      throw unsupported("+", x, y);
    }
  };

  static final AstBinary.Operator MUL = new PyOperator("*") {
    @Override
    protected Object apply(TypeConverter converter, Object a, Object b) {
      Object x = PyLibrary.unsafe(a);
      Object y = PyLibrary.unsafe(b);
      if (isNumber(x) && isNumber(y)) {
        return integral(x) && integral(y) ? (Object) (asLong(x) * asLong(y)) : (Object) (asDouble(x) * asDouble(y));
      }
      if (x instanceof String s && integral(y)) {
        return s.repeat((int) Math.max(0, asLong(y)));
      }
      if (integral(x) && y instanceof String s) {
        return s.repeat((int) Math.max(0, asLong(x)));
      }
      throw unsupported("*", x, y);
    }
  };

  static final AstBinary.Operator MOD = new PyOperator("%") {
    @Override
    protected Object apply(TypeConverter converter, Object a, Object b) {
      Object x = PyLibrary.unsafe(a);
      Object y = PyLibrary.unsafe(b);
      if (x instanceof String s) {
        List<Object> args = y instanceof PyValues.Tuple || y instanceof List<?> && !(y instanceof String)
            ? new ArrayList<>((List<?>) y) : List.of(y);
        return printf(s, args);
      }
      if (isNumber(x) && isNumber(y)) {
        if (integral(x) && integral(y)) {
          long d = asLong(y);
          if (d == 0) {
            throw new IllegalArgumentException("integer division or modulo by zero");
          }
          return Math.floorMod(asLong(x), d);
        }
        double d = asDouble(y);
        double r = asDouble(x) % d;
        return r != 0 && (r < 0) != (d < 0) ? r + d : r;
      }
      throw unsupported("%", x, y);
    }
  };

  /** printf-style formatting for %s, %r, %d, %i, %f and %%. */
  static String printf(String format, List<Object> args) {
    StringBuilder sb = new StringBuilder();
    int next = 0;
    for (int i = 0; i < format.length(); i++) {
      char c = format.charAt(i);
      if (c != '%' || i + 1 >= format.length()) {
        sb.append(c);
        continue;
      }
      char d = format.charAt(++i);
      if (d == '%') {
        sb.append('%');
        continue;
      }
      if (next >= args.size()) {
        throw new IllegalArgumentException("not enough arguments for format string");
      }
      Object arg = args.get(next++);
      switch (d) {
        case 's' -> sb.append(PyValues.str(arg));
        case 'r' -> sb.append(PyValues.repr(arg));
        case 'd', 'i' -> sb.append(asLong(arg));
        case 'f' -> sb.append(String.format(java.util.Locale.ROOT, "%.6f", asDouble(arg)));
        default -> throw new IllegalArgumentException("unsupported format character '" + d + "'");
      }
    }
    if (next < args.size()) {
      throw new IllegalArgumentException("not all arguments converted during string formatting");
    }
    return sb.toString();
  }

  private static boolean isNumber(Object o) {
    return o instanceof Number || o instanceof Boolean;
  }

  private static boolean integral(Object o) {
    return o instanceof Long || o instanceof Integer || o instanceof Short || o instanceof Byte || o instanceof Boolean;
  }

  private static long asLong(Object o) {
    if (o instanceof Boolean b) {
      return b ? 1 : 0;
    }
    if (o instanceof Number n) {
      return n.longValue();
    }
    throw new IllegalArgumentException("%d format: a number is required, not " + PyOperators.typeName(o));
  }

  private static double asDouble(Object o) {
    if (o instanceof Boolean b) {
      return b ? 1 : 0;
    }
    if (o instanceof Number n) {
      return n.doubleValue();
    }
    throw new IllegalArgumentException("a number is required, not " + PyOperators.typeName(o));
  }

  private static IllegalArgumentException unsupported(String op, Object x, Object y) {
    if (x == null || y == null) {
      return new IllegalArgumentException("an undefined value is an operand of '" + op + "'");
    }
    return new IllegalArgumentException("unsupported operand type(s) for " + op + ": '" + PyOperators.typeName(x)
        + "' and '" + PyOperators.typeName(y) + "'");
  }
}
