package dev.vcnn.models.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Batching covers every image once per epoch, shuffles by (seed, epoch), and normalises. */
class DataLoaderTest {
    private static Dataset numbered(int n) {
        byte[] px = new byte[n * 4];
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
            Arrays.fill(px, i * 4, i * 4 + 4, (byte) i);
            labels[i] = i % 10;
        }
        return new Dataset("numbered", px, labels, 1, 2, 2, Datasets.DIGITS);
    }

    private static List<Integer> visit(DataLoader loader, int epoch) {
        List<Integer> seen = new ArrayList<>();
        var it = loader.epoch(epoch);
        while (it.hasNext()) {
            var b = it.next();
            for (int i = 0; i < b.size(); i++) {
                seen.add(Math.round(b.images().data()[i * 4] * 255));
            }
        }
        return seen;
    }

    @Test
    void everyImageOncePerEpochInASeededOrder() {
        Dataset d = numbered(103);
        try (var a = new DataLoader(d, 10, true, 7, new float[] {0}, new float[] {1}, Augment.NONE);
             var b = new DataLoader(d, 10, true, 7, new float[] {0}, new float[] {1}, Augment.NONE)) {
            assertEquals(11, a.batches());
            List<Integer> e0 = visit(a, 0);
            List<Integer> sorted = new ArrayList<>(e0);
            sorted.sort(null);
            List<Integer> all = new ArrayList<>();
            for (int i = 0; i < 103; i++) {
                all.add(i);
            }
            assertEquals(all, sorted);
            assertEquals(e0, visit(b, 0), "same seed, same order");
            assertNotEquals(e0, visit(a, 1), "another epoch, another order");
        }
    }

    @Test
    void normalisesPerChannel() {
        Dataset d = numbered(20);
        float[][] stats = DataLoader.channelStats(d);
        try (var loader = new DataLoader(d, 20, false, 0, stats[0], stats[1], Augment.NONE)) {
            var batch = loader.epoch(0).next();
            double sum = 0;
            double sq = 0;
            for (float v : batch.images().toArray()) {
                sum += v;
                sq += v * v;
            }
            int n = batch.images().numel();
            assertEquals(0, sum / n, 1e-5);
            assertEquals(1, sq / n, 1e-3);
            assertArrayEquals(Arrays.copyOf(d.labels(), 20), batch.labels());
        }
    }

    /** Each value of a shuffled 3-channel batch is exactly (pixel / 255 − mean) · (1 / std) of its own channel. */
    @Test
    void everyValueIsItsPixelNormalisedByItsChannel() {
        int n = 7;
        int size = 3 * 2 * 5;
        byte[] px = new byte[n * size];
        for (int i = 0; i < px.length; i++) {
            px[i] = (byte) (i * 37 + 11);
        }
        Dataset d = new Dataset("channels", px, new int[n], 3, 2, 5, Datasets.DIGITS);
        float[] mean = {0.1f, 0.5f, 0.9f};
        float[] std = {0.25f, 0.5f, 2f};
        try (var loader = new DataLoader(d, 4, true, 3, mean, std, Augment.NONE)) {
            int[] order = loader.indices(0, 1);
            float[] x = loader.epoch(0, 1).next().images().toArray();
            assertEquals(order.length * size, x.length);
            for (int b = 0; b < order.length; b++) {
                for (int j = 0; j < size; j++) {
                    int ch = j / 10;
                    float expected = ((px[order[b] * size + j] & 0xFF) / 255f - mean[ch]) * (1f / std[ch]);
                    assertEquals(Float.floatToIntBits(expected), Float.floatToIntBits(x[b * size + j]),
                            "image " + b + " (record " + order[b] + ") value " + j);
                }
            }
        }
    }
}
