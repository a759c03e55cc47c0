package dev.vcnn.engine.kernel.simd.gemm;

import static dev.vcnn.engine.kernel.simd.SimdSpecies.F;

import dev.vcnn.engine.kernel.Gemm;
import dev.vcnn.engine.kernel.KernelSettings;
import dev.vcnn.engine.parallel.Parallelism;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;

/**
 * {@link Gemm} on the Vector API: C = alpha·op(A)·op(B) + beta·C with op(A) M×K and op(B) K×N. This is the
 * entry, and the one place that picks an algorithm from M, N, K, the transposes and the threads:
 *
 * <ul>
 *   <li>{@link UnpackedGemm}: M ≤ {@link #UNPACKED_MAX_M}, or a small C from long rows of A·Bᵀ — no packing;
 *   <li>{@link InPlaceAGemm}: A·B with at most two panels of columns (a convolution on a 7×7 plane) — A read in place;
 *   <li>{@link InPlaceBGemm}: A·Bᵀ with few rows and a large stored B (a linear layer's x·Wᵀ) — B read in place;
 *   <li>{@link PanelByPanelGemm}: one thread and M ≤ {@link #PANEL_BY_PANEL_MAX_M} — each B panel packed and used at once;
 *   <li>{@link ColumnChunkGemm}: several threads, few rows and many columns — column chunks, each panel by panel;
 *   <li>{@link PackedGemm}: otherwise — B packed once per K block and shared by the threads (BLIS-style).
 * </ul>
 *
 * <p>The packed paths share {@link GemmPacking}'s layouts and the {@link MicroKernel}; edge tiles compute on
 * zero-padded panels and write back under lane masks. The block sizes and the task split depend only on M, N, K
 * and the vector width, and each output is computed by the same sequence of operations whichever thread runs
 * it, so results are bit-identical for any thread count.
 */
public final class SimdGemm implements Gemm {
    private static final int L = F.length();
    /** Rows of the register tile. */
    public static final int MR = 8;
    /**
     * Columns of the register tile: two vectors. 8×2 = 16 accumulators hide the FMA latency, and NR
     * (32 floats at 512 bits) divides the power-of-two and im2col widths CNNs use, where a 3-vector
     * tile wastes up to a third of its last panel.
     */
    public static final int NR = nr(L);

    /** {@link #NR} at a width of {@code lanes} floats. */
    public static int nr(int lanes) {
        return 2 * lanes;
    }
    /**
     * K per block: the span cut into balanced runs ({@link #runs}), each summed in registers and added to C, so it
     * decides where the runs fall and hence the last bits. The panel paths, and the packed path for large steps,
     * pack per run, so the block no longer sizes a packed panel; the packed path's small steps pack per block. It
     * stays at 1,024, which Zen 4 measured best when every path packed per block (n = 1024: KC 192 → 82 GFLOP/s,
     * 512 → 103, 1024 → 106). {@code vcnn.gemm.kc} overrides it, for tuning.
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
    static final int B_PANEL_FLOATS = 1 << 20;
    /**
     * Tasks to aim for per (NC, KC) step: 16 share evenly among 2, 4, 8 or 16 threads. Rows are split
     * first (free: each row of A is packed once), down to MIN_MC rows; then columns.
     */
    static final int TASKS = 16;
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
    static final double SERIAL_FLOP = 4e6;
    /** Narrowest column chunk, in NR panels: 512 columns at 512 bits, so packing A costs under ~3%. */
    static final int MIN_CHUNK_PANELS = Math.max(2, 512 / NR);
    /**
     * Narrowest column chunk where wider ones would leave threads idle, in NR panels: 256 columns, so
     * packing A again costs under ~6%.
     */
    static final int NARROW_CHUNK_PANELS = Math.max(1, MIN_CHUNK_PANELS / 2);

    /**
     * A·Bᵀ takes {@link InPlaceBGemm} for at most this many rows, a packed Aᵀ of at most
     * {@link #IN_PLACE_B_MAX_AT_FLOATS} floats (1 MiB, L2-resident: it is read once per 8 rows of B) and a B of at
     * least {@link #IN_PLACE_B_MIN_B_FLOATS} (16 MiB, past L2, where packing B costs a quarter of the time). Intel
     * Xeon at 512 bits, GFLOP/s against the panel paths packing per run: 64 × 4096 × 4096 on one thread 120–122
     * against 96–104, on two 219–237 against 212–227; against the paths packing per block it was level at
     * 64 × 512 × 784 and lost where Aᵀ left L2 (128 × 1152 × 4096: 91–93 against 116; 64 × 288 × 16384: 75
     * against 112).
     */
    static final int IN_PLACE_B_MAX_M = 64;
    static final int IN_PLACE_B_MAX_AT_FLOATS = 1 << 18;
    static final long IN_PLACE_B_MIN_B_FLOATS = 1L << 22;

    /** Most rows for the panel-by-panel paths: their packed A (M × KC floats, 1 MiB at 256 × 1024) stays in L2. */
    public static final int PANEL_BY_PANEL_MAX_M = 256;

    private final UnpackedGemm unpacked = new UnpackedGemm();
    private final PanelByPanelGemm panelByPanel = new PanelByPanelGemm();
    private final ColumnChunkGemm columnChunks = new ColumnChunkGemm(panelByPanel);
    private final PackedGemm packed = new PackedGemm();
    private final InPlaceBGemm inPlaceB = new InPlaceBGemm();
    private final InPlaceAGemm inPlaceA = new InPlaceAGemm();

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
            unpacked.run(transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc, par);
            return;
        }
        if (transB && !transA && inPlaceB(m, n, k)) {
            inPlaceB.run(m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc, par);
            return;
        }
        if (!transA && !transB && inPlaceA(n)) {
            inPlaceA.run(m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc, par);
            return;
        }
        // Blocks are balanced (K = 256 becomes 2×128, not 192 + 64): a short last block costs a
        // full write-back of C for little work. The split depends on M, N, K only.
        final int rowBlocks = Math.max((m + MC - 1) / MC, Math.min((m + MIN_MC - 1) / MIN_MC, TASKS));
        final int mc = roundUp((m + rowBlocks - 1) / rowBlocks, MR);
        final int mBlocks = (m + mc - 1) / mc;
        final int kcBlock = kcBlock(k);
        if (par.threads() == 1 && m <= PANEL_BY_PANEL_MAX_M) {
            panelByPanel.run(transA, transB, m, n, k, kcBlock, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc);
            return;
        }
        if (m <= PANEL_BY_PANEL_MAX_M) {
            int chunks = ColumnChunkGemm.chunks(n, Math.min(par.threads(), mBlocks));
            if (chunks >= 2) {
                columnChunks.run(transA, transB, m, n, k, chunks, kcBlock, alpha, a, aOff, lda, b, bOff, ldb, beta, c,
                        cOff, ldc, par);
                return;
            }
        }
        packed.run(transA, transB, m, n, k, mc, mBlocks, kcBlock, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc, par);
    }

    /**
     * Whether A·B with n columns (above the unpacked path's rows) takes {@link InPlaceAGemm}: when a packed A
     * would serve at most {@link #IN_PLACE_A_MAX_PANELS} micro-kernel calls per value. Convolutions at batch 1 on
     * 7×7 planes (n = 49), Zen 4 at 512 bits, ms against the packed paths: 512 → 512 3×3 3.43–4.14 → 3.16–3.44 on
     * one thread and 2.08 → 1.75 on two; MobileNetV2's 960 → 160 1×1 0.20–0.22 → 0.19 and 0.159 → 0.119. At 256
     * bits (four panels) it lost 10%.
     */
    static boolean inPlaceA(int n) {
        return (n + NR - 1) / NR <= IN_PLACE_A_MAX_PANELS;
    }

    /** Most NR-wide panels of B for {@link #inPlaceA}. */
    static final int IN_PLACE_A_MAX_PANELS = 2;

    /** Whether A·Bᵀ of this shape (above the unpacked path's rows) takes {@link InPlaceBGemm}. */
    static boolean inPlaceB(int m, int n, int k) {
        return m <= IN_PLACE_B_MAX_M && (long) roundUp(m, NR) * k <= IN_PLACE_B_MAX_AT_FLOATS
                && (long) n * k >= IN_PLACE_B_MIN_B_FLOATS;
    }

    /**
     * K per block for a reduction of length k: balanced (K = 1280 becomes 2 × 640, not 1024 + 256), since a
     * short last block costs a full write-back of C for little work. Depends on k only.
     */
    static int kcBlock(int k) {
        int kBlocks = (k + KC - 1) / KC;
        return (k + kBlocks - 1) / kBlocks;
    }

    /**
     * The runs K is summed in, as (start, length) pairs: blocks of {@code kcBlock}, each in the balanced runs of
     * {@link MicroKernel#microKernelRuns}, in the order every path adds them to C. A path that packs per run
     * rather than per block gets the same bits.
     */
    static int[] runs(int k, int kcBlock) {
        return runs(k, kcBlock, true);
    }

    /** {@link #runs(int, int)} with {@code splitBlocks}, else the K blocks themselves as (start, length) pairs. */
    static int[] runs(int k, int kcBlock, boolean splitBlocks) {
        int count = 0;
        for (int pc = 0; pc < k; pc += kcBlock) {
            int kc = Math.min(kcBlock, k - pc);
            count += splitBlocks ? (kc + MicroKernel.runLength(kc) - 1) / MicroKernel.runLength(kc) : 1;
        }
        int[] runs = new int[2 * count];
        int i = 0;
        for (int pc = 0; pc < k; pc += kcBlock) {
            int kc = Math.min(kcBlock, k - pc);
            int run = splitBlocks ? MicroKernel.runLength(kc) : kc;
            for (int s = 0; s < kc; s += run) {
                runs[i++] = pc + s;
                runs[i++] = Math.min(run, kc - s);
            }
        }
        return runs;
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

    /** {@link PanelByPanelGemm#rowsProduct}: B's rows are runs of a zero-padded input. */
    public void rowsProduct(int m, int n, int k, float[] a, int aOff, int lda, float[] x, int[] rowAt,
                     float beta, float[] c, int cOff, int ldc) {
        panelByPanel.rowsProduct(m, n, k, a, aOff, lda, x, rowAt, beta, c, cOff, ldc);
    }

    /** {@link PanelByPanelGemm#rowsTransposedProduct}: B's columns are runs of a zero-padded input. */
    public void rowsTransposedProduct(int m, int n, int k, float[] a, int aOff, int lda, float[] x, int[] rowAt,
                               float beta, float[] c, int cOff, int ldc) {
        panelByPanel.rowsTransposedProduct(m, n, k, a, aOff, lda, x, rowAt, beta, c, cOff, ldc);
    }

    /** x rounded up to a multiple of {@code multiple}. */
    static int roundUp(int x, int multiple) {
        return (x + multiple - 1) / multiple * multiple;
    }
}
