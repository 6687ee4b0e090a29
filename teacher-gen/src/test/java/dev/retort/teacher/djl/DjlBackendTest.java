package dev.retort.teacher.djl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import dev.retort.core.data.SamplingParams;
import dev.retort.model.ChatMessage;
import dev.retort.model.ChatTemplate;
import dev.retort.model.Tokenizer;
import dev.retort.teacher.Choice;
import dev.retort.teacher.TeacherRequest;
import dev.retort.teacher.TeacherResponse;
import dev.retort.teacher.http.HttpTeacherPool;
import dev.retort.teacher.server.Completion;
import dev.retort.teacher.server.CompletionRequest;
import dev.retort.teacher.server.Decode;
import dev.retort.teacher.server.OpenAiServer;
import dev.retort.teacher.server.ServerOptions;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A tiny random checkpoint served over HTTP and loaded in-process: both paths give the same samples. */
public class DjlBackendTest {
  static {
    System.setProperty("ai.djl.pytorch.num_threads", "2");
    System.setProperty("ai.djl.pytorch.num_interop_threads", "1");
  }

  @TempDir static Path dir;
  static Path checkpoint;

  /** Writes a 2-layer Qwen2-style checkpoint with the project's character-level tokenizer. */
  public static Path tinyCheckpoint(Path root) throws Exception {
    return dev.retort.model.TinyCheckpoints.chatml(root);
  }

  @BeforeAll
  static void setUp() throws Exception {
    checkpoint = tinyCheckpoint(dir);
  }

  private static List<TeacherResponse> ask(dev.retort.teacher.TeacherClient c, int n) throws Exception {
    List<CompletableFuture<TeacherResponse>> fs = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      fs.add(c.complete(TeacherRequest.of("q" + i, "What is " + i + "+1?", new SamplingParams(0.8, 0.95, 0, 12, 100L + i))));
    }
    List<TeacherResponse> out = new ArrayList<>();
    for (CompletableFuture<TeacherResponse> f : fs) {
      out.add(f.get(60, TimeUnit.SECONDS));
    }
    return out;
  }

  @Test
  void servedAndInProcessTeachersAgreeSampleForSample() throws Exception {
    List<TeacherResponse> viaHttp;
    try (OpenAiServer s = OpenAiServer.start(DjlBackend.load(checkpoint, Device.cpu()),
        ServerOptions.builder().servedModelName("tiny").maxBatch(8).batchWait(Duration.ofMillis(20)).build());
        HttpTeacherPool c = HttpTeacherPool.builder().setEndpoints(List.of(s.url())).setModel("tiny")
            .optRequestTimeout(Duration.ofSeconds(60)).build()) {
      viaHttp = ask(c, 6);
      assertTrue(s.batcher().largestBatch() > 1, "concurrent requests shared a Sampler call");
    }
    List<TeacherResponse> local;
    try (LocalTeacher t = new LocalTeacher(DjlBackend.load(checkpoint, Device.cpu()), "tiny", 2, Duration.ofMillis(1))) {
      local = ask(t, 6);
    }
    int promptTokens;
    try (Tokenizer tok = Tokenizer.load(checkpoint)) {
      promptTokens = tok.encode(ChatTemplate.chatml().prompt("What is 0+1?")).length;
    }
    assertEquals(promptTokens, viaHttp.get(0).promptTokens());
    for (int i = 0; i < 6; i++) {
      Choice h = viaHttp.get(i).choices().get(0);
      Choice l = local.get(i).choices().get(0);
      // Same seed, same text, whatever the batch it landed in (batches of up to 8 vs 2 here).
      assertEquals(l.reasoning() + "|" + l.answer(), h.reasoning() + "|" + h.answer(), "sample " + i);
      assertTrue(h.completionTokens() >= 1 && h.completionTokens() <= 12);
      assertTrue(List.of("stop", "length").contains(h.finishReason()));
    }
    assertNotEquals(viaHttp.get(0).choices().get(0).answer(), viaHttp.get(1).choices().get(0).answer());
  }

  @Test
  void everyMessageOfARequestReachesThePrompt() throws Exception {
    List<ChatMessage> chat = List.of(
        new ChatMessage("system", "Answer briefly."),
        new ChatMessage("user", "What is 1+1?"),
        new ChatMessage("assistant", "2"),
        new ChatMessage("user", "And 2+2?"));
    int expected;
    int lastTurnOnly;
    try (Tokenizer tok = Tokenizer.load(checkpoint)) {
      expected = tok.encode(tok.chatTemplate().prompt(chat)).length;
      lastTurnOnly = tok.encode(tok.chatTemplate().prompt("And 2+2?")).length;
    }
    try (DjlBackend b = DjlBackend.load(checkpoint, Device.cpu())) {
      var out = b.generate(List.of(new dev.retort.teacher.server.CompletionRequest(chat,
          new SamplingParams(0.0, 1.0, 0, 2, 1L), List.of())));
      assertEquals(expected, out.get(0).promptTokens());
      assertNotEquals(lastTurnOnly, out.get(0).promptTokens());
    }
  }

  @Test
  void messagesTheTemplateRejectsAndPromptsBeyondTheContextAreA400AndOtherRequestsAreServed() throws Exception {
    // A copy of the checkpoint whose template allows only system/user/assistant, as many real ones do.
    Path strict = dir.resolve("strict-teacher");
    java.nio.file.Files.createDirectories(strict);
    try (var files = java.nio.file.Files.list(checkpoint)) {
      for (Path f : files.filter(java.nio.file.Files::isRegularFile).toList()) {
        java.nio.file.Files.copy(f, strict.resolve(f.getFileName()));
      }
    }
    java.nio.file.Files.writeString(strict.resolve(Tokenizer.CHAT_TEMPLATE_FILE),
        "{% for m in messages %}{% if m['role'] not in ['system', 'user', 'assistant'] %}"
            + "{{ raise_exception('Conversation roles must be system, user or assistant') }}{% endif %}"
            + "{{ '<|im_start|>' + m['role'] + '\\n' + m['content'] + '<|im_end|>\\n' }}{% endfor %}"
            + "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}");
    try (OpenAiServer s = OpenAiServer.start(DjlBackend.load(strict, Device.cpu()),
        ServerOptions.builder().servedModelName("tiny").maxBatch(8).batchWait(Duration.ofMillis(20)).build())) {
      var http = java.net.http.HttpClient.newHttpClient();
      java.util.function.Function<String, java.net.http.HttpResponse<String>> post = body -> {
        try {
          return http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(s.url() + "/chat/completions"))
              .header("Content-Type", "application/json")
              .POST(java.net.http.HttpRequest.BodyPublishers.ofString(body)).build(),
              java.net.http.HttpResponse.BodyHandlers.ofString());
        } catch (Exception e) {
          throw new IllegalStateException(e);
        }
      };
      var bad = post.apply("{\"model\":\"tiny\",\"max_tokens\":2,\"messages\":["
          + "{\"role\":\"user\",\"content\":\"hi\"},{\"role\":\"tool\",\"content\":\"42\"}]}");
      assertEquals(400, bad.statusCode(), bad.body());
      assertTrue(bad.body().contains("Conversation roles must be system, user or assistant"), bad.body());
      // The tiny checkpoint has 512 positions: a long prompt or a max_tokens beyond it is refused before sampling.
      var tooLong = post.apply("{\"model\":\"tiny\",\"max_tokens\":600,\"messages\":["
          + "{\"role\":\"user\",\"content\":\"hi\"}]}");
      assertEquals(400, tooLong.statusCode(), tooLong.body());
      assertTrue(tooLong.body().contains("context of 512 tokens"), tooLong.body());
      var longPrompt = post.apply("{\"model\":\"tiny\",\"max_tokens\":2,\"messages\":["
          + "{\"role\":\"user\",\"content\":\"" + "x".repeat(600) + "\"}]}");
      assertEquals(400, longPrompt.statusCode(), longPrompt.body());
      var good = post.apply("{\"model\":\"tiny\",\"max_tokens\":2,\"messages\":["
          + "{\"role\":\"system\",\"content\":\"Be brief.\"},{\"role\":\"user\",\"content\":\"hi\"}]}");
      assertEquals(200, good.statusCode(), good.body());
    }
  }

  /** Decodes one request slice by slice, as the server's batcher does; returns the completion and the slice count. */
  private static Decode sliced(DjlBackend b, CompletionRequest r, int sliceTokens) {
    Decode d = Decode.start(r);
    while (!d.finished()) {
      d = b.decode(List.of(d), sliceTokens).get(0);
    }
    return d;
  }

  @Test
  void slicedDecodingResumesWhereTheLastSliceStopped() throws Exception {
    try (DjlBackend b = DjlBackend.load(checkpoint, Device.cpu())) {
      List<ChatMessage> msgs = List.of(ChatMessage.user("Count to ten"));
      CompletionRequest greedy = new CompletionRequest(msgs, new SamplingParams(0.0, 1.0, 0, 40, 1L), List.of());
      Completion whole = b.generate(List.of(greedy)).get(0);
      Decode inSlices = sliced(b, greedy, 8);
      assertTrue(inSlices.slices() > 1, "decoded in " + inSlices.slices() + " slices");
      // Greedy: resuming by prefilling prompt + generated tokens continues the same sequence.
      assertEquals(whole, inSlices.done());
      // Sampled: the first slice draws from the request's seed (one slice equals one call), later
      // slices from seeds derived from it: reruns agree.
      CompletionRequest sampled = new CompletionRequest(msgs, new SamplingParams(0.9, 1.0, 0, 40, 7L), List.of());
      assertEquals(sliced(b, sampled, 8).done(), sliced(b, sampled, 8).done());
      CompletionRequest oneSlice = new CompletionRequest(msgs, new SamplingParams(0.9, 1.0, 0, 8, 7L), List.of());
      assertEquals(b.generate(List.of(oneSlice)).get(0), sliced(b, oneSlice, 8).done());
    }
  }

  @Test
  void deviceSettings() {
    assertEquals(Device.cpu(), DjlBackend.device("auto", List.of()));
    assertEquals(Device.gpu(1), DjlBackend.device("auto", List.of("1")));
    assertEquals(Device.gpu(2), DjlBackend.device("gpu:2", List.of("0")));
    assertEquals(Device.cpu(), DjlBackend.device("cpu", List.of("0")));
  }
}
