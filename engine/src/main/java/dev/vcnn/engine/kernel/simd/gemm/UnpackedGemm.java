package dev.vcnn.engine.kernel.simd.gemm;

import static dev.vcnn.engine.kernel.simd.SimdSpecies.F;

import dev.vcnn.engine.kernel.simd.Lanes;
import dev.vcnn.engine.kernel.simd.Scratch;
import dev.vcnn.engine.parallel.Parallelism;
import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;

/**
 * The GEMM without packing, for M ≤ {@link SimdGemm#UNPACKED_MAX_M} (matrix-vector products) and for a small C
 * from long rows (A·Bᵀ with K ≫ M, N): a row of C at a time as vector axpys or dot products, or 4×4 blocks of
 * dot products, with the packed path's write-back arithmetic.
 */
final class UnpackedGemm {
    private static final int L = F.length();
    private static final int UNPACKED_MAX_M = SimdGemm.UNPACKED_MAX_M;
    private static final double SERIAL_FLOP = SimdGemm.SERIAL_FLOP;

    private final Scratch dotBuffers = new Scratch();

    /** Columns of C per chunk of the unpacked path: four vectors per row. */
    private static final int UNPACKED_COLS = 4 * L;

    /**
     * GEMM for M ≤ {@link SimdGemm#UNPACKED_MAX_M} without packing, one row of C at a time, split over column
     * chunks. op(B) = B (row-major K×N): four vector accumulators per row walk down K. op(B) = Bᵀ
     * (B stored N×K, as a linear layer stores its weight): four dot products at a time, contiguous in K.
     */
    void run(boolean transA, boolean transB, int m, int n, int k,
                                 float alpha, float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                                 float beta, float[] c, int cOff, int ldc, Parallelism par) {
        par.forRange(n, Math.max(UNPACKED_COLS, SimdGemm.roundUp(Math.max(1, (int) (SERIAL_FLOP / 2 / k / m)), UNPACKED_COLS)),
                (j0, j1) -> {
                    if (transB && !transA && m > UNPACKED_MAX_M) { // the dot-product regime: few outputs, long rows
                        float[] acc = dotBuffers.take(dotsAccumulatorFloats(m, j1 - j0));
                        try {
                            dotsBlocked(m, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc, j0, j1, acc);
                        } finally {
                            dotBuffers.give(acc);
                        }
                        return;
                    }
                    for (int i = 0; i < m; i++) {
                        int aRow = transA ? aOff + i : aOff + i * lda;
                        int aStep = transA ? lda : 1;
                        int cRow = cOff + i * ldc;
                        if (transB) {
                            dotsRow(k, alpha, a, aRow, aStep, b, bOff, ldb, beta, c, cRow, j0, j1);
                        } else {
                            axpysRow(k, alpha, a, aRow, aStep, b, bOff, ldb, beta, c, cRow, j0, j1);
                        }
                    }
                });
    }

    /** C[row, j0..j1) = alpha·Σₚ a(p)·B[p, j] + beta·C, with a(p) = a[aRow + p·aStep]. */
    private static void axpysRow(int k, float alpha, float[] a, int aRow, int aStep, float[] b, int bOff, int ldb,
                                 float beta, float[] c, int cRow, int j0, int j1) {
        var av = FloatVector.broadcast(F, alpha);
        var bv = FloatVector.broadcast(F, beta);
        for (int j = j0; j < j1; j += UNPACKED_COLS) {
            var m0 = F.indexInRange(j, j1);
            var m1 = F.indexInRange(j + L, j1);
            var m2 = F.indexInRange(j + 2 * L, j1);
            var m3 = F.indexInRange(j + 3 * L, j1);
            var acc0 = FloatVector.zero(F);
            var acc1 = FloatVector.zero(F);
            var acc2 = FloatVector.zero(F);
            var acc3 = FloatVector.zero(F);
            for (int p = 0; p < k; p++) {
                var x = FloatVector.broadcast(F, a[aRow + p * aStep]);
                int src = bOff + p * ldb + j;
                acc0 = FloatVector.fromArray(F, b, src, m0).fma(x, acc0);
                acc1 = FloatVector.fromArray(F, b, src + L, m1).fma(x, acc1);
                acc2 = FloatVector.fromArray(F, b, src + 2 * L, m2).fma(x, acc2);
                acc3 = FloatVector.fromArray(F, b, src + 3 * L, m3).fma(x, acc3);
            }
            writeRow(acc0, av, bv, beta, c, cRow + j, m0);
            writeRow(acc1, av, bv, beta, c, cRow + j + L, m1);
            writeRow(acc2, av, bv, beta, c, cRow + j + 2 * L, m2);
            writeRow(acc3, av, bv, beta, c, cRow + j + 3 * L, m3);
        }
    }

    /** C[row, j] = alpha·Σₚ a(p)·B[j, p] + beta·C for j in [j0, j1): dot products along stored rows of B. */
    private static void dotsRow(int k, float alpha, float[] a, int aRow, int aStep, float[] b, int bOff, int ldb,
                                float beta, float[] c, int cRow, int j0, int j1) {
        int kBound = aStep == 1 ? F.loopBound(k) : 0;
        int j = j0;
        for (; j + 4 <= j1; j += 4) {
            int r0 = bOff + j * ldb;
            int r1 = r0 + ldb;
            int r2 = r1 + ldb;
            int r3 = r2 + ldb;
            var acc0 = FloatVector.zero(F);
            var acc1 = FloatVector.zero(F);
            var acc2 = FloatVector.zero(F);
            var acc3 = FloatVector.zero(F);
            int p = 0;
            for (; p < kBound; p += L) {
                var x = FloatVector.fromArray(F, a, aRow + p);
                acc0 = FloatVector.fromArray(F, b, r0 + p).fma(x, acc0);
                acc1 = FloatVector.fromArray(F, b, r1 + p).fma(x, acc1);
                acc2 = FloatVector.fromArray(F, b, r2 + p).fma(x, acc2);
                acc3 = FloatVector.fromArray(F, b, r3 + p).fma(x, acc3);
            }
            float s0 = Lanes.sum(acc0);
            float s1 = Lanes.sum(acc1);
            float s2 = Lanes.sum(acc2);
            float s3 = Lanes.sum(acc3);
            for (; p < k; p++) {
                float x = a[aRow + p * aStep];
                s0 = Math.fma(x, b[r0 + p], s0);
                s1 = Math.fma(x, b[r1 + p], s1);
                s2 = Math.fma(x, b[r2 + p], s2);
                s3 = Math.fma(x, b[r3 + p], s3);
            }
            c[cRow + j] = scaleInto(s0, alpha, beta, c[cRow + j]);
            c[cRow + j + 1] = scaleInto(s1, alpha, beta, c[cRow + j + 1]);
            c[cRow + j + 2] = scaleInto(s2, alpha, beta, c[cRow + j + 2]);
            c[cRow + j + 3] = scaleInto(s3, alpha, beta, c[cRow + j + 3]);
        }
        for (; j < j1; j++) {
            int r = bOff + j * ldb;
            var acc = FloatVector.zero(F);
            int p = 0;
            for (; p < kBound; p += L) {
                acc = FloatVector.fromArray(F, b, r + p).fma(FloatVector.fromArray(F, a, aRow + p), acc);
            }
            float s = Lanes.sum(acc);
            for (; p < k; p++) {
                s = Math.fma(a[aRow + p * aStep], b[r + p], s);
            }
            c[cRow + j] = scaleInto(s, alpha, beta, c[cRow + j]);
        }
    }

    /** K per block of {@link #dotsBlocked}: 16 KiB of each row, so a block of all the rows (≤ 60 here) stays in L2. */
    private static final int DOTS_KC = 4096;

    /**
     * C[i, j] = alpha·Σₚ A[i, p]·B[j, p] + beta·C for all rows i and j in [j0, j1), as dot products
     * along stored rows of A and B (A·Bᵀ, both row-major), four rows of A by four rows of B at a time:
     * 8 vector loads feed 16 FMAs (one row at a time needed 5 loads for 4). K is walked in blocks of
     * {@link #DOTS_KC} so the rows' block stays in L2 while every pair meets, the 16 vector
     * accumulators parked in {@code acc} ({@link #dotsAccumulatorFloats} floats, any contents) between blocks (a conv weight gradient has rows of 10⁵ floats:
     * unblocked, each row of B streamed from L3 once per row of A). Each output is the same sequence of
     * lane-wise FMAs, then {@link Lanes#sum}, then the scalar tail, as {@link #dotsRow}: results do not
     * depend on the blocking or on the column split. Blocks past the last row or column repeat it
     * (clamped indices) and are not written.
     */
    private static void dotsBlocked(int m, int k, float alpha, float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                                    float beta, float[] c, int cOff, int ldc, int j0, int j1, float[] acc) {
        int kBound = F.loopBound(k);
        int rowBlocks = (m + 3) / 4;
        int colBlocks = (j1 - j0 + 3) / 4;
        Arrays.fill(acc, 0, dotsAccumulatorFloats(m, j1 - j0), 0f);
        for (int kb = 0; kb < kBound; kb += DOTS_KC) {
            int ke = Math.min(kBound, kb + DOTS_KC);
            for (int ib = 0; ib < rowBlocks; ib++) {
                int i = 4 * ib;
                int a0 = aOff + i * lda;
                int a1 = aOff + Math.min(i + 1, m - 1) * lda;
                int a2 = aOff + Math.min(i + 2, m - 1) * lda;
                int a3 = aOff + Math.min(i + 3, m - 1) * lda;
                for (int jb = 0; jb < colBlocks; jb++) {
                    int j = j0 + 4 * jb;
                    int b0 = bOff + j * ldb;
                    int b1 = bOff + Math.min(j + 1, j1 - 1) * ldb;
                    int b2 = bOff + Math.min(j + 2, j1 - 1) * ldb;
                    int b3 = bOff + Math.min(j + 3, j1 - 1) * ldb;
                    int at = (ib * colBlocks + jb) * 16 * L;
                    var c00 = FloatVector.fromArray(F, acc, at);
                    var c01 = FloatVector.fromArray(F, acc, at + L);
                    var c02 = FloatVector.fromArray(F, acc, at + 2 * L);
                    var c03 = FloatVector.fromArray(F, acc, at + 3 * L);
                    var c10 = FloatVector.fromArray(F, acc, at + 4 * L);
                    var c11 = FloatVector.fromArray(F, acc, at + 5 * L);
                    var c12 = FloatVector.fromArray(F, acc, at + 6 * L);
                    var c13 = FloatVector.fromArray(F, acc, at + 7 * L);
                    var c20 = FloatVector.fromArray(F, acc, at + 8 * L);
                    var c21 = FloatVector.fromArray(F, acc, at + 9 * L);
                    var c22 = FloatVector.fromArray(F, acc, at + 10 * L);
                    var c23 = FloatVector.fromArray(F, acc, at + 11 * L);
                    var c30 = FloatVector.fromArray(F, acc, at + 12 * L);
                    var c31 = FloatVector.fromArray(F, acc, at + 13 * L);
                    var c32 = FloatVector.fromArray(F, acc, at + 14 * L);
                    var c33 = FloatVector.fromArray(F, acc, at + 15 * L);
                    for (int p = kb; p < ke; p += L) {
                        var y0 = FloatVector.fromArray(F, b, b0 + p);
                        var y1 = FloatVector.fromArray(F, b, b1 + p);
                        var y2 = FloatVector.fromArray(F, b, b2 + p);
                        var y3 = FloatVector.fromArray(F, b, b3 + p);
                        var x = FloatVector.fromArray(F, a, a0 + p);
                        c00 = y0.fma(x, c00);
                        c01 = y1.fma(x, c01);
                        c02 = y2.fma(x, c02);
                        c03 = y3.fma(x, c03);
                        x = FloatVector.fromArray(F, a, a1 + p);
                        c10 = y0.fma(x, c10);
                        c11 = y1.fma(x, c11);
                        c12 = y2.fma(x, c12);
                        c13 = y3.fma(x, c13);
                        x = FloatVector.fromArray(F, a, a2 + p);
                        c20 = y0.fma(x, c20);
                        c21 = y1.fma(x, c21);
                        c22 = y2.fma(x, c22);
                        c23 = y3.fma(x, c23);
                        x = FloatVector.fromArray(F, a, a3 + p);
                        c30 = y0.fma(x, c30);
                        c31 = y1.fma(x, c31);
                        c32 = y2.fma(x, c32);
                        c33 = y3.fma(x, c33);
                    }
                    c00.intoArray(acc, at);
                    c01.intoArray(acc, at + L);
                    c02.intoArray(acc, at + 2 * L);
                    c03.intoArray(acc, at + 3 * L);
                    c10.intoArray(acc, at + 4 * L);
                    c11.intoArray(acc, at + 5 * L);
                    c12.intoArray(acc, at + 6 * L);
                    c13.intoArray(acc, at + 7 * L);
                    c20.intoArray(acc, at + 8 * L);
                    c21.intoArray(acc, at + 9 * L);
                    c22.intoArray(acc, at + 10 * L);
                    c23.intoArray(acc, at + 11 * L);
                    c30.intoArray(acc, at + 12 * L);
                    c31.intoArray(acc, at + 13 * L);
                    c32.intoArray(acc, at + 14 * L);
                    c33.intoArray(acc, at + 15 * L);
                }
            }
        }
        for (int i = 0; i < m; i++) {
            int ib = i / 4;
            for (int j = j0; j < j1; j++) {
                int jb = (j - j0) / 4;
                float s = Lanes.sum(FloatVector.fromArray(F, acc, ((ib * colBlocks + jb) * 16 + (i % 4) * 4 + (j - j0) % 4) * L));
                int ar = aOff + i * lda;
                int br = bOff + j * ldb;
                for (int p = kBound; p < k; p++) {
                    s = Math.fma(a[ar + p], b[br + p], s);
                }
                c[cOff + i * ldc + j] = scaleInto(s, alpha, beta, c[cOff + i * ldc + j]);
            }
        }
    }

    /** The accumulator floats {@link #dotsBlocked} needs for m rows and n columns: 16 vectors per 4×4 block. */
    private static int dotsAccumulatorFloats(int m, int n) {
        return (m + 3) / 4 * ((n + 3) / 4) * 16 * L;
    }

    /** The write-back arithmetic of the packed path, for one vector of a row under a mask. */
    private static void writeRow(FloatVector acc, FloatVector av, FloatVector bv, float beta, float[] c, int at,
                                 VectorMask<Float> mask) {
        FloatVector out = beta == 0 ? acc.mul(av) : acc.fma(av, FloatVector.fromArray(F, c, at, mask).mul(bv));
        out.intoArray(c, at, mask);
    }

    /** The write-back arithmetic of the packed path, for one element: beta = 0 never reads C. */
    private static float scaleInto(float sum, float alpha, float beta, float old) {
        return beta == 0 ? sum * alpha : Math.fma(sum, alpha, old * beta);
    }

}
