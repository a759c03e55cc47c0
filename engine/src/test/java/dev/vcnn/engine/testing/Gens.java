package dev.vcnn.engine.testing;

import static org.quicktheories.generators.SourceDSL.integers;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.quicktheories.core.Gen;
import org.quicktheories.generators.Generate;

/**
 * Generators shared by the kernel contracts: sizes that cluster around vector-lane and tile
 * boundaries, non-zero offsets, and seeded data so that a failing case prints small and replays.
 */
public final class Gens {
    private Gens() {}

    /** Lengths at lane boundaries for every width (4, 8, 16 floats), odd primes and a few thousand. */
    public static final List<Integer> BOUNDARY_LENGTHS = List.of(
            0, 1, 2, 3, 4, 5, 7, 8, 9, 13, 15, 16, 17, 23, 31, 32, 33, 37, 47, 48, 49, 61, 63, 64, 65,
            97, 127, 128, 129, 251, 255, 256, 257, 509, 1021, 1024, 1031, 2047, 2048, 2053, 4099);

    /** A length: mostly a boundary length, sometimes any length up to {@code max}. */
    public static Gen<Integer> lengths(int max) {
        List<Integer> boundary = new ArrayList<>();
        for (int n : BOUNDARY_LENGTHS) {
            if (n <= max) {
                boundary.add(n);
            }
        }
        return Generate.pick(boundary).mix(integers().between(0, max), 30);
    }

    /** A dimension around tile and lane boundaries up to {@code max}, sometimes any value in range. */
    public static Gen<Integer> dims(int max) {
        return lengths(max);
    }

    /** An array offset: often small and odd, so vectors start unaligned. */
    public static Gen<Integer> offsets() {
        return Generate.pick(List.of(0, 1, 3, 5, 7, 13, 16, 17)).mix(integers().between(0, 40), 30);
    }

    /** A seed for {@link #floats}. */
    public static Gen<Long> seeds() {
        return Generate.longRange(0, Long.MAX_VALUE >> 1);
    }

    /** {@code n} floats uniform in {@code [-1, 1)} at {@code off} in an array with {@code pad} spare slots after. */
    public static float[] floats(long seed, int off, int n, int pad) {
        var rng = new SplittableRandom(seed);
        float[] a = new float[off + n + pad];
        for (int i = 0; i < a.length; i++) {
            a[i] = (float) rng.nextDouble(-1, 1);
        }
        return a;
    }

    /**
     * Like {@link #floats} but every value a quarter, k/4 for k in [−8, 8]: products are sixteenths, and
     * sums of up to 10⁵ of them are exact in float whatever their order, so a kernel must match the
     * reference bit for bit (but for the sign of a zero).
     */
    public static float[] dyadic(long seed, int off, int n, int pad) {
        var rng = new SplittableRandom(seed);
        float[] a = new float[off + n + pad];
        for (int i = 0; i < a.length; i++) {
            a[i] = (rng.nextInt(17) - 8) / 4f;
        }
        return a;
    }

    /** Whether two floats are the same value: equal bits, or both zero of either sign. */
    public static boolean sameValue(float a, float b) {
        return Float.floatToRawIntBits(a) == Float.floatToRawIntBits(b) || (a == 0f && b == 0f);
    }

    /** Like {@link #floats} but with one slot in eight a special value: ±0, ±∞, NaN, subnormal, huge. */
    public static float[] floatsWithSpecials(long seed, int off, int n, int pad) {
        float[] specials = {0f, -0f, Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY,
                Float.MIN_VALUE, -Float.MIN_NORMAL / 3, Float.MAX_VALUE, -Float.MAX_VALUE, 1f, -1f};
        var rng = new SplittableRandom(seed ^ 0x5DEECE66DL);
        float[] a = floats(seed, off, n, pad);
        for (int i = 0; i < a.length; i++) {
            if (rng.nextInt(8) == 0) {
                a[i] = specials[rng.nextInt(specials.length)];
            }
        }
        return a;
    }

    /** Unit roundoff of float32: {@code 2⁻²⁴}. */
    public static final double U = 0x1p-24;
}
