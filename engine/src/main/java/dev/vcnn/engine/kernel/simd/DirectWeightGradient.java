package dev.vcnn.engine.kernel.simd;

import static dev.vcnn.engine.kernel.simd.SimdSpecies.F;

import dev.vcnn.engine.kernel.Conv2dGeometry;
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
 * sum over q runs on vectors straight from the two arrays: no column matrix is written and read back
 * (with im2col that copying was half the time of this gradient on small images, whose rows of 10–32
 * floats cost a call per copy). Padding costs nothing: a tap that falls outside the image is a masked-off
 * lane, and a filter row outside it skips the output row.
 *
 * <p>Register tile: 4 output channels × 3 taps along a filter row = 12 accumulators; per vector of q,
 * 3 input loads and 4 gradient loads feed 12 FMAs. Measured on Zen 4 (LeNet conv1 / CIFAR conv1, ms):
 * 3 channels 0.34 / 2.8, 4 channels 0.37 / 2.7, 6 channels 0.51 / 3.4, 8 channels 0.76 / 4.3 (presumably C2 spills
 * the accumulators). A short tile repeats its last channel or tap and does not store it. Accumulators
 * run over a block of images of at least {@link #MIN_TILE_ROW_VECTORS} row vectors, then each is summed
 * lane by lane in lane order.
 *
 * <p>Images are split into at most {@link #MAX_PARTS} parts chosen from the geometry alone; each part
 * sums its images into a partial gradient, and the partials are added in part order, so the result is
 * the same on any number of threads. Memory: {@code parts · K·Cg·R·S} floats of per-call scratch.
 */
final class DirectWeightGradient {
    private static final int L = F.length();
    /** Output channels per register tile. */
    private static final int KT = 4;
    /** Taps along a filter row per register tile. */
    private static final int ST = 3;
    /** Most input channels per group taken here (see {@link #applies}). */
    static final int MAX_CHANNELS = 8;
    /** Most parts: enough to share among 16 threads. */
    static final int MAX_PARTS = 16;
    /** Fewest gradient-row vectors per part: below that the partials cost more than the parallelism gains. */
    static final int MIN_PART_ROW_VECTORS = 128;
    /**
     * Fewest gradient-row vectors per tile: a tile's accumulators run over a block of images this big
     * before they are summed lane by lane (12 such sums cost ~200 adds against 64 × 12 FMAs).
     */
    static final int MIN_TILE_ROW_VECTORS = 64;

    private DirectWeightGradient() {}

    /**
     * Where this beats im2col + GEMM, measured on Zen 4 (1 thread, ms per weight gradient): LeNet conv1
     * (C = 1, 28×28, 5×5) 0.37 against 0.46, CIFAR first layer (C = 3, 32×32, 3×3) 2.7 against 3.6, LeNet
     * conv2 (C = 6) level; but 64 and 128 channels at 56×56 and 28×28 lose (46 against 36, 39 against 30):
     * there the GEMM's column matrix is used by many output channels and its copy is cheap by comparison.
     */
    static boolean applies(Conv2dGeometry g) {
        return g.strideW() == 1 && g.kernelW() >= 2 && g.inChannelsPerGroup() <= MAX_CHANNELS;
    }

    /** Number of parts the batch is split into, from the geometry alone. */
    static int parts(Conv2dGeometry g) {
        long rowVectors = (long) g.batch() * g.outHeight() * ((g.outWidth() + L - 1) / L);
        return (int) Math.max(1, Math.min(Math.min(g.batch(), MAX_PARTS), rowVectors / MIN_PART_ROW_VECTORS));
    }

    static void backwardWeight(Conv2dGeometry g, float[] input, int inOff, float[] gradOut, int goOff,
                               float[] gradWeight, int gwOff, Parallelism parallelism, Scratch scratch) {
        int total = g.outChannels() * g.taps();
        int parts = parts(g);
        float[] partials = scratch.take(parts * total);
        try {
            parallelism.forRange(parts, 1, (part0, part1) -> {
                float[] lanes = new float[KT * ST * L];
                for (int part = part0; part < part1; part++) {
                    int n0 = (int) ((long) part * g.batch() / parts);
                    int n1 = (int) ((long) (part + 1) * g.batch() / parts);
                    java.util.Arrays.fill(partials, part * total, (part + 1) * total, 0f);
                    part(g, input, inOff, gradOut, goOff, n0, n1, partials, part * total, lanes);
                }
            });
            for (int i = 0; i < total; i++) {
                float sum = partials[i];
                for (int part = 1; part < parts; part++) {
                    sum += partials[part * total + i];
                }
                gradWeight[gwOff + i] = sum;
            }
        } finally {
            scratch.give(partials);
        }
    }

    /** Every tile of every group over images [n0, n1), added into {@code partial[base …]}. */
    private static void part(Conv2dGeometry g, float[] input, int inOff, float[] gradOut, int goOff,
                             int n0, int n1, float[] partial, int base, float[] lanes) {
        int rowVectors = g.outHeight() * ((g.outWidth() + L - 1) / L);
        int block = Math.max(1, (MIN_TILE_ROW_VECTORS + rowVectors - 1) / rowVectors);
        for (int n = n0; n < n1; n += block) {
            imageBlock(g, input, inOff, gradOut, goOff, n, Math.min(n1, n + block), partial, base, lanes);
        }
    }

    private static void imageBlock(Conv2dGeometry g, float[] input, int inOff, float[] gradOut, int goOff,
                                   int n0, int n1, float[] partial, int base, float[] lanes) {
        int cg = g.inChannelsPerGroup();
        int kg = g.outChannelsPerGroup();
        for (int gi = 0; gi < g.groups(); gi++) {
            for (int k0 = 0; k0 < kg; k0 += KT) {
                for (int c = 0; c < cg; c++) {
                    for (int r = 0; r < g.kernelH(); r++) {
                        for (int s0 = 0; s0 < g.kernelW(); s0 += ST) {
                            tile(g, input, inOff, gradOut, goOff, n0, n1, gi, k0, Math.min(KT, kg - k0), c, r, s0,
                                    Math.min(ST, g.kernelW() - s0), lanes);
                            int at = base + ((gi * kg + k0) * cg + c) * g.kernelH() * g.kernelW() + r * g.kernelW() + s0;
                            for (int j = 0; j < Math.min(KT, kg - k0); j++) {
                                for (int t = 0; t < Math.min(ST, g.kernelW() - s0); t++) {
                                    partial[at + j * g.taps() + t] += laneSum(lanes, (j * ST + t) * L);
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    private static float laneSum(float[] lanes, int from) {
        float s = lanes[from];
        for (int i = 1; i < L; i++) {
            s += lanes[from + i];
        }
        return s;
    }

    /**
     * lanes[(j·3 + t)·L …] = per-lane sums over images [n0, n1) of gradOut row · input row for output
     * channel k0 + j of group gi, input channel c, filter row r, tap s0 + t (j < kValid, t < sValid).
     */
    private static void tile(Conv2dGeometry g, float[] input, int inOff, float[] gradOut, int goOff, int n0, int n1,
                             int gi, int k0, int kValid, int c, int r, int s0, int sValid, float[] lanes) {
        int pp = g.outHeight();
        int qq = g.outWidth();
        int hh = g.height();
        int ww = g.width();
        int plane = pp * qq;
        int inImage = g.inChannels() * hh * ww;
        int outImage = g.outChannels() * plane;
        int kFirst = gi * g.outChannelsPerGroup() + k0;
        int kLast = kValid - 1;
        int o1 = Math.min(1, kLast) * plane;
        int o2 = Math.min(2, kLast) * plane;
        int o3 = Math.min(3, kLast) * plane;
        // Input column of lane 0 for each tap: q − pl + s·dw.
        int w0 = s0 * g.dilationW() - g.padLeft();
        int w1 = (s0 + Math.min(1, sValid - 1)) * g.dilationW() - g.padLeft();
        int w2 = (s0 + Math.min(2, sValid - 1)) * g.dilationW() - g.padLeft();
        // Output rows whose input row p·sh − pt + r·dh lies inside [0, H).
        int hShift = r * g.dilationH() - g.padTop();
        int pLo = hShift >= 0 ? 0 : Math.min(pp, (-hShift + g.strideH() - 1) / g.strideH());
        int pHi = hh - 1 - hShift < 0 ? pLo : Math.max(pLo, Math.min(pp, (hh - 1 - hShift) / g.strideH() + 1));
        var a00 = FloatVector.zero(F);
        var a01 = a00;
        var a02 = a00;
        var a10 = a00;
        var a11 = a00;
        var a12 = a00;
        var a20 = a00;
        var a21 = a00;
        var a22 = a00;
        var a30 = a00;
        var a31 = a00;
        var a32 = a00;
        // q outermost: the masks (lanes inside the output row and, per tap, inside the input row) are
        // built once per vector of columns, not per row.
        for (int q = 0; q < qq; q += L) {
            VectorMask<Float> mq = F.indexInRange(q, qq);
            VectorMask<Float> m0 = mq.and(F.indexInRange(q + w0, ww));
            VectorMask<Float> m1 = mq.and(F.indexInRange(q + w1, ww));
            VectorMask<Float> m2 = mq.and(F.indexInRange(q + w2, ww));
            for (int n = n0; n < n1; n++) {
                int inPlane = inOff + n * inImage + (gi * g.inChannelsPerGroup() + c) * hh * ww + q;
                int goPlane = goOff + n * outImage + kFirst * plane + q;
                for (int p = pLo; p < pHi; p++) {
                    int x = inPlane + (p * g.strideH() + hShift) * ww;
                    int y = goPlane + p * qq;
                    var x0 = FloatVector.fromArray(F, input, x + w0, m0);
                    var x1 = FloatVector.fromArray(F, input, x + w1, m1);
                    var x2 = FloatVector.fromArray(F, input, x + w2, m2);
                    var v = FloatVector.fromArray(F, gradOut, y, mq);
                    a00 = v.fma(x0, a00);
                    a01 = v.fma(x1, a01);
                    a02 = v.fma(x2, a02);
                    v = FloatVector.fromArray(F, gradOut, y + o1, mq);
                    a10 = v.fma(x0, a10);
                    a11 = v.fma(x1, a11);
                    a12 = v.fma(x2, a12);
                    v = FloatVector.fromArray(F, gradOut, y + o2, mq);
                    a20 = v.fma(x0, a20);
                    a21 = v.fma(x1, a21);
                    a22 = v.fma(x2, a22);
                    v = FloatVector.fromArray(F, gradOut, y + o3, mq);
                    a30 = v.fma(x0, a30);
                    a31 = v.fma(x1, a31);
                    a32 = v.fma(x2, a32);
                }
            }
        }
        a00.intoArray(lanes, 0);
        a01.intoArray(lanes, L);
        a02.intoArray(lanes, 2 * L);
        a10.intoArray(lanes, 3 * L);
        a11.intoArray(lanes, 4 * L);
        a12.intoArray(lanes, 5 * L);
        a20.intoArray(lanes, 6 * L);
        a21.intoArray(lanes, 7 * L);
        a22.intoArray(lanes, 8 * L);
        a30.intoArray(lanes, 9 * L);
        a31.intoArray(lanes, 10 * L);
        a32.intoArray(lanes, 11 * L);
    }
}
