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
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;

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
    List<Line> out = new ArrayList<>();
    try (BufferedReader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
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
    atomically(file, tmp -> {
      try (BufferedWriter w = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
        for (Object row : rows) {
          w.write(COMPACT.writeValueAsString(row));
          w.write('\n');
        }
      }
    });
  }

  /** Writes one pretty-printed JSON document atomically. */
  public static void write(Path file, Object value) {
    atomically(file, tmp -> MAPPER.writeValue(tmp.toFile(), value));
  }

  public static JsonNode read(Path file) {
    try {
      return MAPPER.readTree(file.toFile());
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

  interface IoAction {
    void run(Path tmp) throws IOException;
  }

  static void atomically(Path file, IoAction action) {
    try {
      Path parent = file.toAbsolutePath().getParent();
      Files.createDirectories(parent);
      Path tmp = parent.resolve("." + file.getFileName() + ".tmp-" + ProcessHandle.current().pid() + "-" + Thread.currentThread().getId());
      action.run(tmp);
      Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
    }
  }
}
