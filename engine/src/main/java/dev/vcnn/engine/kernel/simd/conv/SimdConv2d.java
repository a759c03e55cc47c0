package dev.vcnn.engine.kernel.simd.conv;

import static dev.vcnn.engine.kernel.simd.SimdSpecies.F;

import dev.vcnn.engine.kernel.Blas1;
import dev.vcnn.engine.kernel.Conv2d;
import dev.vcnn.engine.kernel.Conv2dGeometry;
import dev.vcnn.engine.kernel.ConvPath;
import dev.vcnn.engine.kernel.ConvPlan;
import dev.vcnn.engine.kernel.simd.Lanes;
import dev.vcnn.engine.kernel.simd.PartialSums;
import dev.vcnn.engine.kernel.simd.Scratch;
import dev.vcnn.engine.kernel.simd.StridePhases;
import dev.vcnn.engine.kernel.simd.gemm.SimdGemm;
import dev.vcnn.engine.parallel.Parallelism;
import java.util.Arrays;
import java.util.Optional;
import jdk.incubator.vector.FloatVector;

/**
 * {@link Conv2d} as GEMMs over im2col columns at heart. Letters: N batch, C in-channels, K out-channels,
 * H/W input, R/S filter, P/Q output, G groups, Cg = C/G, Kg = K/G.
 *
 * <ul>
 *   <li>forward, per image and group: out[Kg × PQ] = W[Kg × CgRS] · col[CgRS × PQ] (+ bias);
 *   <li>backward input: colGrad[CgRS × PQ] = Wᵀ · gradOut[Kg × PQ], then col2im adds it back;
 *   <li>backward weight: gradW[Kg × CgRS] = Σ over batch chunks of gradOut[Kg × chunk·PQ] ·
 *       col[CgRS × chunk·PQ]ᵀ, chunks in a fixed order so the sum does not depend on threads.
 * </ul>
 *
 * Faster paths where they measured faster, each pass by the path {@link ConvPlanner} chooses from the
 * geometry (its rules carry the measurements): Winograd ({@link WinogradConv2d}), blocks of images or padded
 * rows without im2col, flattened positions ({@link FlatConv2d}, {@link FlatWeightGradient}), direct kernels
 * ({@link DirectConv2d}, {@link DirectWeightGradient}), the channels along the lanes
 * ({@link LaneChannelWeightGradient}, {@link ChannelSlabWeightGradient}); stride-1 input gradients run as the
 * forward pass of the {@link Conv2dGeometry#transposed} layer where the planner says so. Images run in parallel when N ≥ 2 (each
 * with a single-threaded GEMM), otherwise the GEMM itself does; either way every output is computed by
 * the same operations, so results are bit-identical for any thread count. Column buffers come from
 * per-thread scratch: at most one image's columns (CgRS·PQ floats) per thread for forward and
 * backward-input, and one chunk's (≤ {@link #CHUNK_FLOATS}) for backward-weight.
 */
public final class SimdConv2d implements Conv2d {
    /** Budget for one chunk's columns in backward-weight: 4 Mi floats (16 MiB). */
    static final int CHUNK_FLOATS = 1 << 22;

    private final SimdGemm gemm;
    private final Blas1 blas;
    private final Scratch columns = new Scratch();
    private final Scratch gradRows = new Scratch();
    /** The live taps' weights or weight gradient of a layer with dead taps ({@link LiveTaps}). */
    private final Scratch liveWeights = new Scratch();
    /** The unrolled matrix of {@link UnrolledConv2d} or its gradient. */
    private final Scratch unrolled = new Scratch();
    private final WinogradConv2d winograd = new WinogradConv2d();
    private final ConvPlanner planner = ConvPlanner.forThisJvm();

    public SimdConv2d(SimdGemm gemm, Blas1 blas) {
        this.gemm = gemm;
        this.blas = blas;
    }

    @Override
    public Optional<ConvPlan> plan(Conv2dGeometry g) {
        return Optional.of(planner.plan(g));
    }

    @Override
    public void forward(Conv2dGeometry g, float[] input, int inOff, float[] weight, int wOff,
                        float[] bias, int bOff, float[] out, int outOff, Parallelism parallelism) {
        LiveTaps live = LiveTaps.of(g);
        if (live != null) {
            float[] w = liveWeights.take(live.weightFloats());
            try {
                live.crop(g.kernelH(), g.kernelW(), weight, wOff, w);
                forward(live.cropped(), input, inOff, w, 0, bias, bOff, out, outOff, parallelism);
            } finally {
                liveWeights.give(w);
            }
            return;
        }
        forward(planner.forward(g), g, input, inOff, weight, wOff, bias, bOff, out, outOff, parallelism);
    }

    /** The forward pass of g by {@code path}, one of {@link ConvPlanner#forward}'s. */
    private void forward(ConvPath path, Conv2dGeometry g, float[] input, int inOff, float[] weight, int wOff,
                         float[] bias, int bOff, float[] out, int outOff, Parallelism parallelism) {
        switch (path) {
            case DEPTHWISE -> DepthwiseConv2d.forward(g, input, inOff, weight, wOff, bias, bOff, out, outOff, parallelism,
                    columns);
            case UNROLLED -> UnrolledConv2d.forward(g, input, inOff, weight, wOff, bias, bOff, out, outOff, gemm, unrolled,
                    parallelism);
            case WINOGRAD -> {
                if (!winograd.forward(g, input, inOff, weight, wOff, bias, bOff, out, outOff, parallelism)) {
                    forwardOnGemm(g, false, input, inOff, weight, wOff, bias, bOff, out, outOff, parallelism);
                }
            }
            case IMAGE_BLOCKS -> forwardOnImageBlocks(g, input, inOff, weight, wOff, bias, bOff, out, outOff, parallelism);
            case FLAT -> FlatConv2d.forward(g, input, inOff, weight, wOff, bias, bOff, out, outOff, parallelism, columns);
            case DIRECT -> DirectConv2d.forward(g, input, inOff, weight, wOff, bias, bOff, out, outOff, parallelism, columns);
            case PADDED_ROWS -> forwardOnPaddedRows(g, input, inOff, weight, wOff, bias, bOff, out, outOff, parallelism);
            case PHASED_ROWS -> forwardOnPhasedRows(g, input, inOff, weight, wOff, bias, bOff, out, outOff, parallelism);
            case POINTWISE, IM2COL -> forwardOnGemm(g, path == ConvPath.POINTWISE, input, inOff, weight, wOff, bias, bOff,
                    out, outOff, parallelism);
            default -> throw new IllegalStateException("conv: " + path + " is not a forward path (" + g + ")");
        }
    }

    /**
     * Per image and group, W · col (+ bias), col the input itself for a pointwise layer, else its im2col; for
     * small output planes ({@link ConvPlanner#forwardOnImageColumns}) on blocks of images side by side instead.
     */
    private void forwardOnGemm(Conv2dGeometry g, boolean pointwise, float[] input, int inOff, float[] weight, int wOff,
                               float[] bias, int bOff, float[] out, int outOff, Parallelism parallelism) {
        if (ConvPlanner.positionless(g)) {
            // out [N × K] = in [N × C] · Wᵀ (+ bias in every row)
            int kk = g.outChannels();
            float beta = 0f;
            if (bias != null) {
                for (int n = 0; n < g.batch(); n++) {
                    System.arraycopy(bias, bOff, out, outOff + n * kk, kk);
                }
                beta = 1f;
            }
            gemm.sgemm(false, true, g.batch(), kk, g.inChannels(), 1f, input, inOff, g.inChannels(), weight, wOff,
                    g.inChannels(), beta, out, outOff, kk, parallelism);
            return;
        }
        if (ConvPlanner.forwardOnImageColumns(g)) {
            forwardOnImageColumns(g, input, inOff, weight, wOff, bias, bOff, out, outOff, parallelism);
            return;
        }
        int cg = g.inChannelsPerGroup();
        int kg = g.outChannelsPerGroup();
        int pq = g.outPlane();
        int crs = g.taps();
        int hw = g.inPlane();
        int[] from = pointwise ? null : tapMap(g);
        perImageAndGroup(g, parallelism, pointwise ? 0 : crs * pq, (n, gi, col, inner) -> {
            int outBase = outOff + (n * g.outChannels() + gi * kg) * pq;
            float beta = biasRows(bias, bOff + gi * kg, kg, out, outBase, pq);
            float[] b = input;
            int bStart = inOff + (n * g.inChannels() + gi * cg) * hw;
            if (!pointwise) {
                im2col(g, from, input, bStart, cg, col, inner);
                b = col;
                bStart = 0;
            }
            gemm.sgemm(false, false, kg, pq, crs, 1f, weight, wOff + gi * kg * crs, crs,
                    b, bStart, pq, beta, out, outBase, pq, inner);
        });
    }

    /**
     * W · col (+ bias) for blocks of about {@link #BLOCK_COLUMNS} columns of images side by side: im2col of the
     * block's images into one column matrix [CRS × nb·PQ], one GEMM, the output rows copied out per image. One
     * GEMM per image had N = PQ and packed all of W for each image: 256 → 512 at 2 → 1 (ResNet-18's layer4 at
     * 32×32), batch 64, 50 ms on one core, a matrix-vector product per image. Blocks run in parallel, each GEMM
     * on its task's thread, or a single block's GEMM on all threads; the blocking depends on the geometry only,
     * and the GEMM's result not on its threads.
     */
    private void forwardOnImageColumns(Conv2dGeometry g, float[] input, int inOff, float[] weight, int wOff,
                                       float[] bias, int bOff, float[] out, int outOff, Parallelism parallelism) {
        int kk = g.outChannels();
        int cc = g.inChannels();
        int pq = g.outPlane();
        int crs = g.taps();
        int hw = g.inPlane();
        int nb = imageColumnsPerBlock(g);
        int blocks = (g.batch() + nb - 1) / nb;
        Parallelism gemmThreads = blocks == 1 ? parallelism : Parallelism.sequential();
        Parallelism blockThreads = blocks == 1 ? Parallelism.sequential() : parallelism;
        int[] from = tapMap(g);
        blockThreads.forRange(blocks, 1, (b0, b1) -> {
            float[] col = columns.take(crs * nb * pq);
            float[] y = columns.take(kk * nb * pq);
            try {
                for (int block = b0; block < b1; block++) {
                    int n0 = block * nb;
                    int images = Math.min(nb, g.batch() - n0);
                    int ld = images * pq;
                    for (int i = 0; i < images; i++) {
                        im2colInto(g, from, input, inOff + (n0 + i) * cc * hw, 0, cc, col, i * pq, ld);
                    }
                    float beta = biasRows(bias, bOff, kk, y, 0, ld);
                    gemm.sgemm(false, false, kk, ld, crs, 1f, weight, wOff, crs, col, 0, ld, beta, y, 0, ld, gemmThreads);
                    for (int i = 0; i < images; i++) {
                        for (int k = 0; k < kk; k++) {
                            copyRun(y, k * ld + i * pq, out, outOff + ((n0 + i) * kk + k) * pq, pq);
                        }
                    }
                }
            } finally {
                columns.give(y);
                columns.give(col);
            }
        });
    }

    /**
     * dst[dOff … dOff + n − 1] = src[sOff …], by a loop for short runs: on 1×1 output planes the image blocks'
     * copies are one float each, and with {@code System.arraycopy} per float ResNet's 512 → 512 1×1 layer at batch 64
     * took 0.86 ms forward against 0.69 with the loop (one core of Zen 4).
     */
    static void copyRun(float[] src, int sOff, float[] dst, int dOff, int n) {
        if (n < SHORT_RUN) {
            for (int i = 0; i < n; i++) {
                dst[dOff + i] = src[sOff + i];
            }
        } else {
            System.arraycopy(src, sOff, dst, dOff, n);
        }
    }

    private static final int SHORT_RUN = 16;

    /**
     * Output planes of at most this many positions (8×8) copy im2col's columns and add col2im's through a map of
     * where each tap of each output reads ({@link #tapMap}) instead of row runs: their runs are two to eight
     * floats, and per run the bounds and fills cost more than the copy (ResNet-18's 64 → 128 at stride 2 on 8×8,
     * batch 64: im2col and col2im 38% of its three passes on one core of Zen 4).
     */
    static final int SMALL_PLANE = 64;

    /**
     * from[t·PQ + o]: where tap t = r·S + s of output o reads in its channel's plane (h·W + w), or −1 in the padding;
     * null for planes over {@link #SMALL_PLANE}, which copy row runs. Made once per call and passed to every image's
     * {@link #im2colInto} and {@link #col2im}.
     */
    private static int[] tapMap(Conv2dGeometry g) {
        int pq = g.outPlane();
        if (pq > SMALL_PLANE) {
            return null;
        }
        int[] from = new int[g.kernelH() * g.kernelW() * pq];
        for (int r = 0; r < g.kernelH(); r++) {
            for (int s = 0; s < g.kernelW(); s++) {
                int t = r * g.kernelW() + s;
                for (int p = 0; p < g.outHeight(); p++) {
                    int h = p * g.strideH() - g.padTop() + r * g.dilationH();
                    for (int q = 0; q < g.outWidth(); q++) {
                        int w = q * g.strideW() - g.padLeft() + s * g.dilationW();
                        from[t * pq + p * g.outWidth() + q] = h >= 0 && h < g.height() && w >= 0 && w < g.width()
                                ? h * g.width() + w : -1;
                    }
                }
            }
        }
        return from;
    }

    /** Images per block of {@link #forwardOnImageColumns} and {@link #backwardInputOnImageBlocks}. */
    private static int imageColumnsPerBlock(Conv2dGeometry g) {
        return Math.max(1, Math.min(g.batch(), BLOCK_COLUMNS / g.outPlane()));
    }

    /**
     * Fills rows k = 0 … channels − 1 of {@code rows} (length n, from {@code at}) with bias[bOff + k] and
     * returns the GEMM's beta that adds to them: 1, or 0 without a bias (the rows are then overwritten).
     */
    private static float biasRows(float[] bias, int bOff, int channels, float[] rows, int at, int n) {
        if (bias == null) {
            return 0f;
        }
        for (int k = 0; k < channels; k++) {
            Arrays.fill(rows, at + k * n, at + (k + 1) * n, bias[bOff + k]);
        }
        return 1f;
    }

    /**
     * Forward without im2col. With stride 1, copy each image zero-padded (Hp × Wp per channel, rows kept
     * whole, Wp = {@link #rowWidth}: neighbouring rows share one padding gap, see {@link PaddedRows}) and
     * compute the output on the padded width: output (p, q) is then column p·Wp + q, and the
     * column-matrix row of tap (c, r, s) is the padded input read from c·Hp·Wp + r·dh·Wp + s·dw onward, a
     * contiguous run. The GEMM packs its B panels from those runs ({@link SimdGemm#rowsProduct}); the Wp − Q
     * columns per output row that fall past the image are computed and dropped when the rows are copied
     * out. Same packed values, K blocks and micro-kernel as im2col + {@code sgemm}, so the same results.
     * VGG 64 → 64 at 56×56, batch 8, 1 thread on Zen 4: forward 23.5 → 19 ms (78 → 94–98 GFLOP/s), and as
     * the transposed layer its input gradient 28 → 19 ms; 128 → 128 at 28×28 forward 85 → 94. Scratch per thread:
     * Cg·Hp·Wp + Kg·P·Wp floats (VGG 64 → 64: 1.7 MB, against 7.2 MB of columns for im2col).
     */
    private void forwardOnPaddedRows(Conv2dGeometry g, float[] input, int inOff, float[] weight, int wOff,
                                     float[] bias, int bOff, float[] out, int outOff, Parallelism parallelism) {
        var l = PaddedRows.of(g);
        int cg = l.cg();
        int kg = l.kg();
        int n = l.n();
        parallelism.forRange(g.batch(), 1, (n0, n1) -> {
            float[] x = columns.take(l.padded());
            float[] y = columns.take(kg * n);
            try {
                Arrays.fill(x, 0, l.padded(), 0f);
                for (int image = n0; image < n1; image++) {
                    for (int gi = 0; gi < g.groups(); gi++) {
                        DirectConv2d.copyPadded(g, input, inOff + (image * g.inChannels() + gi * cg) * g.height() * g.width(),
                                cg, x, 0, l.hp(), l.wp());
                        float beta = biasRows(bias, bOff + gi * kg, kg, y, 0, n);
                        gemm.rowsProduct(kg, n, l.crs(), weight, wOff + gi * kg * l.crs(), l.crs(), x, l.rowAt(),
                                beta, y, 0, n);
                        dropPastRows(y, kg, l.pp(), l.qq(), l.wp(), out,
                                outOff + (image * g.outChannels() + gi * kg) * l.pp() * l.qq());
                    }
                }
            } finally {
                columns.give(y);
                columns.give(x);
            }
        });
    }

    /**
     * Forward of a strided layer without im2col: each image copied zero-padded into its stride phases
     * ({@link PhasedRows}), where output (p, q) is column p·Wφ + q and the column-matrix row of every tap is
     * one run of a phase plane, as in {@link #forwardOnPaddedRows}. The GEMM packs its panels from those runs
     * ({@link SimdGemm#rowsProduct}) in K blocks of the whole CRS, as im2col + {@code sgemm} does, so every output
     * gets the same bits; the Wφ − Q columns per output row past the image are computed and dropped. Images run
     * over the threads; with fewer images than threads, column ranges of whole panels run over them instead,
     * and A is taken in row blocks of at most {@link SimdGemm#PANEL_BY_PANEL_MAX_M} (the panel-by-panel GEMM
     * packs all of its A at once).
     */
    private void forwardOnPhasedRows(Conv2dGeometry g, float[] input, int inOff, float[] weight, int wOff,
                                     float[] bias, int bOff, float[] out, int outOff, Parallelism parallelism) {
        var l = PhasedRows.of(g);
        int cg = g.inChannelsPerGroup();
        int kg = g.outChannelsPerGroup();
        int n = l.n();
        int panels = (n + SimdGemm.NR - 1) / SimdGemm.NR;
        int ranges = g.batch() >= parallelism.threads() ? 1 : Math.min(panels, parallelism.threads());
        Parallelism imageThreads = ranges == 1 ? parallelism : Parallelism.sequential();
        // Range r: columns start[r] … start[r + 1] − 1, whole panels; its taps' runs from start[r] on.
        int[] start = new int[ranges + 1];
        int[][] rowAts = new int[ranges][];
        for (int r = 0; r <= ranges; r++) {
            start[r] = Math.min(n, (int) ((long) r * panels / ranges) * SimdGemm.NR);
            if (r < ranges) {
                rowAts[r] = l.rowAt(start[r]);
            }
        }
        imageThreads.forRange(g.batch(), 1, (n0, n1) -> {
            float[] x = columns.take(l.floats());
            float[] y = columns.take(kg * n);
            try {
                Arrays.fill(x, 0, l.floats(), 0f);
                for (int image = n0; image < n1; image++) {
                    for (int gi = 0; gi < g.groups(); gi++) {
                        l.copyIn(g, input, inOff + (image * g.inChannels() + gi * cg) * g.height() * g.width(), x);
                        float beta = biasRows(bias, bOff + gi * kg, kg, y, 0, n);
                        int wBase = wOff + gi * kg * g.taps();
                        parallelism.forRange(ranges, 1, (r0, r1) -> {
                            for (int r = r0; r < r1; r++) {
                                for (int k0 = 0; k0 < kg; k0 += SimdGemm.PANEL_BY_PANEL_MAX_M) {
                                    int rows = Math.min(SimdGemm.PANEL_BY_PANEL_MAX_M, kg - k0);
                                    gemm.rowsProduct(rows, start[r + 1] - start[r], g.taps(), weight, wBase + k0 * g.taps(),
                                            g.taps(), x, rowAts[r], beta, y, k0 * n + start[r], n);
                                }
                            }
                        });
                        dropPastRows(y, kg, g.outHeight(), g.outWidth(), l.width(), out,
                                outOff + (image * g.outChannels() + gi * kg) * g.outPlane());
                    }
                }
            } finally {
                columns.give(y);
                columns.give(x);
            }
        });
    }

    /**
     * Copies the K output planes (P × Q) computed on rows of {@code width} ≥ Q columns (K rows of P·width in y) into
     * out from {@code outBase}, dropping the columns past Q of every row.
     */
    private static void dropPastRows(float[] y, int kk, int pp, int qq, int width, float[] out, int outBase) {
        for (int k = 0; k < kk; k++) {
            for (int p = 0; p < pp; p++) {
                System.arraycopy(y, (k * pp + p) * width, out, outBase + (k * pp + p) * qq, qq);
            }
        }
    }

    /**
     * A zero-padded image of Cg channels split into stride phases: phase (a, b) of channel c holds the padded values
     * (a + sh·i, b + sw·j) as rows i &lt; {@code rows} of {@code width} floats. Tap (r, s) of output (p, q) reads
     * padded (sh·p + r·dh, sw·q + s·dw), which is phase ((r·dh) mod sh, (s·dw) mod sw) at (p + ⌊r·dh / sh⌋,
     * q + ⌊s·dw / sw⌋): for column p·width + q, one run per tap from {@link #rowAt}. Width Wφ = max(Q + ⌊(S − 1)·dw /
     * sw⌋, ⌈Wp / sw⌉) keeps every stored output's reads inside its row; the columns past Q read on into the next
     * row or plane and are dropped, and the layout ends with room for the last run's whole vectors.
     */
    record PhasedRows(int sh, int sw, int rows, int width, int n, int[] tapStart, int floats) {
        static PhasedRows of(Conv2dGeometry g) {
            int sh = g.strideH();
            int sw = g.strideW();
            int rows = (g.paddedHeight() + sh - 1) / sh;
            int width = width(g);
            int n = g.outHeight() * width;
            int[] tapStart = new int[g.taps()];
            int last = 0;
            for (int c = 0, t = 0; c < g.inChannelsPerGroup(); c++) {
                for (int r = 0; r < g.kernelH(); r++) {
                    for (int s = 0; s < g.kernelW(); s++, t++) {
                        int a = r * g.dilationH();
                        int b = s * g.dilationW();
                        tapStart[t] = (((c * sh + a % sh) * sw + b % sw) * rows + a / sh) * width + b / sw;
                        last = Math.max(last, tapStart[t]);
                    }
                }
            }
            int floats = Math.max(g.inChannelsPerGroup() * sh * sw * rows * width,
                    last + (n + SimdGemm.NR - 1) / SimdGemm.NR * SimdGemm.NR);
            return new PhasedRows(sh, sw, rows, width, n, tapStart, floats);
        }

        /** Wφ, the floats per row of a phase. */
        static int width(Conv2dGeometry g) {
            return Math.max(g.outWidth() + (g.kernelW() - 1) * g.dilationW() / g.strideW(),
                    (g.paddedWidth() + g.strideW() - 1) / g.strideW());
        }

        /** Where each tap's operand row starts for the columns from {@code column} on. */
        int[] rowAt(int column) {
            int[] at = tapStart.clone();
            for (int t = 0; t < at.length; t++) {
                at[t] += column;
            }
            return at;
        }

        /** Where input column w of channel c's padded row {@code row} lives. */
        private int phaseAt(Conv2dGeometry g, int c, int row, int w) {
            int col = w + g.padLeft();
            return (((c * sh + row % sh) * sw + col % sw) * rows + row / sh) * width + col / sw;
        }

        /** Copies the Cg channel planes of one image and group from {@code in} into their phases; the padding is left as is. */
        void copyIn(Conv2dGeometry g, float[] in, int inBase, float[] x) {
            for (int c = 0; c < g.inChannelsPerGroup(); c++) {
                for (int h = 0; h < g.height(); h++) {
                    int row = h + g.padTop();
                    int src = inBase + (c * g.height() + h) * g.width();
                    if (sw == 2) {
                        // By vectors: the stem's one-image copy ran on one thread for a fifth of the layer.
                        int even = phaseAt(g, c, row, 0);
                        int w = StridePhases.splitPairs(in, src, g.width(), x, even, phaseAt(g, c, row, 1));
                        for (; w < g.width(); w++) {
                            x[phaseAt(g, c, row, w)] = in[src + w];
                        }
                        continue;
                    }
                    for (int b = 0; b < sw; b++) {
                        // Input columns w with (w + padLeft) mod sw = b land at index (w + padLeft) / sw of phase b.
                        int w0 = Math.floorMod(b - g.padLeft(), sw);
                        int dst = (((c * sh + row % sh) * sw + b) * rows + row / sh) * width + (w0 + g.padLeft()) / sw;
                        for (int w = w0; w < g.width(); w += sw) {
                            x[dst++] = in[src + w];
                        }
                    }
                }
            }
        }
    }

    /** Columns per image block, about: 640 for 8 images of 8 × 10 padded columns. */
    static final int BLOCK_COLUMNS = 640;

    /**
     * Forward for small output planes (a CIFAR CNN's 8×8 layer, late layers of deeper nets), as
     * {@link #forwardOnPaddedRows} for a block of images at once: the block is copied zero-padded with
     * the images' rows interleaved, x[c][h][i][w] (Hp rows of nb·Wp per channel), so that output (i, p, q)
     * is column (p·nb + i)·Wp + q and each tap's column-matrix row is again one run, from (c·Hp + r·dh)·nb·Wp
     * + s·dw. One GEMM per block ({@link SimdGemm#rowsProduct}) of about {@link #BLOCK_COLUMNS} columns,
     * where one per image had N = P·Wp = 80 and packed all of W for them, and the direct narrow kernel left
     * half of every vector empty on 8-wide rows. 32 → 64 at 8×8, batch 64, one core (Zen 4): 2.9 → 2.0 ms,
     * and its input gradient, the same layer transposed, 2.7 → 2.1 ms (im2col of a block and one GEMM: 2.6
     * and 2.5; its scalar copies of 8-float runs cost as much as the GEMM). Blocks run in parallel, each GEMM on
     * its task's thread; the blocking depends on the geometry only.
     */
    private void forwardOnImageBlocks(Conv2dGeometry g, float[] input, int inOff, float[] weight, int wOff,
                                      float[] bias, int bOff, float[] out, int outOff, Parallelism parallelism) {
        var l = ImageBlocks.of(g);
        int kk = g.outChannels();
        int n = l.n();
        // The whole batch in one block (planes of 2×2 and below): its output channels are cut between the threads.
        Parallelism channelThreads = l.blocks() == 1 ? parallelism : Parallelism.sequential();
        Parallelism blockThreads = l.blocks() == 1 ? Parallelism.sequential() : parallelism;
        blockThreads.forRange(l.blocks(), 1, (b0, b1) -> {
            float[] x = columns.take(l.padded());
            float[] y = columns.take(kk * n);
            try {
                // Zeroed once: each block rewrites only the interiors. A short last block leaves the
                // previous block's images in its unused columns: computed, never stored.
                Arrays.fill(x, 0, l.padded(), 0f);
                for (int block = b0; block < b1; block++) {
                    int n0 = block * l.nb();
                    int images = Math.min(l.nb(), g.batch() - n0);
                    l.copyIn(input, inOff, n0, images, x);
                    float beta = biasRows(bias, bOff, kk, y, 0, n);
                    rowsProductByChannels(kk, n, g.taps(), weight, wOff, x, l.rowAt(), beta, y, channelThreads);
                    l.planes(n0, images, kk, (i, k, p, at) -> System.arraycopy(y, k * n + at, out,
                            outOff + (((n0 + i) * kk + k) * l.pp() + p) * l.qq(), l.qq()));
                }
            } finally {
                columns.give(y);
                columns.give(x);
            }
        });
    }

    /**
     * y[K × n] = W · (the block's column matrix) + beta·y, the K output channels cut into one range of whole
     * MR-row panels per thread of {@code threads}: every value is the whole product's, so the result does not
     * depend on the cut. A one-block layer, 256 → 256 at 2×2, batch 64, forward and transposed input gradient
     * on two threads: 3.3–3.8 → 2.2 ms each (one thread: 3.5).
     */
    private void rowsProductByChannels(int kk, int n, int taps, float[] weight, int wOff, float[] x, int[] rowAt,
                                       float beta, float[] y, Parallelism threads) {
        int panels = (kk + SimdGemm.MR - 1) / SimdGemm.MR;
        int ranges = Math.min(panels, threads.threads());
        threads.forRange(ranges, 1, (r0, r1) -> {
            for (int r = r0; r < r1; r++) {
                int k0 = Math.min(kk, (int) ((long) r * panels / ranges) * SimdGemm.MR);
                int k1 = Math.min(kk, (int) ((long) (r + 1) * panels / ranges) * SimdGemm.MR);
                if (k1 > k0) {
                    gemm.rowsProduct(k1 - k0, n, taps, weight, wOff + k0 * taps, taps, x, rowAt, beta, y, k0 * n, n);
                }
            }
        });
    }

    /**
     * The weight gradient for the layers of {@link #forwardOnImageBlocks}, on the same blocks: gradW[K ×
     * CRS] += gradOut[K × n] · col[CRS × n]ᵀ per block ({@link SimdGemm#rowsTransposedProduct}), gradOut
     * copied into the block's columns with zeros in the padding columns and in a short last block's
     * unused images. Blocks are summed in parts fixed by the geometry, as in
     * {@link #backwardWeightOnPaddedRows}. CIFAR CNN conv3 (32 → 64, 8×8, batch 64, one core, Zen 4):
     * 2.9 → 2.4 ms (im2col of the batch and one GEMM).
     */
    private void backwardWeightOnImageBlocks(Conv2dGeometry g, float[] input, int inOff, float[] gradOut, int goOff,
                                             float[] gradWeight, int gwOff, boolean slabs, Parallelism parallelism) {
        var l = ImageBlocks.of(g);
        int kk = g.outChannels();
        // Gradient rows of whole vectors for the slabs, of n for the GEMM.
        int n = slabs ? ChannelSlabWeightGradient.wholeVectors(l.n()) : l.n();
        int crs = g.taps();
        int total = kk * crs;
        int parts = (int) Math.min(Math.min(l.blocks(), PartialSums.MAX_PARTS), PARTIAL_FLOATS / total);
        float[] partials = gradRows.take(parts * total);
        try {
            parallelism.forRange(parts, 1, (part0, part1) -> {
                float[] x = columns.take(l.padded());
                float[] y = columns.take(kk * n);
                float[] gt = slabs ? columns.take(kk * n) : null;
                try {
                    for (int part = part0; part < part1; part++) {
                        int first = PartialSums.firstImage(part, l.blocks(), parts);
                        int last = PartialSums.firstImage(part + 1, l.blocks(), parts);
                        for (int block = first; block < last; block++) {
                            int n0 = block * l.nb();
                            int images = Math.min(l.nb(), g.batch() - n0);
                            if (block == first || images < l.nb()) {
                                // Interiors are rewritten per block; padding, and a short block's unused
                                // images, must hold zeros.
                                Arrays.fill(x, 0, l.padded(), 0f);
                                Arrays.fill(y, 0, kk * n, 0f);
                            }
                            l.copyIn(input, inOff, n0, images, x);
                            l.planes(n0, images, kk, (i, k, p, at) -> System.arraycopy(gradOut,
                                    goOff + (((n0 + i) * kk + k) * l.pp() + p) * l.qq(), y, k * n + at, l.qq()));
                            if (slabs) {
                                if (block == first) {
                                    Arrays.fill(partials, part * total, (part + 1) * total, 0f);
                                }
                                ChannelSlabWeightGradient.accumulate(x, y, gt, n, kk, l.rowAt(), partials, part * total);
                            } else {
                                gemm.rowsTransposedProduct(kk, crs, n, y, 0, n, x, l.rowAt(), block == first ? 0f : 1f,
                                        partials, part * total, crs);
                            }
                        }
                    }
                } finally {
                    if (gt != null) {
                        columns.give(gt);
                    }
                    columns.give(y);
                    columns.give(x);
                }
            });
            if (slabs) {
                PartialSums.sumTapMajorParts(partials, parts, total, 1, kk, crs, gradWeight, gwOff, parallelism);
            } else {
                PartialSums.sumParts(partials, parts, total, gradWeight, gwOff, parallelism);
            }
        } finally {
            gradRows.give(partials);
        }
    }

    /** Visits output row p of image i, channel k of a block: {@code at}, its first column in the block. */
    @FunctionalInterface
    private interface BlockRowVisitor {
        void visit(int image, int channel, int p, int at);
    }

    /**
     * The layout of {@link #forwardOnImageBlocks}: nb images per block, x[c][h][i][w] zero-padded (Hp rows
     * of nb·Wp floats per channel, Wp = {@link #rowWidth}: each image row's padding gap is shared with the
     * next one's, as in {@link PaddedRows}), outputs on n = P·nb·Wp columns, output (i, p, q) at (p·nb + i)·Wp + q,
     * the column-matrix row of tap (c, r, s) a run from {@code rowAt}; {@code padded} floats of buffer (the
     * last tap's run goes (S − 1)·dw past the block, and its last GEMM panel NR further).
     */
    private record ImageBlocks(Conv2dGeometry g, int nb, int blocks, int wp, int pp, int qq, int n, int[] rowAt,
                               int padded) {
        static ImageBlocks of(Conv2dGeometry g) {
            int hp = g.paddedHeight();
            int wp = rowWidth(g);
            int nb = Math.max(1, Math.min(g.batch(), BLOCK_COLUMNS / (g.outHeight() * wp)));
            int[] rowAt = new int[g.taps()];
            for (int c = 0, t = 0; c < g.inChannels(); c++) {
                for (int r = 0; r < g.kernelH(); r++) {
                    for (int s = 0; s < g.kernelW(); s++, t++) {
                        rowAt[t] = (c * hp + r * g.dilationH()) * nb * wp + s * g.dilationW();
                    }
                }
            }
            return new ImageBlocks(g, nb, (g.batch() + nb - 1) / nb, wp, g.outHeight(), g.outWidth(),
                    g.outHeight() * nb * wp, rowAt,
                    g.inChannels() * hp * nb * wp + (g.kernelW() - 1) * g.dilationW() + SimdGemm.NR);
        }

        /** Copies images n0 … n0 + images − 1 into the interior of block buffer x. */
        void copyIn(float[] input, int inOff, int n0, int images, float[] x) {
            int cc = g.inChannels();
            int hp = g.paddedHeight();
            for (int i = 0; i < images; i++) {
                for (int c = 0; c < cc; c++) {
                    for (int h = 0; h < g.height(); h++) {
                        System.arraycopy(input, inOff + (((n0 + i) * cc + c) * g.height() + h) * g.width(),
                                x, ((c * hp + h + g.padTop()) * nb + i) * wp + g.padLeft(), g.width());
                    }
                }
            }
        }

        void planes(int n0, int images, int channels, BlockRowVisitor visitor) {
            for (int i = 0; i < images; i++) {
                for (int k = 0; k < channels; k++) {
                    for (int p = 0; p < pp; p++) {
                        visitor.visit(i, k, p, (p * nb + i) * wp);
                    }
                }
            }
        }
    }

    @Override
    public void backwardInput(Conv2dGeometry g, float[] gradOut, int goOff, float[] weight, int wOff,
                              float[] gradIn, int giOff, Parallelism parallelism) {
        LiveTaps live = LiveTaps.of(g);
        if (live != null) {
            float[] w = liveWeights.take(live.weightFloats());
            try {
                live.crop(g.kernelH(), g.kernelW(), weight, wOff, w);
                backwardInput(live.cropped(), gradOut, goOff, w, 0, gradIn, giOff, parallelism);
            } finally {
                liveWeights.give(w);
            }
            return;
        }
        if (ConvPlanner.unrolled(g)) {
            UnrolledConv2d.backwardInput(g, gradOut, goOff, weight, wOff, gradIn, giOff, gemm, unrolled, parallelism);
            return;
        }
        if (ConvPlanner.depthwise(g)) {
            DepthwiseConv2d.backwardInput(g, gradOut, goOff, weight, wOff, gradIn, giOff, parallelism, columns);
            return;
        }
        ConvPath transposed = planner.inputGradientAsTransposed(g);
        if (transposed != null) {
            float[] flipped = gradRows.take(g.outChannels() * g.taps());
            try {
                flip(g, weight, wOff, flipped);
                forward(transposed, g.transposed(), gradOut, goOff, flipped, 0, null, 0, gradIn, giOff, parallelism);
            } finally {
                gradRows.give(flipped);
            }
            return;
        }
        int cg = g.inChannelsPerGroup();
        int kg = g.outChannelsPerGroup();
        int pq = g.outPlane();
        int crs = g.taps();
        int hw = g.inPlane();
        if (ConvPlanner.positionless(g)) {
            // gradIn [N × C] = gradOut [N × K] · W [K × C]
            gemm.sgemm(false, false, g.batch(), g.inChannels(), g.outChannels(), 1f, gradOut, goOff, g.outChannels(),
                    weight, wOff, g.inChannels(), 0f, gradIn, giOff, g.inChannels(), parallelism);
            return;
        }
        boolean pointwise = ConvPlanner.inputGradientOnGemm(g) == ConvPath.POINTWISE;
        if (ConvPlanner.inputGradientOnImageColumns(g)) {
            backwardInputOnImageBlocks(g, gradOut, goOff, weight, wOff, gradIn, giOff, parallelism);
            return;
        }
        int[] from = pointwise ? null : tapMap(g);
        perImageAndGroup(g, parallelism, pointwise ? 0 : crs * pq, (n, gi, col, inner) -> {
            int inBase = giOff + (n * g.inChannels() + gi * cg) * hw;
            int goBase = goOff + (n * g.outChannels() + gi * kg) * pq;
            // colGrad = Wᵀ · gradOut, straight into gradIn for a pointwise layer.
            gemm.sgemm(true, false, crs, pq, kg, 1f, weight, wOff + gi * kg * crs, crs,
                    gradOut, goBase, pq, 0f, pointwise ? gradIn : col, pointwise ? inBase : 0, pq, inner);
            if (!pointwise) {
                col2im(g, from, col, 0, pq, cg, gradIn, inBase);
            }
        });
    }

    /**
     * Wᵀ · gradOut + col2im for small output planes (stride-2 layers late in a network: 256 → 512 at 8 → 4, where
     * one GEMM per image has N = 16 and copies all of Wᵀ into its packed panels for each image), for blocks of
     * about {@link #BLOCK_COLUMNS} columns of images side by side: gradOut of the block gathered as [K × nb·PQ], one
     * GEMM, then col2im of each image from its columns. Each column is the dot product one image's GEMM computes,
     * in the same order, so the results are those of the per-image GEMMs bit for bit. Blocks run in parallel, each
     * GEMM on its task's thread; the blocking depends on the geometry only.
     */
    private void backwardInputOnImageBlocks(Conv2dGeometry g, float[] gradOut, int goOff, float[] weight, int wOff,
                                            float[] gradIn, int giOff, Parallelism parallelism) {
        int kk = g.outChannels();
        int cc = g.inChannels();
        int pq = g.outPlane();
        int crs = g.taps();
        int hw = g.inPlane();
        int nb = imageColumnsPerBlock(g);
        int blocks = (g.batch() + nb - 1) / nb;
        // One block: its GEMM and col2im on all threads instead (the GEMM gives the same values on any number).
        Parallelism innerThreads = blocks == 1 ? parallelism : Parallelism.sequential();
        Parallelism blockThreads = blocks == 1 ? Parallelism.sequential() : parallelism;
        int[] from = tapMap(g);
        blockThreads.forRange(blocks, 1, (b0, b1) -> {
            float[] gathered = columns.take(kk * nb * pq);
            float[] col = columns.take(crs * nb * pq);
            try {
                for (int block = b0; block < b1; block++) {
                    int n0 = block * nb;
                    int images = Math.min(nb, g.batch() - n0);
                    int ld = images * pq;
                    for (int i = 0; i < images; i++) {
                        for (int k = 0; k < kk; k++) {
                            copyRun(gradOut, goOff + ((n0 + i) * kk + k) * pq, gathered, k * ld + i * pq, pq);
                        }
                    }
                    gemm.sgemm(true, false, crs, ld, kk, 1f, weight, wOff, crs, gathered, 0, ld, 0f, col, 0, ld,
                            innerThreads);
                    innerThreads.forRange(images, 1, (i0, i1) -> {
                        for (int i = i0; i < i1; i++) {
                            col2im(g, from, col, i * pq, ld, cc, gradIn, giOff + (n0 + i) * cc * hw);
                        }
                    });
                }
            } finally {
                columns.give(col);
                columns.give(gathered);
            }
        });
    }

    /** flipped[c, k, R−1−r, S−1−s] = weight[k, c, r, s]: the weights of {@link Conv2dGeometry#transposed}. */
    private static void flip(Conv2dGeometry g, float[] weight, int wOff, float[] flipped) {
        int rr = g.kernelH();
        int ss = g.kernelW();
        int kk = g.outChannels();
        int cc = g.inChannels();
        for (int k = 0; k < kk; k++) {
            for (int c = 0; c < cc; c++) {
                for (int r = 0; r < rr; r++) {
                    for (int s = 0; s < ss; s++) {
                        flipped[((c * kk + k) * rr + rr - 1 - r) * ss + ss - 1 - s] = weight[wOff + ((k * cc + c) * rr + r) * ss + s];
                    }
                }
            }
        }
    }

    /** The work for one (image, group): its column buffer (null when none is needed) and the GEMM's threads. */
    @FunctionalInterface
    private interface ImageGroupBody {
        void run(int image, int group, float[] columns, Parallelism gemmThreads);
    }

    /**
     * Runs {@code body} for every (image, group), images in parallel when N ≥ 2 (each GEMM then on
     * its task's thread) or the GEMM in parallel for a single image; a column buffer of
     * {@code columnFloats} per task comes from per-thread scratch.
     */
    private void perImageAndGroup(Conv2dGeometry g, Parallelism parallelism, int columnFloats, ImageGroupBody body) {
        Parallelism inner = g.batch() >= 2 ? Parallelism.sequential() : parallelism;
        parallelism.forRange(g.batch(), 1, (n0, n1) -> {
            float[] col = columnFloats == 0 ? null : columns.take(columnFloats);
            try {
                for (int n = n0; n < n1; n++) {
                    for (int gi = 0; gi < g.groups(); gi++) {
                        body.run(n, gi, col, inner);
                    }
                }
            } finally {
                if (col != null) {
                    columns.give(col);
                }
            }
        });
    }

    /**
     * The row kernel ({@link DirectWeightGradient}) sums the bias gradient from each block of gradOut it has
     * just read; the other paths take it from {@link #backwardBias} after the weights. CIFAR first layer
     * (32 channels of 32×32, batch 64), after a forward pass as in training: a separate bias gradient read
     * its 8 MB from memory again, 0.5–0.8 ms on one Zen 4 core.
     */
    @Override
    public void backwardWeightAndBias(Conv2dGeometry g, float[] input, int inOff, float[] gradOut, int goOff,
                                      float[] gradWeight, int gwOff, float[] gradBias, int gbOff,
                                      Parallelism parallelism) {
        if (!weightGradient(g, input, inOff, gradOut, goOff, gradWeight, gwOff, gradBias, gbOff, parallelism)
                && gradBias != null) {
            backwardBias(g, gradOut, goOff, gradBias, gbOff, parallelism);
        }
    }

    @Override
    public void backwardWeight(Conv2dGeometry g, float[] input, int inOff, float[] gradOut, int goOff,
                               float[] gradWeight, int gwOff, Parallelism parallelism) {
        weightGradient(g, input, inOff, gradOut, goOff, gradWeight, gwOff, null, 0, parallelism);
    }

    /**
     * The weight gradient by the path that fits the layer; returns whether that path also wrote the bias
     * gradient (the row and depthwise kernels do, when {@code gradBias} is not null).
     */
    private boolean weightGradient(Conv2dGeometry g, float[] input, int inOff, float[] gradOut, int goOff,
                                   float[] gradWeight, int gwOff, float[] gradBias, int gbOff,
                                   Parallelism parallelism) {
        LiveTaps live = LiveTaps.of(g);
        if (live != null) {
            float[] dw = liveWeights.take(live.weightFloats());
            try {
                boolean wroteBias = weightGradient(live.cropped(), input, inOff, gradOut, goOff, dw, 0, gradBias, gbOff,
                        parallelism);
                live.expand(g.kernelH(), g.kernelW(), dw, gradWeight, gwOff);
                return wroteBias;
            } finally {
                liveWeights.give(dw);
            }
        }
        ConvPath path = planner.weightGradient(g);
        switch (path) {
            case NONE -> Arrays.fill(gradWeight, gwOff, gwOff + g.outChannels() * g.taps(), 0f);
            case UNROLLED -> UnrolledConv2d.backwardWeight(g, input, inOff, gradOut, goOff, gradWeight, gwOff, gemm,
                    unrolled, parallelism);
            // gradW [K × C] = gradOutᵀ [K × N] · in [N × C]
            case POINTWISE -> gemm.sgemm(true, false, g.outChannels(), g.inChannels(), g.batch(), 1f, gradOut, goOff,
                    g.outChannels(), input, inOff, g.inChannels(), 0f, gradWeight, gwOff, g.inChannels(), parallelism);
            case DEPTHWISE -> {
                DepthwiseConv2d.backwardWeight(g, input, inOff, gradOut, goOff, gradWeight, gwOff, gradBias, gbOff,
                        parallelism, columns);
                return gradBias != null;
            }
            case LANE_CHANNELS -> LaneChannelWeightGradient.backwardWeight(g, input, inOff, gradOut, goOff, gradWeight,
                    gwOff, parallelism, gradRows);
            case FLAT -> FlatWeightGradient.backwardWeight(g, input, inOff, gradOut, goOff, gradWeight, gwOff,
                    parallelism, gradRows);
            case DIRECT -> {
                DirectWeightGradient.backwardWeight(g, input, inOff, gradOut, goOff, gradWeight, gwOff, blas, gradBias,
                        gbOff, parallelism, gradRows);
                return gradBias != null;
            }
            case IMAGE_BLOCKS, IMAGE_BLOCKS_CHANNEL_SLABS -> backwardWeightOnImageBlocks(g, input, inOff, gradOut, goOff,
                    gradWeight, gwOff, path == ConvPath.IMAGE_BLOCKS_CHANNEL_SLABS, parallelism);
            case PADDED_ROWS, PADDED_ROWS_CHANNEL_SLABS -> backwardWeightOnPaddedRows(g, input, inOff, gradOut, goOff,
                    gradWeight, gwOff, path == ConvPath.PADDED_ROWS_CHANNEL_SLABS, parallelism);
            case IM2COL -> backwardWeightOnIm2col(g, input, inOff, gradOut, goOff, gradWeight, gwOff, parallelism);
            default -> throw new IllegalStateException("conv: " + path + " is not a weight-gradient path (" + g + ")");
        }
        return false;
    }

    /**
     * gradW[Kg × CgRS] = Σ over batch chunks of gradOut[Kg × chunk·PQ] · col[CgRS × chunk·PQ]ᵀ, the chunks in a
     * fixed order and each chunk's GEMM split over the threads.
     */
    private void backwardWeightOnIm2col(Conv2dGeometry g, float[] input, int inOff, float[] gradOut, int goOff,
                                        float[] gradWeight, int gwOff, Parallelism parallelism) {
        int cg = g.inChannelsPerGroup();
        int kg = g.outChannelsPerGroup();
        int pq = g.outPlane();
        int crs = g.taps();
        int hw = g.inPlane();
        // Images per chunk from the geometry alone: the K dimension of each GEMM is chunk·PQ.
        int chunk = (int) Math.max(1, Math.min(g.batch(), CHUNK_FLOATS / ((long) Math.max(crs, kg) * pq)));
        int width = chunk * pq;
        float[] col = columns.take(crs * width);
        float[] rows = gradRows.take(kg * width);
        int[] from = tapMap(g);
        try {
            for (int gi = 0; gi < g.groups(); gi++) {
                for (int n0 = 0; n0 < g.batch(); n0 += chunk) {
                    int images = Math.min(chunk, g.batch() - n0);
                    int cols = images * pq;
                    int first = n0;
                    int group = gi;
                    // Gather this chunk's columns [CgRS × images·PQ] and gradients [Kg × images·PQ].
                    parallelism.forRange(images, 1, (i0, i1) -> {
                        for (int i = i0; i < i1; i++) {
                            int n = first + i;
                            im2colInto(g, from, input, inOff + (n * g.inChannels() + group * cg) * hw, 0, cg, col,
                                    i * pq, cols);
                            for (int k = 0; k < kg; k++) {
                                System.arraycopy(gradOut, goOff + (n * g.outChannels() + group * kg + k) * pq,
                                        rows, k * cols + i * pq, pq);
                            }
                        }
                    });
                    gemm.sgemm(false, true, kg, crs, cols, 1f, rows, 0, cols, col, 0, cols,
                            n0 == 0 ? 0f : 1f, gradWeight, gwOff + gi * kg * crs, crs, parallelism);
                }
            }
        } finally {
            gradRows.give(rows);
            columns.give(col);
        }
    }

    /** Most floats of per-call partial weight gradients in {@link #backwardWeightOnPaddedRows}: 16 MiB. */
    static final int PARTIAL_FLOATS = 1 << 22;

    /**
     * Weight gradient without im2col, for stride 1: per image and group, gradW[Kg × CgRS] += gradOut[Kg ×
     * P·Wp] · col[CgRS × P·Wp]ᵀ on the padded width, as in {@link #forwardOnPaddedRows}: each column-matrix
     * row is a contiguous run of the zero-padded input ({@link SimdGemm#rowsTransposedProduct}), and the
     * gradient rows are copied out to the padded width with zeros in the Wp − Q columns past the image, so
     * those columns add exact zeros (for finite inputs; an infinite input, which makes the loss NaN anyway,
     * may also turn a neighbouring tap's gradient NaN). Images are summed in parts fixed by the geometry
     * ({@link ConvPlanner#weightGradientPartsOnPaddedRows}), each into its own partial gradient, and the partials added
     * in part order, so the result does not depend on the thread count. VGG 64 → 64 at 56×56, batch 8, one
     * thread on Zen 4: 25 → 20 ms (im2col wrote and read back 58 MB of columns). When Kg fills whole tiles of
     * {@link ChannelSlabWeightGradient}, the same images and parts run with the channels along the lanes
     * instead of the GEMM, which transposes the column matrix: VGG 21–22 → 18.5–19.5 ms, 128 → 128 at 28×28
     * 20.2 → 19.5. Scratch: per thread Cg·Hp·Wp + Kg·P·Wp floats (1.7 MB for the VGG layer; the slabs another
     * Kg·P·Wp); per call the partials, parts·K·CgRS floats.
     */
    private void backwardWeightOnPaddedRows(Conv2dGeometry g, float[] input, int inOff, float[] gradOut, int goOff,
                                            float[] gradWeight, int gwOff, boolean slabs, Parallelism parallelism) {
        var l = PaddedRows.of(g);
        int cg = l.cg();
        int kg = l.kg();
        int n = l.n();
        // Gradient rows of whole vectors for the slabs, of n for the GEMM.
        int ld = slabs ? ChannelSlabWeightGradient.wholeVectors(n) : n;
        int crs = l.crs();
        int total = g.outChannels() * crs;
        int parts = ConvPlanner.weightGradientPartsOnPaddedRows(g);
        float[] partials = gradRows.take(parts * total);
        try {
            parallelism.forRange(parts, 1, (part0, part1) -> {
                float[] x = columns.take(l.padded());
                float[] y = columns.take(kg * ld);
                float[] gt = slabs ? columns.take(kg * ld) : null;
                try {
                    // Zeroed once: each image rewrites only the interiors.
                    Arrays.fill(x, 0, l.padded(), 0f);
                    Arrays.fill(y, 0, kg * ld, 0f);
                    for (int part = part0; part < part1; part++) {
                        int n0 = PartialSums.firstImage(part, g.batch(), parts);
                        int n1 = PartialSums.firstImage(part + 1, g.batch(), parts);
                        for (int image = n0; image < n1; image++) {
                            for (int gi = 0; gi < g.groups(); gi++) {
                                DirectConv2d.copyPadded(g, input, inOff + (image * g.inChannels() + gi * cg) * g.height() * g.width(),
                                        cg, x, 0, l.hp(), l.wp());
                                int goBase = goOff + (image * g.outChannels() + gi * kg) * l.pp() * l.qq();
                                for (int k = 0; k < kg; k++) {
                                    for (int p = 0; p < l.pp(); p++) {
                                        System.arraycopy(gradOut, goBase + (k * l.pp() + p) * l.qq(), y,
                                                k * ld + p * l.wp(), l.qq());
                                    }
                                }
                                int at = part * total + gi * kg * crs;
                                if (slabs) {
                                    if (image == n0) {
                                        Arrays.fill(partials, at, at + kg * crs, 0f);
                                    }
                                    ChannelSlabWeightGradient.accumulate(x, y, gt, ld, kg, l.rowAt(), partials, at);
                                } else {
                                    gemm.rowsTransposedProduct(kg, crs, n, y, 0, n, x, l.rowAt(), image == n0 ? 0f : 1f,
                                            partials, at, crs);
                                }
                            }
                        }
                    }
                } finally {
                    if (gt != null) {
                        columns.give(gt);
                    }
                    columns.give(y);
                    columns.give(x);
                }
            });
            if (slabs) {
                PartialSums.sumTapMajorParts(partials, parts, total, g.groups(), kg, crs, gradWeight, gwOff,
                        parallelism);
            } else {
                PartialSums.sumParts(partials, parts, total, gradWeight, gwOff, parallelism);
            }
        } finally {
            gradRows.give(partials);
        }
    }

    /**
     * What both padded-rows paths work on, per image and group: Cg planes of Hp rows of Wr floats, outputs
     * computed on that width (n = P·Wr columns, Wr − Q of each row dropped), the column-matrix row of each tap
     * a run of the padded image from {@code rowAt}, and {@code padded} floats of buffer: the last tap's run
     * goes (S − 1)·dw past the image, and its last GEMM panel NR further.
     *
     * <p>A row holds its W input values from column padLeft and is followed by a gap of G = Wr − W zeros that
     * is both its right padding and the next row's left padding, so G = max(padLeft, padRight) suffices (and
     * at least Q − W, so that an output row fits in Wr columns): Wr = W + 1 for a 3×3 "same" layer instead of
     * the W + 2 of separately padded rows. The wasted columns halve: VGG 64 → 64 at 56×56 computes 57 columns
     * per 56 outputs instead of 58, 128 → 128 at 28×28 29 per 28 instead of 30. Reads stay inside the padding:
     * output (p, q) at tap (r, s) reads row p + r·dh, column q + s·dw, which is a value, a zero of the row's
     * own gap to its left (q + s·dw &lt; padLeft ≤ G) or of the gap after it (at most padRight ≤ G past W), and
     * the columns before padLeft of a plane's first row are zeros as well.
     */
    private record PaddedRows(int cg, int kg, int hp, int wp, int pp, int qq, int n, int crs, int[] rowAt, int padded) {
        static PaddedRows of(Conv2dGeometry g) {
            int cg = g.inChannelsPerGroup();
            int hp = g.paddedHeight();
            int wr = rowWidth(g);
            return new PaddedRows(cg, g.outChannelsPerGroup(), hp, wr, g.outHeight(), g.outWidth(), g.outHeight() * wr,
                    g.taps(), tapRuns(g, hp, wr), cg * hp * wr + (g.kernelW() - 1) * g.dilationW() + SimdGemm.NR);
        }
    }

    /**
     * Wr = W + G: the row stride of the padded-rows and image-block layouts, whose rows share their padding
     * (see {@link PaddedRows}); G = max(padLeft, padRight, Q − W).
     */
    static int rowWidth(Conv2dGeometry g) {
        return g.width() + Math.max(Math.max(g.padLeft(), g.padRight()), g.outWidth() - g.width());
    }

    /** Where the column-matrix row of each tap (c, r, s) starts in a zero-padded image of Hp × Wp planes. */
    static int[] tapRuns(Conv2dGeometry g, int hp, int wp) {
        int[] rowAt = new int[g.taps()];
        for (int c = 0, t = 0; c < g.inChannelsPerGroup(); c++) {
            for (int r = 0; r < g.kernelH(); r++) {
                for (int s = 0; s < g.kernelW(); s++, t++) {
                    rowAt[t] = (c * hp + r * g.dilationH()) * wp + s * g.dilationW();
                }
            }
        }
        return rowAt;
    }

    @Override
    public void backwardBias(Conv2dGeometry g, float[] gradOut, int goOff, float[] gradBias, int gbOff,
                             Parallelism parallelism) {
        int pq = g.outHeight() * g.outWidth();
        // Channels over the threads, each summed as on one (a CIFAR first layer's 8 MB took 0.16 ms on one
        // thread of Zen 4, ~5% of its two-thread forward and backward).
        long perChannel = Math.max(1L, (long) g.batch() * pq);
        int grain = (int) Math.max(1, Math.min(g.outChannels(), BIAS_TASK_FLOATS / perChannel));
        parallelism.forRange(g.outChannels(), grain, (k0, k1) -> {
            for (int k = k0; k < k1; k++) {
                // Each image's row is summed in float (within its bound); rows add up in double.
                double acc = 0;
                for (int n = 0; n < g.batch(); n++) {
                    int at = goOff + (n * g.outChannels() + k) * pq;
                    // A row of one value sums to itself: no call per value on 1×1 planes.
                    acc += pq == 1 ? gradOut[at] : blas.sum(gradOut, at, pq);
                }
                gradBias[gbOff + k] = (float) acc;
            }
        });
    }

    /** Fewest gradient values per task of {@link #backwardBias}: below that a range costs more than it saves. */
    private static final long BIAS_TASK_FLOATS = 1 << 15;

    /** col[(c·R + r)·S + s][p·Q + q] = in[c, p·sh − pt + r·dh, q·sw − pl + s·dw], 0 outside, ld = PQ. */
    private static void im2col(Conv2dGeometry g, int[] from, float[] in, int inBase, int cg, float[] col,
                               Parallelism parallelism) {
        int pq = g.outHeight() * g.outWidth();
        // Channels over the threads, in tasks of about IM2COL_TASK_FLOATS: at batch 1 the copy would otherwise run
        // on one thread while the others wait for the GEMM (9% of ResNet-18's samples on two threads).
        int perChannel = g.kernelH() * g.kernelW() * pq;
        int grain = Math.max(1, IM2COL_TASK_FLOATS / Math.max(1, perChannel));
        parallelism.forRange(cg, grain, (c0, c1) -> im2colInto(g, from, in, inBase, c0, c1, col, 0, pq));
    }

    /** Floats of columns per task of a threaded im2col, about: a few tens of microseconds of copying. */
    private static final int IM2COL_TASK_FLOATS = 1 << 15;

    /**
     * The rows of channels c0 … c1 − 1 of {@link #im2col}, writing column block {@code [colStart, colStart + PQ)} of
     * rows of length ld; through {@code from} ({@link #tapMap}) where it is not null.
     */
    private static void im2colInto(Conv2dGeometry g, int[] from, float[] in, int inBase, int c0, int c1, float[] col,
                                   int colStart, int ld) {
        if (from != null) {
            int pq = g.outPlane();
            int rs = g.kernelH() * g.kernelW();
            for (int c = c0; c < c1; c++) {
                int plane = inBase + c * g.inPlane();
                for (int t = 0; t < rs; t++) {
                    int dst = (c * rs + t) * ld + colStart;
                    for (int o = 0, m = t * pq; o < pq; o++, m++) {
                        int at = from[m];
                        col[dst + o] = at < 0 ? 0f : in[plane + at];
                    }
                }
            }
            return;
        }
        int pp = g.outHeight();
        int qq = g.outWidth();
        int hh = g.height();
        int ww = g.width();
        int row = c0 * g.kernelH() * g.kernelW();
        for (int c = c0; c < c1; c++) {
            for (int r = 0; r < g.kernelH(); r++) {
                for (int s = 0; s < g.kernelW(); s++, row++) {
                    int dst = row * ld + colStart;
                    int wShift = s * g.dilationW() - g.padLeft();
                    // Output columns q whose input column w = q·sw + wShift lies inside [0, W).
                    int qLo = wShift >= 0 ? 0 : Math.min(qq, (-wShift + g.strideW() - 1) / g.strideW());
                    int qHi = Math.max(qLo, Math.min(qq, (ww - 1 - wShift) / g.strideW() + 1));
                    if (ww - 1 - wShift < 0) {
                        qHi = qLo;
                    }
                    for (int p = 0; p < pp; p++, dst += qq) {
                        int h = p * g.strideH() - g.padTop() + r * g.dilationH();
                        if (h < 0 || h >= hh) {
                            Arrays.fill(col, dst, dst + qq, 0f);
                            continue;
                        }
                        int src = inBase + (c * hh + h) * ww + wShift;
                        Arrays.fill(col, dst, dst + qLo, 0f);
                        if (g.strideW() == 1) {
                            if (qHi > qLo) { // with nothing to copy, src + qLo may lie before the array
                                copyRun(in, src + qLo, col, dst + qLo, qHi - qLo);
                            }
                        } else {
                            int q = g.strideW() == 2 ? evenColumns(in, src, col, dst, qLo, qHi) : qLo;
                            for (; q < qHi; q++) {
                                col[dst + q] = in[src + q * g.strideW()];
                            }
                        }
                        Arrays.fill(col, dst + qHi, dst + qq, 0f);
                    }
                }
            }
        }
    }

    /**
     * Stride 2: col[dst + q] = in[src + 2q] for whole vectors of q from qLo, each the even lanes of two loads
     * (the odd lanes, past the last column a window reads, are dropped); returns the first q left to copy.
     */
    private static int evenColumns(float[] in, int src, float[] col, int dst, int qLo, int qHi) {
        int lanes = F.length();
        int q = qLo;
        for (; q + lanes <= qHi && src + 2 * (q + lanes) <= in.length; q += lanes) {
            var x0 = FloatVector.fromArray(F, in, src + 2 * q);
            var x1 = FloatVector.fromArray(F, in, src + 2 * q + lanes);
            Lanes.EVEN_LANES.selectFrom(x0, x1).intoArray(col, dst + q);
        }
        return q;
    }

    /**
     * gradIn[c, h, w] = Σ of col entries that im2col read from (c, h, w), gradIn overwritten: tap t's row of P·Q values
     * from col[colOff + t·ld]; through {@code from} ({@link #tapMap}) where it is not null.
     */
    private static void col2im(Conv2dGeometry g, int[] from, float[] col, int colOff, int ld, int cg, float[] gradIn,
                               int inBase) {
        int pp = g.outHeight();
        int qq = g.outWidth();
        int hh = g.height();
        int ww = g.width();
        Arrays.fill(gradIn, inBase, inBase + cg * hh * ww, 0f);
        if (from != null) {
            // The same adds in the same order as below, through the tap map.
            int pq = pp * qq;
            int rs = g.kernelH() * g.kernelW();
            for (int c = 0; c < cg; c++) {
                int plane = inBase + c * hh * ww;
                for (int t = 0; t < rs; t++) {
                    int src = colOff + (c * rs + t) * ld;
                    for (int o = 0, m = t * pq; o < pq; o++, m++) {
                        int at = from[m];
                        if (at >= 0) {
                            gradIn[plane + at] += col[src + o];
                        }
                    }
                }
            }
            return;
        }
        int row = 0;
        for (int c = 0; c < cg; c++) {
            for (int r = 0; r < g.kernelH(); r++) {
                for (int s = 0; s < g.kernelW(); s++, row++) {
                    int wShift = s * g.dilationW() - g.padLeft();
                    int qLo = wShift >= 0 ? 0 : Math.min(qq, (-wShift + g.strideW() - 1) / g.strideW());
                    int qHi = ww - 1 - wShift < 0 ? qLo : Math.max(qLo, Math.min(qq, (ww - 1 - wShift) / g.strideW() + 1));
                    int src = colOff + row * ld;
                    for (int p = 0; p < pp; p++, src += qq) {
                        int h = p * g.strideH() - g.padTop() + r * g.dilationH();
                        if (h < 0 || h >= hh) {
                            continue;
                        }
                        int dst = inBase + (c * hh + h) * ww + wShift;
                        for (int q = qLo; q < qHi; q++) {
                            gradIn[dst + q * g.strideW()] += col[src + q];
                        }
                    }
                }
            }
        }
    }
}
