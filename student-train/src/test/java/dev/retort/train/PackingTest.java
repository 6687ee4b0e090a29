package dev.retort.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.jni.JniUtils;
import dev.retort.core.data.SftExample;
import dev.retort.model.ChatTemplate;
import dev.retort.model.CharTokenizer;
import dev.retort.model.ModelConfig;
import dev.retort.model.Tokenizer;
import dev.retort.model.Transformer;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PackingTest {
  @TempDir Path tmp;

  @Test
  void orderIsReproduciblePerEpochAndDiffersAcrossEpochs() {
    assertArrayEquals(Packing.order(500, 7, 0), Packing.order(500, 7, 0));
    assertFalse(Arrays.equals(Packing.order(500, 7, 0), Packing.order(500, 7, 1)));
    assertFalse(Arrays.equals(Packing.order(500, 7, 0), Packing.order(500, 8, 0)));
    int[] sorted = Packing.order(500, 7, 3).clone();
    Arrays.sort(sorted);
    for (int i = 0; i < sorted.length; i++) {
      assertEquals(i, sorted[i]);
    }
  }

  @Test
  void packingPlacesEverySampleOnceWithinTheRowLength() {
    SplittableRandom r = new SplittableRandom(1);
    int[] len = new int[300];
    for (int i = 0; i < len.length; i++) {
      len[i] = 20 + r.nextInt(200);
    }
    List<int[]> rows = Packing.pack(Packing.order(len.length, 1, 0), i -> len[i], 512, Packing.OPEN_ROWS);
    int[] seen = new int[len.length];
    long used = 0;
    for (int[] row : rows) {
      int sum = 0;
      for (int s : row) {
        seen[s]++;
        sum += len[s];
      }
      assertTrue(sum <= 512);
      used += sum;
    }
    for (int c : seen) {
      assertEquals(1, c);
    }
    // Bounded first-fit keeps rows nearly full: at most one row's worth of slack per open row.
    double fill = used / (512.0 * rows.size());
    assertTrue(fill > 0.9, "fill " + fill);
  }

  @Test
  void groupedBatchesHoldEverySampleOnceWithinTheTokenBudget() {
    SplittableRandom r = new SplittableRandom(2);
    int[] len = new int[400];
    for (int i = 0; i < len.length; i++) {
      len[i] = 20 + r.nextInt(300);
    }
    Samples s = new Samples() {
      @Override
      public int size() {
        return len.length;
      }

      @Override
      public int length(int sample) {
        return len[sample];
      }

      @Override
      public int promptLength(int sample) {
        return 10;
      }

      @Override
      public void copyTokens(int sample, int[] dst, int at) {
        throw new UnsupportedOperationException();
      }
    };
    SftDataset a = new SftDataset(s, 512, 4, 1, 9, 2, SftDataset.Batching.GROUPED);
    SftDataset b = new SftDataset(s, 512, 4, 1, 9, 2, SftDataset.Batching.GROUPED);
    int[] seen = new int[len.length];
    for (SftDataset.MicroBatch mb : a.microBatches(0)) {
      assertTrue((long) mb.rows().size() * mb.length() <= 4 * 512);
      for (int[] row : mb.rows()) {
        assertEquals(1, row.length);
        assertTrue(len[row[0]] <= mb.length());
        seen[row[0]]++;
      }
    }
    for (int c : seen) {
      assertEquals(1, c);
    }
    assertTrue(a.paddingFraction(0) < 0.1, "padding " + a.paddingFraction(0));
    assertTrue(a.meanRowLength(0) < 400, "mean row length " + a.meanRowLength(0));
    for (int e = 0; e < 2; e++) {
      assertEquals(a.microBatchesInEpoch(e), b.microBatchesInEpoch(e));
      for (int i = 0; i < a.microBatchesInEpoch(e); i++) {
        assertEquals(a.microBatches(e).get(i).length(), b.microBatches(e).get(i).length());
        assertArrayEquals(a.microBatches(e).get(i).rows().get(0), b.microBatches(e).get(i).rows().get(0));
      }
    }
    assertFalse(a.microBatches(0).get(0).rows().get(0)[0] == a.microBatches(1).get(0).rows().get(0)[0]
        && a.microBatches(0).get(1).rows().get(0)[0] == a.microBatches(1).get(1).rows().get(0)[0]);
  }

  /** The logits of a sample are the same packed with others or alone: no attention across samples. */
  @Test
  void packedSamplesDoNotAttendToEachOther() throws Exception {
    Path f = tmp.resolve("tokenizer.json");
    CharTokenizer.write(f);
    TestData.engine();
    try (Tokenizer tok = Tokenizer.load(f); NDManager m = NDManager.newBaseManager()) {
      SftEncoder enc = new SftEncoder(tok, ChatTemplate.chatml());
      List<SftExample> ex = TestData.examples(3, 21);
      LossMaskTest.ListSamples samples = new LossMaskTest.ListSamples(ex.stream().map(enc::encode).toList());
      ModelConfig cfg = StudentModel.config(TestData.tiny(), tok);
      Transformer model = Transformer.create(cfg, 5, m.newSubManager());
      int seq = 1024;
      PackedBatch packed = PackedBatch.of(samples, List.of(new int[] {0, 1, 2}), seq);
      float[] together = SftLoss.targetLogprobs(model, packed, m).toFloatArray();
      int at = 0;
      double maxDiff = 0;
      for (int k = 0; k < 3; k++) {
        PackedBatch alone = PackedBatch.of(samples, List.of(new int[] {k}), seq);
        float[] solo = SftLoss.targetLogprobs(model, alone, m).toFloatArray();
        int len = samples.length(k);
        for (int j = 0; j < len - 1; j++) {
          maxDiff = Math.max(maxDiff, Math.abs(solo[j] - together[at + j]));
        }
        at += len;
      }
      assertTrue(maxDiff < 1e-4, "max logprob difference packed vs alone: " + maxDiff);
      // And the mask matters: the same row with one segment id for all lets samples 2 and 3 see
      // sample 1, which changes their log-probabilities.
      long[] oneSegment = packed.segments().clone();
      for (int i = 0; i < oneSegment.length; i++) {
        oneSegment[i] = oneSegment[i] == 0 ? 0 : 1;
      }
      long[] positions = new long[seq];
      for (int i = 0; i < seq; i++) {
        positions[i] = i;
      }
      PackedBatch leaky = new PackedBatch(1, seq, packed.tokens(), positions, oneSegment, packed.targets(),
          packed.weights(), packed.realTokens(), packed.lossTokens());
      NDArray l = SftLoss.targetLogprobs(model, leaky, m);
      float[] leak = l.toFloatArray();
      int start2 = samples.length(0);
      double diff = 0;
      for (int j = 0; j < samples.length(1) - 1; j++) {
        diff = Math.max(diff, Math.abs(leak[start2 + j] - together[start2 + j]));
      }
      assertTrue(diff > 1e-3, "a single segment should change the logits, diff " + diff);
    }
  }
}
