package dev.retort.train;

import dev.retort.core.data.Completions;
import dev.retort.core.data.SftExample;
import dev.retort.model.ChatTemplate;
import dev.retort.model.Tokenizer;

/**
 * Turns an SFT row into token ids and the loss boundary. The prompt (chat template up to the
 * assistant header) and the completion (reasoning block, answer, end-of-turn token) are encoded
 * separately and concatenated, so the boundary is exact by construction: tokens before
 * {@code promptLength} are never trained on, every token from it on is. A tokenizer that would
 * merge across the boundary cannot move it, and a completion that encodes to nothing is an error,
 * never an empty mask.
 */
public final class SftEncoder {
  private final Tokenizer tokenizer;
  private final ChatTemplate template;
  private final int endTokenId;
  private final Integer unkId;

  /** @throws IllegalArgumentException when the tokenizer lacks the template's end-of-turn token */
  public SftEncoder(Tokenizer tokenizer, ChatTemplate template) {
    this.tokenizer = tokenizer;
    this.template = template;
    this.endTokenId = template.endTokenId(tokenizer);
    this.unkId = tokenizer.tokenId("<unk>");
  }

  /**
   * A sample's ids: prompt ids then completion ids.
   *
   * @param tokens all ids
   * @param promptLength ids before the completion; the loss covers ids {@code promptLength..length-1}
   * @param unknown ids that encoded to {@code <unk>} (characters outside a char tokenizer's charset)
   */
  public record Encoded(int[] tokens, int promptLength, int unknown) {
    public int length() {
      return tokens.length;
    }

    public int completionLength() {
      return tokens.length - promptLength;
    }
  }

  public Encoded encode(SftExample e) {
    if (e.prompt() == null) {
      throw new IllegalArgumentException("SFT row " + e.promptId() + "/" + e.sampleIndex() + " has no prompt");
    }
    int[] p = tokenizer.encode(template.prompt(e.prompt()));
    int[] c = tokenizer.encode(completionText(e));
    if (c.length == 0 || c[c.length - 1] != endTokenId) {
      throw new IllegalStateException("completion of " + e.promptId() + " does not end with the end-of-turn token");
    }
    int[] all = new int[p.length + c.length];
    System.arraycopy(p, 0, all, 0, p.length);
    System.arraycopy(c, 0, all, p.length, c.length);
    int unk = 0;
    if (unkId != null) {
      for (int t : all) {
        if (t == unkId) {
          unk++;
        }
      }
    }
    return new Encoded(all, p.length, unk);
  }

  /**
   * The assistant turn: the template's completion of reasoning and answer, taken from the row's
   * columns or, when the view left them out ({@code filter.sft-format = prompt-completion}), split
   * from its completion column; a completion without a think block is used as it is, followed by
   * the end token. Both views of one trace give the same text.
   */
  public String completionText(SftExample e) {
    if (e.reasoning() != null && e.answer() != null) {
      return template.completion(e.reasoning().strip(), e.answer().strip());
    }
    if (e.completion() == null || e.completion().isBlank()) {
      throw new IllegalArgumentException("SFT row " + e.promptId() + "/" + e.sampleIndex() + " has no completion");
    }
    Completions.Parts parts = Completions.split(e.completion());
    if (parts.hasReasoning()) {
      return template.completion(parts.reasoning(), parts.answer());
    }
    return e.completion() + template.endToken();
  }

  public Tokenizer tokenizer() {
    return tokenizer;
  }
}
