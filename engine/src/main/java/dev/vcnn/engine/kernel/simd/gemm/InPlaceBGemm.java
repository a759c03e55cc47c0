package dev.vcnn.engine.kernel.simd.gemm;

import dev.vcnn.engine.kernel.simd.Scratch;
import dev.vcnn.engine.parallel.Parallelism;

/**
 * C = alpha·A·Bᵀ + beta·C for few rows of A and a B stored n × k (a linear layer's x·Wᵀ, the weight stored
 * out × in), computed as Cᵀ = B·Aᵀ: B's stored rows are the micro-kernel's broadcast operand, read in place
 * ({@link MicroKernel#rowsKernel}), so B — the large operand — is never packed; only Aᵀ is, once. Each task
 * computes its rows of Cᵀ into a buffer of its own (32 KiB at 64 rows of C) and transposes them into C. K is cut into the same blocks and runs as on the
 * panel paths, and each product is the same FMA, so every output equals theirs bit for bit, on any number of
 * threads.
 */
final class InPlaceBGemm {
    private static final int MR = SimdGemm.MR;
    private static final int NR = SimdGemm.NR;
    /** Row tiles of B per task: 128 rows, 2 MiB of a 4096-deep B and ~0.6 ms of work on one core. */
    private static final int TASK_TILES = 16;

    private final Scratch aBuffers = new Scratch();
    private final Scratch cBuffers = new Scratch();
    private final Scratch edgeBuffers = new Scratch();
    private final Scratch tileBuffers = new Scratch();

    /** C[m × n] = alpha·A·Bᵀ + beta·C, A stored m × k and B stored n × k. */
    void run(int m, int n, int k, float alpha, float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
             float beta, float[] c, int cOff, int ldc, Parallelism par) {
        final int mPanels = (m + NR - 1) / NR;
        final int mPad = mPanels * NR;
        final int[] runs = SimdGemm.runs(k, SimdGemm.kcBlock(k));
        final float[] at = aBuffers.take(mPad * k);
        try {
            // Aᵀ, panel j holding NR rows of A per k (rows past m as zeros).
            for (int j = 0; j < mPanels; j++) {
                GemmPacking.packB(true, a, aOff, lda, 0, k, j * NR, Math.min(NR, m - j * NR), at, j * NR * k);
            }
            final int tiles = (n + MR - 1) / MR;
            par.forRange((tiles + TASK_TILES - 1) / TASK_TILES, 1, (s, e) -> {
                float[] ap = edgeBuffers.take(MR * k);
                float[] ct = cBuffers.take(TASK_TILES * MR * mPad);
                float[] tile = tileBuffers.take(MR * NR);
                try {
                    for (int task = s; task < e; task++) {
                        int t0 = task * TASK_TILES;
                        int t1 = Math.min(tiles, t0 + TASK_TILES);
                        int row0 = t0 * MR;
                        int row1 = Math.min(n, t1 * MR);
                        if (beta != 0) {
                            transpose(c, cOff + row0, ldc, m, row1 - row0, ct, mPad, false);
                        }
                        for (int t = t0; t < t1; t++) {
                            int row = t * MR;
                            int rows = Math.min(MR, n - row);
                            for (int r = 0; r < runs.length; r += 2) {
                                int p0 = runs[r];
                                int len = runs[r + 1];
                                float betaStep = p0 == 0 ? beta : 1f;
                                if (rows < MR) {
                                    GemmPacking.packA(false, b, bOff, ldb, row, rows, p0, len, ap);
                                }
                                for (int j = 0; j < mPanels; j++) {
                                    int bIdx = j * NR * k + p0 * NR;
                                    int cIdx = (row - row0) * mPad + j * NR;
                                    if (rows == MR) {
                                        MicroKernel.rowsKernel(len, b, bOff + row * ldb + p0, ldb, at, bIdx,
                                                ct, cIdx, mPad, alpha, betaStep);
                                    } else {
                                        MicroKernel.microKernel(len, ap, 0, at, bIdx, ct, cIdx, mPad, alpha, betaStep,
                                                rows, NR, tile);
                                    }
                                }
                            }
                        }
                        transpose(c, cOff + row0, ldc, m, row1 - row0, ct, mPad, true);
                    }
                } finally {
                    cBuffers.give(ct);
                    tileBuffers.give(tile);
                    edgeBuffers.give(ap);
                }
            });
        } finally {
            aBuffers.give(at);
        }
    }

    /** Columns [0, rows) of C from {@code cOff}, all m rows, to or from rows [0, rows) of Cᵀ (row stride mPad). */
    private static void transpose(float[] c, int cOff, int ldc, int m, int rows, float[] ct, int mPad, boolean intoC) {
        for (int i = 0; i < m; i++) {
            int at = cOff + i * ldc;
            for (int row = 0; row < rows; row++) {
                if (intoC) {
                    c[at + row] = ct[row * mPad + i];
                } else {
                    ct[row * mPad + i] = c[at + row];
                }
            }
        }
    }
}
