package dev.vcnn.engine.kernel;

import dev.vcnn.engine.parallel.Parallelism;
import dev.vcnn.engine.tensor.Checks;

/**
 * Single-precision general matrix multiply, row-major, BLAS semantics:
 * {@code C = alpha · op(A) · op(B) + beta · C} with op(A) of M×K, op(B) of K×N and C of M×N.
 *
 * <ul>
 *   <li>{@code transA = false}: A is M×K, element (i, p) at {@code a[aOff + i·lda + p]}, lda ≥ K;
 *       {@code transA = true}: A is stored K×M, op(A)(i, p) at {@code a[aOff + p·lda + i]}, lda ≥ M.
 *   <li>{@code transB = false}: B is K×N, element (p, j) at {@code b[bOff + p·ldb + j]}, ldb ≥ N;
 *       {@code transB = true}: B is stored N×K, op(B)(p, j) at {@code b[bOff + j·ldb + p]}, ldb ≥ K.
 *   <li>C(i, j) at {@code c[cOff + i·ldc + j]}, ldc ≥ N.
 *   <li>{@code beta = 0}: C is overwritten and its old values (NaNs included) are never read;
 *       {@code alpha = 0} or K = 0: A and B are not read, C becomes {@code beta · C}.
 * </ul>
 *
 * <p>Implementations trust their arguments; {@link #check} is what public entry points call. Each
 * C(i, j) may differ from the exact result by at most
 * {@code 2·(K+1)·2⁻²⁴·(|alpha|·Σₚ|A(i,p)·B(p,j)| + |beta·C(i,j)|)}, and results are bit-identical
 * for any thread count.
 */
public interface Gemm {
    void sgemm(boolean transA, boolean transB, int m, int n, int k,
               float alpha, float[] a, int aOff, int lda,
               float[] b, int bOff, int ldb,
               float beta, float[] c, int cOff, int ldc,
               Parallelism parallelism);

    /**
     * Validates GEMM arguments: dimensions ≥ 0, leading dimensions ≥ the stored row length (and ≥ 1),
     * and every array long enough for the elements the call touches.
     *
     * @throws IllegalArgumentException in the project's message template, naming the argument
     */
    static void check(boolean transA, boolean transB, int m, int n, int k,
                      float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                      float[] c, int cOff, int ldc) {
        Checks.nonNegative("sgemm", "M", m);
        Checks.nonNegative("sgemm", "N", n);
        Checks.nonNegative("sgemm", "K", k);
        int aRows = transA ? k : m;
        int aCols = transA ? m : k;
        int bRows = transB ? n : k;
        int bCols = transB ? k : n;
        checkMatrix("A", a, aOff, lda, aRows, aCols, transA, m, n, k);
        checkMatrix("B", b, bOff, ldb, bRows, bCols, transB, m, n, k);
        checkMatrix("C", c, cOff, ldc, m, n, false, m, n, k);
    }

    private static void checkMatrix(String name, float[] x, int off, int ld, int rows, int cols, boolean trans,
                                    int m, int n, int k) {
        if (x == null) {
            throw new IllegalArgumentException("sgemm: " + name + " must not be null");
        }
        String ldName = "ld" + name.toLowerCase(java.util.Locale.ROOT);
        if (ld < Math.max(1, cols)) {
            throw Checks.mismatch("sgemm", ldName, ">= " + Math.max(1, cols), ld,
                    "M", m, "N", n, "K", k, "trans" + name, trans);
        }
        if (off < 0) {
            throw Checks.mismatch("sgemm", name + " offset", ">= 0", off);
        }
        long needed = rows == 0 || cols == 0 ? 0 : (long) (rows - 1) * ld + cols;
        if (off + needed > x.length) {
            throw Checks.mismatch("sgemm", name + " array length", ">= " + (off + needed), x.length,
                    name + " offset", off, ldName, ld, name + " rows", rows, name + " cols", cols);
        }
    }
}
