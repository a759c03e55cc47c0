package dev.vcnn.models.data;

import dev.vcnn.engine.tensor.SplitMix64;

/** Seeded random splits of a dataset. */
public final class Splits {
    private Splits() {}

    /** Puts a {@code fraction} of the images, chosen by a seeded shuffle, in the second part. */
    public static Dataset.Split split(Dataset d, double fraction, long seed, String firstName, String secondName) {
        int n = d.size();
        int[] order = order(n, seed);
        int second = secondSize(n, fraction);
        return new Dataset.Split(d.subset(firstName, java.util.Arrays.copyOfRange(order, second, n)),
                d.subset(secondName, java.util.Arrays.copyOfRange(order, 0, second)));
    }

    /**
     * Which of n images {@link #split} puts in the second part, from n and the seed alone: a reader of a
     * record range can leave them out without reading the others.
     */
    public static boolean[] inSecond(int n, double fraction, long seed) {
        int[] order = order(n, seed);
        boolean[] second = new boolean[n];
        for (int i = 0, s = secondSize(n, fraction); i < s; i++) {
            second[order[i]] = true;
        }
        return second;
    }

    private static int secondSize(int n, double fraction) {
        return (int) Math.round(n * fraction);
    }

    /** The seeded shuffle of 0..n−1 both parts are cut from. */
    private static int[] order(int n, long seed) {
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
        return order;
    }
}
