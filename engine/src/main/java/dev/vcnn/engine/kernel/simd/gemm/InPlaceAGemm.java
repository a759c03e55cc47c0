package dev.vcnn.engine.kernel.simd.gemm;

import dev.vcnn.engine.kernel.simd.Scratch;
import dev.vcnn.engine.parallel.Parallelism;

/**
 * C = alpha·A·B + beta·C for a large A stored m × k and few columns of B: a convolution's weights times the
 * columns of one small output plane (49 at 7×7, batch 1). A's stored rows are the micro-kernel's broadcast
 * operand, read in place ({@link MicroKernel#rowsKernel}), so A is never packed; only B is, once. The packed
 * paths copy every value of A into a panel that only ⌈n / NR⌉ micro-kernel calls then read: two for n = 49.
 * Each task takes a range of row tiles and sums K run by run over all of them, so one run of the packed B
 * serves the whole range; its rows of C collect in a buffer of its own, NR-padded, then are copied into C.
 * K is cut into the same blocks and runs as on the panel paths, and each product is the same FMA, so every
 * output equals theirs bit for bit, on any number of threads.
 */
final class InPlaceAGemm {
    private static final int MR = SimdGemm.MR;
    private static final int NR = SimdGemm.NR;
    /** Fewest row tiles per task: 32 rows, about 0.15 ms of work at K = 4,608 and two panels. */
    private static final int TASK_TILES = 4;

    private final Scratch bBuffers = new Scratch();
    private final Scratch cBuffers = new Scratch();
    private final Scratch edgeBuffers = new Scratch();
    private final Scratch tileBuffers = new Scratch();

    /** C[m × n] = alpha·A·B + beta·C, A stored m × k and B stored k × n. */
    void run(int m, int n, int k, float alpha, float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
             float beta, float[] c, int cOff, int ldc, Parallelism par) {
        final int panels = (n + NR - 1) / NR;
        final int nPad = panels * NR;
        final int[] runs = SimdGemm.runs(k, SimdGemm.kcBlock(k));
        final float[] bp = bBuffers.take(nPad * k);
        try {
            par.forRange(panels, 1, (s, e) -> {
                for (int j = s; j < e; j++) {
                    GemmPacking.packB(false, b, bOff, ldb, 0, k, j * NR, Math.min(NR, n - j * NR), bp, j * NR * k);
                }
            });
            final int tiles = (m + MR - 1) / MR;
            // One range per thread: each range streams the packed B once per run.
            par.forRange(tiles, Math.max(TASK_TILES, (tiles + par.threads() - 1) / par.threads()), (t0, t1) -> {
                int row0 = t0 * MR;
                int row1 = Math.min(m, t1 * MR);
                float[] ct = cBuffers.take((t1 - t0) * MR * nPad);
                float[] ap = edgeBuffers.take(MR * Math.min(k, MicroKernel.RUN)); // runs are at most RUN long
                float[] tile = tileBuffers.take(MR * NR);
                try {
                    if (beta != 0) {
                        for (int i = row0; i < row1; i++) {
                            System.arraycopy(c, cOff + i * ldc, ct, (i - row0) * nPad, n);
                        }
                    }
                    for (int r = 0; r < runs.length; r += 2) {
                        int p0 = runs[r];
                        int len = runs[r + 1];
                        float betaStep = p0 == 0 ? beta : 1f;
                        for (int t = t0; t < t1; t++) {
                            int row = t * MR;
                            int rows = Math.min(MR, m - row);
                            if (rows < MR) {
                                GemmPacking.packA(false, a, aOff, lda, row, rows, p0, len, ap);
                            }
                            for (int j = 0; j < panels; j++) {
                                int bIdx = j * NR * k + p0 * NR;
                                int cIdx = (row - row0) * nPad + j * NR;
                                if (rows == MR) {
                                    MicroKernel.rowsKernel(len, a, aOff + row * lda + p0, lda, bp, bIdx, ct, cIdx, nPad,
                                            alpha, betaStep);
                                } else {
                                    MicroKernel.microKernel(len, ap, 0, bp, bIdx, ct, cIdx, nPad, alpha, betaStep,
                                            rows, NR, tile);
                                }
                            }
                        }
                    }
                    for (int i = row0; i < row1; i++) {
                        System.arraycopy(ct, (i - row0) * nPad, c, cOff + i * ldc, n);
                    }
                } finally {
                    tileBuffers.give(tile);
                    edgeBuffers.give(ap);
                    cBuffers.give(ct);
                }
            });
        } finally {
            bBuffers.give(bp);
        }
    }
}
