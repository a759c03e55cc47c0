package dev.vcnn.engine.kernel.simd.gemm;

import static dev.vcnn.engine.kernel.simd.SimdSpecies.F;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;

/** The GEMM's register-tiled micro-kernel (MR rows × two vectors), shared by every packed path and Winograd. */
public final class MicroKernel {
    private static final int L = F.length();
    private static final int MR = SimdGemm.MR;
    private static final int NR = SimdGemm.NR;

    /**
     * Most products one accumulator sums from zero: a longer K runs in balanced runs, each summed in registers
     * and then added to C, so that a float sum's error grows with the run and the run count, not with K (a
     * 576-deep 3×3 layer erred 2.6× PyTorch's float32 kernels as one run, within it as three). The packed
     * panels are the same; the C tile a run adds to was stored by the run before and is still in L1.
     */
    static final int RUN = 256;

    private MicroKernel() {}

    /** The runs of {@code kc} ≥ 1 products, balanced: {@code kc} itself up to {@link #RUN}, else ⌈kc / ⌈kc / RUN⌉⌉. */
    static int runLength(int kc) {
        int runs = (kc + RUN - 1) / RUN;
        return (kc + runs - 1) / runs;
    }

    /**
     * {@link #microKernel} over a K block of any depth ≥ 1 in runs of {@link #runLength}: the first run applies
     * beta, each later one adds alpha times its products to what the run before stored.
     */
    public static void microKernelRuns(int kc, float[] ap, int aIdx, float[] bp, int bIdx,
                                       float[] c, int cIdx, int ldc, float alpha, float beta,
                                       int mr, int nr, float[] tile) {
        int run = runLength(kc);
        for (int s = 0; s < kc; s += run) {
            microKernel(Math.min(run, kc - s), ap, aIdx + s * MR, bp, bIdx + s * NR, c, cIdx, ldc, alpha,
                    s == 0 ? beta : 1f, mr, nr, tile);
        }
    }

    /**
     * C[0..mr)×[0..nr) = alpha·(Ap·Bp) + beta·C over one MR×NR tile, where Ap is an MR×kc micro-panel
     * (column-major: MR values per k) and Bp an NR×kc one (row-major: NR values per k). Kept flat, with
     * the write-back inline: C2 must keep all sixteen accumulators in registers.
     */
    public static void microKernel(int kc, float[] ap, int aIdx, float[] bp, int bIdx,
                                    float[] c, int cIdx, int ldc, float alpha, float beta,
                                    int mr, int nr, float[] tile) {
        var c00 = FloatVector.zero(F);
        var c01 = FloatVector.zero(F);
        var c10 = FloatVector.zero(F);
        var c11 = FloatVector.zero(F);
        var c20 = FloatVector.zero(F);
        var c21 = FloatVector.zero(F);
        var c30 = FloatVector.zero(F);
        var c31 = FloatVector.zero(F);
        var c40 = FloatVector.zero(F);
        var c41 = FloatVector.zero(F);
        var c50 = FloatVector.zero(F);
        var c51 = FloatVector.zero(F);
        var c60 = FloatVector.zero(F);
        var c61 = FloatVector.zero(F);
        var c70 = FloatVector.zero(F);
        var c71 = FloatVector.zero(F);
        for (int p = 0; p < kc; p++) {
            var b0 = FloatVector.fromArray(F, bp, bIdx);
            var b1 = FloatVector.fromArray(F, bp, bIdx + L);
            var a0 = FloatVector.broadcast(F, ap[aIdx]);
            c00 = b0.fma(a0, c00);
            c01 = b1.fma(a0, c01);
            var a1 = FloatVector.broadcast(F, ap[aIdx + 1]);
            c10 = b0.fma(a1, c10);
            c11 = b1.fma(a1, c11);
            var a2 = FloatVector.broadcast(F, ap[aIdx + 2]);
            c20 = b0.fma(a2, c20);
            c21 = b1.fma(a2, c21);
            var a3 = FloatVector.broadcast(F, ap[aIdx + 3]);
            c30 = b0.fma(a3, c30);
            c31 = b1.fma(a3, c31);
            var a4 = FloatVector.broadcast(F, ap[aIdx + 4]);
            c40 = b0.fma(a4, c40);
            c41 = b1.fma(a4, c41);
            var a5 = FloatVector.broadcast(F, ap[aIdx + 5]);
            c50 = b0.fma(a5, c50);
            c51 = b1.fma(a5, c51);
            var a6 = FloatVector.broadcast(F, ap[aIdx + 6]);
            c60 = b0.fma(a6, c60);
            c61 = b1.fma(a6, c61);
            var a7 = FloatVector.broadcast(F, ap[aIdx + 7]);
            c70 = b0.fma(a7, c70);
            c71 = b1.fma(a7, c71);
            aIdx += MR;
            bIdx += NR;
        }
        if (mr == MR && nr == NR) {
            var av = FloatVector.broadcast(F, alpha);
            if (beta == 0) {
                c00.mul(av).intoArray(c, cIdx);
                c01.mul(av).intoArray(c, cIdx + L);
                c10.mul(av).intoArray(c, cIdx + ldc);
                c11.mul(av).intoArray(c, cIdx + ldc + L);
                c20.mul(av).intoArray(c, cIdx + 2 * ldc);
                c21.mul(av).intoArray(c, cIdx + 2 * ldc + L);
                c30.mul(av).intoArray(c, cIdx + 3 * ldc);
                c31.mul(av).intoArray(c, cIdx + 3 * ldc + L);
                c40.mul(av).intoArray(c, cIdx + 4 * ldc);
                c41.mul(av).intoArray(c, cIdx + 4 * ldc + L);
                c50.mul(av).intoArray(c, cIdx + 5 * ldc);
                c51.mul(av).intoArray(c, cIdx + 5 * ldc + L);
                c60.mul(av).intoArray(c, cIdx + 6 * ldc);
                c61.mul(av).intoArray(c, cIdx + 6 * ldc + L);
                c70.mul(av).intoArray(c, cIdx + 7 * ldc);
                c71.mul(av).intoArray(c, cIdx + 7 * ldc + L);
            } else {
                var bv = FloatVector.broadcast(F, beta);
                c00.fma(av, FloatVector.fromArray(F, c, cIdx).mul(bv)).intoArray(c, cIdx);
                c01.fma(av, FloatVector.fromArray(F, c, cIdx + L).mul(bv)).intoArray(c, cIdx + L);
                c10.fma(av, FloatVector.fromArray(F, c, cIdx + ldc).mul(bv)).intoArray(c, cIdx + ldc);
                c11.fma(av, FloatVector.fromArray(F, c, cIdx + ldc + L).mul(bv)).intoArray(c, cIdx + ldc + L);
                c20.fma(av, FloatVector.fromArray(F, c, cIdx + 2 * ldc).mul(bv)).intoArray(c, cIdx + 2 * ldc);
                c21.fma(av, FloatVector.fromArray(F, c, cIdx + 2 * ldc + L).mul(bv)).intoArray(c, cIdx + 2 * ldc + L);
                c30.fma(av, FloatVector.fromArray(F, c, cIdx + 3 * ldc).mul(bv)).intoArray(c, cIdx + 3 * ldc);
                c31.fma(av, FloatVector.fromArray(F, c, cIdx + 3 * ldc + L).mul(bv)).intoArray(c, cIdx + 3 * ldc + L);
                c40.fma(av, FloatVector.fromArray(F, c, cIdx + 4 * ldc).mul(bv)).intoArray(c, cIdx + 4 * ldc);
                c41.fma(av, FloatVector.fromArray(F, c, cIdx + 4 * ldc + L).mul(bv)).intoArray(c, cIdx + 4 * ldc + L);
                c50.fma(av, FloatVector.fromArray(F, c, cIdx + 5 * ldc).mul(bv)).intoArray(c, cIdx + 5 * ldc);
                c51.fma(av, FloatVector.fromArray(F, c, cIdx + 5 * ldc + L).mul(bv)).intoArray(c, cIdx + 5 * ldc + L);
                c60.fma(av, FloatVector.fromArray(F, c, cIdx + 6 * ldc).mul(bv)).intoArray(c, cIdx + 6 * ldc);
                c61.fma(av, FloatVector.fromArray(F, c, cIdx + 6 * ldc + L).mul(bv)).intoArray(c, cIdx + 6 * ldc + L);
                c70.fma(av, FloatVector.fromArray(F, c, cIdx + 7 * ldc).mul(bv)).intoArray(c, cIdx + 7 * ldc);
                c71.fma(av, FloatVector.fromArray(F, c, cIdx + 7 * ldc + L).mul(bv)).intoArray(c, cIdx + 7 * ldc + L);
            }
            return;
        }
        // Edge tile: park the accumulators, then write the valid rows under column masks.
        c00.intoArray(tile, 0);
        c01.intoArray(tile, 0 + L);
        c10.intoArray(tile, NR);
        c11.intoArray(tile, NR + L);
        c20.intoArray(tile, 2 * NR);
        c21.intoArray(tile, 2 * NR + L);
        c30.intoArray(tile, 3 * NR);
        c31.intoArray(tile, 3 * NR + L);
        c40.intoArray(tile, 4 * NR);
        c41.intoArray(tile, 4 * NR + L);
        c50.intoArray(tile, 5 * NR);
        c51.intoArray(tile, 5 * NR + L);
        c60.intoArray(tile, 6 * NR);
        c61.intoArray(tile, 6 * NR + L);
        c70.intoArray(tile, 7 * NR);
        c71.intoArray(tile, 7 * NR + L);
        writeEdge(tile, mr, nr, c, cIdx, ldc, alpha, beta);
    }

    /**
     * {@link #microKernel} for a full MR×NR tile whose A rows are read in place: row r's k-th value is
     * {@code a[aIdx + r·lda + p]}, each broadcast straight from its stored row, so A is never packed. Each of
     * the MR rows streams forward, one cache line per 16 k. Same FMAs in the same order as the packed kernel
     * on the same values, so the same results bit for bit. A copy of that kernel rather than one kernel with a
     * row stride: the packed kernel addresses all MR values from one index, and eight row indices (eight more
     * address computations per k, two of them kept on the stack) made this one 0.85 of its speed in L1.
     */
    static void rowsKernel(int kc, float[] a, int aIdx, int lda, float[] bp, int bIdx,
                           float[] c, int cIdx, int ldc, float alpha, float beta) {
        int r0 = aIdx, r1 = r0 + lda, r2 = r1 + lda, r3 = r2 + lda, r4 = r3 + lda, r5 = r4 + lda, r6 = r5 + lda,
                r7 = r6 + lda;
        var c00 = FloatVector.zero(F);
        var c01 = FloatVector.zero(F);
        var c10 = FloatVector.zero(F);
        var c11 = FloatVector.zero(F);
        var c20 = FloatVector.zero(F);
        var c21 = FloatVector.zero(F);
        var c30 = FloatVector.zero(F);
        var c31 = FloatVector.zero(F);
        var c40 = FloatVector.zero(F);
        var c41 = FloatVector.zero(F);
        var c50 = FloatVector.zero(F);
        var c51 = FloatVector.zero(F);
        var c60 = FloatVector.zero(F);
        var c61 = FloatVector.zero(F);
        var c70 = FloatVector.zero(F);
        var c71 = FloatVector.zero(F);
        for (int p = 0; p < kc; p++) {
            var b0 = FloatVector.fromArray(F, bp, bIdx);
            var b1 = FloatVector.fromArray(F, bp, bIdx + L);
            var a0 = FloatVector.broadcast(F, a[r0 + p]);
            c00 = b0.fma(a0, c00);
            c01 = b1.fma(a0, c01);
            var a1 = FloatVector.broadcast(F, a[r1 + p]);
            c10 = b0.fma(a1, c10);
            c11 = b1.fma(a1, c11);
            var a2 = FloatVector.broadcast(F, a[r2 + p]);
            c20 = b0.fma(a2, c20);
            c21 = b1.fma(a2, c21);
            var a3 = FloatVector.broadcast(F, a[r3 + p]);
            c30 = b0.fma(a3, c30);
            c31 = b1.fma(a3, c31);
            var a4 = FloatVector.broadcast(F, a[r4 + p]);
            c40 = b0.fma(a4, c40);
            c41 = b1.fma(a4, c41);
            var a5 = FloatVector.broadcast(F, a[r5 + p]);
            c50 = b0.fma(a5, c50);
            c51 = b1.fma(a5, c51);
            var a6 = FloatVector.broadcast(F, a[r6 + p]);
            c60 = b0.fma(a6, c60);
            c61 = b1.fma(a6, c61);
            var a7 = FloatVector.broadcast(F, a[r7 + p]);
            c70 = b0.fma(a7, c70);
            c71 = b1.fma(a7, c71);
            bIdx += NR;
        }
        var av = FloatVector.broadcast(F, alpha);
        if (beta == 0) {
            c00.mul(av).intoArray(c, cIdx);
            c01.mul(av).intoArray(c, cIdx + L);
            c10.mul(av).intoArray(c, cIdx + ldc);
            c11.mul(av).intoArray(c, cIdx + ldc + L);
            c20.mul(av).intoArray(c, cIdx + 2 * ldc);
            c21.mul(av).intoArray(c, cIdx + 2 * ldc + L);
            c30.mul(av).intoArray(c, cIdx + 3 * ldc);
            c31.mul(av).intoArray(c, cIdx + 3 * ldc + L);
            c40.mul(av).intoArray(c, cIdx + 4 * ldc);
            c41.mul(av).intoArray(c, cIdx + 4 * ldc + L);
            c50.mul(av).intoArray(c, cIdx + 5 * ldc);
            c51.mul(av).intoArray(c, cIdx + 5 * ldc + L);
            c60.mul(av).intoArray(c, cIdx + 6 * ldc);
            c61.mul(av).intoArray(c, cIdx + 6 * ldc + L);
            c70.mul(av).intoArray(c, cIdx + 7 * ldc);
            c71.mul(av).intoArray(c, cIdx + 7 * ldc + L);
        } else {
            var bv = FloatVector.broadcast(F, beta);
            c00.fma(av, FloatVector.fromArray(F, c, cIdx).mul(bv)).intoArray(c, cIdx);
            c01.fma(av, FloatVector.fromArray(F, c, cIdx + L).mul(bv)).intoArray(c, cIdx + L);
            c10.fma(av, FloatVector.fromArray(F, c, cIdx + ldc).mul(bv)).intoArray(c, cIdx + ldc);
            c11.fma(av, FloatVector.fromArray(F, c, cIdx + ldc + L).mul(bv)).intoArray(c, cIdx + ldc + L);
            c20.fma(av, FloatVector.fromArray(F, c, cIdx + 2 * ldc).mul(bv)).intoArray(c, cIdx + 2 * ldc);
            c21.fma(av, FloatVector.fromArray(F, c, cIdx + 2 * ldc + L).mul(bv)).intoArray(c, cIdx + 2 * ldc + L);
            c30.fma(av, FloatVector.fromArray(F, c, cIdx + 3 * ldc).mul(bv)).intoArray(c, cIdx + 3 * ldc);
            c31.fma(av, FloatVector.fromArray(F, c, cIdx + 3 * ldc + L).mul(bv)).intoArray(c, cIdx + 3 * ldc + L);
            c40.fma(av, FloatVector.fromArray(F, c, cIdx + 4 * ldc).mul(bv)).intoArray(c, cIdx + 4 * ldc);
            c41.fma(av, FloatVector.fromArray(F, c, cIdx + 4 * ldc + L).mul(bv)).intoArray(c, cIdx + 4 * ldc + L);
            c50.fma(av, FloatVector.fromArray(F, c, cIdx + 5 * ldc).mul(bv)).intoArray(c, cIdx + 5 * ldc);
            c51.fma(av, FloatVector.fromArray(F, c, cIdx + 5 * ldc + L).mul(bv)).intoArray(c, cIdx + 5 * ldc + L);
            c60.fma(av, FloatVector.fromArray(F, c, cIdx + 6 * ldc).mul(bv)).intoArray(c, cIdx + 6 * ldc);
            c61.fma(av, FloatVector.fromArray(F, c, cIdx + 6 * ldc + L).mul(bv)).intoArray(c, cIdx + 6 * ldc + L);
            c70.fma(av, FloatVector.fromArray(F, c, cIdx + 7 * ldc).mul(bv)).intoArray(c, cIdx + 7 * ldc);
            c71.fma(av, FloatVector.fromArray(F, c, cIdx + 7 * ldc + L).mul(bv)).intoArray(c, cIdx + 7 * ldc + L);
        }
    }

    /** Writes the top-left mr×nr of an MR×NR tile into C with the same arithmetic as a full tile. */
    private static void writeEdge(float[] tile, int mr, int nr, float[] c, int cIdx, int ldc, float alpha, float beta) {
        var av = FloatVector.broadcast(F, alpha);
        var bv = FloatVector.broadcast(F, beta);
        for (int r = 0; r < mr; r++) {
            for (int j = 0; j < nr; j += L) {
                VectorMask<Float> m = F.indexInRange(j, nr);
                var acc = FloatVector.fromArray(F, tile, r * NR + j);
                int at = cIdx + r * ldc + j;
                FloatVector out = beta == 0 ? acc.mul(av)
                        : acc.fma(av, FloatVector.fromArray(F, c, at, m).mul(bv));
                out.intoArray(c, at, m);
            }
        }
    }

}
