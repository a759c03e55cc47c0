package dev.vcnn.engine.kernel;

import java.util.SplittableRandom;

/**
 * Checks a finished {@code C = op(A)·op(B)} (alpha 1, beta 0, dense leading dimensions) at sampled
 * outputs against a double-accumulated dot product, in units of the float bound
 * {@code 2·(K+1)·2⁻²⁴·Σ|A(i,p)·B(p,j)|} from {@link Gemm}. For benchmarks and diagnostics, where the
 * full reference would take longer than the multiply being timed.
 */
public final class GemmSampleCheck {
    private GemmSampleCheck() {}

    /**
     * The largest |error| / bound over {@code samples} outputs chosen by {@code seed}.
     *
     * @throws IllegalStateException naming the first output whose error exceeds the bound
     */
    public static double worstErrorRatio(boolean transA, boolean transB, int m, int n, int k,
                                         float[] a, float[] b, float[] c, int samples, long seed) {
        if (m == 0 || n == 0) {
            return 0;
        }
        var rng = new SplittableRandom(seed);
        double worst = 0;
        for (int s = 0; s < samples; s++) {
            int i = rng.nextInt(m);
            int j = rng.nextInt(n);
            double exact = 0;
            double abs = 0;
            for (int p = 0; p < k; p++) {
                float av = transA ? a[p * m + i] : a[i * k + p];
                float bv = transB ? b[j * k + p] : b[p * n + j];
                exact += (double) av * bv;
                abs += Math.abs((double) av * bv);
            }
            double bound = 2.0 * (k + 1) * 0x1p-24 * abs;
            double err = Math.abs(c[i * n + j] - exact);
            if (!(err <= bound)) {
                throw new IllegalStateException("sgemm: C(" + i + ", " + j + ") must be within " + bound
                        + " of " + exact + " but was " + c[i * n + j] + " (M=" + m + ", N=" + n + ", K=" + k + ")");
            }
            worst = Math.max(worst, bound == 0 ? 0 : err / bound);
        }
        return worst;
    }
}
