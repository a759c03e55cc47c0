package dev.vcnn.engine.kernel.simd.conv;

import dev.vcnn.engine.kernel.Conv2dGeometry;
import dev.vcnn.engine.kernel.simd.Lanes;
import dev.vcnn.engine.kernel.simd.Scratch;
import dev.vcnn.engine.kernel.simd.SimdSpecies;
import dev.vcnn.engine.kernel.simd.StridePhases;
import dev.vcnn.engine.parallel.Parallelism;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Depthwise convolution (one input and one output channel per group, MobileNet's 3×3 layers): each plane is
 * its own small filter, so the GEMM paths ran one M = 1 product per channel at 2.6–10 GFLOP/s. Here every
 * pass works on one zero-padded plane at a time in {@link StridePhases}, so that tap (r, s) of the output
 * columns q, q + 1, … is one contiguous run at any stride and dilation. Output rows run along the lanes.
 *
 * <ul>
 *   <li>forward: out = bias + Σ taps in (r, s) order, per vector of one output row;
 *   <li>input gradient: each gradOut vector is scattered into the phases of a padded gradient plane, then
 *       copied out of them;
 *   <li>weight and bias gradients: per channel, over the images in order, a vector partial sum per tap over
 *       at most {@link #ROWS_PER_PARTIAL} output rows, added into a double total.
 * </ul>
 *
 * Planes (forward, input gradient) and channels (weight gradient) run in parallel, each on one thread with
 * the same operations whatever the split, so results are bit-identical for any thread count.
 */
final class DepthwiseConv2d {
    private static final VectorSpecies<Float> F = SimdSpecies.F;
    /** Doubles of F's width: half its lanes, so a float vector widens into two. */
    private static final VectorSpecies<Double> D = VectorSpecies.of(double.class, F.vectorShape());
    private static final int L = F.length();
    /** Output rows whose products a weight-gradient lane sums in float before they go into the double total. */
    static final int ROWS_PER_PARTIAL = 8;

    private DepthwiseConv2d() {}

    /**
     * What every pass reads a layer's planes by: the padded plane in stride phases, where each tap (r, s) of output
     * (0, 0) starts (taps in (r, s) order) and the step from one output row to the next.
     */
    private record Layout(StridePhases ph, int[] taps, int rowStep) {
        static Layout of(Conv2dGeometry g) {
            var ph = StridePhases.of(g.height(), g.width(), g.padTop(), g.padBottom(), g.padLeft(), g.padRight(),
                    g.strideW(), g.outWidth(), (g.kernelW() - 1) * g.dilationW(), L);
            int[] taps = new int[g.kernelH() * g.kernelW()];
            for (int r = 0; r < g.kernelH(); r++) {
                for (int s = 0; s < g.kernelW(); s++) {
                    taps[r * g.kernelW() + s] = ph.at(r * g.dilationH(), s * g.dilationW());
                }
            }
            return new Layout(ph, taps, g.strideH() * ph.width());
        }
    }

    static void forward(Conv2dGeometry g, float[] input, int inOff, float[] weight, int wOff, float[] bias, int bOff,
                        float[] out, int outOff, Parallelism parallelism, Scratch scratch) {
        var layout = Layout.of(g);
        var ph = layout.ph();
        int[] taps = layout.taps();
        int rowStep = layout.rowStep();
        int cc = g.inChannels();
        int pp = g.outHeight();
        int qq = g.outWidth();
        parallelism.forRange(g.batch() * cc, 1, (i0, i1) -> {
            float[] x = scratch.take(ph.size());
            try {
                java.util.Arrays.fill(x, 0, ph.size(), 0f);
                for (int i = i0; i < i1; i++) {
                    int c = i % cc;
                    ph.copyIn(input, inOff + i * g.inPlane(), g.height(), g.width(), x);
                    float b = bias == null ? 0f : bias[bOff + c];
                    int o0 = outOff + i * pp * qq;
                    if (taps.length == 9) {
                        plane3x3(x, taps, rowStep, weight, wOff + c * 9, b, out, o0, pp, qq);
                    } else {
                        plane(x, taps, rowStep, weight, wOff + c * taps.length, b, out, o0, pp, qq);
                    }
                }
            } finally {
                scratch.give(x);
            }
        });
    }

    /** One output plane of any kernel from the padded plane {@code x}: four rows at a time, taps in (r, s) order. */
    private static void plane(float[] x, int[] taps, int rowStep, float[] weight, int w0, float b, float[] out, int o0,
                              int pp, int qq) {
        VectorMask<Float> tail = F.indexInRange(qq / L * L, qq);
        int p = 0;
        for (; p + 4 <= pp; p += 4) {
            int r0 = p * rowStep;
            for (int q = 0; q < qq; q += L) {
                var bv = FloatVector.broadcast(F, b);
                var a0 = bv;
                var a1 = bv;
                var a2 = bv;
                var a3 = bv;
                for (int t = 0; t < taps.length; t++) {
                    var wv = FloatVector.broadcast(F, weight[w0 + t]);
                    int at = taps[t] + r0 + q;
                    a0 = FloatVector.fromArray(F, x, at).fma(wv, a0);
                    a1 = FloatVector.fromArray(F, x, at + rowStep).fma(wv, a1);
                    a2 = FloatVector.fromArray(F, x, at + 2 * rowStep).fma(wv, a2);
                    a3 = FloatVector.fromArray(F, x, at + 3 * rowStep).fma(wv, a3);
                }
                int o = o0 + p * qq + q;
                if (q + L <= qq) {
                    a0.intoArray(out, o);
                    a1.intoArray(out, o + qq);
                    a2.intoArray(out, o + 2 * qq);
                    a3.intoArray(out, o + 3 * qq);
                } else {
                    a0.intoArray(out, o, tail);
                    a1.intoArray(out, o + qq, tail);
                    a2.intoArray(out, o + 2 * qq, tail);
                    a3.intoArray(out, o + 3 * qq, tail);
                }
            }
        }
        for (; p < pp; p++) {
            for (int q = 0; q < qq; q += L) {
                var acc = FloatVector.broadcast(F, b);
                for (int t = 0; t < taps.length; t++) {
                    acc = FloatVector.fromArray(F, x, taps[t] + p * rowStep + q)
                            .fma(FloatVector.broadcast(F, weight[w0 + t]), acc);
                }
                if (q + L <= qq) {
                    acc.intoArray(out, o0 + p * qq + q);
                } else {
                    acc.intoArray(out, o0 + p * qq + q, tail);
                }
            }
        }
    }

    /**
     * {@link #plane} for 3×3 kernels, the same operations in the same order: the nine weights are vectors and the
     * nine tap offsets locals for the whole plane, so the loop issues loads and FMAs only. MobileNetV2's 144
     * channels at 56×56, one image: 0.38 → 0.30 ms in a scratch loop, of which 0.065 is the copy into phases.
     */
    private static void plane3x3(float[] x, int[] taps, int rowStep, float[] weight, int w0, float b, float[] out,
                                 int o0, int pp, int qq) {
        int t0 = taps[0], t1 = taps[1], t2 = taps[2], t3 = taps[3], t4 = taps[4], t5 = taps[5], t6 = taps[6];
        int t7 = taps[7], t8 = taps[8];
        var w0v = FloatVector.broadcast(F, weight[w0]);
        var w1 = FloatVector.broadcast(F, weight[w0 + 1]);
        var w2 = FloatVector.broadcast(F, weight[w0 + 2]);
        var w3 = FloatVector.broadcast(F, weight[w0 + 3]);
        var w4 = FloatVector.broadcast(F, weight[w0 + 4]);
        var w5 = FloatVector.broadcast(F, weight[w0 + 5]);
        var w6 = FloatVector.broadcast(F, weight[w0 + 6]);
        var w7 = FloatVector.broadcast(F, weight[w0 + 7]);
        var w8 = FloatVector.broadcast(F, weight[w0 + 8]);
        var bv = FloatVector.broadcast(F, b);
        VectorMask<Float> tail = F.indexInRange(qq / L * L, qq);
        for (int p = 0; p < pp; p += 4) {
            int rows = Math.min(4, pp - p);
            for (int q = 0; q < qq; q += L) {
                for (int k = 0; k < rows; k++) {
                    int at = (p + k) * rowStep + q;
                    var acc = bv;
                    acc = FloatVector.fromArray(F, x, at + t0).fma(w0v, acc);
                    acc = FloatVector.fromArray(F, x, at + t1).fma(w1, acc);
                    acc = FloatVector.fromArray(F, x, at + t2).fma(w2, acc);
                    acc = FloatVector.fromArray(F, x, at + t3).fma(w3, acc);
                    acc = FloatVector.fromArray(F, x, at + t4).fma(w4, acc);
                    acc = FloatVector.fromArray(F, x, at + t5).fma(w5, acc);
                    acc = FloatVector.fromArray(F, x, at + t6).fma(w6, acc);
                    acc = FloatVector.fromArray(F, x, at + t7).fma(w7, acc);
                    acc = FloatVector.fromArray(F, x, at + t8).fma(w8, acc);
                    if (q + L <= qq) {
                        acc.intoArray(out, o0 + (p + k) * qq + q);
                    } else {
                        acc.intoArray(out, o0 + (p + k) * qq + q, tail);
                    }
                }
            }
        }
    }

    /**
     * Taps outermost: each tap's scatter runs over the whole plane before the next one starts, so a load never
     * waits on the overlapping store of the tap before it (taps one column apart overlap by all but one lane).
     */
    static void backwardInput(Conv2dGeometry g, float[] gradOut, int goOff, float[] weight, int wOff, float[] gradIn,
                              int giOff, Parallelism parallelism, Scratch scratch) {
        var layout = Layout.of(g);
        var ph = layout.ph();
        int[] taps = layout.taps();
        int rowStep = layout.rowStep();
        int cc = g.inChannels();
        int pp = g.outHeight();
        int qq = g.outWidth();
        int whole = qq / L * L;
        VectorMask<Float> tail = F.indexInRange(whole, qq);
        parallelism.forRange(g.batch() * cc, 1, (i0, i1) -> {
            float[] x = scratch.take(ph.size());
            try {
                for (int i = i0; i < i1; i++) {
                    int c = i % cc;
                    java.util.Arrays.fill(x, 0, ph.size(), 0f);
                    int o0 = goOff + i * pp * qq;
                    for (int t = 0; t < taps.length; t++) {
                        var wv = FloatVector.broadcast(F, weight[wOff + c * taps.length + t]);
                        for (int p = 0; p < pp; p++) {
                            int at = taps[t] + p * rowStep;
                            int o = o0 + p * qq;
                            for (int q = 0; q < whole; q += L) {
                                FloatVector.fromArray(F, gradOut, o + q)
                                        .fma(wv, FloatVector.fromArray(F, x, at + q)).intoArray(x, at + q);
                            }
                            if (whole < qq) {
                                // Lanes past Q may be real input columns that no window of this row reaches.
                                FloatVector.fromArray(F, gradOut, o + whole, tail)
                                        .fma(wv, FloatVector.fromArray(F, x, at + whole, tail)).intoArray(x, at + whole, tail);
                            }
                        }
                    }
                    ph.copyOut(x, gradIn, giOff + i * g.inPlane(), g.height(), g.width());
                }
            } finally {
                scratch.give(x);
            }
        });
    }

    /**
     * gradWeight (and gradBias when it is not null) for every channel; each channel's sums run over the images
     * in order on one thread.
     */
    static void backwardWeight(Conv2dGeometry g, float[] input, int inOff, float[] gradOut, int goOff,
                               float[] gradWeight, int gwOff, float[] gradBias, int gbOff, Parallelism parallelism,
                               Scratch scratch) {
        var layout = Layout.of(g);
        var ph = layout.ph();
        int[] tapAt = layout.taps();
        int taps = tapAt.length;
        int rowStep = layout.rowStep();
        int cc = g.inChannels();
        int pp = g.outHeight();
        int qq = g.outWidth();
        parallelism.forRange(cc, 1, (c0, c1) -> {
            float[] x = scratch.take(ph.size());
            double[] total = new double[taps + 1];
            try {
                java.util.Arrays.fill(x, 0, ph.size(), 0f);
                for (int c = c0; c < c1; c++) {
                    java.util.Arrays.fill(total, 0);
                    for (int n = 0; n < g.batch(); n++) {
                        int i = n * cc + c;
                        ph.copyIn(input, inOff + i * g.inPlane(), g.height(), g.width(), x);
                        int o0 = goOff + i * pp * qq;
                        for (int t = 0; t < taps; t++) {
                            total[t] += tapSum(x, tapAt[t], rowStep, gradOut, o0, pp, qq);
                        }
                        if (gradBias != null) {
                            total[taps] += planeSum(gradOut, o0, pp, qq);
                        }
                    }
                    for (int t = 0; t < taps; t++) {
                        gradWeight[gwOff + c * taps + t] = (float) total[t];
                    }
                    if (gradBias != null) {
                        gradBias[gbOff + c] = (float) total[taps];
                    }
                }
            } finally {
                scratch.give(x);
            }
        });
    }

    /**
     * Σ over one image's output positions of gradOut · the input under the tap at {@code at}: four rows at a
     * time, one accumulator each (one chain of FMAs would wait on its own latency).
     */
    private static double tapSum(float[] x, int at, int rowStep, float[] gradOut, int o0, int pp, int qq) {
        int whole = qq / L * L;
        VectorMask<Float> tail = F.indexInRange(whole, qq);
        var total = DoubleVector.zero(D);
        for (int p0 = 0; p0 < pp; p0 += ROWS_PER_PARTIAL) {
            int p1 = Math.min(pp, p0 + ROWS_PER_PARTIAL);
            var a0 = FloatVector.zero(F);
            var a1 = a0;
            var a2 = a0;
            var a3 = a0;
            int p = p0;
            for (; p + 4 <= p1; p += 4) {
                int xi = at + p * rowStep;
                int gi = o0 + p * qq;
                for (int q = 0; q < whole; q += L) {
                    a0 = FloatVector.fromArray(F, gradOut, gi + q).fma(FloatVector.fromArray(F, x, xi + q), a0);
                    a1 = FloatVector.fromArray(F, gradOut, gi + qq + q)
                            .fma(FloatVector.fromArray(F, x, xi + rowStep + q), a1);
                    a2 = FloatVector.fromArray(F, gradOut, gi + 2 * qq + q)
                            .fma(FloatVector.fromArray(F, x, xi + 2 * rowStep + q), a2);
                    a3 = FloatVector.fromArray(F, gradOut, gi + 3 * qq + q)
                            .fma(FloatVector.fromArray(F, x, xi + 3 * rowStep + q), a3);
                }
            }
            a0 = a0.add(a1).add(a2.add(a3));
            for (; p < p1; p++) {
                int xi = at + p * rowStep;
                int gi = o0 + p * qq;
                for (int q = 0; q < whole; q += L) {
                    a0 = FloatVector.fromArray(F, gradOut, gi + q).fma(FloatVector.fromArray(F, x, xi + q), a0);
                }
            }
            if (whole < qq) {
                // Masked both ways: an infinite input past Q must not meet a zero.
                for (p = p0; p < p1; p++) {
                    a0 = FloatVector.fromArray(F, gradOut, o0 + p * qq + whole, tail)
                            .fma(FloatVector.fromArray(F, x, at + p * rowStep + whole, tail), a0);
                }
            }
            total = addWidened(total, a0);
        }
        return Lanes.sum(total);
    }

    /** Σ of one gradOut plane, in the same blocks as {@link #tapSum}. */
    private static double planeSum(float[] gradOut, int o0, int pp, int qq) {
        var total = DoubleVector.zero(D);
        for (int p0 = 0; p0 < pp; p0 += ROWS_PER_PARTIAL) {
            var acc = FloatVector.zero(F);
            for (int p = p0; p < Math.min(pp, p0 + ROWS_PER_PARTIAL); p++) {
                int q = 0;
                for (; q + L <= qq; q += L) {
                    acc = acc.add(FloatVector.fromArray(F, gradOut, o0 + p * qq + q));
                }
                if (q < qq) {
                    acc = acc.add(FloatVector.fromArray(F, gradOut, o0 + p * qq + q, F.indexInRange(q, qq)));
                }
            }
            total = addWidened(total, acc);
        }
        return Lanes.sum(total);
    }

    /** The partial's lanes widened to double and added lane by lane: no float reduction, one order everywhere. */
    private static DoubleVector addWidened(DoubleVector total, FloatVector partial) {
        return total.add((DoubleVector) partial.convertShape(VectorOperators.F2D, D, 0))
                .add((DoubleVector) partial.convertShape(VectorOperators.F2D, D, 1));
    }

    private static int roundUp(int n, int step) {
        return (n + step - 1) / step * step;
    }
}
