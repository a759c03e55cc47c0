package dev.vcnn.engine.kernel.scalar;

import dev.vcnn.engine.kernel.Activations;

/**
 * The reference {@link Activations}: one element at a time, with the shared exp defined here; softmax
 * sums in double.
 */
public final class ScalarActivations implements Activations {
    /** The reference kernels; stateless. */
    public ScalarActivations() {}

    /** ln(FLT_MAX): above this exp overflows to +∞. */
    public static final float EXP_HI = 88.72283905f;
    /** Below this exp(x) is under half the smallest subnormal and rounds to 0. */
    public static final float EXP_LO = -103.972084f;
    /** 1.5·2²³: adding it rounds a float of magnitude &lt; 2²² to an integer, kept in the low mantissa bits. */
    public static final float ROUNDER = 12582912f;
    public static final float LOG2E = 1.44269504088896341f;
    /** ln 2 split in two, so that n·ln2 is subtracted without rounding error for |n| ≤ 150. */
    public static final float LN2_HI = 0.693359375f;
    public static final float LN2_LO = -2.12194440e-4f;
    public static final float P0 = 1.9875691500e-4f;
    public static final float P1 = 1.3981999507e-3f;
    public static final float P2 = 8.3334519073e-3f;
    public static final float P3 = 4.1665795894e-2f;
    public static final float P4 = 1.6666665459e-1f;
    public static final float P5 = 5.0000001201e-1f;
    /** tanh(x) ≈ x + x³·T(x²) for |x| &lt; TANH_SMALL (Cephes tanhf). */
    public static final float TANH_SMALL = 0.625f;
    public static final float T0 = -5.70498872745e-3f;
    public static final float T1 = 2.06390887954e-2f;
    public static final float T2 = -5.37397155531e-2f;
    public static final float T3 = 1.33314422036e-1f;
    public static final float T4 = -3.33332819422e-1f;

    /**
     * exp(x) within 2 ulp: x = n·ln2 + r with |r| ≤ ln2/2, e^r by a degree-7 polynomial, then 2ⁿ
     * applied in two halves so that results down to the subnormals are scaled exactly once each.
     */
    public static float exp(float x) {
        if (x != x) {
            return x;
        }
        if (x > EXP_HI) {
            return Float.POSITIVE_INFINITY;
        }
        if (x < EXP_LO) {
            return 0f;
        }
        float t = Math.fma(x, LOG2E, ROUNDER);
        float n = t - ROUNDER;
        int ni = Float.floatToRawIntBits(t) - Float.floatToRawIntBits(ROUNDER);
        float r = Math.fma(n, -LN2_HI, x);
        r = Math.fma(n, -LN2_LO, r);
        float p = Math.fma(P0, r, P1);
        p = Math.fma(p, r, P2);
        p = Math.fma(p, r, P3);
        p = Math.fma(p, r, P4);
        p = Math.fma(p, r, P5);
        float y = Math.fma(p, r * r, r) + 1f;
        int n1 = ni >> 1;
        int n2 = ni - n1;
        return y * Float.intBitsToFloat((n1 + 127) << 23) * Float.intBitsToFloat((n2 + 127) << 23);
    }

    /**
     * 1 / (1 + e) for x ≥ 0 and e / (1 + e) for x &lt; 0, with e = exp(−|x|): e never overflows, so
     * sigmoid of a very negative x keeps its tiny value instead of becoming 1/∞ = 0.
     */
    public static float sigmoid(float x) {
        float e = exp(-Math.abs(x));
        return x >= 0f ? 1f / (1f + e) : e / (1f + e);
    }

    /** tanh with the shared exp: a polynomial near 0 (no cancellation), the exp form elsewhere. */
    public static float tanh(float x) {
        float a = Math.abs(x);
        if (a < TANH_SMALL) {
            float z = x * x;
            float p = Math.fma(T0, z, T1);
            p = Math.fma(p, z, T2);
            p = Math.fma(p, z, T3);
            p = Math.fma(p, z, T4);
            return x * Math.fma(p, z, 1f); // x·(1 + z·T(z)), not x + …: keeps tanh(−0) = −0
        }
        float big = 1f - 2f / (exp(2f * a) + 1f);
        return Math.copySign(big, x);
    }

    @Override
    public void leakyRelu(float slope, float[] x, int xOff, float[] out, int outOff, int n) {
        for (int i = 0; i < n; i++) {
            float v = x[xOff + i];
            out[outOff + i] = v > 0f ? v : slope * v;
        }
    }

    @Override
    public void leakyReluBackward(float slope, float[] x, int xOff, float[] gradOut, int gOff, float[] gradIn, int giOff, int n) {
        for (int i = 0; i < n; i++) {
            float g = gradOut[gOff + i];
            gradIn[giOff + i] = x[xOff + i] > 0f ? g : slope * g;
        }
    }

    @Override
    public void hardtanh(float lo, float hi, float[] x, int xOff, float[] out, int outOff, int n) {
        for (int i = 0; i < n; i++) {
            float v = x[xOff + i];
            out[outOff + i] = v < lo ? lo : v > hi ? hi : v;
        }
    }

    @Override
    public void hardtanhBackward(float lo, float hi, float[] x, int xOff, float[] gradOut, int gOff, float[] gradIn,
                                 int giOff, int n) {
        for (int i = 0; i < n; i++) {
            float v = x[xOff + i];
            gradIn[giOff + i] = v > lo && v < hi ? gradOut[gOff + i] : 0f;
        }
    }

    @Override
    public void exp(float[] x, int xOff, float[] out, int outOff, int n) {
        for (int i = 0; i < n; i++) {
            out[outOff + i] = exp(x[xOff + i]);
        }
    }

    @Override
    public void sigmoid(float[] x, int xOff, float[] out, int outOff, int n) {
        for (int i = 0; i < n; i++) {
            out[outOff + i] = sigmoid(x[xOff + i]);
        }
    }

    @Override
    public void sigmoidBackward(float[] y, int yOff, float[] gradOut, int gOff, float[] gradIn, int giOff, int n) {
        for (int i = 0; i < n; i++) {
            float s = y[yOff + i];
            gradIn[giOff + i] = gradOut[gOff + i] * (s * (1f - s));
        }
    }

    @Override
    public void tanh(float[] x, int xOff, float[] out, int outOff, int n) {
        for (int i = 0; i < n; i++) {
            out[outOff + i] = tanh(x[xOff + i]);
        }
    }

    @Override
    public void tanhBackward(float[] y, int yOff, float[] gradOut, int gOff, float[] gradIn, int giOff, int n) {
        for (int i = 0; i < n; i++) {
            float t = y[yOff + i];
            gradIn[giOff + i] = gradOut[gOff + i] * Math.fma(-t, t, 1f);
        }
    }

    @Override
    public void softmaxRows(boolean log, float[] x, int xOff, float[] out, int outOff, int rows, int cols) {
        for (int row = 0; row < rows; row++) {
            int in = xOff + row * cols;
            int to = outOff + row * cols;
            float max = Float.NEGATIVE_INFINITY;
            for (int j = 0; j < cols; j++) {
                max = Math.max(max, x[in + j]);
            }
            double sum = 0;
            for (int j = 0; j < cols; j++) {
                sum += exp(x[in + j] - max);
            }
            if (log) {
                float logSum = (float) Math.log(sum);
                for (int j = 0; j < cols; j++) {
                    out[to + j] = x[in + j] - max - logSum;
                }
            } else {
                for (int j = 0; j < cols; j++) {
                    out[to + j] = (float) (exp(x[in + j] - max) / sum);
                }
            }
        }
    }
}
