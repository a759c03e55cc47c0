package dev.vcnn.engine.kernel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;

import dev.vcnn.engine.parallel.Parallelism;
import dev.vcnn.engine.testing.Gens;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.quicktheories.generators.Generate;

class DropoutTest {
    @Test
    void masksAreInvertedScaledSeededAndThreadIndependent() {
        // Up to three chunks of 8 blocks: lengths past 8 · BLOCK split over the threads.
        qt().withExamples(40).forAll(Gens.lengths(3 * 8 * Dropout.BLOCK + 5), Generate.pick(List.of(0f, 0.1f, 0.2f, 0.5f, 0.9f, 1f)),
                        Gens.seeds())
                .checkAssert((n, p, seed) -> {
                    float[] one = new float[n + 3];
                    float[] two = new float[n + 3];
                    try (var single = Parallelism.of(1); var pair = Parallelism.of(2)) {
                        Dropout.mask(seed, p, one, 3, n, single);
                        Dropout.mask(seed, p, two, 3, n, pair);
                        int blocks = (n + Dropout.BLOCK - 1) / Dropout.BLOCK;
                        assertEquals(blocks > 8 ? (blocks + 7) / 8 : 0, pair.splitChunks(), "chunks split for n=" + n);
                    }
                    assertArrayEquals(one, two);
                    float keep = p == 1f ? 0f : 1f / (1f - p);
                    int kept = 0;
                    for (int i = 3; i < n + 3; i++) {
                        assertTrue(one[i] == 0f || one[i] == keep, "mask value " + one[i]);
                        kept += one[i] != 0f ? 1 : 0;
                    }
                    // Kept count ~ Binomial(n, 1 − p): within 6 standard deviations (+1 for tiny n).
                    double sd = Math.sqrt(n * p * (1 - p));
                    assertTrue(Math.abs(kept - n * (1 - p)) <= 6 * sd + 1, kept + " kept of " + n + " at p=" + p);
                });
    }

    @Test
    void differentSeedsGiveDifferentMasksAndBadProbabilitiesAreNamed() {
        float[] a = new float[1000];
        float[] b = new float[1000];
        Dropout.mask(1, 0.5f, a, 0, 1000, Parallelism.sequential());
        Dropout.mask(2, 0.5f, b, 0, 1000, Parallelism.sequential());
        assertTrue(!java.util.Arrays.equals(a, b));
        var e = assertThrows(IllegalArgumentException.class, () -> Dropout.mask(1, 1.5f, a, 0, 10, Parallelism.sequential()));
        assertEquals("dropout: p must be in [0, 1] but was 1.5", e.getMessage());
    }
}
