package dev.retort.eval;

import dev.retort.core.data.Completions;
import dev.retort.core.data.SamplingParams;
import dev.retort.teacher.Choice;
import dev.retort.teacher.TeacherClient;
import dev.retort.teacher.TeacherRequest;
import dev.retort.teacher.TeacherResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * A model behind an OpenAI-compatible endpoint, through teacher-gen's client (connection pool,
 * retries with backoff, per-request seeds). All requests of a chunk are in flight together; the
 * client bounds the concurrency. A request that fails after the client's retries comes back as
 * a failed response and is asked again on the next run.
 */
public final class EndpointModel implements ModelUnderTest {
  private final TeacherClient client;
  private final String identity;

  /** @param identity e.g. {@code endpoint:http://host:8000/v1 model=name} */
  public EndpointModel(TeacherClient client, String identity) {
    this.client = client;
    this.identity = identity;
  }

  public static String identityOf(String url, String servedModel) {
    return "endpoint:" + url + " model=" + servedModel;
  }

  @Override
  public String identity() {
    return identity;
  }

  @Override
  public List<Response> generate(List<Request> requests) {
    List<CompletableFuture<TeacherResponse>> futures = new ArrayList<>(requests.size());
    for (Request r : requests) {
      SamplingParams sp = new SamplingParams(r.temperature(), r.topP(), r.topK(), r.maxTokens(), r.seed());
      futures.add(client.complete(TeacherRequest.of(r.id(), r.userText(), sp)));
    }
    List<Response> out = new ArrayList<>(requests.size());
    for (CompletableFuture<TeacherResponse> f : futures) {
      try {
        TeacherResponse resp = f.join();
        if (resp.choices().isEmpty()) {
          out.add(Response.failed("endpoint returned no choices"));
          continue;
        }
        Choice c = resp.choices().get(0);
        // Keep the reasoning in the saved response, in Retort's text format, so lengths and
        // no-answer checks see what the model wrote.
        String text = c.reasoning().isEmpty() ? c.answer() : Completions.compose(c.reasoning(), c.answer());
        out.add(new Response(text, c.completionTokens(), c.finishReason(), null));
      } catch (CompletionException e) {
        Throwable cause = e.getCause() == null ? e : e.getCause();
        out.add(Response.failed(cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage()));
      }
    }
    return out;
  }

  @Override
  public void close() {
    client.close();
  }
}
