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

    /**
     * Fewest FLOP per step for A and B to be packed per run of the K block rather than per block: the B micro-panel
     * (NR × ≤ 256) then stays in L1 for every row tile, but each step is a fork-join. GemmBench, Intel Xeon at
     * 512 bits, GFLOP/s: n = 1024 one thread 123 / 130 → 163 / 154, two threads 251 / 249 → 289 / 305; n = 2048
     * two threads 250 / 253 → 277 / 262. A step of 15 MFLOP (ResNet's 512-channel 3 × 3 layer on 1 × 1 planes
     * over a batch of 64: M = 512, N = 64, K = 4,608) lost 7% on two threads.
     */
    static final double PER_RUN_MIN_FLOP = 64e6;

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
            // The same runs and FMAs either way, so the same bits.
            final boolean perRun = 2.0 * m * nc * MicroKernel.runLength(kcBlock) >= PER_RUN_MIN_FLOP;
            final int[] runs = SimdGemm.runs(k, kcBlock, perRun);
            for (int r = 0; r < runs.length; r += 2) {
                final int p0 = runs[r];
                final int kc = runs[r + 1];
                final float betaStep = p0 == 0 ? beta : 1f;
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
