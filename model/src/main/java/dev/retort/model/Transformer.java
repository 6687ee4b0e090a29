package dev.retort.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Parameter;
import ai.djl.nn.core.Embedding;
import ai.djl.nn.core.Linear;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import java.util.function.Function;
import java.util.function.UnaryOperator;

/**
 * A decoder-only transformer computing exactly what Hugging Face transformers' {@code
 * Qwen2ForCausalLM}, {@code Qwen3ForCausalLM} and {@code LlamaForCausalLM} compute, on DJL's
 * PyTorch engine.
 *
 * <p>Design choices:
 *
 * <ol>
 *   <li>One flat block. Parameters carry the Hugging Face tensor names
 *       ({@code model.layers.0.self_attn.q_proj.weight}, ...), so checkpoint IO needs no name
 *       map and {@link #getParameters()} hands a trainer every weight under its HF name.
 *   <li>Everything HF computes, in the same order: RMSNorm {@code x / sqrt(mean(x^2) + eps) * w}
 *       in fp32; RoPE with {@code inv_freq = 1 / theta^(2i/d)}, cos/sin of {@code cat(freqs,
 *       freqs)} and {@code rotate_half = cat(-x2, x1)} (plus Llama 3 frequency scaling);
 *       Qwen3's per-head RMSNorm of queries and keys (over head_dim) before RoPE; scores
 *       {@code (q k^T) * head_dim^-0.5} plus an additive mask, fp32 softmax; SwiGLU {@code
 *       down(silu(gate(x)) * up(x))}; final norm, then the (possibly tied) LM head. No dropout:
 *       attention_dropout is 0 in every checkpoint we target.
 *   <li>Grouped-query attention without HF's repeat_kv copy: the query heads that share a kv
 *       head are folded into the row axis ({@code [B, kv, rep*T, hd]}), which is the same head
 *       assignment ({@code head h uses kv head h / rep}) and the same dot products.
 *   <li>One mask for packing, padding and causality: query i may see key j iff {@code j <= i}
 *       (by index) and {@code segment[i] == segment[j]}. Positions come from the caller per row,
 *       so packed samples restart at 0 and left-padded prompts start at 0 after their padding.
 *       Masked scores get -1e30 (finite), so a row that sees only padding yields no NaN.
 *   <li>Memory: DJL puts an op's result in the manager of the array it is called on, so every op
 *       is called on an activation, never on a parameter, and activations land in the caller's
 *       manager. Without autograd (inference), each layer runs in a sub-manager that is closed
 *       after it, so only the residual stream survives a layer.
 *   <li>KV cache: preallocated {@code [B, kv, capacity, hd]} buffers per layer written in place;
 *       a decoding step attends to the filled prefix through a view, so no step copies the
 *       whole cache or crosses into Java.
 *   <li>fp32 compute and storage; BF16/F16 exist only in checkpoint files (see {@link
 *       Checkpoint}), because DJL 0.35.1 cannot hold bf16 tensors.
 * </ol>
 */
@SuppressWarnings("try") // NoGrad scopes are resources the try body never names
public final class Transformer extends AbstractBlock {
  /** Added to masked attention scores; finite so fully masked rows stay NaN-free. */
  static final float MASKED = -1e30f;

  private final ModelConfig config;
  private final NDManager manager;
  private final Parameter embed;
  private final Parameter finalNorm;
  private final Parameter lmHead; // null when tied to embed
  private final Layer[] layers;
  private final NDArray invFreq;
  private final float scale;

  private record Layer(Parameter inputNorm, Parameter q, Parameter qb, Parameter k, Parameter kb,
      Parameter v, Parameter vb, Parameter o, Parameter ob, Parameter qNorm, Parameter kNorm,
      Parameter postNorm, Parameter gate, Parameter gateb, Parameter up, Parameter upb,
      Parameter down, Parameter downb) {}

  /**
   * Builds a model around existing weights (fp32 arrays in {@code manager}), taking ownership of
   * them. Throws naming the tensor when one is missing or has the wrong shape; extra entries are
   * ignored (the caller decides whether that is worth a warning).
   */
  public Transformer(ModelConfig config, Map<String, NDArray> weights, NDManager manager) {
    this.config = config;
    this.manager = manager;
    for (Map.Entry<String, long[]> e : expectedShapes(config).entrySet()) {
      NDArray w = weights.get(e.getKey());
      if (w == null) {
        throw new IllegalArgumentException("missing tensor " + e.getKey());
      }
      Shape want = new Shape(e.getValue());
      if (!w.getShape().equals(want)) {
        throw new IllegalArgumentException("tensor " + e.getKey() + " has shape " + w.getShape()
            + ", config implies " + want);
      }
      Parameter p = addParameter(Parameter.builder().setName(e.getKey())
          .setType(e.getKey().endsWith("bias") ? Parameter.Type.BIAS : Parameter.Type.WEIGHT)
          .build());
      p.setArray(w.toType(DataType.FLOAT32, false));
      p.getArray().setRequiresGradient(true);
    }
    embed = parameters.get("model.embed_tokens.weight");
    finalNorm = parameters.get("model.norm.weight");
    lmHead = config.tieWordEmbeddings() ? null : parameters.get("lm_head.weight");
    layers = new Layer[config.numHiddenLayers()];
    for (int i = 0; i < layers.length; i++) {
      String a = "model.layers." + i + ".self_attn.";
      String m = "model.layers." + i + ".mlp.";
      layers[i] = new Layer(p("model.layers." + i + ".input_layernorm.weight"),
          p(a + "q_proj.weight"), p(a + "q_proj.bias"), p(a + "k_proj.weight"),
          p(a + "k_proj.bias"), p(a + "v_proj.weight"), p(a + "v_proj.bias"),
          p(a + "o_proj.weight"), p(a + "o_proj.bias"), p(a + "q_norm.weight"),
          p(a + "k_norm.weight"), p("model.layers." + i + ".post_attention_layernorm.weight"),
          p(m + "gate_proj.weight"), p(m + "gate_proj.bias"), p(m + "up_proj.weight"),
          p(m + "up_proj.bias"), p(m + "down_proj.weight"), p(m + "down_proj.bias"));
    }
    invFreq = manager.create(inverseFrequencies(config));
    scale = (float) Math.pow(config.headDim(), -0.5);
    // Shapes of [B, T] token ids, positions and segments; marks the block initialized for DJL.
    beforeInitialize(new Shape(1, 1), new Shape(1, 1), new Shape(1, 1));
  }

  private Parameter p(String name) {
    return parameters.get(name); // null for absent optional biases
  }

  /**
   * A randomly initialized model as HF's {@code _init_weights} does it: weights normal(0, 0.02),
   * biases 0, norms 1. Each tensor has its own generator seeded from (seed, name), so adding a
   * tensor elsewhere never changes the others.
   */
  public static Transformer create(ModelConfig config, long seed, NDManager manager) {
    Map<String, NDArray> w = new LinkedHashMap<>();
    for (Map.Entry<String, long[]> e : expectedShapes(config).entrySet()) {
      String name = e.getKey();
      Shape shape = new Shape(e.getValue());
      if (name.endsWith("norm.weight")) {
        w.put(name, manager.ones(shape));
      } else if (name.endsWith(".bias")) {
        w.put(name, manager.zeros(shape));
      } else {
        Random r = new Random(seed * 0x9E3779B97F4A7C15L + name.hashCode());
        float[] v = new float[Math.toIntExact(shape.size())];
        for (int i = 0; i < v.length; i++) {
          v[i] = (float) (0.02 * r.nextGaussian());
        }
        w.put(name, manager.create(v, shape));
      }
    }
    return new Transformer(config, w, manager);
  }

  /** Hugging Face tensor names and shapes this config needs, in checkpoint order. */
  public static Map<String, long[]> expectedShapes(ModelConfig c) {
    long d = c.hiddenSize();
    long q = (long) c.numAttentionHeads() * c.headDim();
    long kv = (long) c.numKeyValueHeads() * c.headDim();
    long ff = c.intermediateSize();
    Map<String, long[]> s = new LinkedHashMap<>();
    s.put("model.embed_tokens.weight", new long[] {c.vocabSize(), d});
    for (int i = 0; i < c.numHiddenLayers(); i++) {
      String l = "model.layers." + i + ".";
      s.put(l + "input_layernorm.weight", new long[] {d});
      s.put(l + "self_attn.q_proj.weight", new long[] {q, d});
      s.put(l + "self_attn.k_proj.weight", new long[] {kv, d});
      s.put(l + "self_attn.v_proj.weight", new long[] {kv, d});
      if (c.qkvBias()) {
        s.put(l + "self_attn.q_proj.bias", new long[] {q});
        s.put(l + "self_attn.k_proj.bias", new long[] {kv});
        s.put(l + "self_attn.v_proj.bias", new long[] {kv});
      }
      s.put(l + "self_attn.o_proj.weight", new long[] {d, q});
      if (c.oBias()) {
        s.put(l + "self_attn.o_proj.bias", new long[] {d});
      }
      if (c.qkNorm()) {
        s.put(l + "self_attn.q_norm.weight", new long[] {c.headDim()});
        s.put(l + "self_attn.k_norm.weight", new long[] {c.headDim()});
      }
      s.put(l + "post_attention_layernorm.weight", new long[] {d});
      s.put(l + "mlp.gate_proj.weight", new long[] {ff, d});
      s.put(l + "mlp.up_proj.weight", new long[] {ff, d});
      s.put(l + "mlp.down_proj.weight", new long[] {d, ff});
      if (c.mlpBias()) {
        s.put(l + "mlp.gate_proj.bias", new long[] {ff});
        s.put(l + "mlp.up_proj.bias", new long[] {ff});
        s.put(l + "mlp.down_proj.bias", new long[] {d});
      }
    }
    s.put("model.norm.weight", new long[] {d});
    if (!c.tieWordEmbeddings()) {
      s.put("lm_head.weight", new long[] {c.vocabSize(), d});
    }
    return s;
  }

  /**
   * RoPE inverse frequencies as HF computes them in fp32: {@code 1 / theta^(arange(0, d, 2) / d)},
   * then, for rope_type llama3, low frequencies divided by factor and the middle band smoothed.
   */
  static float[] inverseFrequencies(ModelConfig c) {
    int d = c.headDim();
    float[] inv = new float[d / 2];
    for (int i = 0; i < inv.length; i++) {
      float exponent = (float) (2 * i) / (float) d;
      inv[i] = 1.0f / (float) Math.pow((float) c.ropeTheta(), exponent);
    }
    ModelConfig.RopeScaling s = c.ropeScaling();
    if (s != null) {
      double lowWavelen = s.originalMaxPositionEmbeddings() / s.lowFreqFactor();
      double highWavelen = s.originalMaxPositionEmbeddings() / s.highFreqFactor();
      for (int i = 0; i < inv.length; i++) {
        double wavelen = 2 * Math.PI / inv[i];
        if (wavelen > lowWavelen) {
          inv[i] = (float) (inv[i] / s.factor());
        } else if (wavelen >= highWavelen) {
          double smooth = (s.originalMaxPositionEmbeddings() / wavelen - s.lowFreqFactor())
              / (s.highFreqFactor() - s.lowFreqFactor());
          inv[i] = (float) ((1 - smooth) * inv[i] / s.factor() + smooth * inv[i]);
        }
      }
    }
    return inv;
  }

  // ------------------------------------------------------------------ forward passes

  /**
   * DJL entry point (training and scoring): NDList(tokenIds [B,T] int64, positionIds [B,T],
   * segmentIds [B,T]) -> NDList(logits [B,T,V] fp32). Positions default to 0..T-1 and segments to
   * a single segment when omitted. Differentiable when called inside a GradientCollector.
   */
  @Override
  protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training,
      PairList<String, Object> params) {
    NDArray tokens = inputs.get(0);
    NDManager m = tokens.getManager();
    long b = tokens.getShape().get(0);
    long t = tokens.getShape().get(1);
    NDArray positions = inputs.size() > 1 ? inputs.get(1)
        : m.arange(0, (int) t, 1, DataType.INT64).expandDims(0).repeat(0, b);
    NDArray segments = inputs.size() > 2 ? inputs.get(2) : m.ones(new Shape(b, t), DataType.INT64);
    Function<Parameter, NDArray> w = p -> ps.getValue(p, tokens.getDevice(), training);
    return new NDList(logits(w, run(w, tokens, positions, segmentCausalBias(segments), null, 0)));
  }

  /** Logits [B,T,V] for tokens/positions/segments [B,T], using the parameters directly. */
  public NDArray forward(NDArray tokens, NDArray positions, NDArray segments) {
    return logits(Parameter::getArray,
        run(Parameter::getArray, tokens, positions, segmentCausalBias(segments), null, 0));
  }

  /**
   * Final hidden states [B,T,D] (after the last norm, before the LM head) for tokens/positions/
   * segments [B,T]. With {@link #head} it is {@link #forward}; a loss can apply the head to a
   * few positions at a time so the [B,T,V] logits never exist at once.
   */
  public NDArray hidden(NDArray tokens, NDArray positions, NDArray segments) {
    return run(Parameter::getArray, tokens, positions, segmentCausalBias(segments), null, 0);
  }

  /** The LM head: logits [..., V] of hidden states [..., D]. */
  public NDArray head(NDArray hidden) {
    return logits(Parameter::getArray, hidden);
  }

  /**
   * Log-probabilities [B,T-1]: element [b,t] is log p(tokens[b,t+1] | tokens[b,0..t]) within the
   * segment. Entries that cross a segment boundary or land on padding are meaningless; the caller
   * masks them. Differentiable inside a GradientCollector (GRPO calls it that way).
   */
  public NDArray tokenLogprobs(NDArray tokens, NDArray positions, NDArray segments) {
    long t = tokens.getShape().get(1);
    NDArray logp = forward(tokens, positions, segments).logSoftmax(2);
    NDArray head = logp.get(new NDIndex().addAllDim().addSliceDim(0, t - 1));
    NDArray next = tokens.get(new NDIndex().addAllDim().addSliceDim(1, t))
        .toType(DataType.INT64, false).expandDims(2);
    return head.gather(next, 2).squeeze(2);
  }

  /**
   * Logits [B,T,V] in {@code m} for rows of token ids; shorter rows are right-padded (segment 0)
   * and their padded positions hold meaningless values.
   */
  public NDArray logits(NDManager m, long[][] tokens) {
    int b = tokens.length;
    int t = 0;
    for (long[] row : tokens) {
      t = Math.max(t, row.length);
    }
    long[] ids = new long[b * t];
    long[] pos = new long[b * t];
    long[] seg = new long[b * t];
    for (int i = 0; i < b; i++) {
      for (int j = 0; j < tokens[i].length; j++) {
        ids[i * t + j] = tokens[i][j];
        pos[i * t + j] = j;
        seg[i * t + j] = 1;
      }
    }
    Shape shape = new Shape(b, t);
    try (NoGrad off = NoGrad.enter(); NDManager tmp = m.newSubManager()) {
      NDArray out = forward(tmp.create(ids, shape), tmp.create(pos, shape), tmp.create(seg, shape));
      out.attach(m);
      return out;
    }
  }

  /**
   * Logits [B,V] of the last position only, without a cache (the no-cache decoding baseline;
   * skips the LM head on every other position).
   */
  public NDArray forwardLast(NDArray tokens, NDArray positions, NDArray segments) {
    NDManager m = tokens.getManager();
    try (NoGrad off = NoGrad.enter(); NDManager tmp = m.newSubManager()) {
      tmp.tempAttachAll(tokens, positions, segments);
      NDArray out = lastLogits(
          run(Parameter::getArray, tokens, positions, segmentCausalBias(segments), null, 0));
      out.attach(m);
      return out;
    }
  }

  /**
   * A cache for {@code batchSize} rows with room for {@code capacity} positions (prompt + new
   * tokens); it grows when decoding goes past that.
   */
  public KvCache newCache(int batchSize, int capacity) {
    return new KvCache(manager.newSubManager(), config, batchSize, capacity);
  }

  /**
   * Runs a (left-padded) batch of prompts through the model, filling the empty {@code cache};
   * returns the logits [B,V] of the last position. Padding has segment 0 and real tokens a
   * non-zero segment; positions restart at 0 at each row's first real token.
   */
  public NDArray prefill(NDArray tokens, NDArray positions, NDArray segments, KvCache cache) {
    if (cache.length() != 0) {
      throw new IllegalStateException("prefill needs an empty cache, it holds " + cache.length());
    }
    int b = Math.toIntExact(tokens.getShape().get(0));
    int t = Math.toIntExact(tokens.getShape().get(1));
    cache.ensureRoom(t);
    NDManager m = tokens.getManager();
    // Inputs join a scratch manager for the call, so every intermediate dies with it.
    try (NoGrad off = NoGrad.enter(); NDManager tmp = m.newSubManager()) {
      tmp.tempAttachAll(tokens, positions, segments);
      NDArray keyBias = segments.toType(DataType.INT64, false).neq(0)
          .toType(DataType.FLOAT32, false).sub(1f).mul(-MASKED);
      cache.setKeyBias(keyBias.reshape(b, 1, 1, 1, t));
      long[] last = positions.get(new NDIndex().addAllDim().addIndices(t - 1)).toLongArray();
      NDArray h = run(Parameter::getArray, tokens, positions, segmentCausalBias(segments), cache, 0);
      NDArray out = lastLogits(h);
      out.attach(m);
      cache.advance(t, last);
      return out;
    }
  }

  /**
   * Appends tokens [B,S] (usually S=1) at the cache's end, positions continuing each row's own
   * sequence; returns logits [B,V] of the last new position.
   */
  public NDArray forwardStep(NDArray tokens, KvCache cache) {
    int s = Math.toIntExact(tokens.getShape().get(1));
    int b = Math.toIntExact(tokens.getShape().get(0));
    cache.ensureRoom(s);
    int start = cache.length();
    NDManager m = tokens.getManager();
    try (NoGrad off = NoGrad.enter(); NDManager tmp = m.newSubManager()) {
      tmp.tempAttachAll(tokens);
      long[] pos = new long[b * s];
      long[] last = new long[b];
      for (int i = 0; i < b; i++) {
        for (int j = 0; j < s; j++) {
          pos[i * s + j] = cache.nextPosition(i) + j;
        }
        last[i] = pos[i * s + s - 1];
      }
      NDArray positions = tmp.create(pos, new Shape(b, s));
      NDArray bias = cache.keyBias(tmp, start + s); // [B,1,1,1,start+s]
      if (s > 1) { // causal among the new tokens: key j visible to new query i iff j <= start + i
        NDArray q = tmp.arange(start, start + s, 1, DataType.INT64).expandDims(1);
        NDArray k = tmp.arange(0, start + s, 1, DataType.INT64).expandDims(0);
        bias = bias.add(q.gte(k).toType(DataType.FLOAT32, false).sub(1f).mul(-MASKED));
      }
      NDArray h = run(Parameter::getArray, tokens, positions, bias, cache, start);
      NDArray out = lastLogits(h);
      out.attach(m);
      cache.advance(s, last);
      return out;
    }
  }

  /** Logits [B,V] of the last position of hidden states [B,T,D]. */
  private NDArray lastLogits(NDArray h) {
    long t = h.getShape().get(1);
    NDArray logits = logits(Parameter::getArray,
        h.get(new NDIndex().addAllDim().addSliceDim(t - 1, t)));
    return logits.reshape(logits.getShape().get(0), logits.getShape().get(2));
  }

  /**
   * Additive mask [B,1,1,T,T] from segment ids [B,T]: 0 where the key is at or before the query
   * and in the same segment, MASKED elsewhere.
   */
  static NDArray segmentCausalBias(NDArray segments) {
    NDManager m = segments.getManager();
    long b = segments.getShape().get(0);
    int t = Math.toIntExact(segments.getShape().get(1));
    NDArray seg = segments.toType(DataType.INT64, false);
    NDArray idx = m.arange(0, t, 1, DataType.INT64);
    NDArray allowed = seg.expandDims(2).eq(seg.expandDims(1))
        .logicalAnd(idx.expandDims(1).gte(idx.expandDims(0)));
    return allowed.toType(DataType.FLOAT32, false).sub(1f).mul(-MASKED).reshape(b, 1, 1, t, t);
  }

  /**
   * The decoder stack: embeddings, layers, final norm -> hidden states [B,T,D]. With a cache,
   * keys/values are written at {@code start} and, when start > 0, attention reads the cache.
   */
  private NDArray run(Function<Parameter, NDArray> w, NDArray tokens, NDArray positions,
      NDArray bias, KvCache cache, int start) {
    NDManager outer = tokens.getManager();
    NDArray x = embedding(w, tokens);
    NDArray[] rope = ropeTables(positions);
    NDArray cos = rope[0];
    NDArray sin = rope[1];
    // The attention scale as a tensor of the outer manager: autograd keeps it for the backward
    // pass, so it must outlive the per-layer scopes below (see attention()).
    NDArray scaleArray = outer.create(scale);
    // Each layer's intermediates are freed when the layer is done, with or without autograd: the
    // DJL handles are only references, and what the backward pass needs autograd holds itself
    // (its saved tensors keep their storage). Without this, every activation of every layer
    // (attention scores included) stays alive until the caller's manager closes. Arrays made from
    // Java data must not be created inside a scope when autograd keeps them (their storage is a
    // Java buffer the GC may free); the layer creates none.
    for (int l = 0; l < layers.length; l++) {
      try (NDManager sub = outer.newSubManager()) {
        x.attach(sub);
        x = layer(w, layers[l], l, x, cos, sin, bias, scaleArray, cache, start);
        x.attach(outer);
      }
    }
    return rmsNorm(x, w.apply(finalNorm));
  }

  private NDArray embedding(Function<Parameter, NDArray> w, NDArray tokens) {
    return Embedding.embedding(tokens.toType(DataType.INT64, false), w.apply(embed), SparseFormat.DENSE)
        .singletonOrThrow();
  }

  /** RoPE's cos and sin [B,T,1,hd] of positions [B,T] (broadcast over heads). */
  private NDArray[] ropeTables(NDArray positions) {
    NDArray freqs = positions.toType(DataType.FLOAT32, false).expandDims(2).mul(invFreq);
    NDArray emb = freqs.concat(freqs, 2);
    return new NDArray[] {emb.cos().expandDims(2), emb.sin().expandDims(2)};
  }

  /**
   * One backward pass through the decoder with activation recomputation, for training at lengths
   * where keeping every layer's activations does not fit: the forward pass runs without autograd
   * and keeps only each layer's input [B,T,D]; {@code head} gets the final hidden states (no
   * autograd history), runs whatever follows them forward and backward (the LM head and the loss,
   * e.g. in chunks) and returns the loss gradient with respect to them; then each layer, last to
   * first, runs forward again under autograd from its saved input and backward with the gradient
   * of its output. Parameter gradients accumulate as one backward pass of the whole model would
   * leave them, at the cost of a second forward pass of the layers. Needs grad mode on (inside a
   * GradientCollector); arrays live in {@code tokens}' manager.
   */
  public void backwardWithRecompute(NDArray tokens, NDArray positions, NDArray segments, UnaryOperator<NDArray> head) {
    NDManager outer = tokens.getManager();
    Function<Parameter, NDArray> w = Parameter::getArray;
    NDArray[] inputs = new NDArray[layers.length + 1];
    NDArray cos;
    NDArray sin;
    NDArray bias;
    NDArray scaleArray = outer.create(scale);
    JniUtils.setGradMode(false);
    try {
      bias = segmentCausalBias(segments);
      NDArray[] rope = ropeTables(positions);
      cos = rope[0];
      sin = rope[1];
      inputs[0] = embedding(w, tokens);
      for (int l = 0; l < layers.length; l++) {
        // Ops land in their first operand's manager: the input visits the scope so that the
        // layer's intermediates are freed with it.
        try (NDManager sub = outer.newSubManager()) {
          inputs[l].attach(sub);
          NDArray out = layer(w, layers[l], l, inputs[l], cos, sin, bias, scaleArray, null, 0);
          out.attach(outer);
          inputs[l].attach(outer);
          inputs[l + 1] = out;
        }
      }
    } finally {
      JniUtils.setGradMode(true);
    }
    NDArray grad;
    try (NDManager sub = outer.newSubManager()) {
      NDArray last = inputs[layers.length];
      last.attach(sub);
      last.setRequiresGradient(true);
      NDArray hidden = rmsNorm(last, w.apply(finalNorm));
      NDArray g = head.apply(hidden.stopGradient());
      backward(hidden, g);
      grad = last.getGradient().duplicate();
      grad.attach(outer);
    }
    for (int l = layers.length - 1; l >= 0; l--) {
      try (NDManager sub = outer.newSubManager()) {
        NDArray in = inputs[l];
        in.attach(sub);
        in.setRequiresGradient(true);
        NDArray out = layer(w, layers[l], l, in, cos, sin, bias, scaleArray, null, 0);
        backward(out, grad);
        NDArray next = in.getGradient().duplicate();
        next.attach(outer);
        grad.close();
        grad = next;
      }
    }
    backward(embedding(w, tokens), grad);
    grad.close();
  }

  /** Backpropagates {@code grad} (the loss gradient w.r.t. {@code target}) into the parameters. */
  private static void backward(NDArray target, NDArray grad) {
    JniUtils.backward((ai.djl.pytorch.engine.PtNDArray) target, (ai.djl.pytorch.engine.PtNDArray) grad, false, false);
  }

  private NDArray layer(Function<Parameter, NDArray> w, Layer p, int index, NDArray x,
      NDArray cos, NDArray sin, NDArray bias, NDArray scaleArray, KvCache cache, int start) {
    long b = x.getShape().get(0);
    long t = x.getShape().get(1);
    int heads = config.numAttentionHeads();
    int kvHeads = config.numKeyValueHeads();
    int hd = config.headDim();

    NDArray h = rmsNorm(x, w.apply(p.inputNorm));
    NDArray q = linear(w, h, p.q, p.qb).reshape(b, t, heads, hd);
    NDArray k = linear(w, h, p.k, p.kb).reshape(b, t, kvHeads, hd);
    NDArray v = linear(w, h, p.v, p.vb).reshape(b, t, kvHeads, hd).transpose(0, 2, 1, 3);
    if (p.qNorm != null) { // Qwen3: RMSNorm over each head's head_dim values, before RoPE
      q = rmsNorm(q, w.apply(p.qNorm));
      k = rmsNorm(k, w.apply(p.kNorm));
    }
    q = rope(q, cos, sin).transpose(0, 2, 1, 3); // [B,H,T,hd]
    k = rope(k, cos, sin).transpose(0, 2, 1, 3); // [B,KV,T,hd]
    if (cache != null) {
      cache.write(index, start, k, v);
      if (start > 0) {
        k = cache.keys(index, x.getManager(), start + (int) t);
        v = cache.values(index, x.getManager(), start + (int) t);
      }
    }
    NDArray a = attention(q, k, v, bias, scaleArray).transpose(0, 2, 1, 3).reshape(b, t, (long) heads * hd);
    x = x.add(linear(w, a, p.o, p.ob));

    h = rmsNorm(x, w.apply(p.postNorm));
    NDArray gate = linear(w, h, p.gate, p.gateb);
    NDArray act = gate.mul(gate.getNDArrayInternal().sigmoid()); // SiLU
    NDArray mlp = linear(w, act.mul(linear(w, h, p.up, p.upb)), p.down, p.downb);
    return x.add(mlp);
  }

  /** q [B,H,T,hd], k/v [B,KV,S,hd], bias broadcastable to [B,1,1,T,S] -> [B,H,T,hd]. */
  private NDArray attention(NDArray q, NDArray k, NDArray v, NDArray bias, NDArray scaleArray) {
    long b = q.getShape().get(0);
    long t = q.getShape().get(2);
    long s = k.getShape().get(2);
    int kvHeads = config.numKeyValueHeads();
    int rep = config.numAttentionHeads() / kvHeads;
    int hd = config.headDim();
    // The scale is an NDArray owned by the forward pass's manager, not a Java float: DJL 0.35.1
    // turns a float operand into a scalar tensor whose handle it frees right after the op, while
    // autograd still reads it in backward (garbage gradients once the GC reclaims it; see
    // GradientUnderGcTest).
    //
    // Each [B, kv, rep*T, S] intermediate is closed as soon as the next one exists: autograd keeps
    // what the backward pass needs (the probabilities) itself, and the DJL handles would otherwise
    // keep four score-sized tensors alive until the layer's scope closes (with recomputation, until
    // the layer's backward pass is done).
    NDArray raw = q.reshape(b, kvHeads, rep * t, hd).matMul(k.transpose(0, 1, 3, 2));
    NDArray scores = raw.mul(scaleArray);
    raw.close();
    NDArray masked = scores.reshape(b, kvHeads, rep, t, s).add(bias);
    scores.close();
    NDArray probs = masked.softmax(4);
    masked.close();
    NDArray out = probs.reshape(b, kvHeads, rep * t, s).matMul(v);
    probs.close();
    return out.reshape(b, config.numAttentionHeads(), t, hd);
  }

  /** HF rotate_half convention: x*cos + cat(-x2, x1)*sin, x [B,T,heads,hd]. */
  private static NDArray rope(NDArray x, NDArray cos, NDArray sin) {
    NDList halves = x.split(2, 3);
    NDArray rotated = halves.get(1).neg().concat(halves.get(0), 3);
    return x.mul(cos).add(rotated.mul(sin));
  }

  /** RMSNorm over the last axis of x. */
  private NDArray rmsNorm(NDArray x, NDArray weight) {
    NDArray variance = x.square().mean(new int[] {x.getShape().dimension() - 1}, true);
    return x.div(variance.add((float) config.rmsNormEps()).sqrt()).mul(weight);
  }

  private static NDArray linear(Function<Parameter, NDArray> w, NDArray x, Parameter weight,
      Parameter bias) {
    return Linear.linear(x, w.apply(weight), bias == null ? null : w.apply(bias)).singletonOrThrow();
  }

  private NDArray logits(Function<Parameter, NDArray> w, NDArray hidden) {
    return Linear.linear(hidden, w.apply(lmHead == null ? embed : lmHead)).singletonOrThrow();
  }

  /**
   * Switches autograd off for an inference call and back on close. Torch's grad mode is
   * thread-local and on by default in threads DJL did not start, so server threads need this.
   */
  static final class NoGrad implements AutoCloseable {
    private final boolean previous = JniUtils.isGradMode();

    static NoGrad enter() {
      NoGrad g = new NoGrad();
      JniUtils.setGradMode(false);
      return g;
    }

    @Override
    public void close() {
      JniUtils.setGradMode(previous);
    }
  }

  @Override
  public Shape[] getOutputShapes(Shape[] inputShapes) {
    Shape in = inputShapes[0];
    return new Shape[] {new Shape(in.get(0), in.get(1), config.vocabSize())};
  }

  // ------------------------------------------------------------------ parameters

  public ModelConfig config() {
    return config;
  }

  /** The manager that owns the parameters; closing it frees the model. */
  public NDManager manager() {
    return manager;
  }

  /** The parameter arrays by HF name, in checkpoint order (live arrays, not copies). */
  public Map<String, NDArray> weights() {
    Map<String, NDArray> out = new LinkedHashMap<>();
    parameters.forEach((name, p) -> out.put(name, p.getArray()));
    return out;
  }

  /** Copies of all parameter values by HF name (for resume-equality checks). */
  public Map<String, float[]> parameterValues() {
    Map<String, float[]> out = new LinkedHashMap<>();
    parameters.forEach((name, p) -> out.put(name, p.getArray().toFloatArray()));
    return out;
  }

  /** Overwrites parameters in place from values by HF name; every parameter must be present. */
  public void setParameterValues(Map<String, float[]> values) {
    try (NDManager tmp = manager.newSubManager()) {
      Map<String, NDArray> arrays = new LinkedHashMap<>();
      parameters.forEach((name, p) -> {
        float[] v = values.get(name);
        if (v == null) {
          throw new IllegalArgumentException("missing tensor " + name);
        }
        if (v.length != p.getArray().size()) {
          throw new IllegalArgumentException("tensor " + name + " has " + v.length
              + " values, the model has " + p.getArray().size());
        }
        arrays.put(name, tmp.create(v, p.getArray().getShape()));
      });
      copyInto(arrays);
    }
  }

  /** Copies every parameter value from a model of the same config (e.g. an RL reference model). */
  public void copyParametersFrom(Transformer other) {
    if (!other.config.equals(config)) {
      throw new IllegalArgumentException("cannot copy parameters between different configs");
    }
    copyInto(other.weights());
  }

  private void copyInto(Map<String, NDArray> source) {
    try (NoGrad off = NoGrad.enter()) { // in-place writes to leaves that require grad
      parameters.forEach((name, p) -> p.getArray().set(new NDIndex("..."), source.get(name)));
    }
  }

  /** Total number of parameter values (matches {@link ModelConfig#parameterCount()}). */
  public long numParameters() {
    long n = 0;
    for (Parameter p : parameters.values()) {
      n += p.getArray().size();
    }
    return n;
  }
}
