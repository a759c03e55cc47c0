package dev.vcnn.engine.kernel.simd.conv;

import static dev.vcnn.engine.kernel.simd.SimdSpecies.F;

import dev.vcnn.engine.kernel.Blas1;
import dev.vcnn.engine.kernel.Conv2dGeometry;
import dev.vcnn.engine.kernel.simd.PartialSums;
import dev.vcnn.engine.kernel.simd.Scratch;
import dev.vcnn.engine.parallel.Parallelism;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;

/**
 * Convolution weight gradient without im2col, for layers with horizontal stride 1. Letters as in
 * {@code Conv2d}:
 *
 * <pre>gradW[k, c, r, s] = Σ_{n, p, q} gradOut[n, k, p, q] · in[n, c, p·sh − pt + r·dh, q − pl + s·dw]</pre>
 *
 * <p>With stride 1 along W, a row of gradOut and the input row it meets are both contiguous, so the
 * sum over q runs on whole vectors: no column matrix is written and read back (with im2col that copying
 * was half the time of this gradient on small images, whose rows of 10–32 floats cost a call per copy).
 * Each block of images is copied once into scratch, the input with its zero padding and the gradient in
 * rows rounded up to whole vectors with zeros after Q, so the tile's loads are all unmasked and in
 * bounds; when Q is a whole number of vectors the gradient is read where it lies (CIFAR first layer,
 * 32 wide, one core: 2.1 → 1.8 ms; two cores 1.1 → 0.89: the copy streamed 8 MB through the cache). A
 * first version read the caller's arrays with masked loads instead: C1 could not compile that tile ("out
 * of virtual registers"), and when C2's code hit an uncommon trap (a mask's out-of-range path, a branch
 * warm-up had not taken) the tile ran boxed for seconds, 15× slower, mid-training.
 * Lanes past Q multiply a gradient of 0 by an input value: exact for finite inputs (an infinite input
 * makes the loss NaN anyway, but here may also turn a neighbouring tap's gradient NaN).
 *
 * <p>Register tile: 4 output channels × 3 taps along a filter row = 12 accumulators; per vector of q,
 * 3 input loads and 4 gradient loads feed 12 FMAs. Measured on Zen 4 (LeNet conv1 / CIFAR conv1, ms):
 * 3 channels 0.34 / 2.8, 4 channels 0.37 / 2.7, 6 channels 0.51 / 3.4, 8 channels 0.76 / 4.3 (first
 * version; presumably C2 spills the wider tiles' accumulators). A short tile repeats its last channel or
 * tap and does not store it. Accumulators run over a block of images of at least
 * {@link #MIN_TILE_ROW_VECTORS} row vectors; each tile's lanes are kept over the whole part and summed
 * lane by lane, in lane order, at its end (when all tiles' lanes fit in {@link #MAX_PART_LANES} floats;
 * otherwise after every block, ~5% slower on a CIFAR first layer).
 *
 * <p>Images are split into at most {@link PartialSums#MAX_PARTS} parts chosen from the geometry alone; each part
 * sums its images into a partial gradient, and the partials are added in part order, so the result is
 * the same on any number of threads. Memory: {@code parts · K·Cg·R·S} floats of per-call scratch.
 */
final class DirectWeightGradient {
    private static final int L = F.length();
    /** Output channels per register tile. */
    static final int KT = 4;
    /** Taps along a filter row per register tile. */
    static final int ST = 3;
    /** Fewest gradient-row vectors per part: below that the partials cost more than the parallelism gains. */
    static final int MIN_PART_ROW_VECTORS = 128;
    /**
     * Fewest gradient-row vectors per tile: a tile's accumulators run over a block of images this big
     * before they are summed lane by lane (12 such sums cost ~200 adds against 64 × 12 FMAs).
     */
    static final int MIN_TILE_ROW_VECTORS = 64;
    /** Most floats of lanes kept per thread for a whole part (every tile's accumulators). */
    static final int MAX_PART_LANES = 1 << 15;

    private DirectWeightGradient() {}

    /**
     * Number of parts the batch is split into, from the geometry alone: a power of two, so that 2, 4, 8 or
     * 16 threads share them evenly (LeNet conv2 at batch 64 had 5 parts, 3 of them on one of 2 threads).
     */
    static int parts(Conv2dGeometry g) {
        long rowVectors = (long) g.batch() * g.outHeight() * ((g.outWidth() + L - 1) / L);
        return PartialSums.powerOfTwoParts(g.batch(), rowVectors / MIN_PART_ROW_VECTORS);
    }

    /**
     * The weight gradient and, when {@code gradBias} is not null, the bias gradient as
     * {@code Conv2d.backwardBias} sums it (each image's row in float by {@code blas}, rows added in double),
     * from each block of images right after its tiles have read it: a CIFAR first layer's 8 MB of gradient
     * then comes from cache instead of memory a second time.
     */
    static void backwardWeight(Conv2dGeometry g, float[] input, int inOff, float[] gradOut, int goOff,
                               float[] gradWeight, int gwOff, Blas1 blas, float[] gradBias, int gbOff,
                               Parallelism parallelism, Scratch scratch) {
        int total = g.outChannels() * g.taps();
        int parts = parts(g);
        var layout = new Layout(g);
        int kk = g.outChannels();
        int pq = g.outPlane();
        double[] biasParts = gradBias == null ? null : new double[parts * kk];
        float[] partials = scratch.take(parts * total);
        try {
            parallelism.forRange(parts, 1, (part0, part1) -> {
                float[] xs = scratch.take(layout.block * layout.xImage + L);
                float[] gs = layout.copyGradient ? scratch.take(layout.block * layout.gImage) : gradOut;
                float[] lanes = scratch.take(layout.laneFloats);
                try {
                    // Zeroed once: every block rewrites only the images' interiors, the padding stays 0.
                    java.util.Arrays.fill(xs, 0, layout.block * layout.xImage + L, 0f);
                    for (int part = part0; part < part1; part++) {
                        int n0 = PartialSums.firstImage(part, g.batch(), parts);
                        int n1 = PartialSums.firstImage(part + 1, g.batch(), parts);
                        java.util.Arrays.fill(partials, part * total, (part + 1) * total, 0f);
                        java.util.Arrays.fill(lanes, 0, layout.laneFloats, 0f);
                        for (int n = n0; n < n1; n += layout.block) {
                            int images = Math.min(n1 - n, layout.block);
                            layout.copy(g, input, inOff, gradOut, goOff, n, images, xs, gs);
                            int gBase = layout.copyGradient ? 0 : goOff + n * layout.gImage;
                            imageBlock(g, layout, xs, gs, gBase, images, partials, part * total, lanes, false);
                            if (biasParts != null) {
                                for (int i = n * kk; i < (n + images) * kk; i++) {
                                    biasParts[part * kk + i % kk] += blas.sum(gradOut, goOff + i * pq, pq);
                                }
                            }
                        }
                        if (layout.partLanes) {
                            imageBlock(g, layout, xs, gs, 0, 0, partials, part * total, lanes, true);
                        }
                    }
                } finally {
                    scratch.give(lanes);
                    if (layout.copyGradient) {
                        scratch.give(gs);
                    }
                    scratch.give(xs);
                }
            });
            PartialSums.sumParts(partials, parts, total, gradWeight, gwOff, parallelism);
            if (biasParts != null) {
                for (int k = 0; k < kk; k++) {
                    double sum = 0;
                    for (int part = 0; part < parts; part++) {
                        sum += biasParts[part * kk + k];
                    }
                    gradBias[gbOff + k] = (float) sum;
                }
            }
        } finally {
            scratch.give(partials);
        }
    }

    /**
     * Where a block of images is copied so that every vector load is in bounds and unmasked taps need no
     * test: the input zero-padded (rows of {@code xRow} floats, long enough for the last vector of q at the
     * last tap), the output gradient in rows of {@code gRow} = Q rounded up to whole vectors, zeros after Q.
     */
    private static final class Layout {
        final int hp;
        final int xRow;
        final int gRow;
        final int xImage;
        final int gImage;
        /** Images per block: at least {@link #MIN_TILE_ROW_VECTORS} row vectors. */
        final int block;
        /** Whether gradient rows are copied (rounded up to whole vectors), or read where they are. */
        final boolean copyGradient;
        /** Whether every tile keeps its lanes over the whole part (else each block's are summed at once). */
        final boolean partLanes;
        /** Floats of lane scratch: every tile's accumulators, or one tile's. */
        final int laneFloats;

        Layout(Conv2dGeometry g) {
            hp = g.paddedHeight();
            gRow = (g.outWidth() + L - 1) / L * L;
            xRow = Math.max(g.paddedWidth(), gRow + (g.kernelW() - 1) * g.dilationW());
            xImage = g.inChannels() * hp * xRow;
            gImage = g.outChannels() * g.outHeight() * gRow;
            int rowVectors = g.outHeight() * (gRow / L);
            block = Math.min(g.batch(), Math.max(1, (MIN_TILE_ROW_VECTORS + rowVectors - 1) / rowVectors));
            long tiles = (long) g.groups()
                    * ((g.outChannelsPerGroup() + KT - 1) / KT) * g.inChannelsPerGroup() * g.kernelH()
                    * ((g.kernelW() + ST - 1) / ST);
            copyGradient = gRow != g.outWidth();
            partLanes = tiles * KT * ST * L <= MAX_PART_LANES;
            laneFloats = partLanes ? (int) tiles * KT * ST * L : KT * ST * L;
        }

        /** Images [n, n + images) into xs (its padding zeroed by the caller, once) and gs. */
        void copy(Conv2dGeometry g, float[] input, int inOff, float[] gradOut, int goOff, int n, int images,
                  float[] xs, float[] gs) {
            for (int i = 0; i < images; i++) {
                DirectConv2d.copyPadded(g, input, inOff + (n + i) * g.inChannels() * g.height() * g.width(),
                        g.inChannels(), xs, i * xImage, hp, xRow);
            }
            if (!copyGradient) {
                return;
            }
            int qq = g.outWidth();
            int rows = images * g.outChannels() * g.outHeight();
            int src = goOff + n * g.outChannels() * g.outHeight() * qq;
            VectorMask<Float> tail = F.indexInRange(qq / L * L, qq);
            for (int row = 0; row < rows; row++) {
                copyRowZeroPadded(gradOut, src + row * qq, qq, gs, row * gRow, tail);
            }
        }
    }

    /**
     * dst[to, to + qq) = src[from, from + qq), then zeros up to qq rounded up to whole vectors (dst must
     * hold them), by whole vectors: rows of 10–30 floats cost more as a call to arraycopy and one to fill.
     * {@code tail} is {@code F.indexInRange(qq / L * L, qq)}.
     */
    static void copyRowZeroPadded(float[] src, int from, int qq, float[] dst, int to, VectorMask<Float> tail) {
        int q = 0;
        for (; q + L <= qq; q += L) {
            FloatVector.fromArray(F, src, from + q).intoArray(dst, to + q);
        }
        if (q < qq) {
            if (from + q + L <= src.length) {
                FloatVector.zero(F).blend(FloatVector.fromArray(F, src, from + q), tail).intoArray(dst, to + q);
            } else { // the last row of the array: no whole vector left to read
                System.arraycopy(src, from + q, dst, to + q, qq - q);
                java.util.Arrays.fill(dst, to + qq, to + q + L, 0f);
            }
        }
    }

    /**
     * Every tile of every group over a block of copied images. With {@code layout.partLanes} each tile adds
     * into its own lanes, and a last call with {@code finish} writes their sums into {@code partial[base …]};
     * otherwise each tile's lanes are summed into it at once.
     */
    private static void imageBlock(Conv2dGeometry g, Layout layout, float[] xs, float[] gs, int gBase, int images,
                                   float[] partial, int base, float[] lanes, boolean finish) {
        int cg = g.inChannelsPerGroup();
        int kg = g.outChannelsPerGroup();
        int tileLanes = KT * ST * L;
        int lo = 0;
        for (int gi = 0; gi < g.groups(); gi++) {
            for (int k0 = 0; k0 < kg; k0 += KT) {
                int kValid = Math.min(KT, kg - k0);
                for (int c = 0; c < cg; c++) {
                    for (int r = 0; r < g.kernelH(); r++) {
                        for (int s0 = 0; s0 < g.kernelW(); s0 += ST, lo += layout.partLanes ? tileLanes : 0) {
                            int sValid = Math.min(ST, g.kernelW() - s0);
                            if (!finish) {
                                tile(g, layout, xs, gs, gBase, images, gi * kg + k0, kValid, gi * cg + c, r, s0, sValid,
                                        lanes, lo);
                                if (layout.partLanes) {
                                    continue;
                                }
                            }
                            int at = base + ((gi * kg + k0) * cg + c) * g.kernelH() * g.kernelW() + r * g.kernelW() + s0;
                            for (int j = 0; j < kValid; j++) {
                                for (int t = 0; t < sValid; t++) {
                                    partial[at + j * g.taps() + t] += laneSum(lanes, lo + (j * ST + t) * L);
                                }
                            }
                            if (!layout.partLanes) {
                                java.util.Arrays.fill(lanes, 0, tileLanes, 0f);
                            }
                        }
                    }
                }
            }
        }
    }

    /** lanes[from] + … + lanes[from + L − 1], in lane order. */
    static float laneSum(float[] lanes, int from) {
        float s = lanes[from];
        for (int i = 1; i < L; i++) {
            s += lanes[from + i];
        }
        return s;
    }

    /**
     * lanes[(j·3 + t)·L …] = per-lane sums over the block's images of output-gradient row · input row for
     * output channel k + j, input channel c (both counted over all groups), filter row r, tap s0 + t
     * (j &lt; kValid, t &lt; sValid).
     */
    private static void tile(Conv2dGeometry g, Layout layout, float[] xs, float[] gs, int gBase, int images,
                             int k, int kValid, int c, int r, int s0, int sValid, float[] lanes, int lo) {
        int pp = g.outHeight();
        int qq = g.outWidth();
        int xRow = layout.xRow;
        int gRow = layout.gRow;
        int gPlane = pp * gRow;
        int kLast = kValid - 1;
        int o1 = Math.min(1, kLast) * gPlane;
        int o2 = Math.min(2, kLast) * gPlane;
        int o3 = Math.min(3, kLast) * gPlane;
        int x0Shift = s0 * g.dilationW();
        int x1Shift = (s0 + Math.min(1, sValid - 1)) * g.dilationW();
        int x2Shift = (s0 + Math.min(2, sValid - 1)) * g.dilationW();
        // Output rows whose input row p·sh − pt + r·dh lies inside [0, H); the others meet zero padding.
        int hShift = r * g.dilationH() - g.padTop();
        // Branch-free (Math.min/max are intrinsics): vector kernels must not deoptimise (see the class comment).
        int sh = g.strideH();
        int pLo = Math.max(0, Math.min(pp, (sh - 1 - hShift) / sh));
        int pHi = Math.max(pLo, Math.min(pp, Math.max(0, g.height() - 1 - hShift + sh) / sh));
        var a00 = FloatVector.fromArray(F, lanes, lo);
        var a01 = FloatVector.fromArray(F, lanes, lo + L);
        var a02 = FloatVector.fromArray(F, lanes, lo + 2 * L);
        var a10 = FloatVector.fromArray(F, lanes, lo + 3 * L);
        var a11 = FloatVector.fromArray(F, lanes, lo + 4 * L);
        var a12 = FloatVector.fromArray(F, lanes, lo + 5 * L);
        var a20 = FloatVector.fromArray(F, lanes, lo + 6 * L);
        var a21 = FloatVector.fromArray(F, lanes, lo + 7 * L);
        var a22 = FloatVector.fromArray(F, lanes, lo + 8 * L);
        var a30 = FloatVector.fromArray(F, lanes, lo + 9 * L);
        var a31 = FloatVector.fromArray(F, lanes, lo + 10 * L);
        var a32 = FloatVector.fromArray(F, lanes, lo + 11 * L);
        // Lanes past Q meet the zeros after each copied gradient row, so no load needs a mask.
        for (int q = 0; q < qq; q += L) {
            for (int i = 0; i < images; i++) {
                int xPlane = ((i * g.inChannels() + c) * layout.hp + r * g.dilationH()) * xRow + q;
                int gPlane0 = gBase + (i * g.outChannels() + k) * gPlane + q;
                for (int p = pLo; p < pHi; p++) {
                    int x = xPlane + p * g.strideH() * xRow;
                    int y = gPlane0 + p * gRow;
                    var x0 = FloatVector.fromArray(F, xs, x + x0Shift);
                    var x1 = FloatVector.fromArray(F, xs, x + x1Shift);
                    var x2 = FloatVector.fromArray(F, xs, x + x2Shift);
                    var v = FloatVector.fromArray(F, gs, y);
                    a00 = v.fma(x0, a00);
                    a01 = v.fma(x1, a01);
                    a02 = v.fma(x2, a02);
                    v = FloatVector.fromArray(F, gs, y + o1);
                    a10 = v.fma(x0, a10);
                    a11 = v.fma(x1, a11);
                    a12 = v.fma(x2, a12);
                    v = FloatVector.fromArray(F, gs, y + o2);
                    a20 = v.fma(x0, a20);
                    a21 = v.fma(x1, a21);
                    a22 = v.fma(x2, a22);
                    v = FloatVector.fromArray(F, gs, y + o3);
                    a30 = v.fma(x0, a30);
                    a31 = v.fma(x1, a31);
                    a32 = v.fma(x2, a32);
                }
            }
        }
        a00.intoArray(lanes, lo);
        a01.intoArray(lanes, lo + L);
        a02.intoArray(lanes, lo + 2 * L);
        a10.intoArray(lanes, lo + 3 * L);
        a11.intoArray(lanes, lo + 4 * L);
        a12.intoArray(lanes, lo + 5 * L);
        a20.intoArray(lanes, lo + 6 * L);
        a21.intoArray(lanes, lo + 7 * L);
        a22.intoArray(lanes, lo + 8 * L);
        a30.intoArray(lanes, lo + 9 * L);
        a31.intoArray(lanes, lo + 10 * L);
        a32.intoArray(lanes, lo + 11 * L);
    }
}
