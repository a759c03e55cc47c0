package dev.vcnn.engine.kernel.simd.conv;

import static dev.vcnn.engine.kernel.simd.SimdSpecies.F;

import dev.vcnn.engine.kernel.Conv2dGeometry;
import dev.vcnn.engine.kernel.simd.PartialSums;
import dev.vcnn.engine.kernel.simd.Scratch;
import dev.vcnn.engine.parallel.Parallelism;
import java.util.Arrays;
import jdk.incubator.vector.FloatVector;

/**
 * Convolution weight gradient with the output channels along the vector lanes, for layers whose K is
 * one vector and whose C is small (LeNet conv2: 6 → 16 at 512 bits). Letters as in {@code Conv2d}:
 *
 * <pre>gradW[k, t] = Σ_{n, f} gradOut[n, k, f] · in[n, at(f) + tap(t)]</pre>
 *
 * over output positions f = (p, q) and taps t = (c, r, s), where the input is zero-padded per image and
 * at(f), tap(t) are offsets in it. With gradOut copied channels-last ([f][K]), one vector load gives the
 * gradient of L output channels at a position, and each tap's input value is one broadcast: a register
 * tile of {@value #TILE_TAPS} taps × one vector of channels × two positions (even and odd, summed at the
 * end) = 24 accumulators, 2 loads and 24 broadcasts per 24 FMAs, every lane useful. The spatial kernel
 * ({@link DirectWeightGradient}) runs vectors along output columns instead: with LeNet conv2's 10
 * columns 6 of 16 lanes idle, and its tile repeats a tap for S = 5. LeNet conv2 at batch 64, one thread
 * on Zen 4: 1.2–1.3 ms there, 0.55 ms here. Measured and not taken: K = 2 vectors (a CIFAR first layer,
 * 3 → 32) as two passes of this tile, 4.3 ms against 2.3–2.7; a variant pairing output rows instead of
 * positions, 0.8 ms; with a variable position step C2 kept a bounds check per broadcast and spilled
 * the accumulators (6× slower), so the positions are paired through a table of offsets.
 *
 * <p>Images are summed in parts fixed by the geometry, each into its own tap-major partial, and the
 * partials added in part order, so results do not depend on the thread count. Memory: per thread one
 * padded image (C·Hp·Wp floats) and one channels-last gradient image (P·Q·K); per call parts·K·C·R·S.
 */
final class LaneChannelWeightGradient {
    private static final int L = F.length();
    /** Taps per register tile. */
    static final int TILE_TAPS = 12;
    /** Fewest output positions per part. */
    private static final int MIN_PART_POSITIONS = 1024;

    private LaneChannelWeightGradient() {}

    /** A power of two, from the geometry alone, so that 2, 4, 8 or 16 threads share the parts evenly. */
    static int parts(Conv2dGeometry g) {
        return PartialSums.powerOfTwoParts(g.batch(), (long) g.batch() * g.outPlane() / MIN_PART_POSITIONS);
    }

    static void backwardWeight(Conv2dGeometry g, float[] input, int inOff, float[] gradOut, int goOff,
                               float[] gradWeight, int gwOff, Parallelism parallelism, Scratch scratch) {
        int kk = g.outChannels();
        int taps = g.taps();
        int total = kk * taps;
        int hp = g.paddedHeight();
        int wp = g.paddedWidth();
        int plane = g.outHeight() * g.outWidth();
        int positions = (plane + 1) / 2 * 2; // an odd last position pairs with a zero gradient
        int[] tapAt = SimdConv2d.tapRuns(g, hp, wp);
        int[] at = new int[positions];
        for (int p = 0, f = 0; p < g.outHeight(); p++) {
            for (int q = 0; q < g.outWidth(); q++, f++) {
                at[f] = p * g.strideH() * wp + q * g.strideW();
            }
        }
        int xImage = g.inChannels() * hp * wp;
        int parts = parts(g);
        float[] partials = scratch.take(parts * total);
        try {
            parallelism.forRange(parts, 1, (part0, part1) -> {
                float[] x = scratch.take(xImage);
                float[] gt = scratch.take(positions * kk);
                try {
                    // Zeroed once: each image rewrites only the interior and the real positions.
                    Arrays.fill(x, 0, xImage, 0f);
                    Arrays.fill(gt, 0, positions * kk, 0f);
                    for (int part = part0; part < part1; part++) {
                        int n0 = PartialSums.firstImage(part, g.batch(), parts);
                        int n1 = PartialSums.firstImage(part + 1, g.batch(), parts);
                        Arrays.fill(partials, part * total, (part + 1) * total, 0f);
                        for (int n = n0; n < n1; n++) {
                            DirectConv2d.copyPadded(g, input, inOff + n * g.inChannels() * g.height() * g.width(),
                                    g.inChannels(), x, 0, hp, wp);
                            int src = goOff + n * kk * plane;
                            for (int k = 0; k < kk; k++) {
                                for (int f = 0; f < plane; f++) {
                                    gt[f * kk + k] = gradOut[src + k * plane + f];
                                }
                            }
                            for (int t0 = 0; t0 < taps; t0 += TILE_TAPS) {
                                tile(x, gt, kk, positions, at, tapAt, t0, taps - 1, partials, part * total);
                            }
                        }
                    }
                } finally {
                    scratch.give(gt);
                    scratch.give(x);
                }
            });
            PartialSums.sumTapMajorParts(partials, parts, total, 1, kk, taps, gradWeight, gwOff, parallelism);
        } finally {
            scratch.give(partials);
        }
    }

    /**
     * partial[base + t·K …] += Σ_f gt[f·K …] · x[at[f] + tapAt[t]] for the taps t0 … t0 + 11 (a short last
     * tile repeats the last tap and does not store it), even and odd positions in separate accumulators
     * added at the end. {@code kk} is always L, but passed in: with the constant in its place C2 compiled a
     * loop 2.4× slower (1.3 against 0.54 ms for LeNet conv2).
     */
    private static void tile(float[] x, float[] gt, int kk, int positions, int[] at, int[] tapAt, int t0, int last,
                             float[] partial, int base) {
        int from = base + t0 * kk;
        int o0 = tapAt[Math.min(t0 + 0, last)];
        int o1 = tapAt[Math.min(t0 + 1, last)];
        int o2 = tapAt[Math.min(t0 + 2, last)];
        int o3 = tapAt[Math.min(t0 + 3, last)];
        int o4 = tapAt[Math.min(t0 + 4, last)];
        int o5 = tapAt[Math.min(t0 + 5, last)];
        int o6 = tapAt[Math.min(t0 + 6, last)];
        int o7 = tapAt[Math.min(t0 + 7, last)];
        int o8 = tapAt[Math.min(t0 + 8, last)];
        int o9 = tapAt[Math.min(t0 + 9, last)];
        int o10 = tapAt[Math.min(t0 + 10, last)];
        int o11 = tapAt[Math.min(t0 + 11, last)];
        var a0 = FloatVector.fromArray(F, partial, from + Math.min(0, last - t0) * kk);
        var a1 = FloatVector.fromArray(F, partial, from + Math.min(1, last - t0) * kk);
        var a2 = FloatVector.fromArray(F, partial, from + Math.min(2, last - t0) * kk);
        var a3 = FloatVector.fromArray(F, partial, from + Math.min(3, last - t0) * kk);
        var a4 = FloatVector.fromArray(F, partial, from + Math.min(4, last - t0) * kk);
        var a5 = FloatVector.fromArray(F, partial, from + Math.min(5, last - t0) * kk);
        var a6 = FloatVector.fromArray(F, partial, from + Math.min(6, last - t0) * kk);
        var a7 = FloatVector.fromArray(F, partial, from + Math.min(7, last - t0) * kk);
        var a8 = FloatVector.fromArray(F, partial, from + Math.min(8, last - t0) * kk);
        var a9 = FloatVector.fromArray(F, partial, from + Math.min(9, last - t0) * kk);
        var a10 = FloatVector.fromArray(F, partial, from + Math.min(10, last - t0) * kk);
        var a11 = FloatVector.fromArray(F, partial, from + Math.min(11, last - t0) * kk);
        var b0 = FloatVector.zero(F);
        var b1 = FloatVector.zero(F);
        var b2 = FloatVector.zero(F);
        var b3 = FloatVector.zero(F);
        var b4 = FloatVector.zero(F);
        var b5 = FloatVector.zero(F);
        var b6 = FloatVector.zero(F);
        var b7 = FloatVector.zero(F);
        var b8 = FloatVector.zero(F);
        var b9 = FloatVector.zero(F);
        var b10 = FloatVector.zero(F);
        var b11 = FloatVector.zero(F);
        for (int f = 0; f < positions; f += 2) {
            var g0 = FloatVector.fromArray(F, gt, f * kk);
            var g1 = FloatVector.fromArray(F, gt, (f + 1) * kk);
            int x0 = at[f];
            int x1 = at[f + 1];
            a0 = g0.fma(FloatVector.broadcast(F, x[x0 + o0]), a0);
            b0 = g1.fma(FloatVector.broadcast(F, x[x1 + o0]), b0);
            a1 = g0.fma(FloatVector.broadcast(F, x[x0 + o1]), a1);
            b1 = g1.fma(FloatVector.broadcast(F, x[x1 + o1]), b1);
            a2 = g0.fma(FloatVector.broadcast(F, x[x0 + o2]), a2);
            b2 = g1.fma(FloatVector.broadcast(F, x[x1 + o2]), b2);
            a3 = g0.fma(FloatVector.broadcast(F, x[x0 + o3]), a3);
            b3 = g1.fma(FloatVector.broadcast(F, x[x1 + o3]), b3);
            a4 = g0.fma(FloatVector.broadcast(F, x[x0 + o4]), a4);
            b4 = g1.fma(FloatVector.broadcast(F, x[x1 + o4]), b4);
            a5 = g0.fma(FloatVector.broadcast(F, x[x0 + o5]), a5);
            b5 = g1.fma(FloatVector.broadcast(F, x[x1 + o5]), b5);
            a6 = g0.fma(FloatVector.broadcast(F, x[x0 + o6]), a6);
            b6 = g1.fma(FloatVector.broadcast(F, x[x1 + o6]), b6);
            a7 = g0.fma(FloatVector.broadcast(F, x[x0 + o7]), a7);
            b7 = g1.fma(FloatVector.broadcast(F, x[x1 + o7]), b7);
            a8 = g0.fma(FloatVector.broadcast(F, x[x0 + o8]), a8);
            b8 = g1.fma(FloatVector.broadcast(F, x[x1 + o8]), b8);
            a9 = g0.fma(FloatVector.broadcast(F, x[x0 + o9]), a9);
            b9 = g1.fma(FloatVector.broadcast(F, x[x1 + o9]), b9);
            a10 = g0.fma(FloatVector.broadcast(F, x[x0 + o10]), a10);
            b10 = g1.fma(FloatVector.broadcast(F, x[x1 + o10]), b10);
            a11 = g0.fma(FloatVector.broadcast(F, x[x0 + o11]), a11);
            b11 = g1.fma(FloatVector.broadcast(F, x[x1 + o11]), b11);
        }
        a0.add(b0).intoArray(partial, from);
        if (t0 + 1 <= last) {
            a1.add(b1).intoArray(partial, from + 1 * kk);
        }
        if (t0 + 2 <= last) {
            a2.add(b2).intoArray(partial, from + 2 * kk);
        }
        if (t0 + 3 <= last) {
            a3.add(b3).intoArray(partial, from + 3 * kk);
        }
        if (t0 + 4 <= last) {
            a4.add(b4).intoArray(partial, from + 4 * kk);
        }
        if (t0 + 5 <= last) {
            a5.add(b5).intoArray(partial, from + 5 * kk);
        }
        if (t0 + 6 <= last) {
            a6.add(b6).intoArray(partial, from + 6 * kk);
        }
        if (t0 + 7 <= last) {
            a7.add(b7).intoArray(partial, from + 7 * kk);
        }
        if (t0 + 8 <= last) {
            a8.add(b8).intoArray(partial, from + 8 * kk);
        }
        if (t0 + 9 <= last) {
            a9.add(b9).intoArray(partial, from + 9 * kk);
        }
        if (t0 + 10 <= last) {
            a10.add(b10).intoArray(partial, from + 10 * kk);
        }
        if (t0 + 11 <= last) {
            a11.add(b11).intoArray(partial, from + 11 * kk);
        }
    }
}
