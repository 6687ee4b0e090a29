package dev.retort.verify;

import dev.retort.core.store.Location;
import dev.retort.core.store.Store;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.BufferedInputStream;
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.Reader;
import java.nio.ByteBuffer;
import java.nio.charset.CharsetDecoder;
import java.io.OutputStreamWriter;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The file handling of the {@code verify} commands: the input is read as strict UTF-8 (a bad byte
 * is an error naming the file and line), and the output is committed whole through {@link Store}
 * (a hidden temporary, then a rename), so a failure never leaves a truncated file where a
 * complete one was.
 */
public final class JsonlJob {
  private JsonlJob() {}

  /** What a job does with the opened input and output. */
  @FunctionalInterface
  public interface Body<T> {
    T run(BufferedReader in, BufferedWriter out) throws IOException;
  }

  /** Lines of strict UTF-8, decoded one line at a time so a bad byte is reported with its line. */
  static final class Utf8Lines extends BufferedReader {
    private final InputStream in;
    private final CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder();
    private final ByteArrayOutputStream line = new ByteArrayOutputStream();
    private long lineNumber;

    Utf8Lines(InputStream in) {
      super(Reader.nullReader());
      this.in = new BufferedInputStream(in, 1 << 16);
    }

    @Override
    public String readLine() throws IOException {
      line.reset();
      int b = in.read();
      if (b == -1) {
        return null;
      }
      while (b != -1 && b != '\n') {
        line.write(b);
        b = in.read();
      }
      lineNumber++;
      byte[] bytes = line.toByteArray();
      int n = bytes.length > 0 && bytes[bytes.length - 1] == '\r' ? bytes.length - 1 : bytes.length;
      return decoder.decode(ByteBuffer.wrap(bytes, 0, n)).toString();
    }

    long lineNumber() {
      return lineNumber;
    }

    @Override
    public void close() throws IOException {
      in.close();
    }
  }

  public static <T> T run(Path input, Path output, Body<T> body) throws IOException {
    Location out = Location.local(output.toAbsolutePath());
    Store store = Store.of(out);
    Object[] result = new Object[1];
    store.commit(out, target -> {
      try (Utf8Lines in = new Utf8Lines(Files.newInputStream(input));
          BufferedWriter w = new BufferedWriter(new OutputStreamWriter(store.create(target), StandardCharsets.UTF_8))) {
        try {
          result[0] = body.run(in, w);
        } catch (CharacterCodingException e) {
          throw new IOException(input + ": line " + in.lineNumber() + " is not UTF-8 text; "
              + output + " was left as it was", e);
        }
      }
    });
    @SuppressWarnings("unchecked")
    T t = (T) result[0];
    return t;
  }
}
