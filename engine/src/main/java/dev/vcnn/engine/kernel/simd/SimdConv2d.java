package dev.vcnn.engine.kernel.simd;

import dev.vcnn.engine.kernel.Blas1;
import dev.vcnn.engine.kernel.Conv2d;
import dev.vcnn.engine.kernel.Conv2dGeometry;
import dev.vcnn.engine.kernel.Gemm;
import dev.vcnn.engine.parallel.Parallelism;
import java.util.Arrays;

/**
 * {@link Conv2d} as GEMMs over im2col columns. Letters: N batch, C in-channels, K out-channels,
 * H/W input, R/S filter, P/Q output, G groups, Cg = C/G, Kg = K/G.
 *
 * <ul>
 *   <li>forward, per image and group: out[Kg × PQ] = W[Kg × CgRS] · col[CgRS × PQ] (+ bias);
 *   <li>backward input: colGrad[CgRS × PQ] = Wᵀ · gradOut[Kg × PQ], then col2im adds it back;
 *   <li>backward weight: gradW[Kg × CgRS] = Σ over batch chunks of gradOut[Kg × chunk·PQ] ·
 *       col[CgRS × chunk·PQ]ᵀ, chunks in a fixed order so the sum does not depend on threads.
 * </ul>
 *
 * A 1×1 convolution with stride 1 and no padding uses the input as its own column matrix; layers
 * with one input channel run forward as a direct convolution ({@link DirectConv2d}), and layers
 * with few input channels per group and horizontal stride 1 take their weight gradient straight from
 * the input rows ({@link DirectWeightGradient}). Images
 * run in parallel when N ≥ 2 (each with a single-threaded GEMM), otherwise the GEMM itself does;
 * either way every output is computed by the same operations, so results are bit-identical for any
 * thread count. Column buffers come from per-thread scratch: at most one image's columns
 * (CgRS·PQ floats) per thread for forward and backward-input, and one chunk's
 * (≤ {@link #CHUNK_FLOATS}) for backward-weight.
 */
final class SimdConv2d implements Conv2d {
    /** Budget for one chunk's columns in backward-weight: 4 Mi floats (16 MiB). */
    static final int CHUNK_FLOATS = 1 << 22;

    private final Gemm gemm;
    private final Blas1 blas;
    private final Scratch columns = new Scratch();
    private final Scratch gradRows = new Scratch();

    SimdConv2d(Gemm gemm, Blas1 blas) {
        this.gemm = gemm;
        this.blas = blas;
    }

    private static boolean isPointwise(Conv2dGeometry g) {
        return g.kernelH() == 1 && g.kernelW() == 1 && g.strideH() == 1 && g.strideW() == 1
                && g.padTop() == 0 && g.padBottom() == 0 && g.padLeft() == 0 && g.padRight() == 0;
    }

    @Override
    public void forward(Conv2dGeometry g, float[] input, int inOff, float[] weight, int wOff,
                        float[] bias, int bOff, float[] out, int outOff, Parallelism parallelism) {
        if (DirectConv2d.applies(g)) {
            DirectConv2d.forward(g, input, inOff, weight, wOff, bias, bOff, out, outOff, parallelism, columns);
            return;
        }
        int cg = g.inChannelsPerGroup();
        int kg = g.outChannelsPerGroup();
        int pq = g.outPlane();
        int crs = g.taps();
        int hw = g.inPlane();
        boolean pointwise = isPointwise(g);
        perImageAndGroup(g, parallelism, pointwise ? 0 : crs * pq, (n, gi, col, inner) -> {
            int outBase = outOff + (n * g.outChannels() + gi * kg) * pq;
            float beta = 0f;
            if (bias != null) {
                for (int k = 0; k < kg; k++) {
                    Arrays.fill(out, outBase + k * pq, outBase + (k + 1) * pq, bias[bOff + gi * kg + k]);
                }
                beta = 1f;
            }
            float[] b = input;
            int bStart = inOff + (n * g.inChannels() + gi * cg) * hw;
            if (!pointwise) {
                im2col(g, input, bStart, cg, col);
                b = col;
                bStart = 0;
            }
            gemm.sgemm(false, false, kg, pq, crs, 1f, weight, wOff + gi * kg * crs, crs,
                    b, bStart, pq, beta, out, outBase, pq, inner);
        });
    }

    @Override
    public void backwardInput(Conv2dGeometry g, float[] gradOut, int goOff, float[] weight, int wOff,
                              float[] gradIn, int giOff, Parallelism parallelism) {
        if (DirectConv2d.appliesTransposed(g)) {
            float[] flipped = gradRows.take(g.outChannels() * g.taps());
            try {
                DirectConv2d.backwardInput(g, gradOut, goOff, weight, wOff, gradIn, giOff, parallelism, columns, flipped);
            } finally {
                gradRows.give(flipped);
            }
            return;
        }
        int cg = g.inChannelsPerGroup();
        int kg = g.outChannelsPerGroup();
        int pq = g.outPlane();
        int crs = g.taps();
        int hw = g.inPlane();
        boolean pointwise = isPointwise(g);
        perImageAndGroup(g, parallelism, pointwise ? 0 : crs * pq, (n, gi, col, inner) -> {
            int inBase = giOff + (n * g.inChannels() + gi * cg) * hw;
            int goBase = goOff + (n * g.outChannels() + gi * kg) * pq;
            // colGrad = Wᵀ · gradOut, straight into gradIn for a pointwise layer.
            gemm.sgemm(true, false, crs, pq, kg, 1f, weight, wOff + gi * kg * crs, crs,
                    gradOut, goBase, pq, 0f, pointwise ? gradIn : col, pointwise ? inBase : 0, pq, inner);
            if (!pointwise) {
                col2im(g, col, cg, gradIn, inBase);
            }
        });
    }

    /** The work for one (image, group): its column buffer (null when none is needed) and the GEMM's threads. */
    @FunctionalInterface
    private interface ImageGroupBody {
        void run(int image, int group, float[] columns, Parallelism gemmThreads);
    }

    /**
     * Runs {@code body} for every (image, group), images in parallel when N ≥ 2 (each GEMM then on
     * its task's thread) or the GEMM in parallel for a single image; a column buffer of
     * {@code columnFloats} per task comes from per-thread scratch.
     */
    private void perImageAndGroup(Conv2dGeometry g, Parallelism parallelism, int columnFloats, ImageGroupBody body) {
        Parallelism inner = g.batch() >= 2 ? Parallelism.sequential() : parallelism;
        parallelism.forRange(g.batch(), 1, (n0, n1) -> {
            float[] col = columnFloats == 0 ? null : columns.take(columnFloats);
            try {
                for (int n = n0; n < n1; n++) {
                    for (int gi = 0; gi < g.groups(); gi++) {
                        body.run(n, gi, col, inner);
                    }
                }
            } finally {
                if (col != null) {
                    columns.give(col);
                }
            }
        });
    }

    @Override
    public void backwardWeight(Conv2dGeometry g, float[] input, int inOff, float[] gradOut, int goOff,
                               float[] gradWeight, int gwOff, Parallelism parallelism) {
        int cg = g.inChannelsPerGroup();
        int kg = g.outChannelsPerGroup();
        int pq = g.outPlane();
        int crs = g.taps();
        int hw = g.inPlane();
        if (g.batch() == 0) {
            Arrays.fill(gradWeight, gwOff, gwOff + g.outChannels() * crs, 0f);
            return;
        }
        if (DirectWeightGradient.applies(g)) {
            DirectWeightGradient.backwardWeight(g, input, inOff, gradOut, goOff, gradWeight, gwOff, parallelism, gradRows);
            return;
        }
        // Images per chunk from the geometry alone: the K dimension of each GEMM is chunk·PQ.
        int chunk = (int) Math.max(1, Math.min(g.batch(), CHUNK_FLOATS / ((long) Math.max(crs, kg) * pq)));
        int width = chunk * pq;
        float[] col = columns.take(crs * width);
        float[] rows = gradRows.take(kg * width);
        try {
            for (int gi = 0; gi < g.groups(); gi++) {
                for (int n0 = 0; n0 < g.batch(); n0 += chunk) {
                    int images = Math.min(chunk, g.batch() - n0);
                    int cols = images * pq;
                    int first = n0;
                    int group = gi;
                    // Gather this chunk's columns [CgRS × images·PQ] and gradients [Kg × images·PQ].
                    parallelism.forRange(images, 1, (i0, i1) -> {
                        for (int i = i0; i < i1; i++) {
                            int n = first + i;
                            im2colInto(g, input, inOff + (n * g.inChannels() + group * cg) * hw, cg, col, i * pq, cols);
                            for (int k = 0; k < kg; k++) {
                                System.arraycopy(gradOut, goOff + (n * g.outChannels() + group * kg + k) * pq,
                                        rows, k * cols + i * pq, pq);
                            }
                        }
                    });
                    gemm.sgemm(false, true, kg, crs, cols, 1f, rows, 0, cols, col, 0, cols,
                            n0 == 0 ? 0f : 1f, gradWeight, gwOff + gi * kg * crs, crs, parallelism);
                }
            }
        } finally {
            gradRows.give(rows);
            columns.give(col);
        }
    }

    @Override
    public void backwardBias(Conv2dGeometry g, float[] gradOut, int goOff, float[] gradBias, int gbOff) {
        int pq = g.outHeight() * g.outWidth();
        for (int k = 0; k < g.outChannels(); k++) {
            // Each image's row is summed in float (within its bound); rows add up in double.
            double acc = 0;
            for (int n = 0; n < g.batch(); n++) {
                acc += blas.sum(gradOut, goOff + (n * g.outChannels() + k) * pq, pq);
            }
            gradBias[gbOff + k] = (float) acc;
        }
    }

    /** col[(c·R + r)·S + s][p·Q + q] = in[c, p·sh − pt + r·dh, q·sw − pl + s·dw], 0 outside, ld = PQ. */
    private static void im2col(Conv2dGeometry g, float[] in, int inBase, int cg, float[] col) {
        int pq = g.outHeight() * g.outWidth();
        im2colInto(g, in, inBase, cg, col, 0, pq);
    }

    /** As {@link #im2col}, writing column block {@code [colStart, colStart + PQ)} of rows of length ld. */
    private static void im2colInto(Conv2dGeometry g, float[] in, int inBase, int cg, float[] col, int colStart, int ld) {
        int pp = g.outHeight();
        int qq = g.outWidth();
        int hh = g.height();
        int ww = g.width();
        int row = 0;
        for (int c = 0; c < cg; c++) {
            for (int r = 0; r < g.kernelH(); r++) {
                for (int s = 0; s < g.kernelW(); s++, row++) {
                    int dst = row * ld + colStart;
                    int wShift = s * g.dilationW() - g.padLeft();
                    // Output columns q whose input column w = q·sw + wShift lies inside [0, W).
                    int qLo = wShift >= 0 ? 0 : Math.min(qq, (-wShift + g.strideW() - 1) / g.strideW());
                    int qHi = Math.max(qLo, Math.min(qq, (ww - 1 - wShift) / g.strideW() + 1));
                    if (ww - 1 - wShift < 0) {
                        qHi = qLo;
                    }
                    for (int p = 0; p < pp; p++, dst += qq) {
                        int h = p * g.strideH() - g.padTop() + r * g.dilationH();
                        if (h < 0 || h >= hh) {
                            Arrays.fill(col, dst, dst + qq, 0f);
                            continue;
                        }
                        int src = inBase + (c * hh + h) * ww + wShift;
                        Arrays.fill(col, dst, dst + qLo, 0f);
                        if (g.strideW() == 1) {
                            if (qHi > qLo) { // with nothing to copy, src + qLo may lie before the array
                                System.arraycopy(in, src + qLo, col, dst + qLo, qHi - qLo);
                            }
                        } else {
                            for (int q = qLo; q < qHi; q++) {
                                col[dst + q] = in[src + q * g.strideW()];
                            }
                        }
                        Arrays.fill(col, dst + qHi, dst + qq, 0f);
                    }
                }
            }
        }
    }

    /** gradIn[c, h, w] = Σ of col entries that im2col read from (c, h, w); gradIn is overwritten. */
    private static void col2im(Conv2dGeometry g, float[] col, int cg, float[] gradIn, int inBase) {
        int pp = g.outHeight();
        int qq = g.outWidth();
        int hh = g.height();
        int ww = g.width();
        Arrays.fill(gradIn, inBase, inBase + cg * hh * ww, 0f);
        int row = 0;
        for (int c = 0; c < cg; c++) {
            for (int r = 0; r < g.kernelH(); r++) {
                for (int s = 0; s < g.kernelW(); s++, row++) {
                    int wShift = s * g.dilationW() - g.padLeft();
                    int qLo = wShift >= 0 ? 0 : Math.min(qq, (-wShift + g.strideW() - 1) / g.strideW());
                    int qHi = ww - 1 - wShift < 0 ? qLo : Math.max(qLo, Math.min(qq, (ww - 1 - wShift) / g.strideW() + 1));
                    int src = row * pp * qq;
                    for (int p = 0; p < pp; p++, src += qq) {
                        int h = p * g.strideH() - g.padTop() + r * g.dilationH();
                        if (h < 0 || h >= hh) {
                            continue;
                        }
                        int dst = inBase + (c * hh + h) * ww + wShift;
                        for (int q = qLo; q < qHi; q++) {
                            gradIn[dst + q * g.strideW()] += col[src + q];
                        }
                    }
                }
            }
        }
    }
}
