package dev.vcnn.engine.kernel.simd.gemm;

import dev.vcnn.engine.parallel.Parallelism;

/**
 * The GEMM for few rows and many columns (an im2col GEMM over a batch) on several threads: C's columns cut into
 * chunks of whole NR panels, each chunk {@link PanelByPanelGemm panel by panel} on one thread. The chunks depend
 * on N only, and every output is computed as the one-thread path computes it.
 */
final class ColumnChunkGemm {
    private static final int NR = SimdGemm.NR;
    private static final int TASKS = SimdGemm.TASKS;
    private static final int MIN_CHUNK_PANELS = SimdGemm.MIN_CHUNK_PANELS;

    private final PanelByPanelGemm panelByPanel;

    ColumnChunkGemm(PanelByPanelGemm panelByPanel) {
        this.panelByPanel = panelByPanel;
    }

    void run(boolean transA, boolean transB, int m, int n, int k, int kcBlock, float alpha, float[] a, int aOff,
             int lda, float[] b, int bOff, int ldb, float beta, float[] c, int cOff, int ldc, Parallelism par) {
        // Few rows, many columns (an im2col GEMM over a batch): column chunks, each panel by panel.
        // Packing all of B first, as below, wrote and re-read megabytes for a few FMAs per value:
        // LeNet conv1's (6 × 36864 × 25) ran at 17 GFLOP/s on 2 threads against 33 on 1.
        final int chunks = Math.min(TASKS, n / (MIN_CHUNK_PANELS * NR));
        final int chunkCols = SimdGemm.roundUp((n + chunks - 1) / chunks, NR);
        par.forRange((n + chunkCols - 1) / chunkCols, 1, (s, e) -> {
            for (int chunk = s; chunk < e; chunk++) {
                int col = chunk * chunkCols;
                panelByPanel.run(transA, transB, m, Math.min(chunkCols, n - col), k, kcBlock, alpha, a, aOff, lda,
                        b, bOff + (transB ? col * ldb : col), ldb, beta, c, cOff + col, ldc);
            }
        });
    }
}
