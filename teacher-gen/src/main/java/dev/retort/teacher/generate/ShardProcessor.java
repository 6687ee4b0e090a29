package dev.retort.teacher.generate;

import dev.retort.core.data.Prompt;
import dev.retort.core.data.SamplingParams;
import dev.retort.core.data.Trace;
import dev.retort.core.io.Codecs;
import dev.retort.core.io.ParquetIO;
import dev.retort.model.ChatMessage;
import dev.retort.teacher.Choice;
import dev.retort.teacher.RequestMode;
import dev.retort.teacher.TeacherClient;
import dev.retort.teacher.TeacherException;
import dev.retort.teacher.TeacherRequest;
import dev.retort.teacher.TeacherResponse;
import java.io.IOException;
import java.io.UncheckedIOException;
import dev.retort.core.store.Location;
import dev.retort.core.store.Store;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.LongAdder;

/**
 * Generates one shard exactly once: plain Java, called by the Spark task and by unit tests alike.
 *
 * <p>The shard's main file is its commit marker. Invariant: whenever the main file exists, every
 * expected (prompt, sample) of the shard is in the main file or in the shard's errors file; a key
 * may briefly be in both (a success superseding an error), never in neither. Commit protocol:
 * <ol>
 *   <li>A: write errors = this attempt's failures plus the old error rows that just succeeded
 *       (so errors still covers everything the old main file lacks);
 *   <li>B: write main = old successes plus new successes (the commit; an atomic rename);
 *   <li>C: rewrite errors to this attempt's failures only, or delete it when there are none.
 * </ol>
 * A kill between any two steps leaves the invariant true, and a rerun reads the main file, asks
 * only for the keys it lacks, and rewrites both files; so no sample is lost or written twice to
 * the main files. "Main present and no errors file" therefore means "complete", which is the
 * cheap test reruns use to skip a shard.
 */
public final class ShardProcessor {
  private final TeacherClient client;
  private final GenerateSettings gen;
  private final RequestMode mode;
  private final Location traces;
  private final Store store;
  private final GenerationListener listener;

  public ShardProcessor(TeacherClient client, GenerateSettings gen, RequestMode mode, Location traces, GenerationListener listener) {
    this.client = client;
    this.gen = gen;
    this.mode = mode;
    this.traces = traces;
    this.store = Store.of(traces);
    this.listener = listener == null ? GenerationListener.NONE : listener;
  }

  /** True when the shard needs no work: its main file exists and it has no errors file. */
  public static boolean isComplete(Location traces, int shard, int shards) {
    Store store = Store.of(traces);
    try {
      return store.isFile(ShardFiles.main(traces, shard, shards)) && !store.exists(ShardFiles.errors(traces, shard, shards));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot check shard " + shard + " in " + traces + ": " + e.getMessage(), e);
    }
  }

  /** Generates what the shard lacks and commits it. {@code prompts} are the shard's prompts. */
  public ShardOutcome process(int shard, List<Prompt> prompts) {
    long t0 = System.nanoTime();
    int shards = gen.shards();
    int n = gen.samplesPerPrompt();
    long expected = (long) prompts.size() * n;
    if (isComplete(traces, shard, shards)) {
      return ShardOutcome.skipped(shard, expected);
    }
    Location mainFile = ShardFiles.main(traces, shard, shards);
    Location errFile = ShardFiles.errors(traces, shard, shards);
    boolean committed = isFile(mainFile);

    // What exists: successes of the committed main file (only keys this plan expects).
    Map<String, Prompt> byId = new LinkedHashMap<>();
    for (Prompt p : prompts) {
      if (Seeds.shardOf(p.id(), shards) != shard) {
        throw new IllegalArgumentException("prompt " + p.id() + " does not belong to shard " + shard);
      }
      byId.put(p.id(), p);
    }
    Map<String, Trace> done = new LinkedHashMap<>();
    if (committed) {
      for (Trace t : ParquetIO.read(mainFile, Codecs.TRACE)) {
        if (!t.failed() && byId.containsKey(t.promptId()) && t.sampleIndex() < n) {
          done.putIfAbsent(t.key(), t);
        }
      }
    }
    Map<String, Trace> oldErrors = new LinkedHashMap<>();
    if (committed && isFile(errFile)) {
      for (Trace t : ParquetIO.read(errFile, Codecs.TRACE)) {
        oldErrors.putIfAbsent(t.key(), t);
      }
    }

    // Ask for every expected key the main file lacks (errors of earlier runs included).
    Tally tally = new Tally();
    List<CompletableFuture<List<Trace>>> pending = new ArrayList<>();
    long requests = 0;
    long generated = 0;
    for (Prompt p : prompts) {
      List<Integer> missing = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        if (!done.containsKey(p.id() + "#" + i)) {
          missing.add(i);
        }
      }
      if (missing.isEmpty()) {
        continue;
      }
      generated += missing.size();
      if (mode == RequestMode.N_PER_REQUEST) {
        pending.add(request(p, missing, tally));
        requests++;
      } else {
        for (int i : missing) {
          pending.add(request(p, List.of(i), tally));
          requests++;
        }
      }
    }
    try {
      // get(), not join(): a cancelled Spark task is interrupted and must stop before committing.
      CompletableFuture.allOf(pending.toArray(CompletableFuture[]::new)).get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new CancellationException("shard " + shard + " interrupted before its commit");
    } catch (ExecutionException e) {
      throw new IllegalStateException("shard " + shard + ": " + e.getCause(), e.getCause());
    }

    List<Trace> successes = new ArrayList<>(done.values());
    List<Trace> failures = new ArrayList<>();
    for (CompletableFuture<List<Trace>> f : pending) {
      for (Trace t : f.join()) {
        (t.failed() ? failures : successes).add(t);
      }
    }

    Comparator<Trace> order = Comparator.comparing(Trace::promptId).thenComparingInt(Trace::sampleIndex);
    successes.sort(order);
    failures.sort(order);

    // A: errors covers everything the (old) main file lacks, including keys about to succeed.
    List<Trace> errorsA = new ArrayList<>(failures);
    for (Trace t : successes) {
      Trace old = oldErrors.get(t.key());
      if (old != null) {
        errorsA.add(old);
      }
    }
    if (!errorsA.isEmpty()) {
      errorsA.sort(order);
      ParquetIO.write(errFile, Codecs.TRACE, errorsA);
    }
    // B: the commit (temporary and rename, or one object written whole on an object store).
    ParquetIO.write(mainFile, Codecs.TRACE, successes);
    long mainBytes = size(mainFile);
    // C: only what still failed.
    if (failures.isEmpty()) {
      delete(errFile);
    } else if (errorsA.size() != failures.size()) {
      ParquetIO.write(errFile, Codecs.TRACE, failures);
    }
    long ms = (System.nanoTime() - t0) / 1_000_000;
    return new ShardOutcome(shard, false, expected, successes.size(), failures.size(), generated, requests,
        tally.attempts.sum(), tally.promptTokens.sum(), tally.completionTokens.sum(), ms, mainBytes);
  }

  /** Usage of this processor's requests (callbacks run on client threads). */
  private static final class Tally {
    final LongAdder attempts = new LongAdder();
    final LongAdder promptTokens = new LongAdder();
    final LongAdder completionTokens = new LongAdder();
  }


  /** One teacher request covering {@code indices} of prompt p; always completes with one trace per index. */
  private CompletableFuture<List<Trace>> request(Prompt p, List<Integer> indices, Tally tally) {
    int first = indices.get(0);
    // n-per-request shares one seed across the samples: derived with index -1 so it differs from all per-sample seeds.
    long seed = Seeds.sampleSeed(gen.seed(), p.id(), mode == RequestMode.N_PER_REQUEST ? -1 : first);
    SamplingParams sampling = new SamplingParams(gen.temperature(), gen.topP(), gen.topK(), gen.maxTokens(), seed);
    TeacherRequest req = new TeacherRequest(p.id() + "#" + first, List.of(ChatMessage.user(gen.render(p.problem()))),
        sampling, indices.size(), gen.stop());
    long start = System.nanoTime();
    CompletableFuture<TeacherResponse> f;
    try {
      f = client.complete(req);
    } catch (RuntimeException e) {
      f = CompletableFuture.failedFuture(e);
    }
    return f.handle((res, err) -> {
      List<Trace> out = new ArrayList<>(indices.size());
      if (err == null) {
        tally.attempts.add(res.attempts());
        tally.promptTokens.add(res.promptTokens());
        tally.completionTokens.add(res.completionTokens());
        for (int k = 0; k < indices.size(); k++) {
          Choice c = res.choices().get(k);
          out.add(new Trace(p.id(), indices.get(k), client.modelId(), p.source(), p.problem(), p.referenceAnswer(),
              p.answerType(), sampling, c.reasoning(), c.answer(), c.finishReason(),
              res.promptTokens(), c.completionTokens(), res.latencyMs(), null));
        }
        listener.onRequest(indices.size(), true, res.promptTokens(), res.completionTokens(), res.attempts());
      } else {
        Throwable c = err instanceof CompletionException && err.getCause() != null ? err.getCause() : err;
        int att = c instanceof TeacherException te ? te.attempts() : 1;
        tally.attempts.add(att);
        String reason = c instanceof TeacherException ? c.getMessage() : c.toString();
        long ms = (System.nanoTime() - start) / 1_000_000;
        for (int i : indices) {
          out.add(new Trace(p.id(), i, client.modelId(), p.source(), p.problem(), p.referenceAnswer(), p.answerType(),
              sampling, null, null, "error", 0, 0, ms, reason == null ? "unknown error" : reason));
        }
        listener.onRequest(indices.size(), false, 0, 0, att);
      }
      return out;
    });
  }

  private long size(Location f) {
    try {
      return store.size(f);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot stat " + f + ": " + e.getMessage(), e);
    }
  }

  private boolean isFile(Location f) {
    try {
      return store.isFile(f);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot check " + f + ": " + e.getMessage(), e);
    }
  }

  private void delete(Location f) {
    try {
      store.delete(f);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot delete " + f + ": " + e.getMessage(), e);
    }
  }
}
