package dev.retort.model.chat;

import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.LegacyOverrides;
import com.hubspot.jinjava.el.JinjavaInterpreterResolver;
import com.hubspot.jinjava.interpret.Context;
import com.hubspot.jinjava.interpret.InterpreterFactory;
import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.interpret.TemplateError;
import com.hubspot.jinjava.interpret.TemplateError.ErrorType;
import com.hubspot.jinjava.lib.exptest.ExpTest;
import com.hubspot.jinjava.lib.filter.Filter;
import com.hubspot.jinjava.lib.fn.ELFunctionDefinition;
import com.hubspot.jinjava.tree.ExpressionNode;
import com.hubspot.jinjava.tree.Node;
import com.hubspot.jinjava.tree.TagNode;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import jinjava.javax.el.CompositeELResolver;

/**
 * Renders a Hugging Face checkpoint's own Jinja chat template as transformers'
 * {@code apply_chat_template} does (Python jinja2 in an ImmutableSandboxedEnvironment with
 * trim_blocks, lstrip_blocks, loopcontrols, the AssistantTracker {@code generation} tag, and
 * transformers' {@code tojson}, {@code raise_exception} and {@code strftime_now}).
 *
 * <p>Design choices:
 * <ul>
 *   <li>Jinjava does the parsing, control flow and whitespace handling; Python semantics come
 *       through its extension points: an EL resolver for str/dict/list methods and negative
 *       indices ({@link PyMethods}), filters, tests and globals ({@link PyLibrary}), an
 *       interpreter that prints values as Python's str() does, Python's {@code +}, {@code *},
 *       {@code %} and str() coercion in expressions ({@link PyExpressions}), a for tag with jinja2's
 *       per-iteration scope, loop filter, else branch and {@code loop.previtem}/{@code nextitem}
 *       ({@link PyForTag}), and source rewrites where
 *       Jinjava's parser reads Jinja2 differently: stepped slices, {@code not} precedence,
 *       keyword-argument values, lstrip_blocks ({@link TemplateRewriter}).</li>
 *   <li>Python None is a sentinel ({@link PyValues#NONE}) so that Java null can keep meaning
 *       jinja2's Undefined: a missing dict key is undefined, prints empty and is not
 *       {@code none}.</li>
 *   <li>One shared engine, configured once, and one parsed tree per template: rendering only
 *       reads the tree (its nodes are immutable after parsing), and every render gets its own
 *       interpreter and context, so concurrent renders of one renderer are independent.</li>
 * </ul>
 *
 * <p>Not supported (none of the real templates in the tests uses them): the
 * {@code {% filter %}} block and recursive loops; tuple literals print as lists. Errors: a
 * template's raise_exception fails with its message; where jinja2 raises for an invalid
 * operation this renderer fails too for {@code +} with an undefined or mismatched operand
 * (a message without the key a template concatenates), but renders on for some others
 * (an attribute of an undefined value prints empty).
 */
public final class JinjaChatRenderer implements java.io.Serializable {
  private static final long serialVersionUID = 1L;
  private static final JinjavaConfig CONFIG = createConfig();
  private static final Jinjava ENGINE = createEngine(CONFIG);

  /** The template as given; a deserialized renderer (a Spark closure) compiles it again. */
  private final String source;
  /** The parsed template; rendering only reads it, so concurrent renders share it. */
  private final transient Node root;

  private JinjaChatRenderer(String source, Node root) {
    this.source = source;
    this.root = root;
  }

  private Object readResolve() {
    return compile(source);
  }

  /** Parses once; IllegalArgumentException with a clear one-line message (and the line) on a syntax error. */
  public static JinjaChatRenderer compile(String templateSource) {
    if (templateSource == null) {
      throw new IllegalArgumentException("chat template: null template");
    }
    String rewritten = TemplateRewriter.rewrite(templateSource);
    return new JinjaChatRenderer(templateSource, parse(rewritten));
  }

  /**
   * Renders with jinja2 semantics as transformers does. context keys: "messages"
   * (List<Map<String,Object>> with "role", "content" and optionally "reasoning_content",
   * "tool_calls"), "add_generation_prompt" (Boolean), "bos_token", "eos_token" (String), "tools"
   * (null or list), and any extra template kwargs such as "enable_thinking". A key present with a
   * null value is Python None; an absent key is undefined, except that "tools" and "documents"
   * default to None and "add_generation_prompt" to false, as transformers always passes them.
   * raise_exception(msg) in a template -> IllegalArgumentException("chat template: " + msg); any
   * other fatal template error -> IllegalArgumentException("chat template: line N: ...").
   */
  public String render(Map<String, Object> context) {
    Map<String, Object> bindings = new HashMap<>();
    bindings.put("none", PyValues.NONE);
    bindings.put("None", PyValues.NONE);
    // Globals are EL functions when called; as names they must be defined (strftime_now is defined).
    for (ELFunctionDefinition f : PyLibrary.FUNCTIONS) {
      bindings.put(f.getLocalName(), PyLibrary.GLOBAL_FUNCTION);
    }
    // transformers always passes these three (render_jinja_template's defaults).
    bindings.put("tools", PyValues.NONE);
    bindings.put("documents", PyValues.NONE);
    bindings.put("add_generation_prompt", false);
    for (Map.Entry<String, Object> e : context.entrySet()) {
      bindings.put(e.getKey(), PyValues.fromJava(e.getValue()));
    }
    Context scope = new Context(ENGINE.getGlobalContextCopy(), bindings, CONFIG.getDisabled());
    JinjavaInterpreter interpreter = CONFIG.getInterpreterFactory().newInstance(ENGINE, scope, CONFIG);
    String output;
    List<TemplateError> errors;
    try (var current = JinjavaInterpreter.closeablePushCurrent(interpreter).get()) {
      output = current.value().render(root);
      errors = interpreter.getErrorsCopy();
    } catch (RuntimeException e) {
      PyLibrary.TemplateRaise raised = findRaise(e);
      if (raised != null) {
        throw new IllegalArgumentException("chat template: " + raised.getMessage(), e);
      }
      throw new IllegalArgumentException("chat template: " + oneLine(e.getMessage()), e);
    }
    for (TemplateError error : errors) {
      PyLibrary.TemplateRaise raised = findRaise(error.getException());
      if (raised != null) {
        throw new IllegalArgumentException("chat template: " + raised.getMessage());
      }
    }
    for (TemplateError error : errors) {
      if (error.getSeverity() == ErrorType.FATAL) {
        throw new IllegalArgumentException("chat template: line " + error.getLineno() + ": " + oneLine(error.getMessage()));
      }
    }
    return output;
  }

  private static PyLibrary.TemplateRaise findRaise(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
      if (c instanceof PyLibrary.TemplateRaise r) {
        return r;
      }
    }
    return null;
  }

  private static String oneLine(String s) {
    return s == null ? "" : s.replaceAll("\\s*\\R\\s*", " ").strip();
  }

  /** Block structure from Jinjava's tree parser, then every {{ }} and if/elif expression parsed. */
  private static Node parse(String source) {
    JinjavaInterpreter interpreter = ENGINE.newInterpreter();
    try (var current = JinjavaInterpreter.closeablePushCurrent(interpreter).get()) {
      Node root = current.value().parse(source);
      for (TemplateError error : interpreter.getErrors()) {
        if (error.getSeverity() == ErrorType.FATAL) {
          throw new IllegalArgumentException("chat template: syntax error at line " + error.getLineno() + ": "
              + oneLine(error.getMessage()));
        }
      }
      com.hubspot.jinjava.el.JinjavaELContext elContext = new com.hubspot.jinjava.el.JinjavaELContext(
          interpreter, new JinjavaInterpreterResolver(interpreter));
      for (ELFunctionDefinition fn : ENGINE.getGlobalContext().getAllFunctions()) {
        elContext.setFunction(fn.getNamespace(), fn.getLocalName(), fn.getMethod());
      }
      checkExpressions(root, elContext);
      return root;
    }
  }

  private static void checkExpressions(Node node, com.hubspot.jinjava.el.JinjavaELContext elContext) {
    String expr = null;
    if (node instanceof ExpressionNode) {
      String image = node.getMaster().getImage();
      expr = image.substring(2, image.length() - 2).strip();
      if (expr.startsWith("-")) {
        expr = expr.substring(1);
      }
      if (expr.endsWith("-")) {
        expr = expr.substring(0, expr.length() - 1);
      }
    } else if (node instanceof TagNode tag && (tag.getName().equals("if") || tag.getName().equals("elif"))) {
      expr = tag.getHelpers();
    }
    if (expr != null && !expr.isBlank()) {
      try {
        ENGINE.getExpressionFactory().createValueExpression(
            elContext, "#{" + expr.strip() + "}", Object.class);
      } catch (RuntimeException e) {
        if (String.valueOf(e.getMessage()).contains("Could not resolve function")) {
          return; // a macro: defined when the template runs
        }
        throw new IllegalArgumentException("chat template: syntax error at line " + node.getLineNumber()
            + ": cannot parse expression '" + oneLine(expr.strip()) + "': " + oneLine(e.getMessage()));
      }
    }
    for (Node child : node.getChildren()) {
      checkExpressions(child, elContext);
    }
  }

  private static JinjavaConfig createConfig() {
    CompositeELResolver resolver = new CompositeELResolver();
    resolver.add(new PyMethods());
    resolver.add(JinjavaInterpreterResolver.DEFAULT_RESOLVER_READ_ONLY);
    LegacyOverrides overrides = LegacyOverrides.newBuilder()
        .withEvaluateMapKeys(true)
        .withIterateOverMapKeys(true)
        .withParseWhitespaceControlStrictly(true)
        .withKeepNullableLoopValues(true)
        .withUseTrimmingForNotesAndExpressions(true)
        .build();
    JinjavaConfig config = JinjavaConfig.newBuilder()
        .withTrimBlocks(true)
        // lstrip_blocks as jinja2 does it is applied by TemplateRewriter.
        .withLstripBlocks(false)
        // A printed value that contains "{{" is text, not a template to render again.
        .withNestedInterpretationEnabled(false)
        .withElResolver(resolver)
        .withLegacyOverrides(overrides)
        .withInterperterFactory(new PyInterpreterFactory())
        .build();
    return config;
  }

  private static Jinjava createEngine(JinjavaConfig config) {
    Jinjava jinjava = new PyExpressions.Engine(config);
    Context global = jinjava.getGlobalContext();
    for (Filter f : PyLibrary.FILTERS) {
      global.registerFilter(f);
    }
    for (ExpTest t : PyLibrary.TESTS) {
      global.registerExpTest(t);
    }
    for (ELFunctionDefinition f : PyLibrary.FUNCTIONS) {
      global.registerFunction(f);
    }
    global.registerTag(new PyLibrary.GenerationTag());
    global.registerTag(new PyForTag());
    return jinjava;
  }

  /** Interpreters that print values as Python's str() does (True, None, 1.0, ['a']). */
  private static final class PyInterpreterFactory implements InterpreterFactory {
    @Override
    public JinjavaInterpreter newInstance(JinjavaInterpreter orig) {
      return new PyInterpreter(orig);
    }

    @Override
    public JinjavaInterpreter newInstance(Jinjava application, Context context, JinjavaConfig renderConfig) {
      return new PyInterpreter(application, context, renderConfig);
    }
  }

  private static final class PyInterpreter extends JinjavaInterpreter {
    PyInterpreter(JinjavaInterpreter orig) {
      super(orig);
    }

    PyInterpreter(Jinjava application, Context context, JinjavaConfig config) {
      super(application, context, config);
    }

    @Override
    public String getAsString(Object object) {
      return PyValues.str(object);
    }
  }
}
