package dev.vcnn.engine.kernel;

import dev.vcnn.engine.parallel.Parallelism;
import java.util.SplittableRandom;

/**
 * Inverted dropout masks: each element is kept with probability 1 − p and scaled by 1/(1 − p), so the
 * expectation is unchanged and inference needs no rescaling. The mask depends only on the seed and
 * the element's index: blocks of {@link #BLOCK} elements draw from their own generator seeded from
 * (seed, block), so any thread count gives the same mask.
 */
public final class Dropout {
    /** Elements per independently seeded block. */
    public static final int BLOCK = 4096;

    private Dropout() {}

    /**
     * mask[i] ∈ {0, 1/(1−p)} for i in [0, n). p = 0 keeps everything (mask 1); p = 1 drops everything.
     *
     * @throws IllegalArgumentException if p is not in [0, 1]
     */
    public static void mask(long seed, float p, float[] mask, int off, int n, Parallelism parallelism) {
        if (!(p >= 0f && p <= 1f)) {
            throw new IllegalArgumentException("dropout: p must be in [0, 1] but was " + p);
        }
        float keep = p == 1f ? 0f : 1f / (1f - p);
        int blocks = (n + BLOCK - 1) / BLOCK;
        parallelism.forRange(blocks, 8, (b0, b1) -> {
            for (int b = b0; b < b1; b++) {
                // A fresh generator per block, seeded by mixing (seed, block): no shared state.
                var rng = new SplittableRandom(seed ^ (0x9E3779B97F4A7C15L * (b + 1)));
                int end = Math.min(n, (b + 1) * BLOCK);
                for (int i = b * BLOCK; i < end; i++) {
                    mask[off + i] = rng.nextFloat() >= p ? keep : 0f;
                }
            }
        });
    }
}
