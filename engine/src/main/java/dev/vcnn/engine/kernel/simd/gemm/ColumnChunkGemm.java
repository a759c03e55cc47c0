package dev.vcnn.engine.kernel.simd.gemm;

import dev.vcnn.engine.parallel.Parallelism;

/**
 * The GEMM for few rows and many columns (an im2col GEMM over a batch) on several threads: C's columns cut into
 * chunks of whole NR panels, each chunk {@link PanelByPanelGemm panel by panel} on one thread. Every output is
 * computed as the one-thread path computes it, whatever the chunks.
 */
final class ColumnChunkGemm {
    private static final int NR = SimdGemm.NR;
    private static final int TASKS = SimdGemm.TASKS;
    private static final int MIN_CHUNK_PANELS = SimdGemm.MIN_CHUNK_PANELS;

    private final PanelByPanelGemm panelByPanel;

    ColumnChunkGemm(PanelByPanelGemm panelByPanel) {
        this.panelByPanel = panelByPanel;
    }

    /**
     * How many column chunks N columns make: up to {@link SimdGemm#TASKS} of at least
     * {@link SimdGemm#MIN_CHUNK_PANELS} panels; where that makes fewer than two, chunks of
     * {@link SimdGemm#NARROW_CHUNK_PANELS} panels if they are at least {@code wanted} (the tasks the
     * packed path would run); else 0 or 1, meaning the packed path. Packing all of B first, as that
     * path does, made a linear layer of 64 rows (64 × 512 × 784) run at 128 GFLOP/s on 2 threads
     * against 140 on 1; two chunks of 256 columns ran it at 238.
     */
    static int chunks(int n, int wanted) {
        int wide = n / (MIN_CHUNK_PANELS * NR);
        if (wide >= 2) {
            return Math.min(TASKS, wide);
        }
        int narrow = n / (SimdGemm.NARROW_CHUNK_PANELS * NR);
        return narrow >= wanted ? narrow : wide;
    }

    void run(boolean transA, boolean transB, int m, int n, int k, int chunks, int kcBlock, float alpha, float[] a,
             int aOff, int lda, float[] b, int bOff, int ldb, float beta, float[] c, int cOff, int ldc,
             Parallelism par) {
        // Few rows, many columns (an im2col GEMM over a batch): column chunks, each panel by panel.
        // Packing all of B first, as the packed path does, wrote and re-read megabytes for a few FMAs per
        // value: LeNet conv1's (6 × 36864 × 25) ran at 17 GFLOP/s on 2 threads against 33 on 1.
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
