package dev.vcnn.engine.kernel.simd.elementwise;

import static dev.vcnn.engine.kernel.simd.SimdSpecies.F;

import dev.vcnn.engine.kernel.Blas1;
import dev.vcnn.engine.kernel.simd.Lanes;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link Blas1} on the Vector API. Elementwise kernels are bit-identical to {@code ScalarBlas1};
 * {@code dot} and {@code sum} keep four vector accumulators (float) and stay within the bound
 * stated on {@link Blas1}.
 */
public final class SimdBlas1 implements Blas1 {
    private static final int L = F.length();

    @Override
    public void add(float[] x, int xOff, float[] y, int yOff, float[] out, int outOff, int n) {
        int i = 0;
        for (int bound = F.loopBound(n); i < bound; i += L) {
            FloatVector.fromArray(F, x, xOff + i).add(FloatVector.fromArray(F, y, yOff + i)).intoArray(out, outOff + i);
        }
        for (; i < n; i++) {
            out[outOff + i] = x[xOff + i] + y[yOff + i];
        }
    }

    @Override
    public void sub(float[] x, int xOff, float[] y, int yOff, float[] out, int outOff, int n) {
        int i = 0;
        for (int bound = F.loopBound(n); i < bound; i += L) {
            FloatVector.fromArray(F, x, xOff + i).sub(FloatVector.fromArray(F, y, yOff + i)).intoArray(out, outOff + i);
        }
        for (; i < n; i++) {
            out[outOff + i] = x[xOff + i] - y[yOff + i];
        }
    }

    @Override
    public void mul(float[] x, int xOff, float[] y, int yOff, float[] out, int outOff, int n) {
        int i = 0;
        for (int bound = F.loopBound(n); i < bound; i += L) {
            FloatVector.fromArray(F, x, xOff + i).mul(FloatVector.fromArray(F, y, yOff + i)).intoArray(out, outOff + i);
        }
        for (; i < n; i++) {
            out[outOff + i] = x[xOff + i] * y[yOff + i];
        }
    }

    @Override
    public void div(float[] x, int xOff, float[] y, int yOff, float[] out, int outOff, int n) {
        int i = 0;
        for (int bound = F.loopBound(n); i < bound; i += L) {
            FloatVector.fromArray(F, x, xOff + i).div(FloatVector.fromArray(F, y, yOff + i)).intoArray(out, outOff + i);
        }
        for (; i < n; i++) {
            out[outOff + i] = x[xOff + i] / y[yOff + i];
        }
    }

    @Override
    public void scale(float alpha, float[] x, int xOff, float[] out, int outOff, int n) {
        var a = FloatVector.broadcast(F, alpha);
        int i = 0;
        for (int bound = F.loopBound(n); i < bound; i += L) {
            a.mul(FloatVector.fromArray(F, x, xOff + i)).intoArray(out, outOff + i);
        }
        for (; i < n; i++) {
            out[outOff + i] = alpha * x[xOff + i];
        }
    }

    @Override
    public void axpy(float alpha, float[] x, int xOff, float[] y, int yOff, int n) {
        var a = FloatVector.broadcast(F, alpha);
        int i = 0;
        for (int bound = F.loopBound(n); i < bound; i += L) {
            a.fma(FloatVector.fromArray(F, x, xOff + i), FloatVector.fromArray(F, y, yOff + i)).intoArray(y, yOff + i);
        }
        for (; i < n; i++) {
            y[yOff + i] = Math.fma(alpha, x[xOff + i], y[yOff + i]);
        }
    }

    @Override
    public void relu(float[] x, int xOff, float[] out, int outOff, int n) {
        var zero = FloatVector.zero(F);
        int i = 0;
        for (int bound = F.loopBound(n); i < bound; i += L) {
            // lanewise MAX has Math.max semantics (NaN propagates, max(-0, 0) = +0), like the twin.
            FloatVector.fromArray(F, x, xOff + i).lanewise(VectorOperators.MAX, zero).intoArray(out, outOff + i);
        }
        for (; i < n; i++) {
            out[outOff + i] = Math.max(x[xOff + i], 0f);
        }
    }

    /** Floats of the same lane count as {@link #D}: half of {@code F}'s width. */
    private static final VectorSpecies<Float> HALF = VectorSpecies.of(float.class, VectorShape.forBitSize(F.vectorBitSize() / 2));
    private static final VectorSpecies<Double> D = VectorSpecies.of(double.class, VectorShape.forBitSize(F.vectorBitSize()));

    @Override
    public void normalize(float[] x, int xOff, double mean, float scale, float shift, float[] out, int outOff, int n) {
        int i = 0;
        float m = (float) mean;
        if (m == mean) {
            // A float mean (the running mean in inference): the float subtraction rounds as the double one, since
            // double carries more than 2·24 + 2 bits, so full-width lanes give the twin's bits.
            for (int bound = F.loopBound(n); i < bound; i += L) {
                FloatVector.fromArray(F, x, xOff + i).sub(m).fma(scale, shift).intoArray(out, outOff + i);
            }
            for (; i < n; i++) {
                out[outOff + i] = Math.fma(x[xOff + i] - m, scale, shift);
            }
            return;
        }
        // Widening each float to double, subtracting and rounding back are exact lane by lane as in the twin.
        for (int bound = HALF.loopBound(n); i < bound; i += HALF.length()) {
            var wide = (DoubleVector) FloatVector.fromArray(HALF, x, xOff + i).convertShape(VectorOperators.F2D, D, 0);
            var centred = (FloatVector) wide.sub(mean).convertShape(VectorOperators.D2F, HALF, 0);
            centred.fma(scale, shift).intoArray(out, outOff + i);
        }
        for (; i < n; i++) {
            out[outOff + i] = Math.fma((float) (x[xOff + i] - mean), scale, shift);
        }
    }

    @Override
    public void batchNormGradient(float[] x, int xOff, float[] dy, int dyOff, double mean, double invStd, double k,
                                  double m, double sumDy, double sumDyXhat, float[] out, int outOff, int n) {
        int i = 0;
        // Half-width float lanes widened to double: each lane's operations are the twin's, in the same order.
        for (int bound = HALF.loopBound(n); i < bound; i += HALF.length()) {
            var xs = (DoubleVector) FloatVector.fromArray(HALF, x, xOff + i).convertShape(VectorOperators.F2D, D, 0);
            var ys = (DoubleVector) FloatVector.fromArray(HALF, dy, dyOff + i).convertShape(VectorOperators.F2D, D, 0);
            var xhat = xs.sub(mean).mul(invStd);
            var g = ys.mul(m).sub(sumDy).sub(xhat.mul(sumDyXhat)).mul(k);
            ((FloatVector) g.convertShape(VectorOperators.D2F, HALF, 0)).intoArray(out, outOff + i);
        }
        for (; i < n; i++) {
            double xhat = (x[xOff + i] - mean) * invStd;
            out[outOff + i] = (float) (k * (m * dy[dyOff + i] - sumDy - xhat * sumDyXhat));
        }
    }

    @Override
    public void reluBackward(float[] x, int xOff, float[] gradOut, int gOff, float[] gradIn, int giOff, int n) {
        var zero = FloatVector.zero(F);
        int i = 0;
        for (int bound = F.loopBound(n); i < bound; i += L) {
            VectorMask<Float> positive = FloatVector.fromArray(F, x, xOff + i).compare(VectorOperators.GT, 0f);
            zero.blend(FloatVector.fromArray(F, gradOut, gOff + i), positive).intoArray(gradIn, giOff + i);
        }
        for (; i < n; i++) {
            gradIn[giOff + i] = x[xOff + i] > 0f ? gradOut[gOff + i] : 0f;
        }
    }

    @Override
    public void addBias(float[] x, int xOff, int n, int c, int s, float[] bias, int bOff) {
        if (s == 1) {
            // [N, C]: the bias row lines up with each sample's row.
            for (int i = 0; i < n; i++) {
                add(x, xOff + i * c, bias, bOff, x, xOff + i * c, c);
            }
            return;
        }
        for (int i = 0; i < n; i++) {
            for (int ch = 0; ch < c; ch++) {
                int base = xOff + (i * c + ch) * s;
                float b = bias[bOff + ch];
                var bv = FloatVector.broadcast(F, b);
                int j = 0;
                for (int bound = F.loopBound(s); j < bound; j += L) {
                    FloatVector.fromArray(F, x, base + j).add(bv).intoArray(x, base + j);
                }
                for (; j < s; j++) {
                    x[base + j] += b;
                }
            }
        }
    }

    @Override
    public float dot(float[] x, int xOff, float[] y, int yOff, int n) {
        // Four independent accumulators hide the FMA latency; the order is fixed, so the result is
        // deterministic, and blocked summation only tightens the error bound.
        var acc0 = FloatVector.zero(F);
        var acc1 = FloatVector.zero(F);
        var acc2 = FloatVector.zero(F);
        var acc3 = FloatVector.zero(F);
        int i = 0;
        for (int bound = n - 4 * L; i <= bound; i += 4 * L) {
            acc0 = FloatVector.fromArray(F, x, xOff + i).fma(FloatVector.fromArray(F, y, yOff + i), acc0);
            acc1 = FloatVector.fromArray(F, x, xOff + i + L).fma(FloatVector.fromArray(F, y, yOff + i + L), acc1);
            acc2 = FloatVector.fromArray(F, x, xOff + i + 2 * L).fma(FloatVector.fromArray(F, y, yOff + i + 2 * L), acc2);
            acc3 = FloatVector.fromArray(F, x, xOff + i + 3 * L).fma(FloatVector.fromArray(F, y, yOff + i + 3 * L), acc3);
        }
        for (int bound = F.loopBound(n); i < bound; i += L) {
            acc0 = FloatVector.fromArray(F, x, xOff + i).fma(FloatVector.fromArray(F, y, yOff + i), acc0);
        }
        float s = Lanes.sum(acc0.add(acc1).add(acc2.add(acc3)));
        for (; i < n; i++) {
            s = Math.fma(x[xOff + i], y[yOff + i], s);
        }
        return s;
    }

    @Override
    public float sum(float[] x, int xOff, int n) {
        var acc0 = FloatVector.zero(F);
        var acc1 = FloatVector.zero(F);
        var acc2 = FloatVector.zero(F);
        var acc3 = FloatVector.zero(F);
        int i = 0;
        for (int bound = n - 4 * L; i <= bound; i += 4 * L) {
            acc0 = acc0.add(FloatVector.fromArray(F, x, xOff + i));
            acc1 = acc1.add(FloatVector.fromArray(F, x, xOff + i + L));
            acc2 = acc2.add(FloatVector.fromArray(F, x, xOff + i + 2 * L));
            acc3 = acc3.add(FloatVector.fromArray(F, x, xOff + i + 3 * L));
        }
        for (int bound = F.loopBound(n); i < bound; i += L) {
            acc0 = acc0.add(FloatVector.fromArray(F, x, xOff + i));
        }
        float s = Lanes.sum(acc0.add(acc1).add(acc2.add(acc3)));
        for (; i < n; i++) {
            s += x[xOff + i];
        }
        return s;
    }

    @Override
    public float max(float[] x, int xOff, int n) {
        assert n > 0 : "max of an empty range";
        int i = 0;
        float m = Float.NEGATIVE_INFINITY;
        if (n >= L) {
            var acc = FloatVector.broadcast(F, Float.NEGATIVE_INFINITY);
            for (int bound = F.loopBound(n); i < bound; i += L) {
                acc = acc.lanewise(VectorOperators.MAX, FloatVector.fromArray(F, x, xOff + i));
            }
            m = acc.reduceLanes(VectorOperators.MAX);
        }
        for (; i < n; i++) {
            m = Math.max(m, x[xOff + i]);
        }
        return m;
    }

    @Override
    public int argmax(float[] x, int xOff, int n) {
        float m = max(x, xOff, n);
        boolean nan = Float.isNaN(m);
        int i = 0;
        for (int bound = F.loopBound(n); i < bound; i += L) {
            var v = FloatVector.fromArray(F, x, xOff + i);
            VectorMask<Float> hit = nan ? v.test(VectorOperators.IS_NAN) : v.compare(VectorOperators.EQ, m);
            if (hit.anyTrue()) {
                return i + hit.firstTrue();
            }
        }
        for (; i < n; i++) {
            float v = x[xOff + i];
            if (nan ? Float.isNaN(v) : v == m) {
                return i;
            }
        }
        throw new AssertionError("argmax: the maximum " + m + " was not found again");
    }
}
