package dev.vcnn.engine.kernel.scalar;

import dev.vcnn.engine.kernel.Blas1;

/**
 * The reference {@link Blas1}: plain loops, reductions accumulated in double and rounded once.
 * The SIMD implementation must match it bit for bit on elementwise kernels.
 */
public final class ScalarBlas1 implements Blas1 {
    /** The reference kernels; stateless. */
    public ScalarBlas1() {}

    @Override
    public void add(float[] x, int xOff, float[] y, int yOff, float[] out, int outOff, int n) {
        for (int i = 0; i < n; i++) {
            out[outOff + i] = x[xOff + i] + y[yOff + i];
        }
    }

    @Override
    public void sub(float[] x, int xOff, float[] y, int yOff, float[] out, int outOff, int n) {
        for (int i = 0; i < n; i++) {
            out[outOff + i] = x[xOff + i] - y[yOff + i];
        }
    }

    @Override
    public void mul(float[] x, int xOff, float[] y, int yOff, float[] out, int outOff, int n) {
        for (int i = 0; i < n; i++) {
            out[outOff + i] = x[xOff + i] * y[yOff + i];
        }
    }

    @Override
    public void div(float[] x, int xOff, float[] y, int yOff, float[] out, int outOff, int n) {
        for (int i = 0; i < n; i++) {
            out[outOff + i] = x[xOff + i] / y[yOff + i];
        }
    }

    @Override
    public void scale(float alpha, float[] x, int xOff, float[] out, int outOff, int n) {
        for (int i = 0; i < n; i++) {
            out[outOff + i] = alpha * x[xOff + i];
        }
    }

    @Override
    public void axpy(float alpha, float[] x, int xOff, float[] y, int yOff, int n) {
        for (int i = 0; i < n; i++) {
            y[yOff + i] = Math.fma(alpha, x[xOff + i], y[yOff + i]);
        }
    }

    @Override
    public void relu(float[] x, int xOff, float[] out, int outOff, int n) {
        for (int i = 0; i < n; i++) {
            out[outOff + i] = Math.max(x[xOff + i], 0f);
        }
    }

    @Override
    public void reluBackward(float[] x, int xOff, float[] gradOut, int gOff, float[] gradIn, int giOff, int n) {
        for (int i = 0; i < n; i++) {
            gradIn[giOff + i] = x[xOff + i] > 0f ? gradOut[gOff + i] : 0f;
        }
    }

    @Override
    public void addBias(float[] x, int xOff, int n, int c, int s, float[] bias, int bOff) {
        for (int i = 0; i < n; i++) {
            for (int ch = 0; ch < c; ch++) {
                int base = xOff + (i * c + ch) * s;
                for (int j = 0; j < s; j++) {
                    x[base + j] += bias[bOff + ch];
                }
            }
        }
    }

    @Override
    public void normalize(float[] x, int xOff, double mean, float scale, float shift, float[] out, int outOff, int n) {
        for (int i = 0; i < n; i++) {
            out[outOff + i] = Math.fma((float) (x[xOff + i] - mean), scale, shift);
        }
    }

    @Override
    public void batchNormGradient(float[] x, int xOff, float[] dy, int dyOff, double mean, double invStd, double k,
                                  double m, double sumDy, double sumDyXhat, float[] out, int outOff, int n) {
        for (int i = 0; i < n; i++) {
            double xhat = (x[xOff + i] - mean) * invStd;
            out[outOff + i] = (float) (k * (m * dy[dyOff + i] - sumDy - xhat * sumDyXhat));
        }
    }

    @Override
    public float dot(float[] x, int xOff, float[] y, int yOff, int n) {
        double acc = 0;
        for (int i = 0; i < n; i++) {
            acc += (double) x[xOff + i] * y[yOff + i];
        }
        return (float) acc;
    }

    @Override
    public float sum(float[] x, int xOff, int n) {
        double acc = 0;
        for (int i = 0; i < n; i++) {
            acc += x[xOff + i];
        }
        return (float) acc;
    }

    @Override
    public float max(float[] x, int xOff, int n) {
        assert n > 0 : "max of an empty range";
        float m = x[xOff];
        for (int i = 1; i < n; i++) {
            m = Math.max(m, x[xOff + i]);
        }
        return m;
    }

    @Override
    public int argmax(float[] x, int xOff, int n) {
        assert n > 0 : "argmax of an empty range";
        int best = 0;
        for (int i = 1; i < n; i++) {
            float v = x[xOff + i];
            float b = x[xOff + best];
            if (Float.isNaN(b)) {
                break;
            }
            if (Float.isNaN(v) || v > b) {
                best = i;
            }
        }
        return best;
    }
}
