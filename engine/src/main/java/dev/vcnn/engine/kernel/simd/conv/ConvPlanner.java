package dev.vcnn.engine.kernel.simd.conv;

import dev.vcnn.engine.kernel.Conv2dGeometry;
import dev.vcnn.engine.kernel.ConvPath;
import dev.vcnn.engine.kernel.ConvPlan;
import dev.vcnn.engine.kernel.KernelSettings;
import dev.vcnn.engine.kernel.WinogradBound;
import dev.vcnn.engine.kernel.simd.PartialSums;
import dev.vcnn.engine.kernel.simd.SimdSpecies;
import dev.vcnn.engine.kernel.simd.gemm.SimdGemm;

/**
 * Chooses, from a layer's geometry, the vector width and whether Winograd is switched on, the path of each pass
 * of {@link SimdConv2d}: the one place those rules live. Each pass tries its rows in order and takes the first
 * that holds; each rule carries the measurement that put it there (Zen 4, one core, batch 64 unless stated).
 * {@link SimdConv2d} runs what {@link #plan} says and nothing else, so a test that pins a plan pins the kernel.
 */
public final class ConvPlanner {
    /** Most input channels (per group) of the direct, flat and lane-channel kernels. */
    static final int FEW_CHANNELS = 8;
    /** Largest R·S of a single-channel direct forward (a 7×7 kernel and a bit). */
    static final int MAX_SINGLE_CHANNEL_TAPS = 64;
    /** Largest C·R·S of a narrow or few-output direct forward. */
    static final int MAX_NARROW_TAPS = 512;
    /** Most output channels of a narrow direct forward. */
    static final int MAX_NARROW_CHANNELS = 64;
    /** Most output channels of the few-output direct forward. */
    static final int MAX_FEW_OUTPUTS = 3;
    /** Fewest input channels for an input gradient as a padded-rows forward pass of the transposed layer. */
    static final int MIN_TRANSPOSED_CHANNELS = 16;
    /** Fewest Winograd tiles (2×2 outputs each) in one call, over the whole batch. */
    static final int MIN_WINOGRAD_TILES = 100;
    /** Most output positions per image on the image-block paths: 8×8. */
    static final int BLOCKED_MAX_PLANE = 64;
    /**
     * Most output positions per image whose weight gradient runs im2col of the batch and one GEMM rather than on
     * image blocks: 2×2. The blocks there are one block of padded columns, one part, summed on one thread;
     * 256 → 256 at 2×2, batch 64, input and weight gradient 10–11.3 → 8.8–9.0 ms on one core, 9.1 → 7.6–8.6 on
     * two. At 4×4 the blocks stay ahead on one core (6.5–7.1 against 9.1).
     */
    static final int IM2COL_WEIGHT_GRADIENT_MAX_PLANE = 4;

    private final int lanes;
    private final boolean winograd;

    /**
     * A planner for vectors of {@code bits} (128, 256 or 512) with Winograd on or off.
     *
     * @throws IllegalArgumentException for another width
     */
    public ConvPlanner(int bits, boolean winograd) {
        if (bits != 128 && bits != 256 && bits != 512) {
            throw new IllegalArgumentException("conv planner: vector width must be 128, 256 or 512 bits but was " + bits);
        }
        this.lanes = bits / 32;
        this.winograd = winograd;
    }

    /** The planner of this JVM's kernels: {@link SimdSpecies#F}'s width, {@code vcnn.conv.winograd}. */
    static ConvPlanner forThisJvm() {
        return new ConvPlanner(SimdSpecies.F.vectorBitSize(), KernelSettings.winogradEnabled());
    }

    /**
     * The path of every pass of a layer with geometry {@code g}: of its {@link LiveTaps#cropped} layer where some
     * taps read only padding, since that is the layer the passes run.
     */
    public ConvPlan plan(Conv2dGeometry g) {
        LiveTaps live = LiveTaps.of(g);
        if (live != null) {
            g = live.cropped();
        }
        ConvPath transposed = inputGradientAsTransposed(g);
        if (unrolled(g)) {
            return new ConvPlan(ConvPath.UNROLLED, ConvPath.UNROLLED, false, ConvPath.UNROLLED);
        }
        ConvPath input = depthwise(g) ? ConvPath.DEPTHWISE : transposed != null ? transposed : inputGradientOnGemm(g);
        return new ConvPlan(forward(g), input, transposed != null, weightGradient(g));
    }

    // ---- forward ----

    /** The forward path: the first row that holds. */
    ConvPath forward(Conv2dGeometry g) {
        return forward(g, true);
    }

    /**
     * {@link #forward(Conv2dGeometry)}, where {@code layerWeights} is false for weights made afresh on every call
     * (an input gradient's flipped filters), which no transform kept between calls would serve.
     */
    private ConvPath forward(Conv2dGeometry g, boolean layerWeights) {
        if (depthwise(g)) {
            return ConvPath.DEPTHWISE;
        }
        // Not for a transposed layer's forward pass as an input gradient: that path was measured on the layer itself.
        if (layerWeights && unrolled(g)) {
            return ConvPath.UNROLLED;
        }
        if (winograd(g) || layerWeights && winogradOnTileRows(g)) {
            return ConvPath.WINOGRAD;
        }
        if (imageBlocks(g)) {
            return ConvPath.IMAGE_BLOCKS;
        }
        if (flatForward(g)) {
            return ConvPath.FLAT;
        }
        if (directForward(g) && !pointwiseOnNarrowRows(g)) {
            return ConvPath.DIRECT;
        }
        if (paddedRowsForward(g)) {
            return ConvPath.PADDED_ROWS;
        }
        if (phasedRowsForward(g)) {
            return ConvPath.PHASED_ROWS;
        }
        return pointwise(g) ? ConvPath.POINTWISE : ConvPath.IM2COL;
    }

    /**
     * Winograd where {@link WinogradBound#allowed} (3×3, stride 1, one group, C and K ≥ 16), unless switched off,
     * with more than {@link #BLOCKED_MAX_PLANE} outputs per image and at most 1.5 columns computed per tile.
     * Smaller planes waste more on junk tiles ((TP + 1)·(TQ + 1) computed for TP·TQ: 25 for 16 at 8×8) and
     * measured level with the image blocks (32 → 64 at 8×8, forward 1.83 against 1.87–1.89 ms), while from
     * 16×16 on they gain (16 → 32: 1.81 against 1.92 ms; VGG 64 → 64 at 56×56, batch 8: 11.3 against 18.6 ms).
     * One 16×16 image takes two chunks for 64 tiles, and VGG11 at batch 1 (64 → 128 at 16×16) measured no
     * faster than the direct path: the 1.5-column limit. At least {@link #MIN_WINOGRAD_TILES} tiles per call, or a
     * batch of at most {@link WinogradConv2d#KEPT_FILTERS_MAX_BATCH}, whose calls keep the filters' transforms while
     * the weights stay the same. A transform paid on every call made one 14×14 image (49 tiles) run at 56–61
     * GFLOP/s with 64, 128 and 256 channels against 95–122 on im2col (one Zen 5 core); 20×20 with 48 channels (100
     * tiles) 134 against 83; 28×28 (196) level, 56×56 ahead (64 and 128 channels: 163 / 276 against 120 / 154).
     * With the transforms kept, ResNet's 256 → 256 at 14×14, batch 1, ran at 192–206 against 103–104 GFLOP/s on
     * im2col on one core and 252–255 against 155–159 on two (Intel Xeon, ConvBench).
     */
    boolean winograd(Conv2dGeometry g) {
        return winograd && WinogradBound.allowed(g) && g.outPlane() > BLOCKED_MAX_PLANE
                && ((long) g.batch() * ((g.outHeight() + 1) / 2) * ((g.outWidth() + 1) / 2) >= MIN_WINOGRAD_TILES
                    || g.batch() <= WinogradConv2d.KEPT_FILTERS_MAX_BATCH)
                && WinogradConv2d.fillsChunks(g, WinogradConv2d.chunk(lanes));
    }

    /**
     * Winograd on small planes with the tiles as the GEMM's rows ({@link WinogradConv2d#tileRows}): a layer's own
     * weights only, whose transforms the calls keep. Batch 1, one Zen 4 core, against the path taken before
     * (im2col): 256 → 256 at 7×7 0.84 → 0.47 ms, 128 → 128 at 8×8 0.25 → 0.14, 512 → 512 at 7×7 3.24 → 2.63
     * (the transforms U, 16 MiB, stream from memory on every call); batch 2 and 4 against the image blocks
     * 6.23 → 4.57 and 10.5 → 8.3 ms.
     */
    boolean winogradOnTileRows(Conv2dGeometry g) {
        return winograd && WinogradBound.allowed(g) && WinogradConv2d.tileRows(g);
    }

    /**
     * Image blocks for stride 1, one group, several images, not pointwise, output planes of at most
     * {@link #BLOCKED_MAX_PLANE}: 32 → 64 at 8×8, forward 2.9 → 2.0 ms and its input gradient 2.7 → 2.1 ms
     * against one GEMM per image (N = P·Wp = 80, all of W packed for each); weight gradient (CIFAR CNN conv3)
     * 2.9 → 2.4 ms against im2col of the batch and one GEMM. Not for a 1×1 output plane (ResNet-18's layer4 at
     * 32×32), where the padded block wastes two of every three columns and the im2col GEMM on image columns
     * ({@link #gemmOnImageColumns}) is ahead: 512 → 512, batch 64, input and weight gradient 21–25 → 10–11 ms on
     * one core and 24 → 10–11 on two, the forward level.
     */
    static boolean imageBlocks(Conv2dGeometry g) {
        return g.outPlane() > 1 && g.groups() == 1 && stride1(g) && g.batch() >= 2 && !pointwise(g) && g.outPlane() <= BLOCKED_MAX_PLANE;
    }

    /**
     * Flattened positions for one group, stride 1, at most {@link #FEW_CHANNELS} input channels, at least 4
     * output channels (two thirds of a 6-channel tile) and output rows of at least one vector: a vector runs
     * across row ends instead of leaving the tail of every row's last vector empty.
     */
    boolean flatForward(Conv2dGeometry g) {
        return g.groups() == 1 && stride1(g) && g.inChannels() <= FEW_CHANNELS && g.outChannels() >= 4
                && g.outWidth() >= lanes;
    }

    /**
     * The direct forward for stride 1, no dilation, one group, and one input channel (R·S ≤
     * {@link #MAX_SINGLE_CHANNEL_TAPS}), narrow rows ({@link #narrow}) or few outputs ({@link #fewOutputs}):
     * im2col + GEMM is mostly copying there. LeNet conv1 33 GFLOP/s against 19; LeNet conv2 (6 → 16, 14×14)
     * 0.48 against 1.24 ms.
     */
    boolean directForward(Conv2dGeometry g) {
        boolean plain = g.groups() == 1 && stride1(g) && g.dilationH() == 1 && g.dilationW() == 1;
        return plain && (g.inChannels() == 1 && g.kernelH() * g.kernelW() <= MAX_SINGLE_CHANNEL_TAPS
                || narrow(g, lanes)
                || fewOutputs(g, lanes));
    }

    /**
     * A 1×1 layer that the direct forward would take only for its narrow rows: its GEMM (the input itself as the
     * operand) is ahead there. MobileNetV2's 384 → 64 at 14×14, three layers, forward: batch 1, one thread 0.59 →
     * 0.28 ms; batch 32, one thread 13.1 → 9.8 ms, two 7.6 → 5.2 (Intel Xeon).
     */
    private boolean pointwiseOnNarrowRows(Conv2dGeometry g) {
        return pointwise(g) && g.inChannels() > 1 && !fewOutputs(g, lanes);
    }

    /**
     * Output rows of at most one vector in a small layer (LeNet's second convolution, 14 → 10 columns, and its
     * input gradient, 10 → 14). The limits on C·R·S and K keep wide layers with small late feature maps (VGG's
     * 512 channels at 7×7, where one vector is half empty) on the GEMM.
     */
    static boolean narrow(Conv2dGeometry g, int lanes) {
        return g.outWidth() <= lanes && g.taps() <= MAX_NARROW_TAPS && g.outChannels() <= MAX_NARROW_CHANNELS;
    }

    /**
     * At most {@link #MAX_FEW_OUTPUTS} output channels and rows of at most two vectors: the input gradients of
     * first layers, run as the transposed layer (LeNet conv1: 6 → 1 channel, 24 → 28 columns; a CIFAR first
     * layer: 32 → 3 at 32×32), and final layers back to an image (autoencoders). A GEMM there has M = K ≤ 3
     * rows. One output channel needs R ≥ 3 (the four-row kernel's step).
     */
    static boolean fewOutputs(Conv2dGeometry g, int lanes) {
        return g.outChannels() <= MAX_FEW_OUTPUTS && g.outWidth() <= 2 * lanes && g.taps() <= MAX_NARROW_TAPS
                && (g.outChannels() > 1 || g.kernelH() >= 3);
    }

    /**
     * Padded rows for several images (each GEMM on one thread), not pointwise, where {@link #paddedRowsFit}:
     * 3×3, pad 1, one thread, 256 → 256 at 8×8 (2 of 10 columns wasted) 56 GFLOP/s against 67 with im2col;
     * 16×16 level (86 / 88, 84 / 80); 28×28 and 56×56 ahead (VGG 64 → 64 at 56×56, batch 8: 23.5 → 19 ms).
     */
    static boolean paddedRowsForward(Conv2dGeometry g) {
        return paddedRowsFit(g) && g.batch() >= 2 && !pointwise(g);
    }

    /**
     * Phased rows for a strided layer ({@link SimdConv2d.PhasedRows}) whose im2col would copy every input value at
     * least four times (R·S ≥ 4·sh·sw), with at most 1/5 of the phase width past the output row. ResNet's stem
     * (3 → 64, 7×7 at stride 2, 224×224, batch 1) 4.6 → 3.3 ms on one core and 3.0–3.2 → 2.5–2.7 on two (Intel
     * Xeon); at 32×32 (16 outputs per row on 19 phase columns) batch 64 5.0 → 4.05 ms on one core and 2.5 → 2.0 on
     * two, batch 8 0.60 → 0.50, batch 1 0.075 → 0.062 (Zen 4). Its 3×3 layers at stride 2 (2.25 copies) ran level
     * on one core and up to 1.3× slower on two, where the GEMM's packed path splits them better, and its 1×1 ones
     * slower on both: copying the four phases of an input of which one is read cost more than the im2col it saves.
     */
    static boolean phasedRowsForward(Conv2dGeometry g) {
        if (stride1(g) || g.kernelH() * g.kernelW() < 4 * g.strideH() * g.strideW()) {
            return false;
        }
        int width = SimdConv2d.PhasedRows.width(g);
        return 5 * (width - g.outWidth()) <= width;
    }

    /**
     * What both padded-rows passes need: stride 1, at most {@link SimdGemm#PANEL_BY_PANEL_MAX_M} output channels
     * per group (their GEMMs pack all of A at once), at most 1/8 of the padded width wasted on padding columns.
     */
    static boolean paddedRowsFit(Conv2dGeometry g) {
        return stride1(g) && g.outChannelsPerGroup() <= SimdGemm.PANEL_BY_PANEL_MAX_M
                && 8 * (g.paddedWidth() - g.width()) <= g.paddedWidth();
    }

    /**
     * The GEMM paths (im2col, pointwise; the input gradient's Wᵀ · gradOut) on blocks of images side by side for
     * one group, several images and output planes of at most half {@link SimdConv2d#BLOCK_COLUMNS}: one GEMM per
     * image there has N = PQ (1 for ResNet-18's layer4 at 32×32) and packs all of W for every image.
     */
    static boolean gemmOnImageColumns(Conv2dGeometry g) {
        return g.groups() == 1 && g.batch() >= 2 && 2 * g.outPlane() <= SimdConv2d.BLOCK_COLUMNS;
    }

    /**
     * {@link #gemmOnImageColumns} for the forward pass: a pointwise layer's own input is its GEMM operand, and
     * gathering it pays only up to {@link #BLOCKED_MAX_PLANE} positions (batch 32, one core: 160 → 960 and
     * 320 → 1280 at 7×7 5.6 → 4.6–5.2 and 14.2 → 10.6–11.6 ms; 64 → 384 at 14×14 4.2 → 4.6, so not there).
     */
    static boolean forwardOnImageColumns(Conv2dGeometry g) {
        return gemmOnImageColumns(g) && (!pointwise(g) || g.outPlane() <= BLOCKED_MAX_PLANE);
    }

    // ---- input gradient ----

    /** {@link #gemmOnImageColumns} for the input gradient, with {@link #forwardOnImageColumns}'s pointwise limit. */
    static boolean inputGradientOnImageColumns(Conv2dGeometry g) {
        return forwardOnImageColumns(g);
    }

    /**
     * The transposed layer's forward path when the input gradient runs as that layer's forward pass, else null.
     * Those paths spare the input gradient col2im (scalar adds of short rows). With few input channels a padded-
     * rows GEMM there has M = C rows (1 or 3 for a first layer) and loses to Wᵀ · gradOut + col2im (CIFAR conv1:
     * 5.3 against 3.2 ms); from {@link #MIN_TRANSPOSED_CHANNELS} on it wins.
     */
    ConvPath inputGradientAsTransposed(Conv2dGeometry g) {
        if (!g.transposable() || depthwise(g)) {
            return null;
        }
        Conv2dGeometry t = g.transposed();
        boolean takes = winograd(t) || imageBlocks(t) || directForward(t)
                || paddedRowsForward(t) && g.inChannels() >= MIN_TRANSPOSED_CHANNELS;
        return takes ? forward(t, false) : null;
    }

    /** Otherwise Wᵀ · gradOut: straight into gradIn for a pointwise layer, else into columns for col2im. */
    static ConvPath inputGradientOnGemm(Conv2dGeometry g) {
        return pointwise(g) ? ConvPath.POINTWISE : ConvPath.COL2IM;
    }

    // ---- weight gradient ----

    /** The weight-gradient path: the first row that holds. */
    ConvPath weightGradient(Conv2dGeometry g) {
        if (g.batch() == 0) {
            return ConvPath.NONE;
        }
        if (depthwise(g)) {
            return ConvPath.DEPTHWISE;
        }
        if (positionless(g)) {
            return ConvPath.POINTWISE;
        }
        if (unrolled(g)) {
            return ConvPath.UNROLLED;
        }
        if (laneChannels(g)) {
            return ConvPath.LANE_CHANNELS;
        }
        if (flatWeightGradient(g)) {
            return ConvPath.FLAT;
        }
        if (directWeightGradient(g)) {
            return ConvPath.DIRECT;
        }
        if (imageBlocks(g) && g.outPlane() > IM2COL_WEIGHT_GRADIENT_MAX_PLANE) {
            return channelSlabs(g) ? ConvPath.IMAGE_BLOCKS_CHANNEL_SLABS : ConvPath.IMAGE_BLOCKS;
        }
        if (weightGradientPartsOnPaddedRows(g) >= 2) {
            return channelSlabs(g) ? ConvPath.PADDED_ROWS_CHANNEL_SLABS : ConvPath.PADDED_ROWS;
        }
        return ConvPath.IM2COL;
    }

    /**
     * Output channels along the lanes for one group, K exactly one vector, at most {@link #FEW_CHANNELS} input
     * channels and output rows of at most one vector: on wider rows the row kernel is ahead (a CIFAR CNN's first
     * layer, 3 → 16 at 32×32: 1.04 ms there against 2.09 here; LeNet conv2, 10 wide: 1.03 here against 0.50).
     */
    boolean laneChannels(Conv2dGeometry g) {
        return g.groups() == 1 && g.outChannels() == lanes && g.inChannels() <= FEW_CHANNELS && g.outWidth() <= lanes;
    }

    /**
     * Flattened positions for one group, stride 1, few input channels, and more useful FMAs than the row
     * kernel's tiles would do (see {@link #usefulFraction}). At 512 bits, ms (row kernel → here): LeNet conv1
     * (1 → 6, 28×28, 5×5) 0.36 → 0.25; 1 → 32 at 28×28 1.56 → 1.39; 3 → 32 4.24 → 3.33; 8 → 64 23.1 → 15.9;
     * 3 → 16 at 26×26, 3×3, 0.77 → 0.67. A CIFAR first layer (3 → 32, 32×32, 3×3, rows of two whole vectors)
     * stays on the row kernel: 2.1 there, 3.7 here.
     */
    boolean flatWeightGradient(Conv2dGeometry g) {
        return g.groups() == 1 && stride1(g) && g.inChannels() <= FEW_CHANNELS
                && usefulFraction(g) > rowKernelUsefulFraction(g);
    }

    /** The share of the flat kernel's FMAs that are not on padding positions, repeated channels or repeated taps. */
    private double usefulFraction(Conv2dGeometry g) {
        int positions = g.outHeight() * g.paddedWidth();
        return (double) g.outHeight() * g.outWidth() / roundUp(positions, lanes)
                * g.outChannels() / roundUp(g.outChannels(), FlatWeightGradient.KT)
                * g.taps() / roundUp(g.taps(), FlatWeightGradient.TT);
    }

    /** The same for the row kernel: rows in whole vectors, tiles of channels × taps of a filter row. */
    private double rowKernelUsefulFraction(Conv2dGeometry g) {
        return (double) g.outWidth() / roundUp(g.outWidth(), lanes)
                * g.outChannels() / roundUp(g.outChannels(), DirectWeightGradient.KT)
                * g.kernelW() / roundUp(g.kernelW(), DirectWeightGradient.ST);
    }

    /**
     * The row kernel for unit horizontal stride, filter rows of at least 2 and at most {@link #FEW_CHANNELS}
     * input channels per group, against im2col + GEMM (ms): LeNet conv1 0.42 against 0.46–0.57, LeNet conv2
     * 1.0 against 1.1, CIFAR first layer 2.5 against 3.6. With 64 and 128 channels (VGG 56×56, 28×28, batch 8)
     * it is level with the GEMM (39 against 36, 28.6 against 29.6), whose column matrix is then shared by many
     * output channels, so those stay on the GEMM.
     */
    static boolean directWeightGradient(Conv2dGeometry g) {
        return g.strideW() == 1 && g.kernelW() >= 2 && g.inChannelsPerGroup() <= FEW_CHANNELS;
    }

    /**
     * Output channels along the lanes in the weight gradient on image blocks or padded rows when they fill whole
     * tiles of two slabs (2·NR each): the GEMM would transpose the column matrix. VGG 64 → 64 at 56×56, batch 8:
     * 21–22 → 18.5–19.5 ms; 128 → 128 at 28×28 20.2 → 19.5.
     */
    boolean channelSlabs(Conv2dGeometry g) {
        return g.outChannelsPerGroup() % (2 * SimdGemm.nr(lanes)) == 0;
    }

    /**
     * The parts the padded-rows weight gradient splits the batch into, from the geometry alone: one per image up
     * to {@link PartialSums#MAX_PARTS}, fewer when the partial gradients would pass
     * {@link SimdConv2d#PARTIAL_FLOATS}; 0 where the path does not fit ({@link #paddedRowsFit}). With fewer than
     * two parts im2col of the batch and one GEMM keep all threads busy. VGG 64 → 64 at 56×56, batch 8: 25 → 20 ms
     * (im2col wrote and read back 58 MB of columns).
     */
    static int weightGradientPartsOnPaddedRows(Conv2dGeometry g) {
        if (!paddedRowsFit(g)) {
            return 0;
        }
        long total = (long) g.outChannels() * g.taps();
        return (int) Math.min(Math.min(g.batch(), PartialSums.MAX_PARTS), SimdConv2d.PARTIAL_FLOATS / total);
    }

    // ---- shared ----

    /**
     * Depthwise: one input and one output channel in each of several groups (MobileNetV2's 3×3 layers). Those
     * ran one GEMM of M = 1 per channel: 144 channels at 56×56, batch 1, forward 10 GFLOP/s at stride 1 and
     * 2.6 at stride 2 on one Zen 5 core (FMA peak 209).
     */
    static boolean depthwise(Conv2dGeometry g) {
        return g.groups() >= 2 && g.inChannels() == g.groups() && g.outChannels() == g.groups();
    }

    static boolean stride1(Conv2dGeometry g) {
        return g.strideH() == 1 && g.strideW() == 1;
    }

    /** 1×1, stride 1, no padding: the input is its own column matrix. */
    /**
     * A pointwise layer, one group, on 1×1 planes: input [N, C], output [N, K] as a linear layer's, so each pass is
     * one GEMM on the caller's arrays (ResNet-18's cropped layer4 at 32×32; the image columns' gathers of one float
     * per image and channel took half of such a layer's forward).
     */
    static boolean unrolled(Conv2dGeometry g) {
        return g.groups() == 1 && g.inPlane() < g.kernelH() * g.kernelW() && g.batch() >= UNROLLED_MIN_BATCH
                && UnrolledConv2d.floats(g) <= UNROLLED_MAX_FLOATS;
    }

    /**
     * Fewest images for {@link #unrolled}: the matrix is made on every call, so the batches whose Winograd keeps
     * its filters' transforms between calls stay there.
     */
    static final int UNROLLED_MIN_BATCH = WinogradConv2d.KEPT_FILTERS_MAX_BATCH + 1;
    /** Largest unrolled matrix: 4 Mi floats (16 MiB), 1 Mi for 256 → 256 at 2×2. */
    static final long UNROLLED_MAX_FLOATS = 1 << 22;

    static boolean positionless(Conv2dGeometry g) {
        return pointwise(g) && g.groups() == 1 && g.inPlane() == 1;
    }

    static boolean pointwise(Conv2dGeometry g) {
        return g.kernelH() == 1 && g.kernelW() == 1 && stride1(g)
                && g.padTop() == 0 && g.padBottom() == 0 && g.padLeft() == 0 && g.padRight() == 0;
    }

    private static int roundUp(int n, int step) {
        return (n + step - 1) / step * step;
    }
}
