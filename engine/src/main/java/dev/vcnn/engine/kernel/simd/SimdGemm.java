package dev.vcnn.engine.kernel.simd;

import static dev.vcnn.engine.kernel.simd.SimdSpecies.F;

import dev.vcnn.engine.kernel.Gemm;
import dev.vcnn.engine.parallel.Parallelism;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;

/**
 * {@link Gemm} on the Vector API, BLIS-style: C = alpha·op(A)·op(B) + beta·C with op(A) M×K and
 * op(B) K×N.
 *
 * <p>Loops, outermost first: columns of C in blocks of NC; K in blocks of KC, for which op(B) is
 * packed once into NR-wide micro-panels (shared by all threads); rows of C in blocks of MC, for
 * which op(A) is packed into MR-tall micro-panels by the task that uses them; then every NR×KC
 * micro-panel of B (it stays in L1) meets every MR×KC micro-panel of A (they stream from L2) in a
 * register-tiled micro-kernel of MR×3 vector accumulators.
 *
 * <p>Edge tiles compute on zero-padded panels and write back under lane masks. The block sizes and
 * the task split depend only on M, N, K and the vector width, and each output is computed by the same
 * sequence of operations whichever thread runs it, so results are bit-identical for any thread count.
 */
final class SimdGemm implements Gemm {
    private static final int L = F.length();
    /** Rows of the register tile. */
    static final int MR = 4;
    /** Columns of the register tile: three vectors. 4×3 = 12 accumulators hide 4-cycle FMA latency on 2 pipes. */
    static final int NR = 3 * L;
    /** K per packed panel: an NR×KC micro-panel of B must stay in L1 while MC/MR micro-panels of A pass. */
    static final int KC = Integer.getInteger("vcnn.gemm.kc", 192);
    /** Rows per block: the MC×KC packed A block lives in L2. */
    static final int MC = roundUp(Integer.getInteger("vcnn.gemm.mc", 144), MR);
    /** Columns per block: the KC×NC packed B panel lives in L3. */
    static final int NC = roundUp(Integer.getInteger("vcnn.gemm.nc", 3072), NR);
    /** Aim for at least this many tasks per (NC, KC) step so two or more threads have work to share. */
    private static final int MIN_TASKS = 8;

    private final Scratch aBuffers = new Scratch();
    private final Scratch bBuffers = new Scratch();
    private final Scratch tileBuffers = new Scratch();

    @Override
    public void sgemm(boolean transA, boolean transB, int m, int n, int k,
                      float alpha, float[] a, int aOff, int lda,
                      float[] b, int bOff, int ldb,
                      float beta, float[] c, int cOff, int ldc,
                      Parallelism parallelism) {
        if (m == 0 || n == 0) {
            return;
        }
        if (alpha == 0 || k == 0) {
            scaleC(m, n, beta, c, cOff, ldc);
            return;
        }
        int mBlocks = (m + MC - 1) / MC;
        int mc = Math.min(MC, roundUp(m, MR));
        for (int jc = 0; jc < n; jc += NC) {
            final int j0 = jc;
            final int nc = Math.min(NC, n - jc);
            final int nPanels = (nc + NR - 1) / NR;
            // Split columns too when there are few row blocks, so small-M problems still spread out.
            final int chunkPanels = mBlocks >= MIN_TASKS ? nPanels
                    : Math.max(2, (nPanels + (MIN_TASKS / mBlocks) - 1) / (MIN_TASKS / mBlocks));
            final int jChunks = (nPanels + chunkPanels - 1) / chunkPanels;
            for (int pc = 0; pc < k; pc += KC) {
                final int p0 = pc;
                final int kc = Math.min(KC, k - pc);
                final float betaStep = pc == 0 ? beta : 1f;
                final float[] bp = bBuffers.take(nPanels * NR * kc);
                try {
                    parallelism.forRange(nPanels, Math.max(1, 4096 / kc), (s, e) -> {
                        for (int panel = s; panel < e; panel++) {
                            packB(transB, b, bOff, ldb, p0, kc, j0 + panel * NR, Math.min(NR, nc - panel * NR),
                                    bp, panel * NR * kc);
                        }
                    });
                    parallelism.forRange(mBlocks * jChunks, 1, (s, e) -> {
                        float[] ap = aBuffers.take(mc * kc);
                        float[] tile = tileBuffers.take(MR * NR);
                        try {
                            for (int t = s; t < e; t++) {
                                int i0 = (t / jChunks) * MC;
                                int rows = Math.min(MC, m - i0);
                                int firstPanel = (t % jChunks) * chunkPanels;
                                int lastPanel = Math.min(nPanels, firstPanel + chunkPanels);
                                packA(transA, a, aOff, lda, i0, rows, p0, kc, ap);
                                for (int panel = firstPanel; panel < lastPanel; panel++) {
                                    int col = j0 + panel * NR;
                                    int cols = Math.min(NR, n - col);
                                    for (int ir = 0; ir < rows; ir += MR) {
                                        microKernel(kc, ap, ir * kc, bp, panel * NR * kc,
                                                c, cOff + (i0 + ir) * ldc + col, ldc,
                                                alpha, betaStep, Math.min(MR, rows - ir), cols, tile);
                                    }
                                }
                            }
                        } finally {
                            tileBuffers.give(tile);
                            aBuffers.give(ap);
                        }
                    });
                } finally {
                    bBuffers.give(bp);
                }
            }
        }
    }

    /**
     * C[0..mr)×[0..nr) = alpha·(Ap·Bp) + beta·C over one MR×NR tile, where Ap is an MR×kc micro-panel
     * (column-major: MR values per k) and Bp an NR×kc one (row-major: NR values per k). Kept flat, with
     * the write-back inline: C2 must keep all twelve accumulators in registers.
     */
    private static void microKernel(int kc, float[] ap, int aIdx, float[] bp, int bIdx,
                                    float[] c, int cIdx, int ldc, float alpha, float beta,
                                    int mr, int nr, float[] tile) {
        var c00 = FloatVector.zero(F);
        var c01 = FloatVector.zero(F);
        var c02 = FloatVector.zero(F);
        var c10 = FloatVector.zero(F);
        var c11 = FloatVector.zero(F);
        var c12 = FloatVector.zero(F);
        var c20 = FloatVector.zero(F);
        var c21 = FloatVector.zero(F);
        var c22 = FloatVector.zero(F);
        var c30 = FloatVector.zero(F);
        var c31 = FloatVector.zero(F);
        var c32 = FloatVector.zero(F);
        for (int p = 0; p < kc; p++) {
            var b0 = FloatVector.fromArray(F, bp, bIdx);
            var b1 = FloatVector.fromArray(F, bp, bIdx + L);
            var b2 = FloatVector.fromArray(F, bp, bIdx + 2 * L);
            var a0 = FloatVector.broadcast(F, ap[aIdx]);
            c00 = b0.fma(a0, c00);
            c01 = b1.fma(a0, c01);
            c02 = b2.fma(a0, c02);
            var a1 = FloatVector.broadcast(F, ap[aIdx + 1]);
            c10 = b0.fma(a1, c10);
            c11 = b1.fma(a1, c11);
            c12 = b2.fma(a1, c12);
            var a2 = FloatVector.broadcast(F, ap[aIdx + 2]);
            c20 = b0.fma(a2, c20);
            c21 = b1.fma(a2, c21);
            c22 = b2.fma(a2, c22);
            var a3 = FloatVector.broadcast(F, ap[aIdx + 3]);
            c30 = b0.fma(a3, c30);
            c31 = b1.fma(a3, c31);
            c32 = b2.fma(a3, c32);
            aIdx += MR;
            bIdx += NR;
        }
        if (mr == MR && nr == NR) {
            var av = FloatVector.broadcast(F, alpha);
            int r0 = cIdx;
            int r1 = cIdx + ldc;
            int r2 = cIdx + 2 * ldc;
            int r3 = cIdx + 3 * ldc;
            if (beta == 0) {
                c00.mul(av).intoArray(c, r0);
                c01.mul(av).intoArray(c, r0 + L);
                c02.mul(av).intoArray(c, r0 + 2 * L);
                c10.mul(av).intoArray(c, r1);
                c11.mul(av).intoArray(c, r1 + L);
                c12.mul(av).intoArray(c, r1 + 2 * L);
                c20.mul(av).intoArray(c, r2);
                c21.mul(av).intoArray(c, r2 + L);
                c22.mul(av).intoArray(c, r2 + 2 * L);
                c30.mul(av).intoArray(c, r3);
                c31.mul(av).intoArray(c, r3 + L);
                c32.mul(av).intoArray(c, r3 + 2 * L);
            } else {
                var bv = FloatVector.broadcast(F, beta);
                c00.fma(av, FloatVector.fromArray(F, c, r0).mul(bv)).intoArray(c, r0);
                c01.fma(av, FloatVector.fromArray(F, c, r0 + L).mul(bv)).intoArray(c, r0 + L);
                c02.fma(av, FloatVector.fromArray(F, c, r0 + 2 * L).mul(bv)).intoArray(c, r0 + 2 * L);
                c10.fma(av, FloatVector.fromArray(F, c, r1).mul(bv)).intoArray(c, r1);
                c11.fma(av, FloatVector.fromArray(F, c, r1 + L).mul(bv)).intoArray(c, r1 + L);
                c12.fma(av, FloatVector.fromArray(F, c, r1 + 2 * L).mul(bv)).intoArray(c, r1 + 2 * L);
                c20.fma(av, FloatVector.fromArray(F, c, r2).mul(bv)).intoArray(c, r2);
                c21.fma(av, FloatVector.fromArray(F, c, r2 + L).mul(bv)).intoArray(c, r2 + L);
                c22.fma(av, FloatVector.fromArray(F, c, r2 + 2 * L).mul(bv)).intoArray(c, r2 + 2 * L);
                c30.fma(av, FloatVector.fromArray(F, c, r3).mul(bv)).intoArray(c, r3);
                c31.fma(av, FloatVector.fromArray(F, c, r3 + L).mul(bv)).intoArray(c, r3 + L);
                c32.fma(av, FloatVector.fromArray(F, c, r3 + 2 * L).mul(bv)).intoArray(c, r3 + 2 * L);
            }
            return;
        }
        // Edge tile: park the accumulators, then write the valid rows under column masks.
        c00.intoArray(tile, 0);
        c01.intoArray(tile, L);
        c02.intoArray(tile, 2 * L);
        c10.intoArray(tile, NR);
        c11.intoArray(tile, NR + L);
        c12.intoArray(tile, NR + 2 * L);
        c20.intoArray(tile, 2 * NR);
        c21.intoArray(tile, 2 * NR + L);
        c22.intoArray(tile, 2 * NR + 2 * L);
        c30.intoArray(tile, 3 * NR);
        c31.intoArray(tile, 3 * NR + L);
        c32.intoArray(tile, 3 * NR + 2 * L);
        writeEdge(tile, mr, nr, c, cIdx, ldc, alpha, beta);
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

    /**
     * Packs op(A)[i0, i0+rows) × [p0, p0+kc) into MR-tall micro-panels: panel q holds rows
     * i0+q·MR … in column-major order (MR values per k), rows past {@code rows} as zeros.
     */
    private static void packA(boolean transA, float[] a, int aOff, int lda, int i0, int rows, int p0, int kc,
                              float[] ap) {
        for (int q = 0; q * MR < rows; q++) {
            int base = q * MR * kc;
            int valid = Math.min(MR, rows - q * MR);
            if (!transA) {
                for (int r = 0; r < MR; r++) {
                    if (r < valid) {
                        int src = aOff + (i0 + q * MR + r) * lda + p0;
                        for (int p = 0; p < kc; p++) {
                            ap[base + p * MR + r] = a[src + p];
                        }
                    } else {
                        for (int p = 0; p < kc; p++) {
                            ap[base + p * MR + r] = 0f;
                        }
                    }
                }
            } else {
                for (int p = 0; p < kc; p++) {
                    int src = aOff + (p0 + p) * lda + i0 + q * MR;
                    int dst = base + p * MR;
                    for (int r = 0; r < MR; r++) {
                        ap[dst + r] = r < valid ? a[src + r] : 0f;
                    }
                }
            }
        }
    }

    /**
     * Packs op(B)[p0, p0+kc) × [j0, j0+cols) into one NR-wide micro-panel at {@code bp[dst]}, row-major
     * (NR values per k), columns past {@code cols} as zeros.
     */
    private static void packB(boolean transB, float[] b, int bOff, int ldb, int p0, int kc, int j0, int cols,
                              float[] bp, int dst) {
        if (!transB) {
            if (cols == NR) {
                for (int p = 0; p < kc; p++) {
                    int src = bOff + (p0 + p) * ldb + j0;
                    int to = dst + p * NR;
                    FloatVector.fromArray(F, b, src).intoArray(bp, to);
                    FloatVector.fromArray(F, b, src + L).intoArray(bp, to + L);
                    FloatVector.fromArray(F, b, src + 2 * L).intoArray(bp, to + 2 * L);
                }
            } else {
                for (int p = 0; p < kc; p++) {
                    int src = bOff + (p0 + p) * ldb + j0;
                    int to = dst + p * NR;
                    for (int j = 0; j < NR; j += L) {
                        FloatVector.fromArray(F, b, src + j, F.indexInRange(j, cols)).intoArray(bp, to + j);
                    }
                }
            }
        } else {
            for (int j = 0; j < NR; j++) {
                if (j < cols) {
                    int src = bOff + (j0 + j) * ldb + p0;
                    for (int p = 0; p < kc; p++) {
                        bp[dst + p * NR + j] = b[src + p];
                    }
                } else {
                    for (int p = 0; p < kc; p++) {
                        bp[dst + p * NR + j] = 0f;
                    }
                }
            }
        }
    }

    /** C = beta·C (beta = 0 writes zeros without reading C). */
    private static void scaleC(int m, int n, float beta, float[] c, int cOff, int ldc) {
        var bv = FloatVector.broadcast(F, beta);
        for (int i = 0; i < m; i++) {
            int row = cOff + i * ldc;
            for (int j = 0; j < n; j += L) {
                VectorMask<Float> mask = F.indexInRange(j, n);
                FloatVector v = beta == 0 ? FloatVector.zero(F) : FloatVector.fromArray(F, c, row + j, mask).mul(bv);
                v.intoArray(c, row + j, mask);
            }
        }
    }

    private static int roundUp(int x, int multiple) {
        return (x + multiple - 1) / multiple * multiple;
    }
}
