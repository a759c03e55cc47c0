package dev.vcnn.engine.kernel.simd.conv;

import static dev.vcnn.engine.kernel.simd.Lanes.EVEN_LANES;
import static dev.vcnn.engine.kernel.simd.Lanes.ODD_LANES;
import static dev.vcnn.engine.kernel.simd.Lanes.ZIP_HI;
import static dev.vcnn.engine.kernel.simd.Lanes.ZIP_LO;
import static dev.vcnn.engine.kernel.simd.SimdSpecies.F;

import dev.vcnn.engine.kernel.Conv2dGeometry;
import dev.vcnn.engine.kernel.WinogradBound;
import dev.vcnn.engine.kernel.simd.Scratch;
import dev.vcnn.engine.kernel.simd.gemm.MicroKernel;
import dev.vcnn.engine.kernel.simd.gemm.SimdGemm;
import dev.vcnn.engine.parallel.Parallelism;
import java.util.Arrays;
import java.util.Map;
import java.util.WeakHashMap;
import jdk.incubator.vector.FloatVector;

/**
 * 3×3 convolution forward (stride 1, no dilation, one group) by Winograd's minimal filtering F(2×2, 3×3)
 * (Lavin and Gray, "Fast Algorithms for Convolutional Neural Networks", 2016): each 2×2 block of outputs
 * (a tile) of output channel k is
 *
 * <pre>
 *   Y = Aᵀ · [ Σ_c (G·g[k,c]·Gᵀ) ⊙ (Bᵀ·d[c]·B) ] · A
 *
 *   Bᵀ = | 1  0 -1  0 |    G = |  1    0    0  |    Aᵀ = | 1  1  1  0 |
 *        | 0  1  1  0 |        | 1/2  1/2  1/2 |         | 0  1 -1 -1 |
 *        | 0 -1  1  0 |        | 1/2 -1/2  1/2 |
 *        | 0  1  0 -1 |        |  0    0    1  |
 * </pre>
 *
 * where d[c] is the 4×4 window of zero-padded input channel c under the tile (rows 2·ty … 2·ty+3 and columns
 * 2·tx … 2·tx+3 of the padded image) and g[k,c] the 3×3 filter. The sum over c is, for each of the 16
 * positions ξ of the 4×4 transforms, a GEMM: M_ξ[K × tiles] = U_ξ[K × C] · V_ξ[C × tiles], which does
 * 16·K·C multiply-adds per tile where the direct convolution does 36·K·C: 2.25× fewer.
 *
 * <p>Layout, per image. The padded input is split by the parity of its rows and columns into four planes of
 * (TP + 1) × S values, S = TQ + 1 (TP × TQ tiles): tile (ty, tx) is column f = ty·S + tx of the GEMMs, so
 * the window's sixteen values of 16 consecutive tiles are 16 vector loads at f, f + 1, f + S and f + S + 1
 * of the four planes, with one junk tile per tile row (tx = TQ, computed and never stored). The input
 * transform writes V straight into the GEMM's packed-B format (NR tiles per panel, see {@link SimdGemm}), the
 * filters' transforms U are packed as its A panels (once per call, or kept between small-batch calls, see
 * {@link FilterCache}), and the GEMM's micro-kernel writes M,
 * from which the output transform writes 2×2 outputs per tile. Tiles run in chunks of {@link #CHUNK} so that
 * a chunk's V and M stay in L2.
 *
 * <p>Rounding: V is two passes of one addition per value, U is computed in double and rounded once, M is a
 * length-C sum of products, Y two passes of two additions and the bias one more: the bound of
 * {@link WinogradBound}. Each output is computed by the same operations whichever thread runs its image:
 * bit-identical for any thread count.
 */
final class WinogradConv2d {
    /** One free list per buffer purpose (see {@link Scratch}): filters' transforms, planes, V, M, outputs, tile. */
    private final Scratch filters = new Scratch();
    private final Scratch planesScratch = new Scratch();
    private final Scratch vScratch = new Scratch();
    private final Scratch mScratch = new Scratch();
    private final Scratch zScratch = new Scratch();
    private final Scratch tiles = new Scratch();

    private static final int L = F.length();
    private static final int MR = SimdGemm.MR;
    private static final int NR = SimdGemm.NR;
    /** Tiles per chunk: 64 at 512 bits. With C = K = 64, V and M take 256 KiB each, and U 256 KiB: L2 holds them. */
    static final int CHUNK = chunk(L);

    /** {@link #CHUNK} at a width of {@code lanes} floats. */
    static int chunk(int lanes) {
        return 2 * SimdGemm.nr(lanes);
    }
    /**
     * Floats between the 16 transforms' blocks of V and of M beyond their size: one cache line, so that the 16
     * loads or stores of one tile vector (16 KiB apart at C = K = 64) do not all fall in one L1 set.
     */
    private static final int SKEW = 16;

    /**
     * Whether the tiles of g, in chunks of {@code chunk} columns, compute at most 1.5 columns per tile (junk tiles,
     * chunks rounded up): see {@link ConvPlanner#winograd}.
     */
    static boolean fillsChunks(Conv2dGeometry g, int chunk) {
        var t = Tiles.of(g, chunk);
        return 2L * t.columns() <= 3L * t.images() * t.tp() * t.tq();
    }

    /**
     * Tile geometry of a block of images: TP × TQ tiles per image, planes of (TP + 1) rows of S = TQ + 1 per image,
     * image i's from column i·(TP + 1)·S on (its last row is the next image's junk tile row); {@code images} per
     * block and {@code columns} computed per block (a whole number of chunks).
     */
    private record Tiles(int tp, int tq, int s, int images, int columns, int planeStride) {
        static Tiles of(Conv2dGeometry g) {
            return of(g, CHUNK);
        }

        static Tiles of(Conv2dGeometry g, int chunk) {
            int tp = (g.outHeight() + 1) / 2;
            int tq = (g.outWidth() + 1) / 2;
            int s = tq + 1;
            int imageStride = (tp + 1) * s;
            // Small planes share chunks, but the blocks stay at least 16 where the batch allows (for threads).
            int images = Math.max(1, Math.min((BLOCK_TILES + imageStride - 1) / imageStride, g.batch() / 16));
            int columns = columns(tp, s, images, chunk);
            // Loads reach f + S + 1 + L − 1 for the last chunk's f, and the planes hold TP + 1 rows per image.
            int planeStride = Math.max(columns + s + 1 + L, images * imageStride);
            return new Tiles(tp, tq, s, images, columns, planeStride);
        }

        private static int columns(int tp, int s, int images, int chunk) {
            return ((images - 1) * (tp + 1) * s + tp * s + chunk - 1) / chunk * chunk;
        }

        int imageStride() {
            return (tp + 1) * s;
        }

        /** Columns for a block of {@code n} images. */
        int columns(int n) {
            return columns(tp, s, n, CHUNK);
        }
    }

    /** Tiles per block of small images, about: 512 (8 chunks at 512 bits). */
    private static final int BLOCK_TILES = 512;

    /**
     * The forward pass; false, having written nothing, when g takes {@link #forwardOnTileRows} and its filters'
     * transforms find no room to be kept (the caller then runs another path: transforming them on every call cost
     * ten times the products at batch 1).
     */
    boolean forward(Conv2dGeometry g, float[] input, int inOff, float[] weight, int wOff, float[] bias, int bOff,
                    float[] out, int outOff, Parallelism parallelism) {
        if (tileRows(g)) {
            return forwardOnTileRows(g, input, inOff, weight, wOff, bias, bOff, out, outOff, parallelism);
        }
        forwardOnTileColumns(g, input, inOff, weight, wOff, bias, bOff, out, outOff, parallelism);
        return true;
    }

    /**
     * Whether g takes {@link #forwardOnTileRows}: output planes of at most {@link #TILE_ROWS_MAX_PLANE} (7×7 and
     * 8×8, sixteen tiles) in calls that keep their filters' transforms. As columns, sixteen tiles fill a quarter
     * of a chunk; as rows they fill two row tiles of the micro-kernel. Not for a single row or column of outputs,
     * where each 2×2 tile computes as many products for half its outputs or fewer as the direct sum does.
     */
    static boolean tileRows(Conv2dGeometry g) {
        int tiles = ((g.outHeight() + 1) / 2) * ((g.outWidth() + 1) / 2);
        return g.outPlane() <= TILE_ROWS_MAX_PLANE && g.batch() <= KEPT_FILTERS_MAX_BATCH
                && g.outHeight() >= 2 && g.outWidth() >= 2
                && (tiles >= 2 * MR || (long) g.inChannels() * g.outChannels() <= TILE_ROWS_MAX_FILTERS);
    }

    /**
     * Most filters (K·C) for {@link #tileRows} on fewer than two row tiles of tiles: with few tiles, streaming U
     * (16 floats per filter) costs more than the products it saves. Batch 1, one Zen 4 core, against im2col:
     * 256 → 256 at 4×4 and 2×2 1.61× and 1.54×; 512 → 512 at 4×4 0.98×.
     */
    static final long TILE_ROWS_MAX_FILTERS = 256 * 256;

    /** Largest output plane for {@link #tileRows}. */
    static final int TILE_ROWS_MAX_PLANE = 64;

    /** The tiles-as-columns layout of the class comment, for any geometry Winograd allows. */
    void forwardOnTileColumns(Conv2dGeometry g, float[] input, int inOff, float[] weight, int wOff, float[] bias,
                              int bOff, float[] out, int outOff, Parallelism parallelism) {
        int cc = g.inChannels();
        int kk = g.outChannels();
        int kr = (kk + MR - 1) / MR * MR;
        var t = Tiles.of(g);
        int blocks = (g.batch() + t.images() - 1) / t.images();
        float[] keptU = g.batch() <= KEPT_FILTERS_MAX_BATCH
                ? keptFilters.transformed(weight, wOff, kk, cc, kr, false, parallelism) : null;
        boolean kept = keptU != null;
        float[] u = kept ? keptU : filters.take(16 * kr * cc);
        try {
            if (!kept) {
                parallelism.forRange(kr / MR, filterPanelGrain(cc),
                        (p0, p1) -> transformFilters(weight, wOff, kk, cc, kr, p0, p1, u));
            }
            if (blocks == 1) {
                // One image: its chunks run over the threads instead (their parts of z are disjoint).
                block(g, input, inOff, 0, g.batch(), t, kr, u, bias, bOff, out, outOff, parallelism);
            } else {
                parallelism.forRange(blocks, 1, (b0, b1) -> {
                    for (int b = b0; b < b1; b++) {
                        int first = b * t.images();
                        block(g, input, inOff, first, Math.min(t.images(), g.batch() - first), t, kr, u, bias, bOff,
                                out, outOff, null);
                    }
                });
            }
        } finally {
            if (!kept) {
                filters.give(u);
            }
        }
    }

    /**
     * Winograd with the tiles as the GEMMs' rows and the output channels along the lanes: M_ξ[tiles × K] =
     * V_ξ[tiles × C] · U_ξ[C × K], V_ξ packed as the micro-kernel's A panels (MR tiles each) and U_ξ, kept between
     * calls, as its B panels (NR output channels each). For one small image per call (ResNet's 512 → 512 at 7×7,
     * batch 1: sixteen tiles) the columns layout computed four chunk columns per tile; here the sixteen tiles are
     * two full row tiles. V, each M and each Y are computed by the operations of the columns layout in the same
     * order (the products commute), so the outputs are the same bits.
     */
    boolean forwardOnTileRows(Conv2dGeometry g, float[] input, int inOff, float[] weight, int wOff, float[] bias,
                              int bOff, float[] out, int outOff, Parallelism parallelism) {
        int cc = g.inChannels();
        int kk = g.outChannels();
        int kr = (kk + MR - 1) / MR * MR;
        int kPad = (kk + NR - 1) / NR * NR;
        var t = Tiles.of(g);
        int tiles = t.tp() * t.tq();
        int tr = (tiles + MR - 1) / MR * MR;
        float[] u = keptFilters.transformed(weight, wOff, kk, cc, kr, true, parallelism);
        if (u == null) {
            return false;
        }
        float[] planes = planesScratch.take(4 * cc * t.planeStride());
        float[] v = vScratch.take(16 * vStride(cc));
        float[] va = vScratch.take(16 * tr * cc);
        float[] m = mScratch.take(16 * tr * kPad);
        try {
            for (int image = 0; image < g.batch(); image++) {
                split(g, input, inOff, image, 1, t, planes, parallelism);
                // Tile columns f = ty·S + tx run up to TP·S − 1; past them a chunk holds no tile of this image.
                int used = t.tp() * t.s();
                for (int f = 0; f < used; f += CHUNK) {
                    transformInput(cc, t, planes, f, Math.min(CHUNK, (used - f + L - 1) / L * L), v);
                    packTileRows(cc, t, v, f, tiles, tr, va);
                }
                parallelism.forRange(16, 1, (x0, x1) -> {
                    float[] tile = this.tiles.take(MR * NR);
                    try {
                        for (int xi = x0; xi < x1; xi++) {
                            for (int j = 0; j < kPad; j += NR) {
                                for (int i = 0; i < tr; i += MR) {
                                    MicroKernel.microKernelRuns(cc, va, xi * tr * cc + i * cc, u, (xi * kPad + j) * cc,
                                            m, xi * tr * kPad + i * kPad + j, kPad, 1f, 0f, MR, NR, tile);
                                }
                            }
                        }
                    } finally {
                        this.tiles.give(tile);
                    }
                });
                transformOutputRows(g, t, kk, kPad, tr, m, bias, bOff, out, outOff + image * kk * g.outPlane());
            }
        } finally {
            mScratch.give(m);
            vScratch.give(va);
            vScratch.give(v);
            planesScratch.give(planes);
        }
        return true;
    }

    /**
     * The chunk's tiles from V's columns (tile f0 + j at column j of {@link #transformInput}'s panels) into A
     * panels of MR tiles: va[ξ·tr·C + (r / MR)·MR·C + c·MR + r % MR] for tile row r = ty·TQ + tx, junk tiles
     * dropped; rows past the last tile are zeros.
     */
    private static void packTileRows(int cc, Tiles t, float[] v, int f0, int tiles, int tr, float[] va) {
        int xiStride = vStride(cc);
        for (int r = 0; r < tr; r++) {
            int f = r < tiles ? (r / t.tq()) * t.s() + r % t.tq() - f0 : -1;
            boolean here = f >= 0 && f < CHUNK;
            if (r < tiles && !here) {
                continue;
            }
            for (int xi = 0; xi < 16; xi++) {
                int dst = xi * tr * cc + (r / MR) * MR * cc + r % MR;
                int src = xi * xiStride + (here ? (f / NR) * cc * NR + f % NR : 0);
                for (int c = 0; c < cc; c++) {
                    va[dst + c * MR] = here ? v[src + c * NR] : 0f;
                }
            }
        }
    }

    /**
     * Y = Aᵀ·M·A (+ bias) per tile row, the output channels along the lanes, with the columns layout's operations
     * in its order; each tile's four outputs stored into out where they fall inside the plane.
     */
    private static void transformOutputRows(Conv2dGeometry g, Tiles t, int kk, int kPad, int tr, float[] m,
                                            float[] bias, int bOff, float[] out, int outBase) {
        int pp = g.outHeight();
        int qq = g.outWidth();
        int plane = pp * qq;
        int xiStride = tr * kPad;
        float[] y = new float[4 * L];
        for (int r = 0; r < t.tp() * t.tq(); r++) {
            int p0 = 2 * (r / t.tq());
            int q0 = 2 * (r % t.tq());
            for (int k0 = 0; k0 < kk; k0 += L) {
                int lanes = Math.min(L, kk - k0);
                outputTransform(m, r * kPad + k0, xiStride,
                        bias == null ? null : FloatVector.fromArray(F, bias, bOff + k0, F.indexInRange(0, lanes)), y);
                for (int a = 0; a < 2 && p0 + a < pp; a++) {
                    for (int b = 0; b < 2 && q0 + b < qq; b++) {
                        int o = outBase + k0 * plane + (p0 + a) * qq + q0 + b;
                        int from = (2 * a + b) * L;
                        for (int l = 0; l < lanes; l++) {
                            out[o + l * plane] = y[from + l];
                        }
                    }
                }
            }
        }
    }

    /** U for the tile-rows layout: u[(ξ·kPad + (k / NR)·NR)·C + c·NR + k % NR], zeros past K. */
    private void transformFiltersToColumns(float[] weight, int wOff, int kk, int cc, int kr, int kPad, float[] u,
                                           Parallelism parallelism) {
        float[] rows = filters.take(16 * kr * cc);
        try {
            parallelism.forRange(kr / MR, filterPanelGrain(cc), (p0, p1) -> transformFilters(weight, wOff, kk, cc, kr, p0, p1, rows));
            Arrays.fill(u, 0, 16 * kPad * cc, 0f);
            for (int xi = 0; xi < 16; xi++) {
                for (int k = 0; k < kk; k++) {
                    int from = xi * kr * cc + (k / MR) * MR * cc + k % MR;
                    int to = (xi * kPad + k / NR * NR) * cc + k % NR;
                    for (int c = 0; c < cc; c++) {
                        u[to + c * NR] = rows[from + c * MR];
                    }
                }
            }
        } finally {
            filters.give(rows);
        }
    }

    /**
     * The filters' transforms of small-batch calls, kept between calls with a copy of the weights they came from:
     * a call whose weights equal the copy, value for value, reuses them. At batch 1 the transform (in double, 16
     * values per filter) cost more than the products it feeds; comparing the weights reads them twice but writes
     * nothing. Weights are looked up by their array, which the table holds weakly, so a dropped model's entries go
     * with it; entries are replaced, never changed, so a thread that holds one reads it whole.
     */
    private final class FilterCache {
        /**
         * Most floats held, copies and transforms together: 128 MB, or a sixteenth of the heap where that is less,
         * so that keeping them never costs a model that fits the heap its room. Past that, calls transform as before.
         */
        static final long MAX_FLOATS = Math.min(1L << 25, Runtime.getRuntime().maxMemory() / Float.BYTES / 16);

        private record Entry(int wOff, int kk, int cc, boolean tileRows, float[] weights, float[] u) {
            long floats() {
                return (long) weights.length + u.length;
            }
        }

        private final Map<float[], Entry> entries = new WeakHashMap<>();

        /**
         * U for the K × C filters at weight[wOff …]: from the table when the weights are unchanged, else transformed
         * and kept; null when the table has no room for them (the caller then transforms into scratch).
         */
        float[] transformed(float[] weight, int wOff, int kk, int cc, int kr, boolean tileRows, Parallelism parallelism) {
            int n = kk * cc * 9;
            Entry e;
            synchronized (entries) {
                e = entries.get(weight);
            }
            if (e != null && e.wOff() == wOff && e.kk() == kk && e.cc() == cc && e.tileRows() == tileRows
                    && same(e.weights(), weight, wOff, n, parallelism)) {
                return e.u();
            }
            int kPad = (kk + NR - 1) / NR * NR;
            long size = (long) n + 16L * (tileRows ? kPad : kr) * cc;
            synchronized (entries) {
                entries.remove(weight);
                // Counted from the live entries: those of dropped models leave the table on their own.
                if (entries.values().stream().mapToLong(Entry::floats).sum() + size > MAX_FLOATS) {
                    return null;
                }
            }
            float[] u = new float[16 * (tileRows ? kPad : kr) * cc];
            if (tileRows) {
                transformFiltersToColumns(weight, wOff, kk, cc, kr, kPad, u, parallelism);
            } else {
                parallelism.forRange(kr / MR, filterPanelGrain(cc), (p0, p1) -> transformFilters(weight, wOff, kk, cc, kr, p0, p1, u));
            }
            synchronized (entries) {
                entries.put(weight, new Entry(wOff, kk, cc, tileRows, Arrays.copyOfRange(weight, wOff, wOff + n), u));
            }
            return u;
        }
    }

    private final FilterCache keptFilters = new FilterCache();

    /**
     * Whether weight[wOff …] holds the n values of {@code kept}, compared in parts over the threads: on one thread
     * the comparison was 4.8% of ResNet-18's samples at batch 1 on two.
     */
    private static boolean same(float[] kept, float[] weight, int wOff, int n, Parallelism parallelism) {
        int parts = Math.max(1, Math.min(parallelism.threads(), n / (1 << 16)));
        boolean[] differs = new boolean[parts];
        parallelism.forRange(parts, 1, (p0, p1) -> {
            for (int p = p0; p < p1; p++) {
                int from = (int) ((long) n * p / parts);
                int to = (int) ((long) n * (p + 1) / parts);
                differs[p] = !Arrays.equals(kept, from, to, weight, wOff + from, wOff + to);
            }
        });
        for (boolean d : differs) {
            if (d) {
                return false;
            }
        }
        return true;
    }

    /** Largest batch whose calls keep their filters' transforms ({@link FilterCache}): inference, not training batches. */
    static final int KEPT_FILTERS_MAX_BATCH = 4;

    /**
     * Images first … first + n − 1 (one block): split, transformed and multiplied chunk by chunk, copied out; the
     * chunks over {@code parallelism}'s threads, or on the calling thread when it is null.
     */
    private void block(Conv2dGeometry g, float[] input, int inOff, int first, int n, Tiles t, int kr, float[] u,
                       float[] bias, int bOff, float[] out, int outOff, Parallelism parallelism) {
        float[] planes = planesScratch.take(4 * g.inChannels() * t.planeStride());
        float[] z = zScratch.take(2 * g.outChannels() * 2 * t.columns());
        try {
            split(g, input, inOff, first, n, t, planes, parallelism);
            int columns = t.columns(n);
            if (parallelism == null) {
                chunks(g, kr, u, t, planes, 0, columns, bias, bOff, z);
            } else if (columns / CHUNK < parallelism.threads()) {
                // Fewer chunks than threads (one 14×14 image is one chunk): the 16 GEMMs of each run over them.
                for (int f = 0; f < columns; f += CHUNK) {
                    chunkOverThreads(g, kr, u, t, planes, f, bias, bOff, z, parallelism);
                }
            } else {
                parallelism.forRange(columns / CHUNK, 1, (c0, c1) ->
                        chunks(g, kr, u, t, planes, c0 * CHUNK, c1 * CHUNK, bias, bOff, z));
            }
            copyOut(g, t, z, first, n, out, outOff);
        } finally {
            zScratch.give(z);
            planesScratch.give(planes);
        }
    }

    /** Zeroes the planes and splits images first … first + n − 1 into them (see {@link #splitPadded}). */
    private static void split(Conv2dGeometry g, float[] input, int inOff, int first, int n, Tiles t, float[] planes,
                              Parallelism parallelism) {
        if (parallelism == null) {
            split(g, input, inOff, first, n, t, planes, 0, g.inChannels());
            return;
        }
        // One block on all threads (one image at batch 1): its channels' planes over them.
        int perChannel = 4 * t.planeStride();
        parallelism.forRange(g.inChannels(), Math.max(1, (1 << 15) / perChannel),
                (c0, c1) -> split(g, input, inOff, first, n, t, planes, c0, c1));
    }

    /** {@link #split} for input channels c0 … c1 − 1, whose planes are theirs alone. */
    private static void split(Conv2dGeometry g, float[] input, int inOff, int first, int n, Tiles t, float[] planes,
                              int c0, int c1) {
        Arrays.fill(planes, 4 * c0 * t.planeStride(), 4 * c1 * t.planeStride(), 0f);
        for (int i = 0; i < n; i++) {
            splitPadded(g, input, inOff + (first + i) * g.inChannels() * g.height() * g.width(), t,
                    i * t.imageStride(), planes, c0, c1);
        }
    }

    /** Input transform, the 16 GEMMs and the output transform for the chunks of tiles f0 … f1 − 1, into z. */
    private void chunks(Conv2dGeometry g, int kr, float[] u, Tiles t, float[] planes, int f0, int f1,
                        float[] bias, int bOff, float[] z) {
        int cc = g.inChannels();
        int kk = g.outChannels();
        float[] v = vScratch.take(16 * vStride(cc));
        float[] m = mScratch.take(16 * mStride(kr));
        float[] tile = tiles.take(MR * NR);
        try {
            for (int f = f0; f < f1; f += CHUNK) {
                transformInput(cc, t, planes, f, v);
                for (int xi = 0; xi < 16; xi++) {
                    transformProducts(cc, kk, kr, u, v, m, xi, tile);
                }
                transformOutput(kk, kr, t, m, f, bias, bOff, z);
            }
        } finally {
            tiles.give(tile);
            mScratch.give(m);
            vScratch.give(v);
        }
    }

    /** {@link #chunks} for the one chunk at f, its 16 GEMMs over {@code parallelism}'s threads (each writes its own ξ of M). */
    private void chunkOverThreads(Conv2dGeometry g, int kr, float[] u, Tiles t, float[] planes, int f, float[] bias,
                                  int bOff, float[] z, Parallelism parallelism) {
        int cc = g.inChannels();
        int kk = g.outChannels();
        float[] v = vScratch.take(16 * vStride(cc));
        float[] m = mScratch.take(16 * mStride(kr));
        try {
            transformInput(cc, t, planes, f, v);
            parallelism.forRange(16, 1, (x0, x1) -> {
                float[] tile = tiles.take(MR * NR);
                try {
                    for (int xi = x0; xi < x1; xi++) {
                        transformProducts(cc, kk, kr, u, v, m, xi, tile);
                    }
                } finally {
                    tiles.give(tile);
                }
            });
            transformOutput(kk, kr, t, m, f, bias, bOff, z);
        } finally {
            mScratch.give(m);
            vScratch.give(v);
        }
    }

    /** M_ξ = U_ξ · V_ξ for the chunk in v: K × CHUNK products over C, MR × NR tiles. */
    private static void transformProducts(int cc, int kk, int kr, float[] u, float[] v, float[] m, int xi, float[] tile) {
        for (int panel = 0; panel < CHUNK; panel += NR) {
            for (int k0 = 0; k0 < kk; k0 += MR) {
                MicroKernel.microKernelRuns(cc, u, (xi * kr + k0) * cc, v, xi * vStride(cc) + panel * cc,
                        m, xi * mStride(kr) + k0 * CHUNK + panel, CHUNK, 1f, 0f,
                        Math.min(MR, kk - k0), NR, tile);
            }
        }
    }

    /** Floats per transform ξ in V: C rows of CHUNK tiles, and {@link #SKEW}. */
    private static int vStride(int cc) {
        return cc * CHUNK + SKEW;
    }

    /** Floats per transform ξ in M: K (rounded up to MR) rows of CHUNK tiles, and {@link #SKEW}. */
    private static int mStride(int kr) {
        return kr * CHUNK + SKEW;
    }

    /**
     * Panels of MR output channels per task of the filter transform: about 8 Ki filters (a few tens of
     * microseconds). At batch 1 the transform was a tenth of ResNet-18's time on two threads, all of it on one.
     */
    private static int filterPanelGrain(int cc) {
        return Math.max(1, (1 << 13) / (MR * cc));
    }

    /**
     * u[ξ][k / MR][c][k % MR] = (G·g[k, c]·Gᵀ)[ξ] for the output channels of panels p0 … p1 − 1, each computed in
     * double and rounded once: the GEMM's packed A panels (MR output channels per panel, zero rows past K). Panels
     * write disjoint parts of u, so any split gives the same u.
     */
    private static void transformFilters(float[] weight, int wOff, int kk, int cc, int kr, int p0, int p1, float[] u) {
        if (p1 * MR > kk) {
            // Zero the last panel's rows past K, whose products the tile computes and drops, so that they never
            // run on stale (perhaps subnormal) floats; every other float of u is written below.
            for (int xi = 0; xi < 16; xi++) {
                for (int c = 0; c < cc; c++) {
                    int row = xi * kr * cc + (p1 - 1) * MR * cc + c * MR;
                    Arrays.fill(u, row + kk % MR, row + MR, 0f);
                }
            }
        }
        double[] gg = new double[12];
        for (int k = p0 * MR; k < Math.min(kk, p1 * MR); k++) {
            for (int c = 0; c < cc; c++) {
                int w = wOff + (k * cc + c) * 9;
                for (int s = 0; s < 3; s++) {
                    double g0 = weight[w + s];
                    double g1 = weight[w + 3 + s];
                    double g2 = weight[w + 6 + s];
                    gg[s] = g0;
                    gg[3 + s] = 0.5 * (g0 + g1 + g2);
                    gg[6 + s] = 0.5 * (g0 - g1 + g2);
                    gg[9 + s] = g2;
                }
                int at = (k / MR) * MR * cc + c * MR + k % MR;
                for (int i = 0; i < 4; i++) {
                    double h0 = gg[3 * i];
                    double h1 = gg[3 * i + 1];
                    double h2 = gg[3 * i + 2];
                    int row = (4 * i) * kr * cc + at;
                    u[row] = (float) h0;
                    u[row + kr * cc] = (float) (0.5 * (h0 + h1 + h2));
                    u[row + 2 * kr * cc] = (float) (0.5 * (h0 - h1 + h2));
                    u[row + 3 * kr * cc] = (float) h2;
                }
            }
        }
    }

    /**
     * One image's padded input split into four planes per channel by row and column parity:
     * planes[(c·4 + 2·(row % 2) + col % 2)·stride + at + (row / 2)·S + col / 2] = padded[c][row][col]. Writes the
     * input's values only: the caller has zeroed the planes, which leaves the padding and the junk tiles zero.
     */
    private static void splitPadded(Conv2dGeometry g, float[] input, int inBase, Tiles t, int at, float[] planes,
                                    int c0, int c1) {
        int hh = g.height();
        int ww = g.width();
        int stride = t.planeStride();
        int s = t.s();
        int pl = g.padLeft();
        // Input column w lands at padded column w + pl: the even input columns go to the plane of pl's parity.
        int evenPlane = pl & 1;
        for (int c = c0; c < c1; c++) {
            for (int h = 0; h < hh; h++) {
                int row = h + g.padTop();
                int base = (c * 4 + 2 * (row & 1)) * stride + at + (row >> 1) * s;
                int src = inBase + (c * hh + h) * ww;
                int w = 0;
                for (; w + 2 * L <= ww; w += 2 * L) {
                    var x0 = FloatVector.fromArray(F, input, src + w);
                    var x1 = FloatVector.fromArray(F, input, src + w + L);
                    int col = (w + pl) >> 1;
                    EVEN_LANES.selectFrom(x0, x1).intoArray(planes, base + evenPlane * stride + col);
                    ODD_LANES.selectFrom(x0, x1).intoArray(planes, base + (1 - evenPlane) * stride + ((w + 1 + pl) >> 1));
                }
                if (w < ww) {
                    // The row's last 1 … 2L − 1 values: the same split under lane masks.
                    var x0 = FloatVector.fromArray(F, input, src + w, F.indexInRange(w, ww));
                    var x1 = FloatVector.fromArray(F, input, src + w + L, F.indexInRange(w + L, ww));
                    int rest = ww - w;
                    EVEN_LANES.selectFrom(x0, x1).intoArray(planes, base + evenPlane * stride + ((w + pl) >> 1),
                            F.indexInRange(0, (rest + 1) / 2));
                    ODD_LANES.selectFrom(x0, x1).intoArray(planes, base + (1 - evenPlane) * stride + ((w + 1 + pl) >> 1),
                            F.indexInRange(0, rest / 2));
                }
            }
        }
    }

    /**
     * V for tiles f0 … f0 + CHUNK − 1, in packed-B panels: v[ξ·vStride + (j / NR)·C·NR + c·NR + j % NR] for
     * tile f0 + j, with (Bᵀ·d·B) taken along the rows of d first, then along its columns.
     */
    private static void transformInput(int cc, Tiles t, float[] planes, int f0, float[] v) {
        transformInput(cc, t, planes, f0, CHUNK, v);
    }

    /** {@link #transformInput} for the first {@code width} tiles of the chunk only (a multiple of L). */
    private static void transformInput(int cc, Tiles t, float[] planes, int f0, int width, float[] v) {
        int stride = t.planeStride();
        int s = t.s();
        int xiStride = vStride(cc);
        for (int c = 0; c < cc; c++) {
            int ee = 4 * c * stride;
            int eo = ee + stride;
            int oe = eo + stride;
            int oo = oe + stride;
            // The window's four rows written out: a helper returning four vectors, or an array of them, would make C2
            // box them (a vector array cost 10× in a blocked-layout prototype).
            for (int j = 0; j < width; j += L) {
                int f = f0 + j;
                int dst = (j / NR) * cc * NR + c * NR + j % NR;
                // Row i of the window: columns 0 … 3 are (even, odd) columns at f, then at f + 1.
                var h00 = FloatVector.fromArray(F, planes, ee + f).sub(FloatVector.fromArray(F, planes, ee + f + 1));
                var d01 = FloatVector.fromArray(F, planes, eo + f);
                var d02 = FloatVector.fromArray(F, planes, ee + f + 1);
                var h01 = d01.add(d02);
                var h02 = d02.sub(d01);
                var h03 = d01.sub(FloatVector.fromArray(F, planes, eo + f + 1));

                var h10 = FloatVector.fromArray(F, planes, oe + f).sub(FloatVector.fromArray(F, planes, oe + f + 1));
                var d11 = FloatVector.fromArray(F, planes, oo + f);
                var d12 = FloatVector.fromArray(F, planes, oe + f + 1);
                var h11 = d11.add(d12);
                var h12 = d12.sub(d11);
                var h13 = d11.sub(FloatVector.fromArray(F, planes, oo + f + 1));

                var h20 = FloatVector.fromArray(F, planes, ee + f + s).sub(FloatVector.fromArray(F, planes, ee + f + s + 1));
                var d21 = FloatVector.fromArray(F, planes, eo + f + s);
                var d22 = FloatVector.fromArray(F, planes, ee + f + s + 1);
                var h21 = d21.add(d22);
                var h22 = d22.sub(d21);
                var h23 = d21.sub(FloatVector.fromArray(F, planes, eo + f + s + 1));

                var h30 = FloatVector.fromArray(F, planes, oe + f + s).sub(FloatVector.fromArray(F, planes, oe + f + s + 1));
                var d31 = FloatVector.fromArray(F, planes, oo + f + s);
                var d32 = FloatVector.fromArray(F, planes, oe + f + s + 1);
                var h31 = d31.add(d32);
                var h32 = d32.sub(d31);
                var h33 = d31.sub(FloatVector.fromArray(F, planes, oo + f + s + 1));

                h00.sub(h20).intoArray(v, dst);
                h01.sub(h21).intoArray(v, dst + xiStride);
                h02.sub(h22).intoArray(v, dst + 2 * xiStride);
                h03.sub(h23).intoArray(v, dst + 3 * xiStride);
                h10.add(h20).intoArray(v, dst + 4 * xiStride);
                h11.add(h21).intoArray(v, dst + 5 * xiStride);
                h12.add(h22).intoArray(v, dst + 6 * xiStride);
                h13.add(h23).intoArray(v, dst + 7 * xiStride);
                h20.sub(h10).intoArray(v, dst + 8 * xiStride);
                h21.sub(h11).intoArray(v, dst + 9 * xiStride);
                h22.sub(h12).intoArray(v, dst + 10 * xiStride);
                h23.sub(h13).intoArray(v, dst + 11 * xiStride);
                h10.sub(h30).intoArray(v, dst + 12 * xiStride);
                h11.sub(h31).intoArray(v, dst + 13 * xiStride);
                h12.sub(h32).intoArray(v, dst + 14 * xiStride);
                h13.sub(h33).intoArray(v, dst + 15 * xiStride);
            }
        }
    }

    /**
     * Y = Aᵀ·M·A (+ bias) for the chunk's tiles, into z: output (2·ty + a, 2·tx + b) of channel k at
     * z[(2k + a)·2·columns + 2f + b], f = ty·S + tx, so that each row pair's two outputs per tile are one zip.
     */
    private static void transformOutput(int kk, int kr, Tiles t, float[] m, int f0, float[] bias, int bOff, float[] z) {
        int xiStride = mStride(kr);
        int zRow = 2 * t.columns();
        float[] y = new float[4 * L];
        for (int k = 0; k < kk; k++) {
            var b = FloatVector.broadcast(F, bias == null ? 0f : bias[bOff + k]);
            boolean withBias = bias != null;
            for (int j = 0; j < CHUNK; j += L) {
                outputTransform(m, k * CHUNK + j, xiStride, withBias ? b : null, y);
                var y00 = FloatVector.fromArray(F, y, 0);
                var y01 = FloatVector.fromArray(F, y, L);
                var y10 = FloatVector.fromArray(F, y, 2 * L);
                var y11 = FloatVector.fromArray(F, y, 3 * L);
                int row0 = 2 * k * zRow + 2 * (f0 + j);
                ZIP_LO.selectFrom(y00, y01).intoArray(z, row0);
                ZIP_HI.selectFrom(y00, y01).intoArray(z, row0 + L);
                ZIP_LO.selectFrom(y10, y11).intoArray(z, row0 + zRow);
                ZIP_HI.selectFrom(y10, y11).intoArray(z, row0 + zRow + L);
            }
        }
    }

    /**
     * Y = Aᵀ·M·A (+ b when not null) for one vector of M's lanes from {@code at}, the 16 transforms ξ
     * {@code xiStride} apart: y00, y01, y10, y11 into y[0 … 4L). Both layouts call it, so that they keep one order
     * of operations and give the same bits.
     */
    private static void outputTransform(float[] m, int at, int xiStride, FloatVector b, float[] y) {
        // Along the rows of M: t0 = m0 + m1 + m2, t1 = m1 − m2 − m3 (per column of M).
        var m00 = FloatVector.fromArray(F, m, at);
        var m01 = FloatVector.fromArray(F, m, at + xiStride);
        var m02 = FloatVector.fromArray(F, m, at + 2 * xiStride);
        var m03 = FloatVector.fromArray(F, m, at + 3 * xiStride);
        var m10 = FloatVector.fromArray(F, m, at + 4 * xiStride);
        var m11 = FloatVector.fromArray(F, m, at + 5 * xiStride);
        var m12 = FloatVector.fromArray(F, m, at + 6 * xiStride);
        var m13 = FloatVector.fromArray(F, m, at + 7 * xiStride);
        var m20 = FloatVector.fromArray(F, m, at + 8 * xiStride);
        var m21 = FloatVector.fromArray(F, m, at + 9 * xiStride);
        var m22 = FloatVector.fromArray(F, m, at + 10 * xiStride);
        var m23 = FloatVector.fromArray(F, m, at + 11 * xiStride);
        var m30 = FloatVector.fromArray(F, m, at + 12 * xiStride);
        var m31 = FloatVector.fromArray(F, m, at + 13 * xiStride);
        var m32 = FloatVector.fromArray(F, m, at + 14 * xiStride);
        var m33 = FloatVector.fromArray(F, m, at + 15 * xiStride);
        var t00 = m00.add(m10).add(m20);
        var t01 = m01.add(m11).add(m21);
        var t02 = m02.add(m12).add(m22);
        var t03 = m03.add(m13).add(m23);
        var t10 = m10.sub(m20).sub(m30);
        var t11 = m11.sub(m21).sub(m31);
        var t12 = m12.sub(m22).sub(m32);
        var t13 = m13.sub(m23).sub(m33);
        var y00 = t00.add(t01).add(t02);
        var y01 = t01.sub(t02).sub(t03);
        var y10 = t10.add(t11).add(t12);
        var y11 = t11.sub(t12).sub(t13);
        if (b != null) {
            y00 = y00.add(b);
            y01 = y01.add(b);
            y10 = y10.add(b);
            y11 = y11.add(b);
        }
        y00.intoArray(y, 0);
        y01.intoArray(y, L);
        y10.intoArray(y, 2 * L);
        y11.intoArray(y, 3 * L);
    }

    /**
     * Images first … first + n − 1 of out from z: output row p = 2·ty + a of channel k of the block's image i is z's
     * row 2k + a from 2·(i·(TP + 1)·S + ty·S) on.
     */
    private static void copyOut(Conv2dGeometry g, Tiles t, float[] z, int first, int n, float[] out, int outOff) {
        int pp = g.outHeight();
        int qq = g.outWidth();
        int kk = g.outChannels();
        int zRow = 2 * t.columns();
        for (int i = 0; i < n; i++) {
            int zAt = 2 * i * t.imageStride();
            int outBase = outOff + (first + i) * kk * pp * qq;
            for (int k = 0; k < kk; k++) {
                for (int p = 0; p < pp; p++) {
                    System.arraycopy(z, (2 * k + (p & 1)) * zRow + zAt + 2 * (p >> 1) * t.s(), out,
                            outBase + (k * pp + p) * qq, qq);
                }
            }
        }
    }
}
