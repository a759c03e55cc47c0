package dev.vcnn.engine.kernel.simd.gemm;

import dev.vcnn.engine.kernel.simd.Scratch;
import dev.vcnn.engine.parallel.Parallelism;

/**
 * The GEMM's packed path, BLIS-style, on several threads: columns of C in blocks of NC; K in blocks of KC, for
 * which op(B) is packed once into NR-wide micro-panels shared by all threads; rows of C in blocks of mc, for
 * which each task packs op(A) into MR-tall micro-panels; every NR×KC panel of B meets every MR×KC panel of A in
 * the {@link MicroKernel}. Tasks split rows first, then columns, from M, N and K alone.
 */
final class PackedGemm {
    private static final int MR = SimdGemm.MR;
    private static final int NR = SimdGemm.NR;
    private static final int NC = SimdGemm.NC;
    private static final int TASKS = SimdGemm.TASKS;
    private static final int B_PANEL_FLOATS = SimdGemm.B_PANEL_FLOATS;
    private static final int MIN_CHUNK_PANELS = SimdGemm.MIN_CHUNK_PANELS;

    private final Scratch aBuffers = new Scratch();
    private final Scratch bBuffers = new Scratch();
    private final Scratch tileBuffers = new Scratch();

    /** C = alpha·op(A)·op(B) + beta·C with row blocks of {@code mc} ({@code mBlocks} of them) and K blocks of {@code kcBlock}. */
    void run(boolean transA, boolean transB, int m, int n, int k, int mc, int mBlocks, int kcBlock, float alpha,
             float[] a, int aOff, int lda, float[] b, int bOff, int ldb, float beta, float[] c, int cOff, int ldc,
             Parallelism par) {
        final int ncBlock = Math.max(NC, SimdGemm.roundUp(B_PANEL_FLOATS / kcBlock, NR) - NR);
        for (int jc = 0; jc < n; jc += ncBlock) {
            final int j0 = jc;
            final int nc = Math.min(ncBlock, n - jc);
            final int nPanels = (nc + NR - 1) / NR;
            // Split columns too when there are few row blocks, so small-M problems still spread out;
            // but every column chunk packs its own copy of the A block, so keep chunks wide.
            final int chunksWanted = (TASKS + mBlocks - 1) / mBlocks;
            final int chunkPanels = mBlocks >= TASKS ? nPanels
                    : Math.max(MIN_CHUNK_PANELS, (nPanels + chunksWanted - 1) / chunksWanted);
            final int jChunks = (nPanels + chunkPanels - 1) / chunkPanels;
            for (int pc = 0; pc < k; pc += kcBlock) {
                final int p0 = pc;
                final int kc = Math.min(kcBlock, k - pc);
                final float betaStep = pc == 0 ? beta : 1f;
                final float[] bp = bBuffers.take(nPanels * NR * kc);
                try {
                    par.forRange(nPanels, Math.max(1, 4096 / kc), (s, e) -> {
                        for (int panel = s; panel < e; panel++) {
                            GemmPacking.packB(transB, b, bOff, ldb, p0, kc, j0 + panel * NR, Math.min(NR, nc - panel * NR),
                                    bp, panel * NR * kc);
                        }
                    });
                    par.forRange(mBlocks * jChunks, 1, (s, e) -> {
                        float[] ap = aBuffers.take(mc * kc);
                        float[] tile = tileBuffers.take(MR * NR);
                        try {
                            for (int t = s; t < e; t++) {
                                int i0 = (t / jChunks) * mc;
                                int rows = Math.min(mc, m - i0);
                                int firstPanel = (t % jChunks) * chunkPanels;
                                int lastPanel = Math.min(nPanels, firstPanel + chunkPanels);
                                GemmPacking.packA(transA, a, aOff, lda, i0, rows, p0, kc, ap);
                                for (int panel = firstPanel; panel < lastPanel; panel++) {
                                    int col = j0 + panel * NR;
                                    int cols = Math.min(NR, n - col);
                                    for (int ir = 0; ir < rows; ir += MR) {
                                        MicroKernel.microKernelRuns(kc, ap, ir * kc, bp, panel * NR * kc,
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
}
