package dev.retort.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.retort.core.data.SftExample;
import dev.retort.model.CharTokenizer;
import dev.retort.model.ChatTemplate;
import dev.retort.model.Tokenizer;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.TinyIntVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.complex.ListVector;
import org.apache.arrow.vector.ipc.ArrowStreamReader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The token cache is a standard Arrow IPC stream (what Hugging Face datasets keeps on disk):
 * Arrow Java's own stream reader reads back exactly the encoder's ids, completion masks and prompt
 * lengths; the memory-mapped store gives the same rows by index across record batches; a rebuild
 * goes to a new file and leaves an open reader's data intact.
 */
class TokenStoreTest {
  @TempDir Path tmp;

  @Test
  void cacheIsAnArrowStreamWithTheEncodersRows() throws Exception {
    Path f = tmp.resolve("tokenizer.json");
    CharTokenizer.write(f);
    List<SftExample> examples = TestData.examples(23, 5);
    Path data = tmp.resolve("sft");
    SftData.write(data, examples);
    try (Tokenizer tok = Tokenizer.load(f)) {
      SftEncoder enc = new SftEncoder(tok, ChatTemplate.chatml());
      List<SftEncoder.Encoded> want = examples.stream().map(enc::encode).toList();
      Path cache = tmp.resolve("cache").resolve("tokens.arrow");
      try (TokenStore store = TokenStore.build(data, enc, 512, cache, 5)) {
        assertEquals(want.size(), store.size());
        long total = 0;
        long loss = 0;
        for (int i = 0; i < want.size(); i++) {
          assertArrayEquals(want.get(i).tokens(), store.tokens(i), "ids of sample " + i);
          assertEquals(want.get(i).promptLength(), store.promptLength(i), "prompt length of sample " + i);
          total += want.get(i).length();
          loss += want.get(i).length() - want.get(i).promptLength();
        }
        assertEquals(total, store.totalTokens());
        assertEquals(loss, store.lossTokens());
      }
      try (InputStream in = Files.newInputStream(cache)) {
        byte[] head = in.readNBytes(4);
        assertArrayEquals(new byte[] {-1, -1, -1, -1}, head, "an IPC stream starts with the continuation marker");
      }
      try (TokenStore reopened = TokenStore.open(cache)) {
        assertArrayEquals(want.get(22).tokens(), reopened.tokens(22), "the last row, read from a reopened file");
      }
      // Arrow Java's stream reader (pyarrow.ipc.open_stream reads the same bytes).
      List<int[]> ids = new ArrayList<>();
      List<int[]> masks = new ArrayList<>();
      List<Integer> prompts = new ArrayList<>();
      int batches = 0;
      try (BufferAllocator alloc = new RootAllocator();
          ArrowStreamReader reader = new ArrowStreamReader(Files.newInputStream(cache), alloc)) {
        VectorSchemaRoot root = reader.getVectorSchemaRoot();
        assertEquals(TokenStore.SCHEMA, root.getSchema());
        while (reader.loadNextBatch()) {
          batches++;
          ListVector idv = (ListVector) root.getVector(TokenStore.INPUT_IDS);
          ListVector maskv = (ListVector) root.getVector(TokenStore.COMPLETION_MASK);
          IntVector pv = (IntVector) root.getVector(TokenStore.PROMPT_LENGTH);
          for (int r = 0; r < root.getRowCount(); r++) {
            int s = idv.getElementStartIndex(r);
            int e = idv.getElementEndIndex(r);
            int[] row = new int[e - s];
            int[] m = new int[e - s];
            for (int j = s; j < e; j++) {
              row[j - s] = ((IntVector) idv.getDataVector()).get(j);
              m[j - s] = ((TinyIntVector) maskv.getDataVector()).get(j);
            }
            ids.add(row);
            masks.add(m);
            prompts.add(pv.get(r));
          }
        }
      }
      assertEquals(5, batches, "23 rows in record batches of 5");
      assertEquals(want.size(), ids.size());
      for (int i = 0; i < want.size(); i++) {
        assertArrayEquals(want.get(i).tokens(), ids.get(i));
        assertEquals(want.get(i).promptLength(), prompts.get(i));
        for (int j = 0; j < masks.get(i).length; j++) {
          assertEquals(j >= want.get(i).promptLength() ? 1 : 0, masks.get(i)[j], "mask of sample " + i + " at " + j);
        }
      }
    }
  }

  @Test
  void rebuildingNeverRewritesAnOpenFileInPlace() throws Exception {
    Path f = tmp.resolve("tokenizer.json");
    CharTokenizer.write(f);
    Path first = tmp.resolve("a");
    Path second = tmp.resolve("b");
    SftData.write(first, TestData.examples(6, 1));
    SftData.write(second, TestData.examples(9, 2));
    try (Tokenizer tok = Tokenizer.load(f)) {
      SftEncoder enc = new SftEncoder(tok, ChatTemplate.chatml());
      Path cache = tmp.resolve("tokens.arrow");
      try (TokenStore old = TokenStore.build(first, enc, 512, cache)) {
        int[] before = old.tokens(3);
        try (TokenStore fresh = TokenStore.build(second, enc, 512, cache)) {
          assertEquals(9, fresh.size());
          assertArrayEquals(before, old.tokens(3), "the open store still reads its own file");
        }
      }
      try (var files = Files.list(tmp)) {
        assertFalse(files.anyMatch(p -> p.getFileName().toString().contains(".tmp-")), "no temporary file left");
      }
    }
  }

  @Test
  void aFileThatIsNotATokenCacheIsNamed() throws Exception {
    Path bogus = tmp.resolve("tokens.arrow");
    Files.write(bogus, new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12});
    RuntimeException e = assertThrows(RuntimeException.class, () -> TokenStore.open(bogus));
    assertTrue(e.getMessage().contains(bogus.toString()), e.getMessage());
  }
}
