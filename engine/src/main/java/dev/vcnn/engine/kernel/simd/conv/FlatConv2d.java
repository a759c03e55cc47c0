package dev.vcnn.engine.kernel.simd.conv;

import static dev.vcnn.engine.kernel.simd.SimdSpecies.F;

import dev.vcnn.engine.kernel.Conv2dGeometry;
import dev.vcnn.engine.kernel.simd.Scratch;
import dev.vcnn.engine.parallel.Parallelism;
import java.util.Arrays;
import jdk.incubator.vector.FloatVector;

/**
 * Forward convolution of stride-1 layers with few input channels over flattened output positions, the
 * forward twin of {@link FlatWeightGradient}: with the input zero-padded to rows of Wp floats, output
 * (p, q) is position f = p·Wp + q and
 *
 * <pre>out[k, f] = bias[k] + Σ_t w[k, t] · x[f + tap(t)],   tap(c, r, s) = (c·Hp + r·dh)·Wp + s·dw</pre>
 *
 * so every tap is one shift of the padded image and a vector of positions runs across row ends. The
 * positions q ≥ Q are computed and dropped. Register tile: 6 output channels × 4 vectors of positions
 * = 24 accumulators, per tap 4 input loads and 6 weight broadcasts, or, when K is a multiple of 8, 8
 * channels × 3 vectors (no channel repeated). The tile is parked in a per-thread buffer of its channel
 * planes on the padded width, and their rows of Q copied out with whole vectors (the last one
 * overlapping the one before). Sums start from the bias and take the taps in
 * (c, r, s) order, within the {@code Conv2d} bound.
 *
 * <p>The row kernels ({@link DirectConv2d}) and im2col + GEMM run vectors along one output row: rows of 24
 * (LeNet conv1) fill 24 of 32 lanes at 512 bits, and a CIFAR first layer's GEMM has K = C·R·S = 27.
 * Images run in parallel, each on one thread, so results do not depend on the thread count.
 */
final class FlatConv2d {
    private static final int L = F.length();
    /** Output channels per register tile. */
    private static final int KT = 6;
    /** Vectors of positions per register tile. */
    private static final int VT = 4;

    private FlatConv2d() {}

    static void forward(Conv2dGeometry g, float[] input, int inOff, float[] weight, int wOff, float[] bias, int bOff,
                        float[] out, int outOff, Parallelism parallelism, Scratch scratch) {
        int hp = g.paddedHeight();
        int wp = g.paddedWidth();
        int kk = g.outChannels();
        int taps = g.taps();
        // 8 channels × 3 vectors when K fills such tiles (a CIFAR first layer's 32), else 6 × 4 (LeNet's 6).
        boolean eight = kk % 8 == 0;
        int kt = eight ? 8 : KT;
        int span = (eight ? 3 : VT) * L;
        // Positions rounded up to whole tiles; the last tile's vectors read up to this far past P·Wp.
        int plane = (g.outHeight() * wp + span - 1) / span * span;
        int xImage = g.inChannels() * hp * wp;
        int padded = xImage + span + (g.kernelW() - 1) * g.dilationW();
        int[] tapAt = SimdConv2d.tapRuns(g, hp, wp);
        int tiles = (kk + kt - 1) / kt;
        // wt[(tile·taps + t)·kt + j] = w[kt·tile + j, t] (a short last tile repeats its last channel).
        float[] wt = scratch.take(tiles * taps * kt);
        for (int tile = 0; tile < tiles; tile++) {
            for (int j = 0; j < kt; j++) {
                int k = Math.min(tile * kt + j, kk - 1);
                for (int t = 0; t < taps; t++) {
                    wt[(tile * taps + t) * kt + j] = weight[wOff + k * taps + t];
                }
            }
        }
        try {
            parallelism.forRange(g.batch(), 1, (n0, n1) -> {
                float[] x = scratch.take(padded);
                float[] y = scratch.take(kt * plane);
                try {
                    Arrays.fill(x, 0, padded, 0f); // zeroed once: each image rewrites only the interior
                    for (int n = n0; n < n1; n++) {
                        DirectConv2d.copyPadded(g, input, inOff + n * g.inChannels() * g.height() * g.width(),
                                g.inChannels(), x, 0, hp, wp);
                        int outBase = outOff + n * kk * g.outHeight() * g.outWidth();
                        for (int tile = 0; tile < tiles; tile++) {
                            int k0 = tile * kt;
                            for (int f = 0; f < plane; f += span) {
                                if (eight) {
                                    tile8(x, f, tapAt, taps, wt, tile * taps * kt, bias, bOff, k0, kk - 1, y, plane);
                                } else {
                                    tile(x, f, tapAt, taps, wt, tile * taps * kt, bias, bOff, k0, kk - 1, y, plane);
                                }
                            }
                            copyOut(g, y, plane, wp, Math.min(kt, kk - k0), out,
                                    outBase + k0 * g.outHeight() * g.outWidth());
                        }
                    }
                } finally {
                    scratch.give(y);
                    scratch.give(x);
                }
            });
        } finally {
            scratch.give(wt);
        }
    }

    /** Rows of Q from y (channel j's plane at j·plane, rows of wp) into out, channel after channel. */
    private static void copyOut(Conv2dGeometry g, float[] y, int plane, int wp, int channels, float[] out, int to) {
        int pp = g.outHeight();
        int qq = g.outWidth();
        for (int j = 0; j < channels; j++) {
            for (int p = 0; p < pp; p++) {
                int from = j * plane + p * wp;
                int dst = to + (j * pp + p) * qq;
                for (int q = 0; q < qq - L; q += L) {
                    FloatVector.fromArray(F, y, from + q).intoArray(out, dst + q);
                }
                FloatVector.fromArray(F, y, from + qq - L).intoArray(out, dst + qq - L);
            }
        }
    }

    /**
     * y[j·plane + f …] for the 4 vectors of positions from f, channels k0 + j (j ≤ 5; past kLast the last
     * channel again, its plane written but never copied out).
     */
    private static void tile(float[] x, int f, int[] tapAt, int taps, float[] wt, int w0, float[] bias, int bOff,
                             int k0, int kLast, float[] y, int plane) {
        float b0 = bias == null ? 0f : bias[bOff + k0];
        float b1 = bias == null ? 0f : bias[bOff + Math.min(k0 + 1, kLast)];
        float b2 = bias == null ? 0f : bias[bOff + Math.min(k0 + 2, kLast)];
        float b3 = bias == null ? 0f : bias[bOff + Math.min(k0 + 3, kLast)];
        float b4 = bias == null ? 0f : bias[bOff + Math.min(k0 + 4, kLast)];
        float b5 = bias == null ? 0f : bias[bOff + Math.min(k0 + 5, kLast)];
        var a00 = FloatVector.broadcast(F, b0);
        var a01 = a00;
        var a02 = a00;
        var a03 = a00;
        var a10 = FloatVector.broadcast(F, b1);
        var a11 = a10;
        var a12 = a10;
        var a13 = a10;
        var a20 = FloatVector.broadcast(F, b2);
        var a21 = a20;
        var a22 = a20;
        var a23 = a20;
        var a30 = FloatVector.broadcast(F, b3);
        var a31 = a30;
        var a32 = a30;
        var a33 = a30;
        var a40 = FloatVector.broadcast(F, b4);
        var a41 = a40;
        var a42 = a40;
        var a43 = a40;
        var a50 = FloatVector.broadcast(F, b5);
        var a51 = a50;
        var a52 = a50;
        var a53 = a50;
        for (int t = 0; t < taps; t++) {
            int at = f + tapAt[t];
            int w = w0 + t * KT;
            var x0 = FloatVector.fromArray(F, x, at);
            var x1 = FloatVector.fromArray(F, x, at + L);
            var x2 = FloatVector.fromArray(F, x, at + 2 * L);
            var x3 = FloatVector.fromArray(F, x, at + 3 * L);
            var c = FloatVector.broadcast(F, wt[w]);
            a00 = x0.fma(c, a00);
            a01 = x1.fma(c, a01);
            a02 = x2.fma(c, a02);
            a03 = x3.fma(c, a03);
            c = FloatVector.broadcast(F, wt[w + 1]);
            a10 = x0.fma(c, a10);
            a11 = x1.fma(c, a11);
            a12 = x2.fma(c, a12);
            a13 = x3.fma(c, a13);
            c = FloatVector.broadcast(F, wt[w + 2]);
            a20 = x0.fma(c, a20);
            a21 = x1.fma(c, a21);
            a22 = x2.fma(c, a22);
            a23 = x3.fma(c, a23);
            c = FloatVector.broadcast(F, wt[w + 3]);
            a30 = x0.fma(c, a30);
            a31 = x1.fma(c, a31);
            a32 = x2.fma(c, a32);
            a33 = x3.fma(c, a33);
            c = FloatVector.broadcast(F, wt[w + 4]);
            a40 = x0.fma(c, a40);
            a41 = x1.fma(c, a41);
            a42 = x2.fma(c, a42);
            a43 = x3.fma(c, a43);
            c = FloatVector.broadcast(F, wt[w + 5]);
            a50 = x0.fma(c, a50);
            a51 = x1.fma(c, a51);
            a52 = x2.fma(c, a52);
            a53 = x3.fma(c, a53);
        }
        a00.intoArray(y, f);
        a01.intoArray(y, f + L);
        a02.intoArray(y, f + 2 * L);
        a03.intoArray(y, f + 3 * L);
        a10.intoArray(y, plane + f);
        a11.intoArray(y, plane + f + L);
        a12.intoArray(y, plane + f + 2 * L);
        a13.intoArray(y, plane + f + 3 * L);
        a20.intoArray(y, 2 * plane + f);
        a21.intoArray(y, 2 * plane + f + L);
        a22.intoArray(y, 2 * plane + f + 2 * L);
        a23.intoArray(y, 2 * plane + f + 3 * L);
        a30.intoArray(y, 3 * plane + f);
        a31.intoArray(y, 3 * plane + f + L);
        a32.intoArray(y, 3 * plane + f + 2 * L);
        a33.intoArray(y, 3 * plane + f + 3 * L);
        a40.intoArray(y, 4 * plane + f);
        a41.intoArray(y, 4 * plane + f + L);
        a42.intoArray(y, 4 * plane + f + 2 * L);
        a43.intoArray(y, 4 * plane + f + 3 * L);
        a50.intoArray(y, 5 * plane + f);
        a51.intoArray(y, 5 * plane + f + L);
        a52.intoArray(y, 5 * plane + f + 2 * L);
        a53.intoArray(y, 5 * plane + f + 3 * L);
    }

    /** As {@link #tile} for 8 channels × 3 vectors of positions (K a multiple of 8: no channel repeated). */
    private static void tile8(float[] x, int f, int[] tapAt, int taps, float[] wt, int w0, float[] bias, int bOff,
                              int k0, int kLast, float[] y, int plane) {
        float b0 = bias == null ? 0f : bias[bOff + k0];
        float b1 = bias == null ? 0f : bias[bOff + Math.min(k0 + 1, kLast)];
        float b2 = bias == null ? 0f : bias[bOff + Math.min(k0 + 2, kLast)];
        float b3 = bias == null ? 0f : bias[bOff + Math.min(k0 + 3, kLast)];
        float b4 = bias == null ? 0f : bias[bOff + Math.min(k0 + 4, kLast)];
        float b5 = bias == null ? 0f : bias[bOff + Math.min(k0 + 5, kLast)];
        float b6 = bias == null ? 0f : bias[bOff + Math.min(k0 + 6, kLast)];
        float b7 = bias == null ? 0f : bias[bOff + Math.min(k0 + 7, kLast)];
        var a00 = FloatVector.broadcast(F, b0);
        var a01 = a00;
        var a02 = a00;
        var a10 = FloatVector.broadcast(F, b1);
        var a11 = a10;
        var a12 = a10;
        var a20 = FloatVector.broadcast(F, b2);
        var a21 = a20;
        var a22 = a20;
        var a30 = FloatVector.broadcast(F, b3);
        var a31 = a30;
        var a32 = a30;
        var a40 = FloatVector.broadcast(F, b4);
        var a41 = a40;
        var a42 = a40;
        var a50 = FloatVector.broadcast(F, b5);
        var a51 = a50;
        var a52 = a50;
        var a60 = FloatVector.broadcast(F, b6);
        var a61 = a60;
        var a62 = a60;
        var a70 = FloatVector.broadcast(F, b7);
        var a71 = a70;
        var a72 = a70;
        for (int t = 0; t < taps; t++) {
            int at = f + tapAt[t];
            int w = w0 + t * 8;
            var x0 = FloatVector.fromArray(F, x, at);
            var x1 = FloatVector.fromArray(F, x, at + L);
            var x2 = FloatVector.fromArray(F, x, at + 2 * L);
            var c = FloatVector.broadcast(F, wt[w]);
            a00 = x0.fma(c, a00);
            a01 = x1.fma(c, a01);
            a02 = x2.fma(c, a02);
            c = FloatVector.broadcast(F, wt[w + 1]);
            a10 = x0.fma(c, a10);
            a11 = x1.fma(c, a11);
            a12 = x2.fma(c, a12);
            c = FloatVector.broadcast(F, wt[w + 2]);
            a20 = x0.fma(c, a20);
            a21 = x1.fma(c, a21);
            a22 = x2.fma(c, a22);
            c = FloatVector.broadcast(F, wt[w + 3]);
            a30 = x0.fma(c, a30);
            a31 = x1.fma(c, a31);
            a32 = x2.fma(c, a32);
            c = FloatVector.broadcast(F, wt[w + 4]);
            a40 = x0.fma(c, a40);
            a41 = x1.fma(c, a41);
            a42 = x2.fma(c, a42);
            c = FloatVector.broadcast(F, wt[w + 5]);
            a50 = x0.fma(c, a50);
            a51 = x1.fma(c, a51);
            a52 = x2.fma(c, a52);
            c = FloatVector.broadcast(F, wt[w + 6]);
            a60 = x0.fma(c, a60);
            a61 = x1.fma(c, a61);
            a62 = x2.fma(c, a62);
            c = FloatVector.broadcast(F, wt[w + 7]);
            a70 = x0.fma(c, a70);
            a71 = x1.fma(c, a71);
            a72 = x2.fma(c, a72);
        }
        a00.intoArray(y, f);
        a01.intoArray(y, f + L);
        a02.intoArray(y, f + 2 * L);
        a10.intoArray(y, plane + f);
        a11.intoArray(y, plane + f + L);
        a12.intoArray(y, plane + f + 2 * L);
        a20.intoArray(y, 2 * plane + f);
        a21.intoArray(y, 2 * plane + f + L);
        a22.intoArray(y, 2 * plane + f + 2 * L);
        a30.intoArray(y, 3 * plane + f);
        a31.intoArray(y, 3 * plane + f + L);
        a32.intoArray(y, 3 * plane + f + 2 * L);
        a40.intoArray(y, 4 * plane + f);
        a41.intoArray(y, 4 * plane + f + L);
        a42.intoArray(y, 4 * plane + f + 2 * L);
        a50.intoArray(y, 5 * plane + f);
        a51.intoArray(y, 5 * plane + f + L);
        a52.intoArray(y, 5 * plane + f + 2 * L);
        a60.intoArray(y, 6 * plane + f);
        a61.intoArray(y, 6 * plane + f + L);
        a62.intoArray(y, 6 * plane + f + 2 * L);
        a70.intoArray(y, 7 * plane + f);
        a71.intoArray(y, 7 * plane + f + L);
        a72.intoArray(y, 7 * plane + f + 2 * L);
    }
}
