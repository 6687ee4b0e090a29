package dev.retort.model.chat;

import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.interpret.JinjavaInterpreter.InterpreterScopeClosable;
import com.hubspot.jinjava.lib.tag.ForTag;
import com.hubspot.jinjava.tree.TagNode;
import java.util.List;

/**
 * Jinjava's for tag, plus the loop's items in a scope of its own so that
 * {@code loop.previtem} and {@code loop.nextitem} resolve (see {@link PyMethods}); nested loops
 * each see their own items.
 */
final class PyForTag extends ForTag {
  private static final long serialVersionUID = 1L;

  static final String ITEMS = "__py_loop_items__";

  /** The items a loop iterates, as jinja2's LoopContext sees them. */
  record LoopItems(List<Object> items) {}

  @Override
  @SuppressWarnings("try") // the scope is the resource; the body does not need to name it
  public String renderForCollection(TagNode tagNode, JinjavaInterpreter interpreter, List<String> loopVars,
      Object collection) {
    try (InterpreterScopeClosable c = interpreter.enterScope()) {
      Object items = PyLibrary.unsafe(collection);
      if (items instanceof Iterable<?> || items instanceof java.util.Map<?, ?>) {
        interpreter.getContext().put(ITEMS, new LoopItems(PyOperators.toList(items)));
      }
      return super.renderForCollection(tagNode, interpreter, loopVars, collection);
    }
  }
}
