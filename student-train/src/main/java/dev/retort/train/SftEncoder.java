package dev.retort.train;

import dev.retort.core.data.Completions;
import dev.retort.core.data.SftExample;
import dev.retort.model.ChatMessage;
import dev.retort.model.ChatTemplate;
import dev.retort.model.Tokenizer;
import java.util.List;

/**
 * Turns an SFT row into token ids and the loss boundary. The prompt is the checkpoint's chat
 * template rendered up to its generation prompt (exactly what eval and serving feed the model);
 * the completion is what the template adds for the final assistant turn (reasoning block, answer,
 * end of turn: {@link ChatTemplate#completion}). The two are encoded separately, without added
 * special tokens (a BOS comes from the template or not at all), and concatenated, so the boundary
 * is exact by construction: tokens before {@code promptLength} are never trained on, every token
 * from it on is. A completion that holds no end-of-turn id is an error, never a turn the model
 * cannot learn to stop.
 */
public final class SftEncoder {
  private final Tokenizer tokenizer;
  private final ChatTemplate template;
  private final List<Integer> endIds;
  private final Integer unkId;

  /** @throws IllegalArgumentException when the template's end of turn is no token of the tokenizer */
  public SftEncoder(Tokenizer tokenizer, ChatTemplate template) {
    this.tokenizer = tokenizer;
    this.template = template;
    this.endIds = template.endOfTurnIds(tokenizer);
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
    if (!endsTurn(c)) {
      throw new IllegalStateException("completion of " + e.promptId() + " holds no end-of-turn token " + endIds);
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
   * The trained text of a row: the template's final assistant turn holding the reasoning block
   * and the answer, taken from the row's columns or, when the view left them out
   * ({@code filter.sft-format = prompt-completion}), split from its completion column; a
   * completion without a think block is the turn's content as it is. Both views of one trace give
   * the same text.
   */
  public String completionText(SftExample e) {
    String content;
    if (e.reasoning() != null && e.answer() != null) {
      content = ChatTemplate.assistantContent(e.reasoning(), e.answer());
    } else {
      if (e.completion() == null || e.completion().isBlank()) {
        throw new IllegalArgumentException("SFT row " + e.promptId() + "/" + e.sampleIndex() + " has no completion");
      }
      Completions.Parts parts = Completions.split(e.completion());
      content = parts.hasReasoning() ? ChatTemplate.assistantContent(parts.reasoning(), parts.answer()) : e.completion();
    }
    return template.completion(List.of(ChatMessage.user(e.prompt())), content);
  }

  private boolean endsTurn(int[] ids) {
    for (int k = ids.length - 1; k >= 0 && k >= ids.length - 4; k--) {
      if (endIds.contains(ids[k])) {
        return true;
      }
    }
    return false;
  }

  public ChatTemplate template() {
    return template;
  }

  public Tokenizer tokenizer() {
    return tokenizer;
  }
}
