package dev.vcnn.engine.kernel.simd.elementwise;

import static dev.vcnn.engine.kernel.scalar.ScalarActivations.EXP_HI;
import static dev.vcnn.engine.kernel.scalar.ScalarActivations.EXP_LO;
import static dev.vcnn.engine.kernel.scalar.ScalarActivations.LN2_HI;
import static dev.vcnn.engine.kernel.scalar.ScalarActivations.LN2_LO;
import static dev.vcnn.engine.kernel.scalar.ScalarActivations.LOG2E;
import static dev.vcnn.engine.kernel.scalar.ScalarActivations.P0;
import static dev.vcnn.engine.kernel.scalar.ScalarActivations.P1;
import static dev.vcnn.engine.kernel.scalar.ScalarActivations.P2;
import static dev.vcnn.engine.kernel.scalar.ScalarActivations.P3;
import static dev.vcnn.engine.kernel.scalar.ScalarActivations.P4;
import static dev.vcnn.engine.kernel.scalar.ScalarActivations.P5;
import static dev.vcnn.engine.kernel.scalar.ScalarActivations.ROUNDER;
import static dev.vcnn.engine.kernel.scalar.ScalarActivations.T0;
import static dev.vcnn.engine.kernel.scalar.ScalarActivations.T1;
import static dev.vcnn.engine.kernel.scalar.ScalarActivations.T2;
import static dev.vcnn.engine.kernel.scalar.ScalarActivations.T3;
import static dev.vcnn.engine.kernel.scalar.ScalarActivations.T4;
import static dev.vcnn.engine.kernel.scalar.ScalarActivations.TANH_SMALL;
import static dev.vcnn.engine.kernel.simd.SimdSpecies.F;

import dev.vcnn.engine.kernel.Activations;
import dev.vcnn.engine.kernel.scalar.ScalarActivations;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;

/**
 * {@link Activations} on the Vector API: the same operations as {@link ScalarActivations}, lane by
 * lane, so elementwise results are bit-identical; tails use the scalar definitions.
 */
public final class SimdActivations implements Activations {
    private static final int L = F.length();
    private static final int ROUNDER_BITS = Float.floatToRawIntBits(ROUNDER);

    /** The shared exp of {@link ScalarActivations#exp(float)}, lane by lane. */
    static FloatVector exp(FloatVector x) {
        var t = x.fma(LOG2E, ROUNDER); // fma(x, LOG2E, ROUNDER), as the scalar twin
        var n = t.sub(ROUNDER);
        IntVector ni = t.reinterpretAsInts().sub(ROUNDER_BITS);
        var r = n.fma(FloatVector.broadcast(F, -LN2_HI), x);
        r = n.fma(FloatVector.broadcast(F, -LN2_LO), r);
        var p = FloatVector.broadcast(F, P0).fma(r, FloatVector.broadcast(F, P1));
        p = p.fma(r, FloatVector.broadcast(F, P2));
        p = p.fma(r, FloatVector.broadcast(F, P3));
        p = p.fma(r, FloatVector.broadcast(F, P4));
        p = p.fma(r, FloatVector.broadcast(F, P5));
        var y = p.fma(r.mul(r), r).add(1f);
        var n1 = ni.lanewise(VectorOperators.ASHR, 1);
        var n2 = ni.sub(n1);
        FloatVector s1 = n1.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
        FloatVector s2 = n2.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
        var result = y.mul(s1).mul(s2);
        result = result.blend(Float.POSITIVE_INFINITY, x.compare(VectorOperators.GT, EXP_HI));
        result = result.blend(0f, x.compare(VectorOperators.LT, EXP_LO));
        return result.blend(x, x.test(VectorOperators.IS_NAN));
    }

    private static FloatVector sigmoid(FloatVector x) {
        var e = exp(x.abs().neg());
        var onePlus = e.add(1f);
        var positive = FloatVector.broadcast(F, 1f).div(onePlus);
        return e.div(onePlus).blend(positive, x.compare(VectorOperators.GE, 0f));
    }

    private static FloatVector tanh(FloatVector x) {
        var a = x.abs();
        var z = x.mul(x);
        var p = FloatVector.broadcast(F, T0).fma(z, FloatVector.broadcast(F, T1));
        p = p.fma(z, FloatVector.broadcast(F, T2));
        p = p.fma(z, FloatVector.broadcast(F, T3));
        p = p.fma(z, FloatVector.broadcast(F, T4));
        var one = FloatVector.broadcast(F, 1f);
        var small = x.mul(p.fma(z, one));
        var big = one.sub(FloatVector.broadcast(F, 2f).div(exp(a.mul(2f)).add(1f)));
        // copySign(big, x): the magnitude bits of big with the sign bit of x.
        FloatVector signed = big.reinterpretAsInts().and(0x7fffffff)
                .or(x.reinterpretAsInts().and(0x80000000)).reinterpretAsFloats();
        VectorMask<Float> isSmall = a.compare(VectorOperators.LT, TANH_SMALL);
        return signed.blend(small, isSmall);
    }

    @Override
    public void leakyRelu(float slope, float[] x, int xOff, float[] out, int outOff, int n) {
        int i = 0;
        for (int bound = F.loopBound(n); i < bound; i += L) {
            var v = FloatVector.fromArray(F, x, xOff + i);
            v.mul(slope).blend(v, v.compare(VectorOperators.GT, 0f)).intoArray(out, outOff + i);
        }
        for (; i < n; i++) {
            float v = x[xOff + i];
            out[outOff + i] = v > 0f ? v : slope * v;
        }
    }

    @Override
    public void leakyReluBackward(float slope, float[] x, int xOff, float[] gradOut, int gOff, float[] gradIn, int giOff, int n) {
        int i = 0;
        for (int bound = F.loopBound(n); i < bound; i += L) {
            var g = FloatVector.fromArray(F, gradOut, gOff + i);
            var positive = FloatVector.fromArray(F, x, xOff + i).compare(VectorOperators.GT, 0f);
            g.mul(slope).blend(g, positive).intoArray(gradIn, giOff + i);
        }
        for (; i < n; i++) {
            float g = gradOut[gOff + i];
            gradIn[giOff + i] = x[xOff + i] > 0f ? g : slope * g;
        }
    }

    @Override
    public void hardtanh(float lo, float hi, float[] x, int xOff, float[] out, int outOff, int n) {
        int i = 0;
        for (int bound = F.loopBound(n); i < bound; i += L) {
            var v = FloatVector.fromArray(F, x, xOff + i);
            // Compare and blend rather than max/min: a NaN fails both comparisons and stays.
            v.blend(lo, v.compare(VectorOperators.LT, lo)).blend(hi, v.compare(VectorOperators.GT, hi))
                    .intoArray(out, outOff + i);
        }
        for (; i < n; i++) {
            float v = x[xOff + i];
            out[outOff + i] = v < lo ? lo : v > hi ? hi : v;
        }
    }

    @Override
    public void hardtanhBackward(float lo, float hi, float[] x, int xOff, float[] gradOut, int gOff, float[] gradIn,
                                 int giOff, int n) {
        int i = 0;
        for (int bound = F.loopBound(n); i < bound; i += L) {
            var v = FloatVector.fromArray(F, x, xOff + i);
            var inside = v.compare(VectorOperators.GT, lo).and(v.compare(VectorOperators.LT, hi));
            FloatVector.zero(F).blend(FloatVector.fromArray(F, gradOut, gOff + i), inside).intoArray(gradIn, giOff + i);
        }
        for (; i < n; i++) {
            float v = x[xOff + i];
            gradIn[giOff + i] = v > lo && v < hi ? gradOut[gOff + i] : 0f;
        }
    }

    @Override
    public void exp(float[] x, int xOff, float[] out, int outOff, int n) {
        int i = 0;
        for (int bound = F.loopBound(n); i < bound; i += L) {
            exp(FloatVector.fromArray(F, x, xOff + i)).intoArray(out, outOff + i);
        }
        for (; i < n; i++) {
            out[outOff + i] = ScalarActivations.exp(x[xOff + i]);
        }
    }

    @Override
    public void sigmoid(float[] x, int xOff, float[] out, int outOff, int n) {
        int i = 0;
        for (int bound = F.loopBound(n); i < bound; i += L) {
            sigmoid(FloatVector.fromArray(F, x, xOff + i)).intoArray(out, outOff + i);
        }
        for (; i < n; i++) {
            out[outOff + i] = ScalarActivations.sigmoid(x[xOff + i]);
        }
    }

    @Override
    public void sigmoidBackward(float[] y, int yOff, float[] gradOut, int gOff, float[] gradIn, int giOff, int n) {
        int i = 0;
        for (int bound = F.loopBound(n); i < bound; i += L) {
            var s = FloatVector.fromArray(F, y, yOff + i);
            FloatVector.fromArray(F, gradOut, gOff + i).mul(s.mul(s.neg().add(1f))).intoArray(gradIn, giOff + i);
        }
        for (; i < n; i++) {
            float s = y[yOff + i];
            gradIn[giOff + i] = gradOut[gOff + i] * (s * (1f - s));
        }
    }

    @Override
    public void tanh(float[] x, int xOff, float[] out, int outOff, int n) {
        int i = 0;
        for (int bound = F.loopBound(n); i < bound; i += L) {
            tanh(FloatVector.fromArray(F, x, xOff + i)).intoArray(out, outOff + i);
        }
        for (; i < n; i++) {
            out[outOff + i] = ScalarActivations.tanh(x[xOff + i]);
        }
    }

    @Override
    public void tanhBackward(float[] y, int yOff, float[] gradOut, int gOff, float[] gradIn, int giOff, int n) {
        int i = 0;
        for (int bound = F.loopBound(n); i < bound; i += L) {
            var t = FloatVector.fromArray(F, y, yOff + i);
            FloatVector.fromArray(F, gradOut, gOff + i).mul(t.neg().fma(t, FloatVector.broadcast(F, 1f)))
                    .intoArray(gradIn, giOff + i);
        }
        for (; i < n; i++) {
            float t = y[yOff + i];
            gradIn[giOff + i] = gradOut[gOff + i] * Math.fma(-t, t, 1f);
        }
    }

    @Override
    public void softmaxRows(boolean log, float[] x, int xOff, float[] out, int outOff, int rows, int cols) {
        int bound = F.loopBound(cols);
        float[] lanes = new float[L];
        for (int row = 0; row < rows; row++) {
            int in = xOff + row * cols;
            int to = outOff + row * cols;
            float max = Float.NEGATIVE_INFINITY;
            int j = 0;
            if (bound > 0) {
                var m = FloatVector.broadcast(F, Float.NEGATIVE_INFINITY);
                for (; j < bound; j += L) {
                    m = m.lanewise(VectorOperators.MAX, FloatVector.fromArray(F, x, in + j));
                }
                max = m.reduceLanes(VectorOperators.MAX);
            }
            for (; j < cols; j++) {
                max = Math.max(max, x[in + j]);
            }
            // Softmax keeps exp(x − max) in out on the way (safe when out aliases x: each lane is
            // read before it is written); log-softmax only needs the sum.
            var acc = FloatVector.zero(F);
            for (j = 0; j < bound; j += L) {
                var e = exp(FloatVector.fromArray(F, x, in + j).sub(max));
                if (!log) {
                    e.intoArray(out, to + j);
                }
                acc = acc.add(e);
            }
            // The lanes and the tail summed in double, in a fixed order: with few classes they are the whole
            // row, and float sums there cost two or three ulps of the largest gradient.
            acc.intoArray(lanes, 0);
            double sum = 0;
            for (float lane : lanes) {
                sum += lane;
            }
            for (; j < cols; j++) {
                float e = ScalarActivations.exp(x[in + j] - max);
                if (!log) {
                    out[to + j] = e;
                }
                sum += e;
            }
            if (log) {
                float logSum = (float) Math.log(sum);
                for (j = 0; j < bound; j += L) {
                    FloatVector.fromArray(F, x, in + j).sub(max).sub(logSum).intoArray(out, to + j);
                }
                for (; j < cols; j++) {
                    out[to + j] = x[in + j] - max - logSum;
                }
            } else {
                float inv = (float) (1 / sum);
                for (j = 0; j < bound; j += L) {
                    FloatVector.fromArray(F, out, to + j).mul(inv).intoArray(out, to + j);
                }
                for (; j < cols; j++) {
                    out[to + j] *= inv;
                }
            }
        }
    }
}
