package dev.vcnn.engine.kernel.simd;

import static dev.vcnn.engine.kernel.simd.Lanes.ZIP_HI;
import static dev.vcnn.engine.kernel.simd.Lanes.ZIP_LO;
import static dev.vcnn.engine.kernel.simd.SimdSpecies.F;

import dev.vcnn.engine.kernel.Gemm;
import dev.vcnn.engine.kernel.KernelSettings;
import dev.vcnn.engine.parallel.Parallelism;
import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;

/**
 * {@link Gemm} on the Vector API, BLIS-style: C = alpha·op(A)·op(B) + beta·C with op(A) M×K and
 * op(B) K×N.
 *
 * <p>Loops, outermost first: columns of C in blocks of NC; K in blocks of KC, for which op(B) is
 * packed once into NR-wide micro-panels (shared by all threads); rows of C in blocks of MC, for
 * which op(A) is packed into MR-tall micro-panels by the task that uses them; then every NR×KC
 * micro-panel of B (it stays in L1) meets every MR×KC micro-panel of A (they stream from L2) in a
 * register-tiled micro-kernel of MR×2 vector accumulators.
 *
 * <p>Edge tiles compute on zero-padded panels and write back under lane masks. The block sizes and
 * the task split depend only on M, N, K and the vector width, and each output is computed by the same
 * sequence of operations whichever thread runs it, so results are bit-identical for any thread count.
 */
final class SimdGemm implements Gemm {
    private static final int L = F.length();
    /** Rows of the register tile. */
    static final int MR = 8;
    /**
     * Columns of the register tile: two vectors. 8×2 = 16 accumulators hide the FMA latency, and NR
     * (32 floats at 512 bits) divides the power-of-two and im2col widths CNNs use, where a 3-vector
     * tile wastes up to a third of its last panel.
     */
    static final int NR = nr(L);

    /** {@link #NR} at a width of {@code lanes} floats. */
    static int nr(int lanes) {
        return 2 * lanes;
    }
    /**
     * K per packed panel. Large, because every K block costs a write-back of C (loads that stall at the
     * end of each micro-kernel): measured on Zen 4 at n = 1024, KC 192 → 82 GFLOP/s, 512 → 103,
     * 1024 → 106. The NR×KC micro-panel of B (128 KiB) then streams from L2, which needs only
     * 8–16 bytes per cycle for an 8×2 tile. {@code vcnn.gemm.kc} overrides it, for tuning.
     */
    static final int KC = KernelSettings.gemmBlock(KernelSettings.GEMM_KC, 1024);
    /** Rows per block: the MC×KC packed A block (384 KiB) lives in L2. {@code vcnn.gemm.mc} overrides it. */
    static final int MC = roundUp(KernelSettings.gemmBlock(KernelSettings.GEMM_MC, 96), MR);
    /**
     * Fewest columns per block: the KC×NC packed B panel lives in L3. Shallow problems (im2col of a
     * first conv layer has K = 9·C) widen the block to {@link #B_PANEL_FLOATS}, so that a whole
     * layer is one block rather than a dozen fork-joins of 1 MFLOP each. {@code vcnn.gemm.nc} overrides it.
     */
    static final int NC = roundUp(KernelSettings.gemmBlock(KernelSettings.GEMM_NC, 3072), NR);
    /** The packed B panel may hold this many floats (4 MiB) when K is small. */
    private static final int B_PANEL_FLOATS = 1 << 20;
    /**
     * Tasks to aim for per (NC, KC) step: 16 share evenly among 2, 4, 8 or 16 threads. Rows are split
     * first (free: each row of A is packed once), down to MIN_MC rows; then columns.
     */
    private static final int TASKS = 16;
    /**
     * Fewest rows per block: each packed B micro-panel, streamed from L3, is reused by MC/MR
     * micro-kernels. At 16 rows the VGG 64→64 layer GEMM ran at 79 GFLOP/s; at 32+ it is L3-bound no more.
     */
    private static final int MIN_MC = 4 * MR;
    /**
     * Up to this many rows of C (batch-1 inference, matrix-vector products) every element of B is used
     * at most M times, so packing B would cost as much as the multiply: read A and B in place instead.
     */
    static final int UNPACKED_MAX_M = 4;
    /**
     * A small C (≤ this many outputs) from long rows of A and stored rows of B — A·Bᵀ with K ≫ M, N,
     * as a conv weight gradient over a batch (6×25 outputs, K = 36864 for LeNet conv1) — is computed
     * as dot products: packing Bᵀ would gather every value from rows K floats apart (it took 20% of a
     * LeNet conv step), and each packed value would be used only M times.
     */
    static final int DOTS_MAX_OUTPUTS = 4096;
    /** Problems smaller than this (in FLOP; ~35 µs on one core) run on the calling thread. */
    private static final double SERIAL_FLOP = 4e6;
    /** Narrowest column chunk, in NR panels: 512 columns at 512 bits, so packing A costs under ~3%. */
    private static final int MIN_CHUNK_PANELS = Math.max(2, 512 / NR);

    private final Scratch aBuffers = new Scratch();
    private final Scratch bBuffers = new Scratch();
    private final Scratch tileBuffers = new Scratch();
    private final Scratch dotBuffers = new Scratch();
    private final Scratch runBuffers = new Scratch();

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
        final Parallelism par = 2.0 * m * n * k < SERIAL_FLOP ? Parallelism.sequential() : parallelism;
        if (m <= UNPACKED_MAX_M || (transB && !transA && (long) m * n <= DOTS_MAX_OUTPUTS && k >= 16 * Math.max(m, n))) {
            unpacked(transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc, par);
            return;
        }
        // Blocks are balanced (K = 256 becomes 2×128, not 192 + 64): a short last block costs a
        // full write-back of C for little work. The split depends on M, N, K only.
        final int rowBlocks = Math.max((m + MC - 1) / MC, Math.min((m + MIN_MC - 1) / MIN_MC, TASKS));
        final int mc = roundUp((m + rowBlocks - 1) / rowBlocks, MR);
        final int mBlocks = (m + mc - 1) / mc;
        final int kcBlock = kcBlock(k);
        if (par.threads() == 1 && m <= PANEL_BY_PANEL_MAX_M) {
            panelByPanel(transA, transB, m, n, k, kcBlock, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc);
            return;
        }
        if (m <= PANEL_BY_PANEL_MAX_M && n >= 2 * MIN_CHUNK_PANELS * NR) {
            // Few rows, many columns (an im2col GEMM over a batch): column chunks, each panel by panel.
            // Packing all of B first, as below, wrote and re-read megabytes for a few FMAs per value:
            // LeNet conv1's (6 × 36864 × 25) ran at 17 GFLOP/s on 2 threads against 33 on 1.
            final int chunks = Math.min(TASKS, n / (MIN_CHUNK_PANELS * NR));
            final int chunkCols = roundUp((n + chunks - 1) / chunks, NR);
            par.forRange((n + chunkCols - 1) / chunkCols, 1, (s, e) -> {
                for (int chunk = s; chunk < e; chunk++) {
                    int col = chunk * chunkCols;
                    panelByPanel(transA, transB, m, Math.min(chunkCols, n - col), k, kcBlock, alpha, a, aOff, lda,
                            b, bOff + (transB ? col * ldb : col), ldb, beta, c, cOff + col, ldc);
                }
            });
            return;
        }
        final int ncBlock = Math.max(NC, roundUp(B_PANEL_FLOATS / kcBlock, NR) - NR);
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
                            packB(transB, b, bOff, ldb, p0, kc, j0 + panel * NR, Math.min(NR, nc - panel * NR),
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
     * K per block for a reduction of length k: balanced (K = 1280 becomes 2 × 640, not 1024 + 256), since a
     * short last block costs a full write-back of C for little work. Depends on k only.
     */
    private static int kcBlock(int k) {
        int kBlocks = (k + KC - 1) / KC;
        return (k + kBlocks - 1) / kBlocks;
    }

    /** Most rows for {@link #panelByPanel}: its packed A (M × KC floats, 1 MiB at 256 × 1024) stays in L2. */
    static final int PANEL_BY_PANEL_MAX_M = 256;

    /**
     * The blocked GEMM on one thread for few rows (a convolution's per-image GEMM has M = out-channels):
     * per K block, all of op(A) is packed once, then each NR-wide panel of op(B) is packed and at once
     * used by every row tile while it is hot in L1/L2, instead of packing the whole block of B first
     * (megabytes, written out to L3 and read back). Same K blocks and micro-kernel as the threaded
     * path, so the same results bit for bit.
     */
    private void panelByPanel(boolean transA, boolean transB, int m, int n, int k, int kcBlock, float alpha,
                              float[] a, int aOff, int lda, float[] b, int bOff, int ldb, float beta,
                              float[] c, int cOff, int ldc) {
        panelByPanel(transA, m, n, k, kcBlock, alpha, a, aOff, lda, beta, c, cOff, ldc,
                (p0, kc, col, cols, bp) -> packB(transB, b, bOff, ldb, p0, kc, col, cols, bp, 0));
    }

    /** Packs rows [p0, p0+kc) × columns [col, col+cols) of op(B) into one NR-wide micro-panel at bp[0]. */
    @FunctionalInterface
    private interface PanelPacker {
        void pack(int p0, int kc, int col, int cols, float[] bp);
    }

    /** {@link #panelByPanel} with B's panels from {@code packer} (called once per panel and K block). */
    private void panelByPanel(boolean transA, int m, int n, int k, int kcBlock, float alpha,
                              float[] a, int aOff, int lda, float beta, float[] c, int cOff, int ldc,
                              PanelPacker packer) {
        float[] ap = aBuffers.take(roundUp(m, MR) * kcBlock);
        float[] bp = bBuffers.take(NR * kcBlock);
        float[] tile = tileBuffers.take(MR * NR);
        try {
            for (int pc = 0; pc < k; pc += kcBlock) {
                int kc = Math.min(kcBlock, k - pc);
                float betaStep = pc == 0 ? beta : 1f;
                packA(transA, a, aOff, lda, 0, m, pc, kc, ap);
                for (int col = 0; col < n; col += NR) {
                    int cols = Math.min(NR, n - col);
                    packer.pack(pc, kc, col, cols, bp);
                    for (int ir = 0; ir < m; ir += MR) {
                        microKernel(kc, ap, ir * kc, bp, 0, c, cOff + ir * ldc + col, ldc, alpha, betaStep,
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
     * {@link #panelByPanel}, with the same K blocks and micro-kernel, so every stored value is the one
     * {@code sgemm} gives for a matrix holding those rows.
     */
    void rowsProduct(int m, int n, int k, float[] a, int aOff, int lda, float[] x, int[] rowAt,
                     float beta, float[] c, int cOff, int ldc) {
        panelByPanel(false, m, n, k, kcBlock(k), 1f, a, aOff, lda, beta, c, cOff, ldc,
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
     * zero-padded input (the weight gradient, see {@code SimdConv2d}). The blocking of {@link #panelByPanel}.
     */
    void rowsTransposedProduct(int m, int n, int k, float[] a, int aOff, int lda, float[] x, int[] rowAt,
                               float beta, float[] c, int cOff, int ldc) {
        int kcBlock = kcBlock(k);
        float[] runs = runBuffers.take(NR * kcBlock);
        try {
            // Each panel's runs are copied side by side first (L1-resident), then packed as a stored Bᵀ:
            // loads from 16 run starts held in registers were ~5% slower than the fixed-stride form.
            panelByPanel(false, m, n, k, kcBlock, 1f, a, aOff, lda, beta, c, cOff, ldc, (p0, kc, col, cols, bp) -> {
                for (int j = 0; j < cols; j++) {
                    System.arraycopy(x, rowAt[col + j] + p0, runs, j * kc, kc);
                }
                packTransposed(runs, 0, kc, kc, cols, bp, 0);
            });
        } finally {
            runBuffers.give(runs);
        }
    }

    /**
     * C[0..mr)×[0..nr) = alpha·(Ap·Bp) + beta·C over one MR×NR tile, where Ap is an MR×kc micro-panel
     * (column-major: MR values per k) and Bp an NR×kc one (row-major: NR values per k). Kept flat, with
     * the write-back inline: C2 must keep all sixteen accumulators in registers.
     */
    static void microKernel(int kc, float[] ap, int aIdx, float[] bp, int bIdx,
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
            int src = transA ? aOff + p0 * lda + i0 + q * MR : aOff + (i0 + q * MR) * lda + p0;
            if (!transA && valid == MR) {
                packRowsTransposed(a, src, lda, kc, ap, base);
            } else if (!transA) {
                for (int r = 0; r < MR; r++) {
                    for (int p = 0; p < kc; p++) {
                        ap[base + p * MR + r] = r < valid ? a[src + r * lda + p] : 0f;
                    }
                }
            } else {
                for (int p = 0; p < kc; p++) {
                    for (int r = 0; r < MR; r++) {
                        ap[base + p * MR + r] = r < valid ? a[src + p * lda + r] : 0f;
                    }
                }
            }
        }
    }

    /**
     * ap[base + p·MR + r] = a[src + r·lda + p] for r &lt; MR, p &lt; kc: an MR×kc row block transposed, L
     * columns at a time by three rounds of two-vector zips (interleaving 8 rows = zipping the even
     * rows' interleave with the odd rows', recursively): 24 permutes per 8 vectors. On Zen 4 at 512
     * bits a 512×512 A packed in 36 µs this way, 131 µs with gathers and 280 µs with scalar copies
     * (5% of a 512³ GEMM with gathers).
     */
    private static void packRowsTransposed(float[] a, int src, int lda, int kc, float[] ap, int base) {
        int p = 0;
        for (int bound = kc - kc % L; p < bound; p += L) {
            int at = src + p;
            var x0 = FloatVector.fromArray(F, a, at);
            var x1 = FloatVector.fromArray(F, a, at + lda);
            var x2 = FloatVector.fromArray(F, a, at + 2 * lda);
            var x3 = FloatVector.fromArray(F, a, at + 3 * lda);
            var x4 = FloatVector.fromArray(F, a, at + 4 * lda);
            var x5 = FloatVector.fromArray(F, a, at + 5 * lda);
            var x6 = FloatVector.fromArray(F, a, at + 6 * lda);
            var x7 = FloatVector.fromArray(F, a, at + 7 * lda);
            var y0 = ZIP_LO.selectFrom(x0, x4);
            var y1 = ZIP_HI.selectFrom(x0, x4);
            var y2 = ZIP_LO.selectFrom(x2, x6);
            var y3 = ZIP_HI.selectFrom(x2, x6);
            var y4 = ZIP_LO.selectFrom(x1, x5);
            var y5 = ZIP_HI.selectFrom(x1, x5);
            var y6 = ZIP_LO.selectFrom(x3, x7);
            var y7 = ZIP_HI.selectFrom(x3, x7);
            var w0 = ZIP_LO.selectFrom(y0, y2);
            var w1 = ZIP_HI.selectFrom(y0, y2);
            var w2 = ZIP_LO.selectFrom(y1, y3);
            var w3 = ZIP_HI.selectFrom(y1, y3);
            var w4 = ZIP_LO.selectFrom(y4, y6);
            var w5 = ZIP_HI.selectFrom(y4, y6);
            var w6 = ZIP_LO.selectFrom(y5, y7);
            var w7 = ZIP_HI.selectFrom(y5, y7);
            int to = base + p * MR;
            ZIP_LO.selectFrom(w0, w4).intoArray(ap, to);
            ZIP_HI.selectFrom(w0, w4).intoArray(ap, to + L);
            ZIP_LO.selectFrom(w1, w5).intoArray(ap, to + 2 * L);
            ZIP_HI.selectFrom(w1, w5).intoArray(ap, to + 3 * L);
            ZIP_LO.selectFrom(w2, w6).intoArray(ap, to + 4 * L);
            ZIP_HI.selectFrom(w2, w6).intoArray(ap, to + 5 * L);
            ZIP_LO.selectFrom(w3, w7).intoArray(ap, to + 6 * L);
            ZIP_HI.selectFrom(w3, w7).intoArray(ap, to + 7 * L);
        }
        for (; p < kc; p++) {
            for (int r = 0; r < MR; r++) {
                ap[base + p * MR + r] = a[src + r * lda + p];
            }
        }
    }


    /**
     * bp[dst + p·NR + j] = b[src + j·ldb + p] for j &lt; 16, p &lt; kc: sixteen stored rows of B (columns of
     * op(B) = Bᵀ) transposed into a panel, L values of k at a time by four rounds of two-vector zips
     * (see {@link #packRowsTransposed}): 64 permutes per 16 vectors, where scalar copies cost a load and
     * a store per value (a linear layer at batch 64 uses each packed value in only 8 micro-kernels).
     */
    private static void packColumnsTransposed(float[] b, int src, int ldb, int kc, float[] bp, int dst) {
        int p = 0;
        for (int bound = kc - kc % L; p < bound; p += L) {
            int at = src + p;
            var x0 = FloatVector.fromArray(F, b, at);
            var x1 = FloatVector.fromArray(F, b, at + 1 * ldb);
            var x2 = FloatVector.fromArray(F, b, at + 2 * ldb);
            var x3 = FloatVector.fromArray(F, b, at + 3 * ldb);
            var x4 = FloatVector.fromArray(F, b, at + 4 * ldb);
            var x5 = FloatVector.fromArray(F, b, at + 5 * ldb);
            var x6 = FloatVector.fromArray(F, b, at + 6 * ldb);
            var x7 = FloatVector.fromArray(F, b, at + 7 * ldb);
            var x8 = FloatVector.fromArray(F, b, at + 8 * ldb);
            var x9 = FloatVector.fromArray(F, b, at + 9 * ldb);
            var x10 = FloatVector.fromArray(F, b, at + 10 * ldb);
            var x11 = FloatVector.fromArray(F, b, at + 11 * ldb);
            var x12 = FloatVector.fromArray(F, b, at + 12 * ldb);
            var x13 = FloatVector.fromArray(F, b, at + 13 * ldb);
            var x14 = FloatVector.fromArray(F, b, at + 14 * ldb);
            var x15 = FloatVector.fromArray(F, b, at + 15 * ldb);
            var y0 = ZIP_LO.selectFrom(x0, x8);
            var y1 = ZIP_HI.selectFrom(x0, x8);
            var y2 = ZIP_LO.selectFrom(x1, x9);
            var y3 = ZIP_HI.selectFrom(x1, x9);
            var y4 = ZIP_LO.selectFrom(x2, x10);
            var y5 = ZIP_HI.selectFrom(x2, x10);
            var y6 = ZIP_LO.selectFrom(x3, x11);
            var y7 = ZIP_HI.selectFrom(x3, x11);
            var y8 = ZIP_LO.selectFrom(x4, x12);
            var y9 = ZIP_HI.selectFrom(x4, x12);
            var y10 = ZIP_LO.selectFrom(x5, x13);
            var y11 = ZIP_HI.selectFrom(x5, x13);
            var y12 = ZIP_LO.selectFrom(x6, x14);
            var y13 = ZIP_HI.selectFrom(x6, x14);
            var y14 = ZIP_LO.selectFrom(x7, x15);
            var y15 = ZIP_HI.selectFrom(x7, x15);
            var w0 = ZIP_LO.selectFrom(y0, y8);
            var w1 = ZIP_HI.selectFrom(y0, y8);
            var w2 = ZIP_LO.selectFrom(y1, y9);
            var w3 = ZIP_HI.selectFrom(y1, y9);
            var w4 = ZIP_LO.selectFrom(y2, y10);
            var w5 = ZIP_HI.selectFrom(y2, y10);
            var w6 = ZIP_LO.selectFrom(y3, y11);
            var w7 = ZIP_HI.selectFrom(y3, y11);
            var w8 = ZIP_LO.selectFrom(y4, y12);
            var w9 = ZIP_HI.selectFrom(y4, y12);
            var w10 = ZIP_LO.selectFrom(y5, y13);
            var w11 = ZIP_HI.selectFrom(y5, y13);
            var w12 = ZIP_LO.selectFrom(y6, y14);
            var w13 = ZIP_HI.selectFrom(y6, y14);
            var w14 = ZIP_LO.selectFrom(y7, y15);
            var w15 = ZIP_HI.selectFrom(y7, y15);
            var u0 = ZIP_LO.selectFrom(w0, w8);
            var u1 = ZIP_HI.selectFrom(w0, w8);
            var u2 = ZIP_LO.selectFrom(w1, w9);
            var u3 = ZIP_HI.selectFrom(w1, w9);
            var u4 = ZIP_LO.selectFrom(w2, w10);
            var u5 = ZIP_HI.selectFrom(w2, w10);
            var u6 = ZIP_LO.selectFrom(w3, w11);
            var u7 = ZIP_HI.selectFrom(w3, w11);
            var u8 = ZIP_LO.selectFrom(w4, w12);
            var u9 = ZIP_HI.selectFrom(w4, w12);
            var u10 = ZIP_LO.selectFrom(w5, w13);
            var u11 = ZIP_HI.selectFrom(w5, w13);
            var u12 = ZIP_LO.selectFrom(w6, w14);
            var u13 = ZIP_HI.selectFrom(w6, w14);
            var u14 = ZIP_LO.selectFrom(w7, w15);
            var u15 = ZIP_HI.selectFrom(w7, w15);
            int to = dst + p * NR;
            ZIP_LO.selectFrom(u0, u8).intoArray(bp, to + slot(0));
            ZIP_HI.selectFrom(u0, u8).intoArray(bp, to + slot(1));
            ZIP_LO.selectFrom(u1, u9).intoArray(bp, to + slot(2));
            ZIP_HI.selectFrom(u1, u9).intoArray(bp, to + slot(3));
            ZIP_LO.selectFrom(u2, u10).intoArray(bp, to + slot(4));
            ZIP_HI.selectFrom(u2, u10).intoArray(bp, to + slot(5));
            ZIP_LO.selectFrom(u3, u11).intoArray(bp, to + slot(6));
            ZIP_HI.selectFrom(u3, u11).intoArray(bp, to + slot(7));
            ZIP_LO.selectFrom(u4, u12).intoArray(bp, to + slot(8));
            ZIP_HI.selectFrom(u4, u12).intoArray(bp, to + slot(9));
            ZIP_LO.selectFrom(u5, u13).intoArray(bp, to + slot(10));
            ZIP_HI.selectFrom(u5, u13).intoArray(bp, to + slot(11));
            ZIP_LO.selectFrom(u6, u14).intoArray(bp, to + slot(12));
            ZIP_HI.selectFrom(u6, u14).intoArray(bp, to + slot(13));
            ZIP_LO.selectFrom(u7, u15).intoArray(bp, to + slot(14));
            ZIP_HI.selectFrom(u7, u15).intoArray(bp, to + slot(15));
        }
        for (; p < kc; p++) {
            for (int j = 0; j < 16; j++) {
                bp[dst + p * NR + j] = b[src + j * ldb + p];
            }
        }
    }

    /**
     * Where output vector q of {@link #packColumnsTransposed} goes, relative to its k row of the panel: its
     * L values are flat positions q·L … of the 16-wide transposed block, k-major.
     */
    private static int slot(int q) {
        return q * L / 16 * NR + q * L % 16;
    }

    /** k values per slab when packing a transposed B (see {@link #packB}). */
    private static final int TRANSPOSE_BLOCK = 16;

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
            packTransposed(b, bOff + j0 * ldb + p0, ldb, kc, cols, bp, dst);
        }
    }

    /**
     * Packs a kc × cols block of op(B) = Bᵀ into one NR-wide micro-panel at {@code bp[dst]} (NR values
     * per k, columns past {@code cols} as zeros): stored row j, b[src + j·ldb + p] for p &lt; kc, becomes
     * column j of the panel. Sixteen at a time by an in-register transpose; the rest (a short last panel) by scalar
     * copies in slabs of 16 k (one cache line of each stored row). On a linear layer x·Wᵀ (64×4096×4096,
     * one thread, Zen 4, medians of 20 runs) scalar copies ran at 58 GFLOP/s, the transpose at 76
     * (gathers: 36; the same product with B untransposed: 70).
     */
    static void packTransposed(float[] b, int src, int ldb, int kc, int cols, float[] bp, int dst) {
        int j = 0;
        if (L <= 16) {
            for (; j + 16 <= cols; j += 16) {
                packColumnsTransposed(b, src + j * ldb, ldb, kc, bp, dst + j);
            }
        }
        for (int pb = 0; pb < kc && j < NR; pb += TRANSPOSE_BLOCK) {
            int pe = Math.min(kc, pb + TRANSPOSE_BLOCK);
            for (int jj = j; jj < NR; jj++) {
                for (int p = pb; p < pe; p++) {
                    bp[dst + p * NR + jj] = jj < cols ? b[src + jj * ldb + p] : 0f;
                }
            }
        }
    }

    /** Columns of C per chunk of the unpacked path: four vectors per row. */
    private static final int UNPACKED_COLS = 4 * L;

    /**
     * GEMM for M ≤ {@link #UNPACKED_MAX_M} without packing, one row of C at a time, split over column
     * chunks. op(B) = B (row-major K×N): four vector accumulators per row walk down K. op(B) = Bᵀ
     * (B stored N×K, as a linear layer stores its weight): four dot products at a time, contiguous in K.
     */
    private void unpacked(boolean transA, boolean transB, int m, int n, int k,
                                 float alpha, float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                                 float beta, float[] c, int cOff, int ldc, Parallelism par) {
        par.forRange(n, Math.max(UNPACKED_COLS, roundUp(Math.max(1, (int) (SERIAL_FLOP / 2 / k / m)), UNPACKED_COLS)),
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
