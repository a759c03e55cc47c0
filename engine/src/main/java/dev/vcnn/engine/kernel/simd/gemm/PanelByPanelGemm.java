package dev.vcnn.engine.kernel.simd.gemm;

import static dev.vcnn.engine.kernel.simd.SimdSpecies.F;

import dev.vcnn.engine.kernel.simd.Scratch;
import jdk.incubator.vector.FloatVector;

/**
 * The GEMM on one thread, panel by panel: per K block all of op(A) is packed, then each NR-wide panel of op(B)
 * is packed and used at once by every row tile; also the products whose B rows are runs of a zero-padded input
 * (a convolution's column matrix, never copied out).
 */
final class PanelByPanelGemm {
    private static final int L = F.length();
    private static final int MR = SimdGemm.MR;
    private static final int NR = SimdGemm.NR;

    private final Scratch aBuffers = new Scratch();
    private final Scratch bBuffers = new Scratch();
    private final Scratch tileBuffers = new Scratch();
    private final Scratch runBuffers = new Scratch();

    /**
     * The blocked GEMM on one thread for few rows (a convolution's per-image GEMM has M = out-channels):
     * per K block, all of op(A) is packed once, then each NR-wide panel of op(B) is packed and at once
     * used by every row tile while it is hot in L1/L2, instead of packing the whole block of B first
     * (megabytes, written out to L3 and read back). A and B are packed per run of the K block rather than per
     * block, so that each B panel (NR × at most 256) is read from L1 by every row tile, not from L2: linear
     * 784 → 512 at batch 64, one thread, 113–115 → 132–145 GFLOP/s (GemmShapesBench). Same K blocks, runs and
     * micro-kernel as the threaded path, so the same results bit for bit.
     */
    void run(boolean transA, boolean transB, int m, int n, int k, int kcBlock, float alpha,
                              float[] a, int aOff, int lda, float[] b, int bOff, int ldb, float beta,
                              float[] c, int cOff, int ldc) {
        run(transA, m, n, k, kcBlock, alpha, a, aOff, lda, beta, c, cOff, ldc,
                (p0, kc, col, cols, bp) -> GemmPacking.packB(transB, b, bOff, ldb, p0, kc, col, cols, bp, 0));
    }

    /** Packs rows [p0, p0+kc) × columns [col, col+cols) of op(B) into one NR-wide micro-panel at bp[0]. */
    @FunctionalInterface
    private interface PanelPacker {
        void pack(int p0, int kc, int col, int cols, float[] bp);
    }

    /** {@link #run} with B's panels from {@code packer} (called once per panel and K block). */
    private void run(boolean transA, int m, int n, int k, int kcBlock, float alpha,
                              float[] a, int aOff, int lda, float beta, float[] c, int cOff, int ldc,
                              PanelPacker packer) {
        float[] ap = aBuffers.take(SimdGemm.roundUp(m, MR) * kcBlock);
        float[] bp = bBuffers.take(NR * kcBlock);
        float[] tile = tileBuffers.take(MR * NR);
        try {
            int[] runs = SimdGemm.runs(k, kcBlock);
            for (int r = 0; r < runs.length; r += 2) {
                int pc = runs[r];
                int kc = runs[r + 1];
                float betaStep = pc == 0 ? beta : 1f;
                GemmPacking.packA(transA, a, aOff, lda, 0, m, pc, kc, ap);
                for (int col = 0; col < n; col += NR) {
                    int cols = Math.min(NR, n - col);
                    packer.pack(pc, kc, col, cols, bp);
                    for (int ir = 0; ir < m; ir += MR) {
                        MicroKernel.microKernelRuns(kc, ap, ir * kc, bp, 0, c, cOff + ir * ldc + col, ldc, alpha, betaStep,
                                Math.min(MR, m - ir), cols, tile);
                    }
                }
            }
        } finally {
            tileBuffers.give(tile);
            bBuffers.give(bp);
            aBuffers.give(ap);
        }
    }

    /**
     * C[M × N] = A[M × K] · B + beta·C on the calling thread, where row p of B is the N floats of
     * {@code x} from {@code rowAt[p]}: a convolution's column matrix read straight from its zero-padded
     * input (see {@code SimdConv2d}), with no im2col copy. {@code x} must be readable NR floats past
     * the end of every row; the columns past N that this computes are not stored. The blocking of
     * {@link #run}, with the same K blocks and micro-kernel, so every stored value is the one
     * {@code sgemm} gives for a matrix holding those rows.
     */
    void rowsProduct(int m, int n, int k, float[] a, int aOff, int lda, float[] x, int[] rowAt,
                     float beta, float[] c, int cOff, int ldc) {
        run(false, m, n, k, SimdGemm.kcBlock(k), 1f, a, aOff, lda, beta, c, cOff, ldc,
                (p0, kc, col, cols, bp) -> {
                    // Two whole vectors per row, junk past N included.
                    for (int p = 0; p < kc; p++) {
                        int src = rowAt[p0 + p] + col;
                        FloatVector.fromArray(F, x, src).intoArray(bp, p * NR);
                        FloatVector.fromArray(F, x, src + L).intoArray(bp, p * NR + L);
                    }
                });
    }

    /**
     * C[M × N] = A[M × K] · B + beta·C on the calling thread, where column j of B is the K floats of
     * {@code x} from {@code rowAt[j]}: a convolution's column matrix, transposed, read straight from its
     * zero-padded input (the weight gradient, see {@code SimdConv2d}). The blocking of {@link #run}.
     */
    void rowsTransposedProduct(int m, int n, int k, float[] a, int aOff, int lda, float[] x, int[] rowAt,
                               float beta, float[] c, int cOff, int ldc) {
        int kcBlock = SimdGemm.kcBlock(k);
        float[] runs = runBuffers.take(NR * kcBlock);
        try {
            // Each panel's runs are copied side by side first (L1-resident), then packed as a stored Bᵀ:
            // loads from 16 run starts held in registers were ~5% slower than the fixed-stride form.
            run(false, m, n, k, kcBlock, 1f, a, aOff, lda, beta, c, cOff, ldc, (p0, kc, col, cols, bp) -> {
                for (int j = 0; j < cols; j++) {
                    System.arraycopy(x, rowAt[col + j] + p0, runs, j * kc, kc);
                }
                GemmPacking.packTransposed(runs, 0, kc, kc, cols, bp, 0);
            });
        } finally {
            runBuffers.give(runs);
        }
    }

}
