package dev.retort.core.io;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import dev.retort.core.store.Location;
import dev.retort.core.store.Store;

/** One shared Jackson mapper, JSONL reading with per-line errors, and atomic JSON writes. */
public final class Json {
  // No findAndRegisterModules(): Spark puts jackson-module-scala on the classpath, which would
  // make untyped reads return Scala collections.
  public static final ObjectMapper MAPPER = new ObjectMapper()
      .enable(SerializationFeature.INDENT_OUTPUT)
      .disable(SerializationFeature.FAIL_ON_EMPTY_BEANS);
  /** Compact writer for JSONL lines and HTTP bodies. */
  public static final ObjectMapper COMPACT = new ObjectMapper();

  private Json() {}

  /** One line of a JSONL file: the parsed object, or why it could not be parsed. */
  public record Line(long number, String raw, ObjectNode node, String error) {
    public boolean ok() {
      return error == null;
    }
  }

  /** Reads every non-blank line; a malformed line is returned with its error instead of throwing. */
  public static List<Line> readLines(Path file) {
    return readLines(Location.local(file));
  }

  /** {@link #readLines(Path)} on any store. */
  public static List<Line> readLines(Location file) {
    List<Line> out = new ArrayList<>();
    try (BufferedReader r = new BufferedReader(new java.io.InputStreamReader(Store.of(file).open(file),
        StandardCharsets.UTF_8.newDecoder()))) {
      String s;
      long n = 0;
      while ((s = r.readLine()) != null) {
        n++;
        if (s.isBlank()) {
          continue;
        }
        try {
          JsonNode node = COMPACT.readTree(s);
          if (node instanceof ObjectNode o) {
            out.add(new Line(n, s, o, null));
          } else {
            out.add(new Line(n, s, null, "not a JSON object"));
          }
        } catch (IOException e) {
          out.add(new Line(n, s, null, "malformed JSON: " + e.getMessage().lines().findFirst().orElse("")));
        }
      }
    } catch (java.nio.charset.MalformedInputException e) {
      throw new UncheckedIOException("bad encoding in " + file + " (expected UTF-8)", e);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
    }
    return out;
  }

  /** Writes JSON lines atomically. */
  public static void writeLines(Path file, Iterable<?> rows) {
    writeLines(Location.local(file), rows);
  }

  /** Writes JSON lines, committed ({@link Store#commit}). */
  public static void writeLines(Location file, Iterable<?> rows) {
    Store s = Store.of(file);
    atomically(file, tmp -> {
      try (BufferedWriter w = new BufferedWriter(new java.io.OutputStreamWriter(s.create(tmp), StandardCharsets.UTF_8))) {
        for (Object row : rows) {
          w.write(COMPACT.writeValueAsString(row));
          w.write('\n');
        }
      }
    });
  }

  /** Writes one pretty-printed JSON document atomically. */
  public static void write(Path file, Object value) {
    write(Location.local(file), value);
  }

  /** Writes one pretty-printed JSON document, committed ({@link Store#commit}). */
  public static void write(Location file, Object value) {
    Store s = Store.of(file);
    atomically(file, tmp -> {
      try (java.io.OutputStream out = s.create(tmp)) {
        MAPPER.writeValue(out, value);
      }
    });
  }

  public static JsonNode read(Path file) {
    return read(Location.local(file));
  }

  public static JsonNode read(Location file) {
    try (java.io.InputStream in = Store.of(file).open(file)) {
      return MAPPER.readTree(in);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
    }
  }

  public static String toJson(Object value) {
    try {
      return COMPACT.writeValueAsString(value);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static void atomically(Location file, Store.Body action) {
    try {
      Store.of(file).commit(file, action);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
    }
  }
}
