package dev.vcnn.engine.kernel.simd.conv;

import static dev.vcnn.engine.kernel.simd.SimdSpecies.F;

import dev.vcnn.engine.kernel.Conv2dGeometry;
import dev.vcnn.engine.kernel.simd.Scratch;
import dev.vcnn.engine.parallel.Parallelism;
import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;

/**
 * Direct forward convolution, stride 1, dilation 1, one group, for the layers where im2col + GEMM is
 * mostly copying: single-channel input (C = 1, R·S ≤ {@link ConvPlanner#MAX_SINGLE_CHANNEL_TAPS}), narrow layers (output rows
 * of at most one vector, small C·R·S and K; see {@link ConvPlanner#narrow}) and layers with at most three output
 * channels (see {@link ConvPlanner#fewOutputs}). Letters as in {@code Conv2d}.
 *
 * <p>im2col + GEMM is a poor fit there: K = C·R·S is 9 to 75 for C = 1, so every GEMM micro-kernel
 * does a few dozen FMAs between write-backs, and narrow layers copy rows of 10–14 floats a call at a
 * time. Instead each image is copied once into a zero-padded buffer and every output row is built from
 * shifted rows of it: for C = 1 a register tile of 4 output channels × 2 vectors of columns, for
 * narrow layers 8 output channels × 1 vector for two output rows at once, one FMA per tap per
 * accumulator, the taps' input vectors shared by the channels (and, narrow, each tap's weights by the
 * two rows). Outputs are summed tap by tap starting from the bias, in (c, r, s) order for C = 1 and
 * (r, c, s) for narrow layers, which skip the filter rows that meet only padding; within the
 * {@code Conv2d} bound.
 *
 * <p>Measured on Zen 4, batch 64, 1 thread: LeNet conv1 (C = 1) forward 33 GFLOP/s here against 19
 * with im2col + GEMM; LeNet conv2 (6 → 16, 14×14) forward 0.75 ms against 1.24 and its input gradient
 * 1.30 ms against 1.5 with one output row per tile; with two rows per tile 0.48 and 0.88 ms, and 0.70 ms
 * for the input gradient once the all-padding filter rows are skipped. Input gradients of first layers,
 * as the transposed layer with 1 or 3 output channels (four rows × two vectors per tile): LeNet conv1
 * 0.85 → 0.37 ms, 0.22 once each loaded input row feeds all four output rows, a CIFAR first layer 3.2–3.5 → 1.7 ms (against Wᵀ · gradOut + col2im). The CIFAR
 * first layer's forward (C = 3, K = 32, 32×32) reached only 33–37 against 45 with the 4 × 2 tile, so
 * it stayed on GEMM. Both first layers' forwards now run over flattened positions ({@link FlatConv2d},
 * taken first); the one-input-channel tiles here still serve layers with at most 3 output channels on
 * rows too wide for {@link ConvPlanner#fewOutputs}.
 */
final class DirectConv2d {
    private static final int L = F.length();

    private DirectConv2d() {}

    static void forward(Conv2dGeometry g, float[] input, int inOff, float[] weight, int wOff,
                        float[] bias, int bOff, float[] out, int outOff, Parallelism parallelism, Scratch scratch) {
        int hp = g.paddedHeight();
        int wp = g.paddedWidth();
        int padded = g.inChannels() * hp * wp + 2 * L; // slack: tail vectors may read past the last row
        // Taps in (r, c, s) order, so that the taps of the filter rows r0..r1 are one range (see firstTap).
        int[] tapAt = new int[g.taps()];
        for (int r = 0, t = 0; r < g.kernelH(); r++) {
            for (int c = 0; c < g.inChannels(); c++) {
                for (int s = 0; s < g.kernelW(); s++, t++) {
                    tapAt[t] = (c * hp + r) * wp + s;
                }
            }
        }
        float[] wt = tapMajorWeights(g, weight, wOff, scratch);
        float[] filterColumns = g.outChannels() == 1 ? filterColumns(g, weight, wOff) : null;
        try {
            parallelism.forRange(g.batch(), 1, (n0, n1) -> imagesForward(g, input, inOff, weight, wOff, bias, bOff,
                    out, outOff, scratch, n0, n1, hp, wp, padded, wt, tapAt, filterColumns));
        } finally {
            scratch.give(wt);
        }
    }

    /**
     * The weights of every 8-channel tile laid out tap by tap, {@code wt[(tile·taps + t)·8 + j]} = weight of
     * channel 8·tile + j (a short last tile repeats its last channel) at tap t = (r·C + c)·S + s: made once
     * per call, read by every image.
     */
    private static float[] tapMajorWeights(Conv2dGeometry g, float[] weight, int wOff, Scratch scratch) {
        int taps = g.taps();
        int cc = g.inChannels();
        int rr = g.kernelH();
        int ss = g.kernelW();
        int tiles = (g.outChannels() + 7) / 8;
        float[] wt = scratch.take(tiles * taps * 8);
        for (int tile = 0; tile < tiles; tile++) {
            for (int j = 0; j < 8; j++) {
                int from = wOff + Math.min(8 * tile + j, g.outChannels() - 1) * taps;
                for (int r = 0, t = 0; r < rr; r++) {
                    for (int c = 0; c < cc; c++) {
                        for (int s = 0; s < ss; s++, t++) {
                            wt[(tile * taps + t) * 8 + j] = weight[from + (c * rr + r) * ss + s];
                        }
                    }
                }
            }
        }
        return wt;
    }

    /**
     * The one output channel's filter by columns with three zeros either side, {@code fc[(c·S + s)·(R + 6)
     * + 3 + r]} = weight at (c, r, s), for {@link #fourRows}: the rolling weights at d − 1 … d − 3 are then
     * in reach without a bounds test.
     */
    private static float[] filterColumns(Conv2dGeometry g, float[] weight, int wOff) {
        int rr = g.kernelH();
        int ss = g.kernelW();
        int span = rr + 6;
        float[] fc = new float[g.inChannels() * ss * span];
        for (int c = 0; c < g.inChannels(); c++) {
            for (int s = 0; s < ss; s++) {
                for (int r = 0; r < rr; r++) {
                    fc[(c * ss + s) * span + 3 + r] = weight[wOff + (c * rr + r) * ss + s];
                }
            }
        }
        return fc;
    }

    private static void imagesForward(Conv2dGeometry g, float[] input, int inOff, float[] weight, int wOff,
                                      float[] bias, int bOff, float[] out, int outOff, Scratch scratch, int n0, int n1,
                                      int hp, int wp, int padded, float[] wt, int[] tapAt,
                                      float[] filterColumns) {
        float[] pad = scratch.take(padded);
        float[] tile = scratch.take(17 * L); // 16 vectors, and the second vector copyRow reads after the last
        try {
            // Zeroed once: each image rewrites only the interior. Only the part in use: scratch
            // buffers are shared with im2col and may be far larger.
            Arrays.fill(pad, 0, padded, 0f);
            for (int n = n0; n < n1; n++) {
                copyPadded(g, input, inOff + n * g.inChannels() * g.height() * g.width(), g.inChannels(),
                        pad, 0, hp, wp);
                int outBase = outOff + n * g.outChannels() * g.outHeight() * g.outWidth();
                if (g.outWidth() <= L) {
                    for (int k = 0; k < g.outChannels(); k += 8) {
                        int valid = Math.min(8, g.outChannels() - k);
                        if (valid <= 6) {
                            sixChannels(g, pad, hp, wp, bias, bOff, k, valid, out, outBase, wt, tapAt, tile);
                        } else {
                            eightChannels(g, pad, hp, wp, bias, bOff, k, valid, out, outBase, wt, tapAt, tile);
                        }
                    }
                } else if (ConvPlanner.fewOutputs(g, L) && g.outChannels() == 1) {
                    fourRows(g, pad, wp, bias, bOff, out, outBase, filterColumns);
                } else if (ConvPlanner.fewOutputs(g, L)) {
                    threeChannelsFourRows(g, pad, wp, bias, bOff, out, outBase, wt, tapAt);
                } else if (g.outChannels() % 3 == 0) {
                    for (int k = 0; k < g.outChannels(); k += 3) {
                        threeChannelsTwoRows(g, pad, wp, bias, bOff, k, out, outBase, wt, tapAt, tile);
                    }
                } else {
                    for (int k = 0; k < g.outChannels(); k += 4) {
                        fourChannels(g, pad, hp, wp, weight, wOff, bias, bOff, k,
                                Math.min(4, g.outChannels() - k), out, outBase);
                    }
                }
            }
        } finally {
            scratch.give(tile);
            scratch.give(pad);
        }
    }

    /**
     * Copies {@code planes} consecutive H×W planes from {@code in[inBase …]} into rows of {@code rowStride}
     * floats, plane p from {@code dst[dstBase + p·planeRows·rowStride]}, each row at its padded place (padTop
     * rows down, padLeft columns in). The padding is left as it is: callers zero it once per buffer.
     */
    static void copyPadded(Conv2dGeometry g, float[] in, int inBase, int planes, float[] dst, int dstBase,
                           int planeRows, int rowStride) {
        for (int c = 0; c < planes; c++) {
            int src = inBase + c * g.height() * g.width();
            int to = dstBase + (c * planeRows + g.padTop()) * rowStride + g.padLeft();
            for (int h = 0; h < g.height(); h++) {
                System.arraycopy(in, src + h * g.width(), dst, to + h * rowStride, g.width());
            }
        }
    }

    /**
     * Output channels k..k+valid−1 (valid ≤ 4), every row, columns in blocks of 2 vectors. A short last
     * block repeats its last channel in the unused accumulators and does not store them: the wasted
     * FMAs cost less than a 1-channel loop with 2 accumulators, which waits on FMA latency.
     */
    private static void fourChannels(Conv2dGeometry g, float[] pad, int hp, int wp, float[] weight, int wOff,
                                     float[] bias, int bOff, int k, int valid, float[] out, int outBase) {
        int rr = g.kernelH();
        int ss = g.kernelW();
        int taps = g.inChannels() * rr * ss;
        int pp = g.outHeight();
        int qq = g.outWidth();
        int k1 = k + Math.min(1, valid - 1);
        int k2 = k + Math.min(2, valid - 1);
        int k3 = k + Math.min(3, valid - 1);
        int w0 = wOff + k * taps;
        int w1 = wOff + k1 * taps;
        int w2 = wOff + k2 * taps;
        int w3 = wOff + k3 * taps;
        float b0 = bias == null ? 0f : bias[bOff + k];
        float b1 = bias == null ? 0f : bias[bOff + k1];
        float b2 = bias == null ? 0f : bias[bOff + k2];
        float b3 = bias == null ? 0f : bias[bOff + k3];
        for (int p = 0; p < pp; p++) {
            for (int q = 0; q < qq; q += 2 * L) {
                var a00 = FloatVector.broadcast(F, b0);
                var a01 = a00;
                var a10 = FloatVector.broadcast(F, b1);
                var a11 = a10;
                var a20 = FloatVector.broadcast(F, b2);
                var a21 = a20;
                var a30 = FloatVector.broadcast(F, b3);
                var a31 = a30;
                int t = 0;
                for (int c = 0; c < g.inChannels(); c++) {
                    for (int r = 0; r < rr; r++) {
                        int row = (c * hp + p + r) * wp + q;
                        for (int s = 0; s < ss; s++, t++) {
                            var x0 = FloatVector.fromArray(F, pad, row + s);
                            var x1 = FloatVector.fromArray(F, pad, row + s + L);
                            var c0 = FloatVector.broadcast(F, weight[w0 + t]);
                            var c1 = FloatVector.broadcast(F, weight[w1 + t]);
                            var c2 = FloatVector.broadcast(F, weight[w2 + t]);
                            var c3 = FloatVector.broadcast(F, weight[w3 + t]);
                            a00 = x0.fma(c0, a00);
                            a01 = x1.fma(c0, a01);
                            a10 = x0.fma(c1, a10);
                            a11 = x1.fma(c1, a11);
                            a20 = x0.fma(c2, a20);
                            a21 = x1.fma(c2, a21);
                            a30 = x0.fma(c3, a30);
                            a31 = x1.fma(c3, a31);
                        }
                    }
                }
                VectorMask<Float> m0 = F.indexInRange(q, qq);
                VectorMask<Float> m1 = F.indexInRange(q + L, qq);
                int o = outBase + (k * pp + p) * qq + q;
                int plane = pp * qq;
                a00.intoArray(out, o, m0);
                a01.intoArray(out, o + L, m1);
                if (valid > 1) {
                    a10.intoArray(out, o + plane, m0);
                    a11.intoArray(out, o + plane + L, m1);
                }
                if (valid > 2) {
                    a20.intoArray(out, o + 2 * plane, m0);
                    a21.intoArray(out, o + 2 * plane + L, m1);
                }
                if (valid > 3) {
                    a30.intoArray(out, o + 3 * plane, m0);
                    a31.intoArray(out, o + 3 * plane + L, m1);
                }
            }
        }
    }

    /**
     * Output channels k..k+valid−1 (valid ≤ 8), every row as one vector (Q ≤ L): per tap one input load
     * and 8 FMAs. The tile's weights come laid out tap by tap ({@link #tapMajorWeights}) and each tap's
     * offset in the padded image precomputed ({@code tapAt}), so the tap loop is one counted loop whose
     * bounds checks C2 hoists. Lanes past Q compute garbage from the next row and are not stored; a short
     * tile repeats its last channel and does not store it.
     */
    private static void eightChannels(Conv2dGeometry g, float[] pad, int hp, int wp, float[] bias, int bOff,
                                      int k, int valid, float[] out, int outBase, float[] wt, int[] tapAt,
                                      float[] tile) {
        int taps = g.taps();
        int pp = g.outHeight();
        int qq = g.outWidth();
        int plane = pp * qq;
        int base = k / 8 * taps * 8;
        float b0 = bias == null ? 0f : bias[bOff + k + Math.min(0, valid - 1)];
        float b1 = bias == null ? 0f : bias[bOff + k + Math.min(1, valid - 1)];
        float b2 = bias == null ? 0f : bias[bOff + k + Math.min(2, valid - 1)];
        float b3 = bias == null ? 0f : bias[bOff + k + Math.min(3, valid - 1)];
        float b4 = bias == null ? 0f : bias[bOff + k + Math.min(4, valid - 1)];
        float b5 = bias == null ? 0f : bias[bOff + k + Math.min(5, valid - 1)];
        float b6 = bias == null ? 0f : bias[bOff + k + Math.min(6, valid - 1)];
        float b7 = bias == null ? 0f : bias[bOff + k + Math.min(7, valid - 1)];
        for (int p = 0; p < pp; p += 2) {
            // Rows p and p + 1 share each tap's 8 weight broadcasts; an odd last row is computed twice.
            int p1 = Math.min(p + 1, pp - 1);
            var a0 = FloatVector.broadcast(F, b0);
            var a1 = FloatVector.broadcast(F, b1);
            var a2 = FloatVector.broadcast(F, b2);
            var a3 = FloatVector.broadcast(F, b3);
            var a4 = FloatVector.broadcast(F, b4);
            var a5 = FloatVector.broadcast(F, b5);
            var a6 = FloatVector.broadcast(F, b6);
            var a7 = FloatVector.broadcast(F, b7);
            var d0 = a0;
            var d1 = a1;
            var d2 = a2;
            var d3 = a3;
            var d4 = a4;
            var d5 = a5;
            var d6 = a6;
            var d7 = a7;
            int row0 = p * wp;
            int row1 = p1 * wp;
            int tHi = endTap(g, p, p1);
            for (int t = firstTap(g, p1); t < tHi; t++) {
                var x = FloatVector.fromArray(F, pad, row0 + tapAt[t]);
                var y = FloatVector.fromArray(F, pad, row1 + tapAt[t]);
                var w0 = FloatVector.broadcast(F, wt[base + 8 * t + 0]);
                a0 = x.fma(w0, a0);
                d0 = y.fma(w0, d0);
                var w1 = FloatVector.broadcast(F, wt[base + 8 * t + 1]);
                a1 = x.fma(w1, a1);
                d1 = y.fma(w1, d1);
                var w2 = FloatVector.broadcast(F, wt[base + 8 * t + 2]);
                a2 = x.fma(w2, a2);
                d2 = y.fma(w2, d2);
                var w3 = FloatVector.broadcast(F, wt[base + 8 * t + 3]);
                a3 = x.fma(w3, a3);
                d3 = y.fma(w3, d3);
                var w4 = FloatVector.broadcast(F, wt[base + 8 * t + 4]);
                a4 = x.fma(w4, a4);
                d4 = y.fma(w4, d4);
                var w5 = FloatVector.broadcast(F, wt[base + 8 * t + 5]);
                a5 = x.fma(w5, a5);
                d5 = y.fma(w5, d5);
                var w6 = FloatVector.broadcast(F, wt[base + 8 * t + 6]);
                a6 = x.fma(w6, a6);
                d6 = y.fma(w6, d6);
                var w7 = FloatVector.broadcast(F, wt[base + 8 * t + 7]);
                a7 = x.fma(w7, a7);
                d7 = y.fma(w7, d7);
            }
            // Parked in a tile with plain stores, then copied out row by row: stores under a mask (16 of
            // them) made the method too big for C1 ("out of virtual registers"), and a kernel C1 cannot
            // compile may be left running boxed at a lower tier. (Not a helper taking the vectors: vectors
            // passed to a call C2 does not inline are boxed, 6× slower.)
            a0.intoArray(tile, 0 * L);
            a1.intoArray(tile, 1 * L);
            a2.intoArray(tile, 2 * L);
            a3.intoArray(tile, 3 * L);
            a4.intoArray(tile, 4 * L);
            a5.intoArray(tile, 5 * L);
            a6.intoArray(tile, 6 * L);
            a7.intoArray(tile, 7 * L);
            d0.intoArray(tile, 8 * L);
            d1.intoArray(tile, 9 * L);
            d2.intoArray(tile, 10 * L);
            d3.intoArray(tile, 11 * L);
            d4.intoArray(tile, 12 * L);
            d5.intoArray(tile, 13 * L);
            d6.intoArray(tile, 14 * L);
            d7.intoArray(tile, 15 * L);
            int o0 = outBase + (k * pp + p) * qq;
            for (int j = 0; j < valid; j++) {
                copyRow(tile, j * L, out, o0 + j * plane, qq);
                if (p1 > p) {
                    copyRow(tile, (8 + j) * L, out, o0 + j * plane + qq, qq);
                }
            }
        }
    }

    /**
     * {@link #eightChannels} for a tile of at most six channels (valid ≤ 6): 12 accumulators, none spent
     * on a channel that does not exist. LeNet conv2's input gradient, the transposed layer 16 → 6 at 14×14,
     * left 2 of 8 accumulators idle there: batch 64, one core (Zen 4), 0.73 → 0.55 ms. Same weight layout
     * (eight per tap, the first six read).
     */
    private static void sixChannels(Conv2dGeometry g, float[] pad, int hp, int wp, float[] bias, int bOff,
                                    int k, int valid, float[] out, int outBase, float[] wt, int[] tapAt,
                                    float[] tile) {
        int taps = g.taps();
        int pp = g.outHeight();
        int qq = g.outWidth();
        int plane = pp * qq;
        int base = k / 8 * taps * 8;
        float b0 = bias == null ? 0f : bias[bOff + k + Math.min(0, valid - 1)];
        float b1 = bias == null ? 0f : bias[bOff + k + Math.min(1, valid - 1)];
        float b2 = bias == null ? 0f : bias[bOff + k + Math.min(2, valid - 1)];
        float b3 = bias == null ? 0f : bias[bOff + k + Math.min(3, valid - 1)];
        float b4 = bias == null ? 0f : bias[bOff + k + Math.min(4, valid - 1)];
        float b5 = bias == null ? 0f : bias[bOff + k + Math.min(5, valid - 1)];
        for (int p = 0; p < pp; p += 2) {
            // Rows p and p + 1 share each tap's 6 weight broadcasts; an odd last row is computed twice.
            int p1 = Math.min(p + 1, pp - 1);
            var a0 = FloatVector.broadcast(F, b0);
            var a1 = FloatVector.broadcast(F, b1);
            var a2 = FloatVector.broadcast(F, b2);
            var a3 = FloatVector.broadcast(F, b3);
            var a4 = FloatVector.broadcast(F, b4);
            var a5 = FloatVector.broadcast(F, b5);
            var d0 = a0;
            var d1 = a1;
            var d2 = a2;
            var d3 = a3;
            var d4 = a4;
            var d5 = a5;
            int row0 = p * wp;
            int row1 = p1 * wp;
            int tHi = endTap(g, p, p1);
            for (int t = firstTap(g, p1); t < tHi; t++) {
                var x = FloatVector.fromArray(F, pad, row0 + tapAt[t]);
                var y = FloatVector.fromArray(F, pad, row1 + tapAt[t]);
                var w0 = FloatVector.broadcast(F, wt[base + 8 * t + 0]);
                a0 = x.fma(w0, a0);
                d0 = y.fma(w0, d0);
                var w1 = FloatVector.broadcast(F, wt[base + 8 * t + 1]);
                a1 = x.fma(w1, a1);
                d1 = y.fma(w1, d1);
                var w2 = FloatVector.broadcast(F, wt[base + 8 * t + 2]);
                a2 = x.fma(w2, a2);
                d2 = y.fma(w2, d2);
                var w3 = FloatVector.broadcast(F, wt[base + 8 * t + 3]);
                a3 = x.fma(w3, a3);
                d3 = y.fma(w3, d3);
                var w4 = FloatVector.broadcast(F, wt[base + 8 * t + 4]);
                a4 = x.fma(w4, a4);
                d4 = y.fma(w4, d4);
                var w5 = FloatVector.broadcast(F, wt[base + 8 * t + 5]);
                a5 = x.fma(w5, a5);
                d5 = y.fma(w5, d5);
            }
            // Parked in a tile and copied out row by row, as in eightChannels.
            a0.intoArray(tile, 0 * L);
            a1.intoArray(tile, 1 * L);
            a2.intoArray(tile, 2 * L);
            a3.intoArray(tile, 3 * L);
            a4.intoArray(tile, 4 * L);
            a5.intoArray(tile, 5 * L);
            d0.intoArray(tile, 6 * L);
            d1.intoArray(tile, 7 * L);
            d2.intoArray(tile, 8 * L);
            d3.intoArray(tile, 9 * L);
            d4.intoArray(tile, 10 * L);
            d5.intoArray(tile, 11 * L);
            int o0 = outBase + (k * pp + p) * qq;
            for (int j = 0; j < valid; j++) {
                copyRow(tile, j * L, out, o0 + j * plane, qq);
                if (p1 > p) {
                    copyRow(tile, (6 + j) * L, out, o0 + j * plane + qq, qq);
                }
            }
        }
    }

    /**
     * The one output channel, four output rows × two vectors at a time (Q ≤ 2L), input row by input row:
     * for each (c, s) the input rows p + d, d = 0 … R + 2, are loaded once (two vectors) and each feeds
     * every output row p + j of the tile it reaches, through the weight at r = d − j; the four weights in
     * use roll through four registers, one broadcast per input row. A step costs 3 loads for up to 8 FMAs,
     * where a tap at a time cost 9 loads (most split across cache lines) for 8. The first and last three
     * input rows reach only some accumulators and run on their own (8R FMAs per (c, s), none on a zero
     * weight, so an infinite input reaches only the outputs whose window holds it). Needs R ≥ 3. LeNet
     * conv1's input gradient (the transposed layer: 6 → 1 channel, 24 → 28 columns) at batch 64 on one
     * core (Zen 4): 0.36 ms a tap at a time, 0.31 with all 8 FMAs every step (zero weights past the
     * filter's ends), 0.24 as here. Rows past P compute garbage from the rows below and are not stored;
     * so are lanes past Q.
     */
    private static void fourRows(Conv2dGeometry g, float[] pad, int wp, float[] bias, int bOff,
                                 float[] out, int outBase, float[] fc) {
        int cc = g.inChannels();
        int rr = g.kernelH();
        int ss = g.kernelW();
        int pp = g.outHeight();
        int qq = g.outWidth();
        int span = rr + 6;
        VectorMask<Float> m0 = F.indexInRange(0, qq);
        VectorMask<Float> m1 = F.indexInRange(L, qq);
        float b = bias == null ? 0f : bias[bOff];
        for (int p = 0; p < pp; p += 4) {
            var a00 = FloatVector.broadcast(F, b);
            var a01 = a00;
            var a10 = a00;
            var a11 = a00;
            var a20 = a00;
            var a21 = a00;
            var a30 = a00;
            var a31 = a00;
            // Input rows p + d inside the image (padded rows hold zeros and are skipped).
            int dLo = Math.max(0, g.padTop() - p);
            int dHi = Math.min(rr + 3, g.padTop() + g.height() - p);
            for (int c = 0; c < cc; c++) {
                for (int s = 0; s < ss; s++) {
                    int at = (c * g.paddedHeight() + p) * wp + s; // padded input under tap (0, c, s) of row p
                    int wAt = (c * ss + s) * span + 3; // weight at (c, r, s): fc[wAt + r]
                    var w0 = FloatVector.broadcast(F, fc[wAt]);
                    var w1 = FloatVector.broadcast(F, fc[wAt + 1]);
                    var w2 = FloatVector.broadcast(F, fc[wAt + 2]);
                    // d = 0, 1, 2 reach output rows 0 … d only.
                    if (dLo <= 0 && 0 < dHi) {
                        var x0 = FloatVector.fromArray(F, pad, at);
                        var x1 = FloatVector.fromArray(F, pad, at + L);
                        a00 = x0.fma(w0, a00);
                        a01 = x1.fma(w0, a01);
                    }
                    if (dLo <= 1 && 1 < dHi) {
                        var x0 = FloatVector.fromArray(F, pad, at + wp);
                        var x1 = FloatVector.fromArray(F, pad, at + wp + L);
                        a00 = x0.fma(w1, a00);
                        a01 = x1.fma(w1, a01);
                        a10 = x0.fma(w0, a10);
                        a11 = x1.fma(w0, a11);
                    }
                    if (dLo <= 2 && 2 < dHi) {
                        var x0 = FloatVector.fromArray(F, pad, at + 2 * wp);
                        var x1 = FloatVector.fromArray(F, pad, at + 2 * wp + L);
                        a00 = x0.fma(w2, a00);
                        a01 = x1.fma(w2, a01);
                        a10 = x0.fma(w1, a10);
                        a11 = x1.fma(w1, a11);
                        a20 = x0.fma(w0, a20);
                        a21 = x1.fma(w0, a21);
                    }
                    // 3 ≤ d < R reach all four, through weights rolling from v0 to v3.
                    int d = Math.max(3, dLo);
                    int dEnd = Math.min(rr, dHi);
                    var v1 = FloatVector.broadcast(F, fc[wAt + Math.min(d, dEnd) - 1]);
                    var v2 = FloatVector.broadcast(F, fc[wAt + Math.min(d, dEnd) - 2]);
                    var v3 = FloatVector.broadcast(F, fc[wAt + Math.min(d, dEnd) - 3]);
                    for (; d < dEnd; d++) {
                        var v0 = FloatVector.broadcast(F, fc[wAt + d]);
                        var x0 = FloatVector.fromArray(F, pad, at + d * wp);
                        var x1 = FloatVector.fromArray(F, pad, at + d * wp + L);
                        a00 = x0.fma(v0, a00);
                        a01 = x1.fma(v0, a01);
                        a10 = x0.fma(v1, a10);
                        a11 = x1.fma(v1, a11);
                        a20 = x0.fma(v2, a20);
                        a21 = x1.fma(v2, a21);
                        a30 = x0.fma(v3, a30);
                        a31 = x1.fma(v3, a31);
                        v3 = v2;
                        v2 = v1;
                        v1 = v0;
                    }
                    // d = R, R + 1, R + 2 reach output rows d − R + 1 … 3 only.
                    var u1 = FloatVector.broadcast(F, fc[wAt + rr - 1]);
                    var u2 = FloatVector.broadcast(F, fc[wAt + rr - 2]);
                    var u3 = FloatVector.broadcast(F, fc[wAt + rr - 3]);
                    if (dLo <= rr && rr < dHi) {
                        var x0 = FloatVector.fromArray(F, pad, at + rr * wp);
                        var x1 = FloatVector.fromArray(F, pad, at + rr * wp + L);
                        a10 = x0.fma(u1, a10);
                        a11 = x1.fma(u1, a11);
                        a20 = x0.fma(u2, a20);
                        a21 = x1.fma(u2, a21);
                        a30 = x0.fma(u3, a30);
                        a31 = x1.fma(u3, a31);
                    }
                    if (dLo <= rr + 1 && rr + 1 < dHi) {
                        var x0 = FloatVector.fromArray(F, pad, at + (rr + 1) * wp);
                        var x1 = FloatVector.fromArray(F, pad, at + (rr + 1) * wp + L);
                        a20 = x0.fma(u1, a20);
                        a21 = x1.fma(u1, a21);
                        a30 = x0.fma(u2, a30);
                        a31 = x1.fma(u2, a31);
                    }
                    if (dLo <= rr + 2 && rr + 2 < dHi) {
                        var x0 = FloatVector.fromArray(F, pad, at + (rr + 2) * wp);
                        var x1 = FloatVector.fromArray(F, pad, at + (rr + 2) * wp + L);
                        a30 = x0.fma(u1, a30);
                        a31 = x1.fma(u1, a31);
                    }
                }
            }
            // Stored here, not in a helper: vectors passed to a call C2 does not inline are boxed.
            int o = outBase + p * qq;
            a00.intoArray(out, o, m0);
            a01.intoArray(out, o + L, m1);
            if (p + 1 < pp) {
                a10.intoArray(out, o + qq, m0);
                a11.intoArray(out, o + qq + L, m1);
            }
            if (p + 2 < pp) {
                a20.intoArray(out, o + 2 * qq, m0);
                a21.intoArray(out, o + 2 * qq + L, m1);
            }
            if (p + 3 < pp) {
                a30.intoArray(out, o + 3 * qq, m0);
                a31.intoArray(out, o + 3 * qq + L, m1);
            }
        }
    }

    /**
     * Like {@link #fourRows} for all (2 or 3) output channels at once: 3 channels × 4 rows × 2 vectors = 24
     * accumulators, so each tap's 8 input loads feed 24 FMAs. With one channel per pass a CIFAR first
     * layer's input gradient (32 → 3 channels, 32×32) re-read its 148 KB padded image from L2 three times
     * as often and ran no faster than GEMM + col2im (3.2 ms, batch 64, one thread on Zen 4). With 2
     * channels the third repeats the second and is not stored.
     */
    private static void threeChannelsFourRows(Conv2dGeometry g, float[] pad, int wp, float[] bias, int bOff,
                                              float[] out, int outBase, float[] wt, int[] tapAt) {
        int taps = g.taps();
        int pp = g.outHeight();
        int qq = g.outWidth();
        int kLast = g.outChannels() - 1;
        VectorMask<Float> m0 = F.indexInRange(0, qq);
        VectorMask<Float> m1 = F.indexInRange(L, qq);
        float b0 = bias == null ? 0f : bias[bOff + Math.min(0, kLast)];
        float b1 = bias == null ? 0f : bias[bOff + Math.min(1, kLast)];
        float b2 = bias == null ? 0f : bias[bOff + Math.min(2, kLast)];
        int j2 = Math.min(2, kLast);
        for (int p = 0; p < pp; p += 4) {
            int p3 = Math.min(p + 3, pp - 1);
            int row0 = p * wp;
            int row1 = Math.min(p + 1, pp - 1) * wp;
            int row2 = Math.min(p + 2, pp - 1) * wp;
            int row3 = p3 * wp;
            var a000 = FloatVector.broadcast(F, b0);
            var a001 = FloatVector.broadcast(F, b0);
            var a010 = FloatVector.broadcast(F, b0);
            var a011 = FloatVector.broadcast(F, b0);
            var a020 = FloatVector.broadcast(F, b0);
            var a021 = FloatVector.broadcast(F, b0);
            var a030 = FloatVector.broadcast(F, b0);
            var a031 = FloatVector.broadcast(F, b0);
            var a100 = FloatVector.broadcast(F, b1);
            var a101 = FloatVector.broadcast(F, b1);
            var a110 = FloatVector.broadcast(F, b1);
            var a111 = FloatVector.broadcast(F, b1);
            var a120 = FloatVector.broadcast(F, b1);
            var a121 = FloatVector.broadcast(F, b1);
            var a130 = FloatVector.broadcast(F, b1);
            var a131 = FloatVector.broadcast(F, b1);
            var a200 = FloatVector.broadcast(F, b2);
            var a201 = FloatVector.broadcast(F, b2);
            var a210 = FloatVector.broadcast(F, b2);
            var a211 = FloatVector.broadcast(F, b2);
            var a220 = FloatVector.broadcast(F, b2);
            var a221 = FloatVector.broadcast(F, b2);
            var a230 = FloatVector.broadcast(F, b2);
            var a231 = FloatVector.broadcast(F, b2);
            int tHi = endTap(g, p, p3);
            for (int t = firstTap(g, p3); t < tHi; t++) {
                var w0 = FloatVector.broadcast(F, wt[8 * t]);
                var w1 = FloatVector.broadcast(F, wt[8 * t + 1]);
                var w2 = FloatVector.broadcast(F, wt[8 * t + j2]);
                int at = tapAt[t];
                var x00 = FloatVector.fromArray(F, pad, row0 + at);
                a000 = x00.fma(w0, a000);
                a100 = x00.fma(w1, a100);
                a200 = x00.fma(w2, a200);
                var x01 = FloatVector.fromArray(F, pad, row0 + at + L);
                a001 = x01.fma(w0, a001);
                a101 = x01.fma(w1, a101);
                a201 = x01.fma(w2, a201);
                var x10 = FloatVector.fromArray(F, pad, row1 + at);
                a010 = x10.fma(w0, a010);
                a110 = x10.fma(w1, a110);
                a210 = x10.fma(w2, a210);
                var x11 = FloatVector.fromArray(F, pad, row1 + at + L);
                a011 = x11.fma(w0, a011);
                a111 = x11.fma(w1, a111);
                a211 = x11.fma(w2, a211);
                var x20 = FloatVector.fromArray(F, pad, row2 + at);
                a020 = x20.fma(w0, a020);
                a120 = x20.fma(w1, a120);
                a220 = x20.fma(w2, a220);
                var x21 = FloatVector.fromArray(F, pad, row2 + at + L);
                a021 = x21.fma(w0, a021);
                a121 = x21.fma(w1, a121);
                a221 = x21.fma(w2, a221);
                var x30 = FloatVector.fromArray(F, pad, row3 + at);
                a030 = x30.fma(w0, a030);
                a130 = x30.fma(w1, a130);
                a230 = x30.fma(w2, a230);
                var x31 = FloatVector.fromArray(F, pad, row3 + at + L);
                a031 = x31.fma(w0, a031);
                a131 = x31.fma(w1, a131);
                a231 = x31.fma(w2, a231);
            }
            // Stored here, not in a helper: vectors passed to a call C2 does not inline are boxed.
            int o0 = outBase + (0 * pp + p) * qq;
            a000.intoArray(out, o0, m0);
            a001.intoArray(out, o0 + L, m1);
            if (p + 1 < pp) {
                a010.intoArray(out, o0 + qq, m0);
                a011.intoArray(out, o0 + qq + L, m1);
            }
            if (p + 2 < pp) {
                a020.intoArray(out, o0 + 2 * qq, m0);
                a021.intoArray(out, o0 + 2 * qq + L, m1);
            }
            if (p + 3 < pp) {
                a030.intoArray(out, o0 + 3 * qq, m0);
                a031.intoArray(out, o0 + 3 * qq + L, m1);
            }
            int o1 = outBase + (1 * pp + p) * qq;
            a100.intoArray(out, o1, m0);
            a101.intoArray(out, o1 + L, m1);
            if (p + 1 < pp) {
                a110.intoArray(out, o1 + qq, m0);
                a111.intoArray(out, o1 + qq + L, m1);
            }
            if (p + 2 < pp) {
                a120.intoArray(out, o1 + 2 * qq, m0);
                a121.intoArray(out, o1 + 2 * qq + L, m1);
            }
            if (p + 3 < pp) {
                a130.intoArray(out, o1 + 3 * qq, m0);
                a131.intoArray(out, o1 + 3 * qq + L, m1);
            }
            if (kLast >= 2) {
                int o2 = outBase + (2 * pp + p) * qq;
                a200.intoArray(out, o2, m0);
                a201.intoArray(out, o2 + L, m1);
                if (p + 1 < pp) {
                    a210.intoArray(out, o2 + qq, m0);
                    a211.intoArray(out, o2 + qq + L, m1);
                }
                if (p + 2 < pp) {
                    a220.intoArray(out, o2 + 2 * qq, m0);
                    a221.intoArray(out, o2 + 2 * qq + L, m1);
                }
                if (p + 3 < pp) {
                    a230.intoArray(out, o2 + 3 * qq, m0);
                    a231.intoArray(out, o2 + 3 * qq + L, m1);
                }
            }
        }
    }

    /**
     * Output channels k, k + 1, k + 2 (K a multiple of 3, as LeNet's 6), two output rows × two vectors of
     * columns at a time: 12 accumulators, per tap 4 input loads and 3 weight broadcasts feed 12 FMAs
     * ({@link #fourChannels}: 2 loads and 4 broadcasts per 8, one row). Taps in (r, c, s) order from
     * {@link #tapMajorWeights}, the filter rows on padding skipped. An odd last row is computed twice and
     * stored once. LeNet conv1 (1 → 6, 28×28, 5×5) forward at batch 64, one thread on Zen 4: 0.26 →
     * 0.18 ms. Results parked in {@code tile} (12·L floats) with plain stores, then copied out (see
     * {@link #eightChannels}).
     */
    private static void threeChannelsTwoRows(Conv2dGeometry g, float[] pad, int wp, float[] bias, int bOff, int k,
                                             float[] out, int outBase, float[] wt, int[] tapAt, float[] tile) {
        int taps = g.taps();
        int pp = g.outHeight();
        int qq = g.outWidth();
        int plane = pp * qq;
        int w0 = (k + 0) / 8 * taps * 8 + (k + 0) % 8;
        float b0 = bias == null ? 0f : bias[bOff + k + 0];
        int w1 = (k + 1) / 8 * taps * 8 + (k + 1) % 8;
        float b1 = bias == null ? 0f : bias[bOff + k + 1];
        int w2 = (k + 2) / 8 * taps * 8 + (k + 2) % 8;
        float b2 = bias == null ? 0f : bias[bOff + k + 2];
        for (int p = 0; p < pp; p += 2) {
            int p1 = Math.min(p + 1, pp - 1);
            int tLo = firstTap(g, p1);
            int tHi = endTap(g, p, p1);
            for (int q = 0; q < qq; q += 2 * L) {
                int row0 = p * wp + q;
                int row1 = p1 * wp + q;
                var a000 = FloatVector.broadcast(F, b0);
                var a001 = FloatVector.broadcast(F, b0);
                var a010 = FloatVector.broadcast(F, b0);
                var a011 = FloatVector.broadcast(F, b0);
                var a100 = FloatVector.broadcast(F, b1);
                var a101 = FloatVector.broadcast(F, b1);
                var a110 = FloatVector.broadcast(F, b1);
                var a111 = FloatVector.broadcast(F, b1);
                var a200 = FloatVector.broadcast(F, b2);
                var a201 = FloatVector.broadcast(F, b2);
                var a210 = FloatVector.broadcast(F, b2);
                var a211 = FloatVector.broadcast(F, b2);
                for (int t = tLo; t < tHi; t++) {
                    int at = tapAt[t];
                    var c0 = FloatVector.broadcast(F, wt[w0 + 8 * t]);
                    var c1 = FloatVector.broadcast(F, wt[w1 + 8 * t]);
                    var c2 = FloatVector.broadcast(F, wt[w2 + 8 * t]);
                    var x00 = FloatVector.fromArray(F, pad, row0 + at);
                    a000 = x00.fma(c0, a000);
                    a100 = x00.fma(c1, a100);
                    a200 = x00.fma(c2, a200);
                    var x01 = FloatVector.fromArray(F, pad, row0 + at + L);
                    a001 = x01.fma(c0, a001);
                    a101 = x01.fma(c1, a101);
                    a201 = x01.fma(c2, a201);
                    var x10 = FloatVector.fromArray(F, pad, row1 + at);
                    a010 = x10.fma(c0, a010);
                    a110 = x10.fma(c1, a110);
                    a210 = x10.fma(c2, a210);
                    var x11 = FloatVector.fromArray(F, pad, row1 + at + L);
                    a011 = x11.fma(c0, a011);
                    a111 = x11.fma(c1, a111);
                    a211 = x11.fma(c2, a211);
                }
                a000.intoArray(tile, 0 * L);
                a001.intoArray(tile, 1 * L);
                a010.intoArray(tile, 2 * L);
                a011.intoArray(tile, 3 * L);
                a100.intoArray(tile, 4 * L);
                a101.intoArray(tile, 5 * L);
                a110.intoArray(tile, 6 * L);
                a111.intoArray(tile, 7 * L);
                a200.intoArray(tile, 8 * L);
                a201.intoArray(tile, 9 * L);
                a210.intoArray(tile, 10 * L);
                a211.intoArray(tile, 11 * L);
                int width = Math.min(2 * L, qq - q);
                int o = outBase + (k * pp + p) * qq + q;
                for (int j = 0; j < 3; j++) {
                    copyRow(tile, 4 * j * L, out, o + j * plane, width);
                    if (p1 > p) {
                        copyRow(tile, (4 * j + 2) * L, out, o + j * plane + qq, width);
                    }
                }
            }
        }
    }

    /**
     * The taps of output rows p … pLast that meet an input row, not only padding, are [firstTap, endTap):
     * with the taps in (r, c, s) order the filter rows that do are one range. An input gradient run as the
     * transposed layer has R − 1 − pad rows of zeros above and below (LeNet conv2: 29% of the taps).
     */
    private static int firstTap(Conv2dGeometry g, int pLast) {
        return Math.max(0, g.padTop() - pLast) * (g.taps() / g.kernelH());
    }

    /** See {@link #firstTap}; never below it. */
    private static int endTap(Conv2dGeometry g, int p, int pLast) {
        int rLo = Math.max(0, g.padTop() - pLast);
        int rHi = Math.min(g.kernelH(), g.padTop() + g.height() - p);
        return Math.max(rLo, rHi) * (g.taps() / g.kernelH());
    }

    /** out[to …] = the first {@code width} ≤ 2L floats of tile[from …], by one or two vectors under masks. */
    private static void copyRow(float[] tile, int from, float[] out, int to, int width) {
        if (to + 2 * L > out.length) {
            // At the array's end a masked store takes the Vector API's slow path (its mask-range check was
            // 1–1.5% of a LeNet-5 training step in JFR, for a few rows per call): plain copies there.
            System.arraycopy(tile, from, out, to, width);
            return;
        }
        FloatVector.fromArray(F, tile, from).intoArray(out, to, F.indexInRange(0, width));
        if (width > L) {
            FloatVector.fromArray(F, tile, from + L).intoArray(out, to + L, F.indexInRange(L, width));
        }
    }
}
