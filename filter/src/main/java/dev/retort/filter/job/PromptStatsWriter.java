package dev.retort.filter.job;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.io.SerializedString;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import dev.retort.core.store.Location;
import dev.retort.core.store.Store;
import java.util.List;

/**
 * A task's prompt_stats shard: one JSON line per prompt, streamed as the prompts are judged into a
 * temporary file that {@link #close} moves into place: no per-prompt map lives until the task
 * ends, and no data binding runs per line.
 */
final class PromptStatsWriter implements AutoCloseable {
  private static final JsonFactory JSON = new JsonFactory();
  private final Location file;
  private Location tmp;
  private JsonGenerator gen;

  PromptStatsWriter(Path file) {
    this(Location.local(file));
  }

  PromptStatsWriter(Location file) {
    this.file = file;
  }

  /** One prompt's line: the fields of docs/filter.md's prompt_stats, in that order. */
  void write(String promptId, String source, int samples, int correct, int accepted, List<String> promptReasons) {
    try {
      if (gen == null) {
        open();
      }
      gen.writeStartObject();
      gen.writeStringField("prompt_id", promptId);
      gen.writeStringField("source", source);
      gen.writeNumberField("samples", samples);
      gen.writeNumberField("correct", correct);
      gen.writeNumberField("accepted", accepted);
      gen.writeNumberField("pass_rate", (double) correct / samples);
      gen.writeArrayFieldStart("prompt_reasons");
      for (String r : promptReasons) {
        gen.writeString(r);
      }
      gen.writeEndArray();
      gen.writeEndObject();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
    }
  }

  private void open() throws IOException {
    tmp = TaskFile.temporary(file);
    gen = JSON.createGenerator(tmp.isLocal() ? Files.newBufferedWriter(tmp.localPath(), StandardCharsets.UTF_8)
        : new java.io.BufferedWriter(new java.io.OutputStreamWriter(Store.of(tmp).create(tmp), StandardCharsets.UTF_8)));
    gen.setRootValueSeparator(new SerializedString("\n"));
  }

  /** Ends the last line and moves the file into place (nothing happens when no prompt was written). */
  @Override
  public void close() {
    if (gen == null) {
      return;
    }
    try {
      gen.writeRaw('\n');
      gen.close();
      gen = null;
      TaskFile.commit(tmp, file);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot finish " + file + ": " + e.getMessage(), e);
    }
  }

  /** Drops a half-written file (the task failed or stopped). */
  void abort() {
    try {
      if (gen != null) {
        gen.close();
        gen = null;
      }
    } catch (IOException e) {
      // the file is being thrown away
    }
    TaskFile.discard(tmp, file);
  }
}
