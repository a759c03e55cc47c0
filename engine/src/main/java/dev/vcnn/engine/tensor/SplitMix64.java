package dev.vcnn.engine.tensor;

import java.util.random.RandomGenerator;

/**
 * A seeded random generator whose whole state is one {@code long} that can be read and restored, so a
 * checkpoint can resume a run on exactly the numbers it would have drawn (SplitMix64: Steele, Lea and
 * Flood, "Fast splittable pseudorandom number generators", OOPSLA 2014).
 */
public final class SplitMix64 implements RandomGenerator {
    private static final long GOLDEN_GAMMA = 0x9E3779B97F4A7C15L;
    private long state;

    /** A generator seeded with {@code seed}. */
    public SplitMix64(long seed) {
        this.state = seed;
    }

    /** The state: {@code new SplitMix64(g.state())} continues where {@code g} is now. */
    public long state() {
        return state;
    }

    @Override
    public long nextLong() {
        long z = (state += GOLDEN_GAMMA);
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** A stateless mix of two numbers, for deriving independent seeds (per block, per step). */
    public static long mix(long seed, long index) {
        return new SplitMix64(seed ^ (GOLDEN_GAMMA * (index + 1))).nextLong();
    }
}
