package dev.vcnn.engine.kernel.scalar;

import dev.vcnn.engine.kernel.Gemm;
import dev.vcnn.engine.parallel.Parallelism;

/**
 * The reference {@link Gemm}: one double-accumulated dot product per output, rounded once. Runs on
 * the calling thread whatever {@code parallelism} says. M/N/K as on {@link Gemm}.
 */
public final class ScalarGemm implements Gemm {
    /** The reference kernels; stateless. */
    public ScalarGemm() {}

    @Override
    public void sgemm(boolean transA, boolean transB, int m, int n, int k,
                      float alpha, float[] a, int aOff, int lda,
                      float[] b, int bOff, int ldb,
                      float beta, float[] c, int cOff, int ldc,
                      Parallelism parallelism) {
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                int ci = cOff + i * ldc + j;
                double old = beta == 0 ? 0 : (double) beta * c[ci];
                if (alpha == 0 || k == 0) {
                    c[ci] = (float) old;
                    continue;
                }
                double acc = 0;
                for (int p = 0; p < k; p++) {
                    float av = transA ? a[aOff + p * lda + i] : a[aOff + i * lda + p];
                    float bv = transB ? b[bOff + j * ldb + p] : b[bOff + p * ldb + j];
                    acc += (double) av * bv;
                }
                c[ci] = (float) (alpha * acc + old);
            }
        }
    }
}
