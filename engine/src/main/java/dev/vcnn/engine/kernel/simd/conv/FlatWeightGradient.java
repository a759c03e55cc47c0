package dev.vcnn.engine.kernel.simd.conv;

import static dev.vcnn.engine.kernel.simd.SimdSpecies.F;

import dev.vcnn.engine.kernel.Conv2dGeometry;
import dev.vcnn.engine.kernel.simd.PartialSums;
import dev.vcnn.engine.kernel.simd.Scratch;
import dev.vcnn.engine.parallel.Parallelism;
import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;

/**
 * Convolution weight gradient of stride-1 layers as dot products over flattened output positions.
 * Letters as in {@code Conv2d}; Hp, Wp the padded input's height and width:
 *
 * <pre>gradW[k, t] = Σ_n Σ_{f < P·Wp} g[n, k, f] · x[n, f + tap(t)],   tap(c, r, s) = (c·Hp + r·dh)·Wp + s·dw</pre>
 *
 * where x is the zero-padded input and g the output gradient copied into rows of Wp floats (Q values,
 * then zeros), so that output (p, q) is position f = p·Wp + q and meets input (p + r·dh, q + s·dw) of the
 * same padded image at f + tap(t). With stride 1, Wp = Q + (S − 1)·dw, so a real position never reads
 * past its input row; the positions q ≥ Q, whose reads wrap into the next row, carry a gradient of 0
 * (exact for finite inputs, as in {@link DirectWeightGradient}).
 *
 * <p>The sum over f runs on whole vectors of consecutive positions, across row ends: {@link
 * DirectWeightGradient} runs vectors along one output row, and rows of 24 (LeNet conv1) fill 24 of 32
 * lanes at 512 bits; here 576 of 672. Register tile: 6 output channels × 4 taps = 24 accumulators, per
 * vector of positions 4 input loads and 6 gradient loads (each feeding 4 FMAs), kept over a part's images
 * and summed lane by lane at the end. A short tile repeats its last channel or tap and does not store it.
 *
 * <p>Parts, fixed by the geometry, are summed in part order as in {@link DirectWeightGradient}, so results
 * do not depend on the thread count. Memory: per thread a block of copied images (at most about
 * {@link #BLOCK_FLOATS} floats) and the part's accumulator lanes; per call parts·K·C·R·S.
 */
final class FlatWeightGradient {
    private static final int L = F.length();
    /** Output channels per register tile. */
    static final int KT = 6;
    /** Taps per register tile. */
    static final int TT = 4;
    /** Fewest vectors of positions per part. */
    private static final int MIN_PART_VECTORS = 128;
    /** Floats of copied images per block, about (one image at least): a block is read once per tile. */
    private static final int BLOCK_FLOATS = 8 << 10;

    private FlatWeightGradient() {}

    static void backwardWeight(Conv2dGeometry g, float[] input, int inOff, float[] gradOut, int goOff,
                               float[] gradWeight, int gwOff, Parallelism parallelism, Scratch scratch) {
        var l = new Layout(g);
        int kk = g.outChannels();
        int taps = g.taps();
        int total = kk * taps;
        int parts = PartialSums.powerOfTwoParts(g.batch(), (long) g.batch() * l.gPlane / L / MIN_PART_VECTORS);
        int kTiles = (kk + KT - 1) / KT;
        int tTiles = (taps + TT - 1) / TT;
        int lanesPerTile = KT * TT * L;
        int[] tapAt = SimdConv2d.tapRuns(g, l.hp, l.wp);
        float[] partials = scratch.take(parts * total);
        try {
            parallelism.forRange(parts, 1, (part0, part1) -> {
                float[] xs = scratch.take(l.xBlock);
                float[] gs = scratch.take(l.gBlock);
                float[] lanes = scratch.take(kTiles * tTiles * lanesPerTile);
                try {
                    // Zeroed once: every block rewrites only the images' interiors and real positions.
                    Arrays.fill(xs, 0, l.xBlock, 0f);
                    Arrays.fill(gs, 0, l.gBlock, 0f);
                    for (int part = part0; part < part1; part++) {
                        int n0 = PartialSums.firstImage(part, g.batch(), parts);
                        int n1 = PartialSums.firstImage(part + 1, g.batch(), parts);
                        Arrays.fill(lanes, 0, kTiles * tTiles * lanesPerTile, 0f);
                        for (int n = n0; n < n1; n += l.block) {
                            int images = Math.min(n1 - n, l.block);
                            l.copy(g, input, inOff, gradOut, goOff, n, images, xs, gs);
                            for (int kt = 0; kt < kTiles; kt++) {
                                for (int tt = 0; tt < tTiles; tt++) {
                                    tile(l, xs, gs, images, kt * KT, kk - 1, tapAt, tt * TT, taps - 1, lanes,
                                            (kt * tTiles + tt) * lanesPerTile);
                                }
                            }
                        }
                        int base = part * total;
                        for (int k = 0; k < kk; k++) {
                            for (int t = 0; t < taps; t++) {
                                int at = ((k / KT * tTiles + t / TT) * KT * TT + k % KT * TT + t % TT) * L;
                                partials[base + k * taps + t] = DirectWeightGradient.laneSum(lanes, at);
                            }
                        }
                    }
                } finally {
                    scratch.give(lanes);
                    scratch.give(gs);
                    scratch.give(xs);
                }
            });
            PartialSums.sumParts(partials, parts, total, gradWeight, gwOff, parallelism);
        } finally {
            scratch.give(partials);
        }
    }

    /** Where a block of images is copied: see the class comment. */
    private static final class Layout {
        final int hp;
        final int wp;
        /** Floats of one image's padded input. */
        final int xImage;
        /** P·Wp rounded up to whole vectors: one output channel's gradient positions. */
        final int gPlane;
        final int gImage;
        /** Images per block. */
        final int block;
        /** Floats of the copied input and gradient per block, with the slack the last vectors read. */
        final int xBlock;
        final int gBlock;

        Layout(Conv2dGeometry g) {
            hp = g.paddedHeight();
            wp = g.paddedWidth();
            xImage = g.inChannels() * hp * wp;
            gPlane = (g.outHeight() * wp + L - 1) / L * L;
            gImage = g.outChannels() * gPlane;
            block = Math.min(g.batch(), Math.max(1, BLOCK_FLOATS / (xImage + gImage)));
            // The last image's last vector reads up to (S − 1)·dw + L − 1 floats past its padded input; a
            // gradient row's tail vector writes up to L floats past the row.
            xBlock = block * xImage + (g.kernelW() - 1) * g.dilationW() + L;
            gBlock = block * gImage + L;
        }

        /** Images [n, n + images) into xs and gs, whose padding is zero (set by the caller, once). */
        void copy(Conv2dGeometry g, float[] input, int inOff, float[] gradOut, int goOff, int n, int images,
                  float[] xs, float[] gs) {
            int qq = g.outWidth();
            int pp = g.outHeight();
            VectorMask<Float> tail = F.indexInRange(qq / L * L, qq);
            for (int i = 0; i < images; i++) {
                DirectConv2d.copyPadded(g, input, inOff + (n + i) * g.inChannels() * g.height() * g.width(),
                        g.inChannels(), xs, i * xImage, hp, wp);
                for (int k = 0; k < g.outChannels(); k++) {
                    int src = goOff + ((n + i) * g.outChannels() + k) * pp * qq;
                    int dst = i * gImage + k * gPlane;
                    // Rows in increasing order: a row's zeros past Q up to a whole vector land on the next
                    // row's first columns (rewritten next) or on padding and slack that are zero anyway.
                    for (int p = 0; p < pp; p++) {
                        DirectWeightGradient.copyRowZeroPadded(gradOut, src + p * qq, qq, gs, dst + p * wp, tail);
                    }
                }
            }
        }
    }

    /**
     * lanes[at + (j·4 + u)·L …] += per-lane sums over the block's images and positions of the gradient of
     * channel k0 + j times the input at tap t0 + u (j past kLast and u past tLast repeat the last).
     */
    private static void tile(Layout l, float[] xs, float[] gs, int images, int k0, int kLast, int[] tapAt, int t0,
                             int tLast, float[] lanes, int at) {
        int gPlane = l.gPlane;
        int g1 = Math.min(k0 + 1, kLast) - k0;
        int g2 = Math.min(k0 + 2, kLast) - k0;
        int g3 = Math.min(k0 + 3, kLast) - k0;
        int g4 = Math.min(k0 + 4, kLast) - k0;
        int g5 = Math.min(k0 + 5, kLast) - k0;
        int o0 = tapAt[t0];
        int o1 = tapAt[Math.min(t0 + 1, tLast)];
        int o2 = tapAt[Math.min(t0 + 2, tLast)];
        int o3 = tapAt[Math.min(t0 + 3, tLast)];
        var a00 = FloatVector.fromArray(F, lanes, at);
        var a01 = FloatVector.fromArray(F, lanes, at + L);
        var a02 = FloatVector.fromArray(F, lanes, at + 2 * L);
        var a03 = FloatVector.fromArray(F, lanes, at + 3 * L);
        var a10 = FloatVector.fromArray(F, lanes, at + 4 * L);
        var a11 = FloatVector.fromArray(F, lanes, at + 5 * L);
        var a12 = FloatVector.fromArray(F, lanes, at + 6 * L);
        var a13 = FloatVector.fromArray(F, lanes, at + 7 * L);
        var a20 = FloatVector.fromArray(F, lanes, at + 8 * L);
        var a21 = FloatVector.fromArray(F, lanes, at + 9 * L);
        var a22 = FloatVector.fromArray(F, lanes, at + 10 * L);
        var a23 = FloatVector.fromArray(F, lanes, at + 11 * L);
        var a30 = FloatVector.fromArray(F, lanes, at + 12 * L);
        var a31 = FloatVector.fromArray(F, lanes, at + 13 * L);
        var a32 = FloatVector.fromArray(F, lanes, at + 14 * L);
        var a33 = FloatVector.fromArray(F, lanes, at + 15 * L);
        var a40 = FloatVector.fromArray(F, lanes, at + 16 * L);
        var a41 = FloatVector.fromArray(F, lanes, at + 17 * L);
        var a42 = FloatVector.fromArray(F, lanes, at + 18 * L);
        var a43 = FloatVector.fromArray(F, lanes, at + 19 * L);
        var a50 = FloatVector.fromArray(F, lanes, at + 20 * L);
        var a51 = FloatVector.fromArray(F, lanes, at + 21 * L);
        var a52 = FloatVector.fromArray(F, lanes, at + 22 * L);
        var a53 = FloatVector.fromArray(F, lanes, at + 23 * L);
        for (int i = 0; i < images; i++) {
            int xb = i * l.xImage;
            int gb = i * l.gImage + k0 * gPlane;
            for (int f = 0; f < gPlane; f += L) {
                var x0 = FloatVector.fromArray(F, xs, xb + o0 + f);
                var x1 = FloatVector.fromArray(F, xs, xb + o1 + f);
                var x2 = FloatVector.fromArray(F, xs, xb + o2 + f);
                var x3 = FloatVector.fromArray(F, xs, xb + o3 + f);
                var v = FloatVector.fromArray(F, gs, gb + f);
                a00 = v.fma(x0, a00);
                a01 = v.fma(x1, a01);
                a02 = v.fma(x2, a02);
                a03 = v.fma(x3, a03);
                v = FloatVector.fromArray(F, gs, gb + g1 * gPlane + f);
                a10 = v.fma(x0, a10);
                a11 = v.fma(x1, a11);
                a12 = v.fma(x2, a12);
                a13 = v.fma(x3, a13);
                v = FloatVector.fromArray(F, gs, gb + g2 * gPlane + f);
                a20 = v.fma(x0, a20);
                a21 = v.fma(x1, a21);
                a22 = v.fma(x2, a22);
                a23 = v.fma(x3, a23);
                v = FloatVector.fromArray(F, gs, gb + g3 * gPlane + f);
                a30 = v.fma(x0, a30);
                a31 = v.fma(x1, a31);
                a32 = v.fma(x2, a32);
                a33 = v.fma(x3, a33);
                v = FloatVector.fromArray(F, gs, gb + g4 * gPlane + f);
                a40 = v.fma(x0, a40);
                a41 = v.fma(x1, a41);
                a42 = v.fma(x2, a42);
                a43 = v.fma(x3, a43);
                v = FloatVector.fromArray(F, gs, gb + g5 * gPlane + f);
                a50 = v.fma(x0, a50);
                a51 = v.fma(x1, a51);
                a52 = v.fma(x2, a52);
                a53 = v.fma(x3, a53);
            }
        }
        a00.intoArray(lanes, at);
        a01.intoArray(lanes, at + L);
        a02.intoArray(lanes, at + 2 * L);
        a03.intoArray(lanes, at + 3 * L);
        a10.intoArray(lanes, at + 4 * L);
        a11.intoArray(lanes, at + 5 * L);
        a12.intoArray(lanes, at + 6 * L);
        a13.intoArray(lanes, at + 7 * L);
        a20.intoArray(lanes, at + 8 * L);
        a21.intoArray(lanes, at + 9 * L);
        a22.intoArray(lanes, at + 10 * L);
        a23.intoArray(lanes, at + 11 * L);
        a30.intoArray(lanes, at + 12 * L);
        a31.intoArray(lanes, at + 13 * L);
        a32.intoArray(lanes, at + 14 * L);
        a33.intoArray(lanes, at + 15 * L);
        a40.intoArray(lanes, at + 16 * L);
        a41.intoArray(lanes, at + 17 * L);
        a42.intoArray(lanes, at + 18 * L);
        a43.intoArray(lanes, at + 19 * L);
        a50.intoArray(lanes, at + 20 * L);
        a51.intoArray(lanes, at + 21 * L);
        a52.intoArray(lanes, at + 22 * L);
        a53.intoArray(lanes, at + 23 * L);
    }
}
