package dev.retort.model.chat;

import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.interpret.JinjavaInterpreter.InterpreterScopeClosable;
import com.hubspot.jinjava.lib.tag.ForTag;
import com.hubspot.jinjava.tree.Node;
import com.hubspot.jinjava.tree.TagNode;
import com.hubspot.jinjava.tree.parse.TagToken;
import com.hubspot.jinjava.util.ForLoop;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.commons.lang3.tuple.Pair;

/**
 * The for tag with jinja2's semantics where Jinjava's differs:
 * <ul>
 *   <li>each iteration has its own scope: a {@code {% set %}} in the body is gone in the next
 *       iteration and after the loop (Jinjava kept one scope for all iterations);</li>
 *   <li>{@code {% for x in xs if cond %}} filters the items before the loop (loop.length counts
 *       the kept ones);</li>
 *   <li>{@code {% else %}} renders when there was no item;</li>
 *   <li>{@code loop.previtem} / {@code loop.nextitem}: the items are kept in the loop's scope
 *       (see {@link PyMethods}).</li>
 * </ul>
 */
final class PyForTag extends ForTag {
  private static final long serialVersionUID = 1L;

  static final String ITEMS = "__py_loop_items__";

  /** The items a loop iterates, as jinja2's LoopContext sees them. */
  record LoopItems(List<Object> items) {}

  @Override
  @SuppressWarnings("try") // a resource held for its scope only (a scope, a gradient recording)
  public String interpretUnchecked(TagNode tagNode, JinjavaInterpreter interpreter) {
    Pair<List<String>, String> varsAndExpression = getLoopVarsAndExpression((TagToken) tagNode.getMaster());
    List<String> vars = varsAndExpression.getLeft();
    String expression = varsAndExpression.getRight();
    String condition = null;
    int at = topLevelIf(expression);
    if (at >= 0) {
      condition = expression.substring(at + 2).strip();
      expression = expression.substring(0, at).strip();
    }
    Object collection = interpreter.resolveELExpression(expression, tagNode.getLineNumber());
    List<Object> items = PyOperators.toList(collection);
    if (condition != null) {
      List<Object> kept = new ArrayList<>();
      for (Object item : items) {
        try (InterpreterScopeClosable c = interpreter.enterScope()) {
          bind(interpreter, vars, interpreter.wrap(item));
          if (PyValues.truthy(interpreter.resolveELExpression(condition, tagNode.getLineNumber()))) {
            kept.add(item);
          }
        }
      }
      items = kept;
    }
    return render(tagNode, interpreter, vars, items);
  }

  @Override
  public String renderForCollection(TagNode tagNode, JinjavaInterpreter interpreter, List<String> loopVars,
      Object collection) {
    return render(tagNode, interpreter, loopVars, PyOperators.toList(collection));
  }

  @SuppressWarnings("try") // the scopes are the resources; the bodies do not need to name them
  private static String render(TagNode tagNode, JinjavaInterpreter interpreter, List<String> vars, List<Object> items) {
    List<Node> body = new ArrayList<>();
    List<Node> elseBody = new ArrayList<>();
    boolean inElse = false;
    for (Node child : tagNode.getChildren()) {
      if (!inElse && child instanceof TagNode t && t.getName().equals("else")) {
        inElse = true;
      } else {
        (inElse ? elseBody : body).add(child);
      }
    }
    StringBuilder out = new StringBuilder();
    if (items.isEmpty()) {
      try (InterpreterScopeClosable c = interpreter.enterScope()) {
        for (Node node : elseBody) {
          out.append(node.render(interpreter).getValue());
        }
      }
      return out.toString();
    }
    ForLoop loop = new ForLoop(items.iterator(), items.size());
    try (InterpreterScopeClosable c = interpreter.enterScope()) {
      interpreter.getContext().put(ITEMS, new LoopItems(items));
      interpreter.getContext().put(LOOP, loop);
      while (loop.hasNext()) {
        Object value = interpreter.wrap(loop.next());
        try (InterpreterScopeClosable iteration = interpreter.enterScope()) {
          bind(interpreter, vars, value);
          for (Node node : body) {
            out.append(node.render(interpreter).getValue());
            if (loop.isContinued()) {
              break;
            }
          }
        }
      }
    }
    return out.toString();
  }

  /** Binds the loop target: one name, or unpacking of a pair / sequence. */
  private static void bind(JinjavaInterpreter interpreter, List<String> vars, Object value) {
    if (vars.size() == 1) {
      interpreter.getContext().put(vars.get(0), value);
      return;
    }
    for (int i = 0; i < vars.size(); i++) {
      Object part = null;
      if (value instanceof Map.Entry<?, ?> e) {
        part = i == 0 ? e.getKey() : i == 1 ? e.getValue() : null;
      } else if (value instanceof List<?> l) {
        part = i < l.size() ? l.get(i) : null;
      }
      interpreter.getContext().put(vars.get(i), part);
    }
  }

  /** Start of the filter's "if" in a loop expression (jinja2 allows no bare conditional there). */
  private static int topLevelIf(String e) {
    int depth = 0;
    int i = 0;
    while (i < e.length()) {
      char c = e.charAt(i);
      if (c == '\'' || c == '"') {
        int k = i + 1;
        while (k < e.length() && e.charAt(k) != c) {
          k += e.charAt(k) == '\\' ? 2 : 1;
        }
        i = k + 1;
        continue;
      }
      if (c == '(' || c == '[' || c == '{') {
        depth++;
      } else if (c == ')' || c == ']' || c == '}') {
        depth--;
      } else if (depth == 0 && e.startsWith("if", i) && (i == 0 || !Character.isLetterOrDigit(e.charAt(i - 1)))
          && (i + 2 >= e.length() || !Character.isLetterOrDigit(e.charAt(i + 2)) && e.charAt(i + 2) != '_')) {
        return i;
      }
      i++;
    }
    return -1;
  }
}
