package dev.vcnn.bench;

import java.util.SplittableRandom;

/** Seeded benchmark inputs. */
final class BenchData {
    private BenchData() {}

    /** {@code n} floats uniform in [-1, 1) drawn from {@code rng}. */
    static float[] uniform(SplittableRandom rng, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) rng.nextDouble(-1, 1);
        }
        return x;
    }
}
