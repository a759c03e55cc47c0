package dev.vcnn.models.data;

import dev.vcnn.engine.tensor.SplitMix64;

/** Seeded random splits of a dataset. */
public final class Splits {
    private Splits() {}

    /** Puts a {@code fraction} of the images, chosen by a seeded shuffle, in the second part. */
    public static Dataset.Split split(Dataset d, double fraction, long seed, String firstName, String secondName) {
        int n = d.size();
        int[] order = new int[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        var rng = new SplitMix64(SplitMix64.mix(seed, 0x5B117L));
        for (int i = n - 1; i > 0; i--) {
            int j = rng.nextInt(i + 1);
            int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        int second = (int) Math.round(n * fraction);
        return new Dataset.Split(d.subset(firstName, java.util.Arrays.copyOfRange(order, second, n)),
                d.subset(secondName, java.util.Arrays.copyOfRange(order, 0, second)));
    }
}
