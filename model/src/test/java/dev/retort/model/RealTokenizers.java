package dev.retort.model;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.zip.GZIPInputStream;

/**
 * Real Hugging Face tokenizer files for tests, from src/test/resources/tokenizers/ (see the
 * README there for sources and licences). Other modules reach them through retort-model's
 * test-jar ({@code <type>test-jar</type><scope>test</scope>}).
 */
public final class RealTokenizers {
  private RealTokenizers() {}

  /** The families held as test resources. */
  public static final List<String> FAMILIES = List.of("qwen3", "deepseek_v3", "llama3", "llama3_1");

  /**
   * Writes {@code tokenizer.json} and {@code tokenizer_config.json} of {@code family} (one of
   * {@link #FAMILIES}) into {@code targetDir}, creating it if needed, and returns targetDir.
   */
  public static Path unpack(String family, Path targetDir) {
    if (!FAMILIES.contains(family)) {
      throw new IllegalArgumentException("no real tokenizer '" + family + "'; have " + FAMILIES);
    }
    String base = "/tokenizers/" + family + "/";
    try {
      Files.createDirectories(targetDir);
      try (InputStream in = new GZIPInputStream(open(base + "tokenizer.json.gz"))) {
        Files.copy(in, targetDir.resolve("tokenizer.json"), StandardCopyOption.REPLACE_EXISTING);
      }
      try (InputStream in = open(base + "tokenizer_config.json")) {
        Files.copy(in, targetDir.resolve("tokenizer_config.json"), StandardCopyOption.REPLACE_EXISTING);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("unpacking tokenizer " + family + " to " + targetDir, e);
    }
    return targetDir;
  }

  private static InputStream open(String resource) throws IOException {
    InputStream in = RealTokenizers.class.getResourceAsStream(resource);
    if (in == null) {
      throw new IOException("missing test resource " + resource);
    }
    return in;
  }
}
