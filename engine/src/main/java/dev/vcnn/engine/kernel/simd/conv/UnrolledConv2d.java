package dev.vcnn.engine.kernel.simd.conv;

import dev.vcnn.engine.kernel.Conv2dGeometry;
import dev.vcnn.engine.kernel.simd.Scratch;
import dev.vcnn.engine.kernel.simd.gemm.SimdGemm;
import dev.vcnn.engine.parallel.Parallelism;
import java.util.Arrays;

/**
 * A layer on input planes smaller than its kernel, unrolled: the matrix U [C·H·W × P·Q·K] with
 * U[(c, h, w)][(p, q, k)] = weight[k, c, r, s] where input (h, w) is tap (r, s) of output (p, q), and 0 where
 * output (p, q) does not read input (h, w). An image's NCHW input is a row of C·H·W values, so each pass is one
 * GEMM over the batch: out = in · U (its rows then turned from (p, q, k) to NCHW order), gradIn = gradOut · Uᵀ, and
 * the weight gradient folded from inᵀ · gradOut tap by tap. Its products count C·H·W multiplies per output where
 * im2col counts C·R·S: 4 of 9 for ResNet-18's 3×3 layers on 2×2 planes at 32×32, whose im2col spent 5 of its 9
 * taps on padding. With the output channels last, U is written and its gradient folded in runs of K from one
 * input channel's weights laid out tap by tap.
 */
final class UnrolledConv2d {
    private UnrolledConv2d() {}

    /** Floats of U: C·H·W × P·Q·K. */
    static long floats(Conv2dGeometry g) {
        return (long) g.inChannels() * g.inPlane() * g.outChannels() * g.outPlane();
    }

    /**
     * tap[i·PQ + o]: the tap r·S + s through which output o reads input i, or −1 where it does not read it. Two
     * taps cannot read the same input for one output, since taps of one output read distinct positions.
     */
    private static int[] taps(Conv2dGeometry g) {
        int pq = g.outPlane();
        int[] tap = new int[g.inPlane() * pq];
        Arrays.fill(tap, -1);
        for (int p = 0; p < g.outHeight(); p++) {
            for (int q = 0; q < g.outWidth(); q++) {
                for (int r = 0; r < g.kernelH(); r++) {
                    int h = p * g.strideH() - g.padTop() + r * g.dilationH();
                    for (int s = 0; s < g.kernelW(); s++) {
                        int w = q * g.strideW() - g.padLeft() + s * g.dilationW();
                        if (h >= 0 && h < g.height() && w >= 0 && w < g.width()) {
                            tap[(h * g.width() + w) * pq + p * g.outWidth() + q] = r * g.kernelW() + s;
                        }
                    }
                }
            }
        }
        return tap;
    }

    /** U from weight[wOff …], input channels over the threads. */
    private static void unroll(Conv2dGeometry g, int[] tap, float[] weight, int wOff, float[] u, Parallelism parallelism) {
        int cc = g.inChannels();
        int kk = g.outChannels();
        int hw = g.inPlane();
        int pq = g.outPlane();
        int rs = g.kernelH() * g.kernelW();
        int filterStride = cc * rs;
        parallelism.forRange(cc, 1, (c0, c1) -> {
            float[] byTap = new float[rs * kk]; // channel c's weights as byTap[t·K + k]
            for (int c = c0; c < c1; c++) {
                for (int t = 0; t < rs; t++) {
                    for (int k = 0, w = wOff + c * rs + t, b = t * kk; k < kk; k++, w += filterStride) {
                        byTap[b + k] = weight[w];
                    }
                }
                for (int i = 0; i < hw; i++) {
                    for (int o = 0; o < pq; o++) {
                        int at = ((c * hw + i) * pq + o) * kk;
                        int t = tap[i * pq + o];
                        if (t < 0) {
                            Arrays.fill(u, at, at + kk, 0f);
                        } else {
                            System.arraycopy(byTap, t * kk, u, at, kk);
                        }
                    }
                }
            }
        });
    }

    static void forward(Conv2dGeometry g, float[] input, int inOff, float[] weight, int wOff, float[] bias, int bOff,
                        float[] out, int outOff, SimdGemm gemm, Scratch scratch, Parallelism parallelism) {
        int kk = g.outChannels();
        int pq = g.outPlane();
        int rows = g.inChannels() * g.inPlane();
        int cols = kk * pq;
        float[] u = scratch.take(rows * cols);
        float[] y = scratch.take(g.batch() * cols);
        try {
            unroll(g, taps(g), weight, wOff, u, parallelism);
            float beta = 0f;
            if (bias != null) {
                for (int row = 0; row < g.batch() * pq; row++) {
                    System.arraycopy(bias, bOff, y, row * kk, kk);
                }
                beta = 1f;
            }
            gemm.sgemm(false, false, g.batch(), cols, rows, 1f, input, inOff, rows, u, 0, cols, beta, y, 0, cols,
                    parallelism);
            for (int n = 0; n < g.batch(); n++) {
                for (int o = 0; o < pq; o++) {
                    for (int k = 0, from = (n * pq + o) * kk, to = outOff + n * cols + o; k < kk; k++, to += pq) {
                        out[to] = y[from + k];
                    }
                }
            }
        } finally {
            scratch.give(y);
            scratch.give(u);
        }
    }

    /** gradOut's images with their values in (p, q, k) order, U's column order. */
    private static float[] channelsLast(Conv2dGeometry g, float[] gradOut, int goOff, Scratch scratch) {
        int kk = g.outChannels();
        int pq = g.outPlane();
        float[] y = scratch.take(g.batch() * kk * pq);
        for (int n = 0; n < g.batch(); n++) {
            for (int o = 0; o < pq; o++) {
                for (int k = 0, to = (n * pq + o) * kk, from = goOff + n * kk * pq + o; k < kk; k++, from += pq) {
                    y[to + k] = gradOut[from];
                }
            }
        }
        return y;
    }

    static void backwardInput(Conv2dGeometry g, float[] gradOut, int goOff, float[] weight, int wOff, float[] gradIn,
                              int giOff, SimdGemm gemm, Scratch scratch, Parallelism parallelism) {
        int rows = g.inChannels() * g.inPlane();
        int cols = g.outChannels() * g.outPlane();
        float[] u = scratch.take(rows * cols);
        float[] dy = channelsLast(g, gradOut, goOff, scratch);
        try {
            unroll(g, taps(g), weight, wOff, u, parallelism);
            gemm.sgemm(false, true, g.batch(), rows, cols, 1f, dy, 0, cols, u, 0, cols, 0f, gradIn, giOff, rows,
                    parallelism);
        } finally {
            scratch.give(dy);
            scratch.give(u);
        }
    }

    /**
     * gradWeight[k, c, tap] = Σ over the (input, output) pairs of that tap, in pair order, of inᵀ · gradOut; input
     * channels over the threads, each writing only its own weights.
     */
    static void backwardWeight(Conv2dGeometry g, float[] input, int inOff, float[] gradOut, int goOff,
                               float[] gradWeight, int gwOff, SimdGemm gemm, Scratch scratch, Parallelism parallelism) {
        int cc = g.inChannels();
        int kk = g.outChannels();
        int hw = g.inPlane();
        int pq = g.outPlane();
        int rs = g.kernelH() * g.kernelW();
        int rows = cc * hw;
        int cols = kk * pq;
        int filterStride = cc * rs;
        float[] du = scratch.take(rows * cols);
        float[] dy = channelsLast(g, gradOut, goOff, scratch);
        try {
            gemm.sgemm(true, false, rows, cols, g.batch(), 1f, input, inOff, rows, dy, 0, cols, 0f, du, 0, cols,
                    parallelism);
            int[] tap = taps(g);
            parallelism.forRange(cc, 1, (c0, c1) -> {
                float[] byTap = new float[rs * kk]; // channel c's gradient as byTap[t·K + k]
                for (int c = c0; c < c1; c++) {
                    Arrays.fill(byTap, 0f);
                    for (int i = 0; i < hw; i++) {
                        for (int o = 0; o < pq; o++) {
                            int t = tap[i * pq + o];
                            if (t < 0) {
                                continue;
                            }
                            int at = ((c * hw + i) * pq + o) * kk;
                            for (int k = 0, b = t * kk; k < kk; k++) {
                                byTap[b + k] += du[at + k];
                            }
                        }
                    }
                    for (int k = 0, w = gwOff + c * rs; k < kk; k++, w += filterStride) {
                        for (int t = 0; t < rs; t++) {
                            gradWeight[w + t] = byTap[t * kk + k];
                        }
                    }
                }
            });
        } finally {
            scratch.give(dy);
            scratch.give(du);
        }
    }
}
