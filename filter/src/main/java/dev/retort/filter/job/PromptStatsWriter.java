package dev.retort.filter.job;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.io.SerializedString;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;

/**
 * A task's prompt_stats shard: one JSON line per prompt, streamed as the prompts are judged into a
 * temporary file that {@link #close} moves into place. (The lines used to be kept as one map per
 * prompt until the task ended and then serialized by data binding: a few percent of the task, and
 * thousands of maps living through every young collection.)
 */
final class PromptStatsWriter implements AutoCloseable {
  private static final JsonFactory JSON = new JsonFactory();
  private final Path file;
  private Path tmp;
  private BufferedWriter out;
  private JsonGenerator gen;

  PromptStatsWriter(Path file) {
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
    Files.createDirectories(file.getParent());
    tmp = file.resolveSibling("." + file.getFileName() + ".tmp-" + ProcessHandle.current().pid() + "-" + Thread.currentThread().getId());
    out = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8);
    gen = JSON.createGenerator(out);
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
      Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
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
      if (tmp != null) {
        Files.deleteIfExists(tmp);
      }
    } catch (IOException e) {
      // a leftover temporary is ignored by readers (its name starts with '.')
    }
  }
}
