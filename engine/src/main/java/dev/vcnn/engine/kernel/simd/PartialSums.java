package dev.vcnn.engine.kernel.simd;

import static dev.vcnn.engine.kernel.simd.SimdSpecies.F;

import dev.vcnn.engine.parallel.Parallelism;
import jdk.incubator.vector.FloatVector;

/**
 * The weight-gradient kernels' parts: the batch cut into parts from the geometry alone, each part summed into its
 * own partial gradient by whichever thread runs it, and the partials added in part order — so the gradient does
 * not depend on the thread count.
 */
public final class PartialSums {
    private static final int L = F.length();

    private PartialSums() {}

    /** Most parts: enough to share among 16 threads. */
    public static final int MAX_PARTS = 16;

    /**
     * The largest power of two that is at most the batch, {@link #MAX_PARTS} and {@code workParts} (how many
     * parts the work would fill at the caller's minimum per part), and at least 1.
     */
    public static int powerOfTwoParts(int batch, long workParts) {
        return Integer.highestOneBit((int) Math.max(1, Math.min(Math.min(batch, MAX_PARTS), workParts)));
    }

    /** The first image of part {@code part} of {@code parts} (the batch cut evenly, from the geometry alone). */
    public static int firstImage(int part, int batch, int parts) {
        return (int) ((long) part * batch / parts);
    }

    /** Floats of the summed gradient per task of {@link #sumParts}: 64 KiB of output, parts × that read. */
    private static final int SUM_CHUNK = 1 << 14;

    /**
     * out[outOff + i] = Σ_part partials[part·total + i], added in part order (so independent of threads),
     * in chunks over the context's threads: summing 8 partials of a 128 → 128 3×3 layer's gradient (147k
     * floats each) was a single-threaded scalar loop of ~0.5 ms after a ~10 ms two-thread gradient.
     * {@code out} may be {@code partials} itself with {@code outOff} 0.
     */
    public static void sumParts(float[] partials, int parts, int total, float[] out, int outOff, Parallelism parallelism) {
        parallelism.forRange(total, SUM_CHUNK, (i0, i1) -> sumParts(partials, parts, total, i0, i1, out, outOff));
    }

    /**
     * The gradient from per-part sums kept tap-major, [group][t][k] (the kernels with output channels along the
     * lanes): the parts added in place by {@link #sumParts}, then gradW[gwOff + (gi·Kg + k)·CgRS + t] written
     * in filter order.
     */
    public static void sumTapMajorParts(float[] partials, int parts, int total, int groups, int kg, int crs,
                                 float[] gradWeight, int gwOff, Parallelism parallelism) {
        sumParts(partials, parts, total, partials, 0, parallelism);
        for (int gi = 0; gi < groups; gi++) {
            for (int t = 0; t < crs; t++) {
                for (int k = 0; k < kg; k++) {
                    gradWeight[gwOff + (gi * kg + k) * crs + t] = partials[(gi * crs + t) * kg + k];
                }
            }
        }
    }

    private static void sumParts(float[] partials, int parts, int total, int i0, int i1, float[] out, int outOff) {
        int i = i0;
        for (; i <= i1 - L; i += L) {
            var sum = FloatVector.fromArray(F, partials, i);
            for (int part = 1; part < parts; part++) {
                sum = sum.add(FloatVector.fromArray(F, partials, part * total + i));
            }
            sum.intoArray(out, outOff + i);
        }
        for (; i < i1; i++) {
            float sum = partials[i];
            for (int part = 1; part < parts; part++) {
                sum += partials[part * total + i];
            }
            out[outOff + i] = sum;
        }
    }
}
