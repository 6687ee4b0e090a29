package dev.retort.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.retort.core.data.SftExample;
import dev.retort.model.ChatTemplate;
import dev.retort.model.CharTokenizer;
import dev.retort.model.Tokenizer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The loss covers exactly the assistant tokens: reasoning, answer and the end-of-turn token. */
class LossMaskTest {
  @TempDir Path tmp;

  private Tokenizer charTokenizer() throws Exception {
    Path f = tmp.resolve("tokenizer.json");
    CharTokenizer.write(f);
    return Tokenizer.load(f);
  }

  @Test
  void maskedTokensDecodeToTheCompletionAndNothingElse() throws Exception {
    try (Tokenizer tok = charTokenizer()) {
      SftEncoder enc = new SftEncoder(tok, ChatTemplate.chatml());
      List<SftExample> examples = TestData.examples(3, 11);
      // Pack all three into one row and read the weights back per segment.
      List<int[]> rows = List.of(new int[] {0, 1, 2});
      Samples samples = new ListSamples(examples.stream().map(enc::encode).toList());
      PackedBatch b = PackedBatch.of(samples, rows, 2048);
      int segment = 0;
      List<List<Integer>> trained = new ArrayList<>();
      List<List<Integer>> context = new ArrayList<>();
      for (int i = 0; i < b.seqLen(); i++) {
        int seg = (int) b.segments()[i];
        if (seg == 0) {
          continue;
        }
        if (seg != segment) {
          segment = seg;
          trained.add(new ArrayList<>());
          context.add(new ArrayList<>());
          context.get(seg - 1).add((int) b.tokens()[i]); // the first token is never a target
        }
        if (b.weights()[i] == 1f) {
          trained.get(seg - 1).add((int) b.targets()[i]);
        } else if (i + 1 < b.seqLen() && b.segments()[i + 1] == seg) {
          context.get(seg - 1).add((int) b.targets()[i]);
        }
      }
      assertEquals(3, trained.size());
      int expectedLoss = 0;
      for (int k = 0; k < 3; k++) {
        SftExample e = examples.get(k);
        String completion = ChatTemplate.chatml().completion(e.prompt(), e.reasoning(), e.answer());
        assertEquals(completion, tok.decode(ints(trained.get(k))), "trained tokens of sample " + k);
        assertTrue(completion.endsWith(ChatTemplate.IM_END + "\n"));
        assertEquals(ChatTemplate.chatml().prompt(e.prompt()), tok.decode(ints(context.get(k))), "context of sample " + k);
        expectedLoss += tok.encode(completion).length;
      }
      assertEquals(expectedLoss, b.lossTokens());
      assertEquals(expectedLoss, PackedBatch.lossTokens(samples, rows));
    }
  }

  @Test
  void completionColumnIsUsedWhenReasoningIsMissing() throws Exception {
    try (Tokenizer tok = charTokenizer()) {
      SftEncoder enc = new SftEncoder(tok, ChatTemplate.chatml());
      SftExample e = TestData.examples(1, 5).get(0);
      SftExample noParts = new SftExample(e.promptId(), 0, e.source(), e.prompt(), null, null, e.completion(), e.messages());
      SftEncoder.Encoded a = enc.encode(e);
      SftEncoder.Encoded b = enc.encode(noParts);
      assertEquals(a.promptLength(), b.promptLength());
      assertEquals(tok.decode(a.tokens()), tok.decode(b.tokens()));
      assertTrue(a.completionLength() > 0);
    }
  }

  private static int[] ints(List<Integer> l) {
    return l.stream().mapToInt(Integer::intValue).toArray();
  }

  /** Encoded samples in memory. */
  record ListSamples(List<SftEncoder.Encoded> list) implements Samples {
    @Override
    public int size() {
      return list.size();
    }

    @Override
    public int length(int sample) {
      return list.get(sample).length();
    }

    @Override
    public int promptLength(int sample) {
      return list.get(sample).promptLength();
    }

    @Override
    public void copyTokens(int sample, int[] dst, int at) {
      int[] t = list.get(sample).tokens();
      System.arraycopy(t, 0, dst, at, t.length);
    }
  }
}
