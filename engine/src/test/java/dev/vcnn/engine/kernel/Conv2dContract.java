package dev.vcnn.engine.kernel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;

import dev.vcnn.engine.kernel.ConvPlan.Pass;
import dev.vcnn.engine.kernel.simd.conv.ConvPlanner;
import dev.vcnn.engine.parallel.Parallelism;
import dev.vcnn.engine.testing.Bounds;
import dev.vcnn.engine.testing.Gens;
import java.util.Arrays;
import java.util.List;
import java.util.function.IntToDoubleFunction;
import org.junit.jupiter.api.Test;
import org.quicktheories.core.Gen;
import org.quicktheories.generators.Generate;

/**
 * The contract of {@link Conv2d}, against every implementation and forced vector width. The oracle
 * enumerates every tap (n, k, p, q, c, r, s) of the definition once and builds, for each output of
 * forward, backward-input and backward-weight, the exact sum (in double), the sum of |terms| and the
 * term count t; each result must lie within {@code 2·(t+1)·2⁻²⁴·Σ|terms|}.
 */
public abstract class Conv2dContract {
    private static final Parallelism TWO_THREADS = Parallelism.of(2);

    protected abstract Conv2d impl();

    /** A geometry plus a data seed; built so that the dilated kernel always fits the padded input. */
    record Case(Conv2dGeometry g, boolean bias, long seed) {
        @Override
        public String toString() {
            return g + ", bias=" + bias + ", seed=" + seed;
        }
    }

    private static Gen<Case> cases() {
        Gen<int[]> channels = Generate.pick(List.of(1, 2, 3, 4, 6)).zip(integers().between(1, 3), integers().between(0, 3),
                (c, kMul, groupPick) -> {
                    int[] divisors = java.util.stream.IntStream.rangeClosed(1, c).filter(d -> c % d == 0).toArray();
                    int groups = divisors[groupPick % divisors.length];
                    return new int[] {c, groups * kMul * (groupPick == 3 ? 1 : 2), groups};
                });
        Gen<int[]> kernel = Generate.pick(List.of(1, 1, 2, 3, 3, 5)).zip(Generate.pick(List.of(1, 2, 3, 4)),
                integers().between(1, 3), integers().between(1, 2),
                (r, s, stride, dilation) -> new int[] {r, s, stride, dilation});
        Gen<int[]> extra = integers().between(0, 9).zip(integers().between(0, 9), integers().between(0, 4), integers().between(0, 4),
                (eh, ew, padPick, batchPick) -> new int[] {eh, ew, padPick, batchPick});
        return channels.zip(kernel, extra, Gens.seeds(), (ch, kn, ex, seed) -> {
            int r = kn[0];
            int s = kn[1];
            int stride = kn[2];
            int dilation = kn[3];
            int padH = Math.min(r - 1, ex[2]);
            int padW = Math.min(s - 1, (ex[2] + 1) % s);
            int spanH = dilation * (r - 1) + 1;
            // Half the cases use the same stride and dilation on both axes (the common layer), half differ.
            boolean square = (seed & 1) == 0;
            int dilationW = square ? dilation : ex[3] % 2 + 1;
            int strideW = square ? stride : (stride % 3) + 1;
            int spanW = dilationW * (s - 1) + 1;
            int h = Math.max(1, spanH - 2 * padH + ex[0]);
            int w = Math.max(1, spanW - padW - (padW + 1) / 2 + ex[1]);
            int batch = 1 + ex[3] % 3;
            var g = new Conv2dGeometry(batch, ch[0], h, w, ch[1], r, s, stride, strideW,
                    padH, padH, padW, (padW + 1) / 2, dilation, dilationW, ch[2]);
            return new Case(g, (seed >> 1) % 3 != 0, seed);
        });
    }

    /** Every vector width the SIMD kernels run at. */
    static final int[] ALL_WIDTHS = {128, 256, 512};

    /**
     * Fails unless the SIMD planner sends {@code pass} of {@code g} down {@code path} at each of {@code bits} (with
     * Winograd on): the path a case is there to exercise, so that a change to the planner's rules fails here
     * instead of quietly moving the case to another path. For an input gradient, a forward path means the
     * transposed layer's forward pass.
     */
    static void exercises(Conv2dGeometry g, Pass pass, ConvPath path, int... bits) {
        for (int b : bits) {
            ConvPath actual = new ConvPlanner(b, true).plan(g).path(pass);
            if (actual != path) {
                throw new AssertionError(pass + " of " + g + " at " + b + " bits is planned on " + actual + ", not "
                        + path + ", the path this case is there to exercise");
            }
        }
    }

    /** Exact sums, absolute sums and term counts for the three products of one case. */
    private static final class Oracle {
        final double[] out;
        final double[] outAbs;
        final int[] outTerms;
        final double[] gIn;
        final double[] gInAbs;
        final int[] gInTerms;
        final double[] gW;
        final double[] gWAbs;
        final int[] gWTerms;

        Oracle(Conv2dGeometry g, float[] in, float[] w, float[] bias, float[] gOut) {
            int outSize = g.outputShape().numel();
            out = new double[outSize];
            outAbs = new double[outSize];
            outTerms = new int[outSize];
            gIn = new double[in.length];
            gInAbs = new double[in.length];
            gInTerms = new int[in.length];
            gW = new double[w.length];
            gWAbs = new double[w.length];
            gWTerms = new int[w.length];
            int cg = g.inChannels() / g.groups();
            int kg = g.outChannels() / g.groups();
            int pp = g.outHeight();
            int qq = g.outWidth();
            for (int n = 0; n < g.batch(); n++) {
                for (int k = 0; k < g.outChannels(); k++) {
                    for (int p = 0; p < pp; p++) {
                        for (int q = 0; q < qq; q++) {
                            int o = ((n * g.outChannels() + k) * pp + p) * qq + q;
                            if (bias != null) {
                                out[o] += bias[k];
                                outAbs[o] += Math.abs(bias[k]);
                                outTerms[o]++;
                            }
                            for (int c = 0; c < cg; c++) {
                                for (int r = 0; r < g.kernelH(); r++) {
                                    int h = p * g.strideH() - g.padTop() + r * g.dilationH();
                                    for (int s = 0; s < g.kernelW(); s++) {
                                        int x = q * g.strideW() - g.padLeft() + s * g.dilationW();
                                        if (h < 0 || h >= g.height() || x < 0 || x >= g.width()) {
                                            continue;
                                        }
                                        int i = ((n * g.inChannels() + (k / kg) * cg + c) * g.height() + h) * g.width() + x;
                                        int wi = ((k * cg + c) * g.kernelH() + r) * g.kernelW() + s;
                                        add(out, outAbs, outTerms, o, (double) in[i] * w[wi]);
                                        add(gIn, gInAbs, gInTerms, i, (double) gOut[o] * w[wi]);
                                        add(gW, gWAbs, gWTerms, wi, (double) gOut[o] * in[i]);
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }

        private static void add(double[] sum, double[] abs, int[] terms, int at, double term) {
            sum[at] += term;
            abs[at] += Math.abs(term);
            terms[at]++;
        }
    }


    @Test
    void forwardAndBothBackwardsMatchTheDefinitionWithinTheFloatBound() {
        qt().withExamples(250).forAll(cases()).checkAssert(this::checkCase);
    }

    /**
     * Layers that may run by Winograd's F(2×2, 3×3) forward and as input gradient (3×3, stride 1, 16–19 channels
     * in and out, planes of 21–26 rows and columns (at least 100 tiles in one image), where the SIMD kernels use it at every width but for a few
     * sizes at 512 bits whose tiles fill their chunks poorly),
     * odd and even output sizes (a half tile at the bottom and right), padding 0–2 on each side independently, 1–3
     * images. The forward and input gradient within the larger of the direct and the Winograd bound, the weight
     * gradient within the direct one.
     */
    @Test
    void winogradSizedLayersMatchTheDefinitionWithinTheirBound() {
        Gen<int[]> sizes = integers().between(16, 19).zip(integers().between(16, 19), integers().between(21, 26),
                integers().between(21, 26), (cc, kk, h, w) -> new int[] {cc, kk, h, w});
        Gen<int[]> pads = integers().between(0, 2).zip(integers().between(0, 2), integers().between(0, 2),
                integers().between(0, 2), (a, b, l, r) -> new int[] {a, b, l, r});
        Gen<Case> cases = sizes.zip(pads, integers().between(1, 3), Gens.seeds(), (sz, pd, batch, seed) ->
                new Case(new Conv2dGeometry(batch, sz[0], sz[2], sz[3], sz[1], 3, 3, 1, 1, pd[0], pd[1], pd[2], pd[3],
                        1, 1, 1), (seed & 1) == 0, seed));
        qt().withExamples(15).forAll(cases).checkAssert(c -> {
            exercises(c.g(), Pass.FORWARD, ConvPath.WINOGRAD, 128, 256);
            exercises(c.g(), Pass.INPUT_GRADIENT, ConvPath.WINOGRAD, 128, 256);
            checkCase(c);
        });
    }

    /**
     * A Winograd layer with 128 input and 130 output channels at batch 1: its filter transform is cut into tasks of
     * output-channel panels on two threads (three of them at MR = 8, the last holding two channels).
     */
    @Test
    void winogradFilterTransformSplitOverThreads() {
        var g = new Conv2dGeometry(1, 128, 20, 20, 130, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1);
        exercises(g, Pass.FORWARD, ConvPath.WINOGRAD, ALL_WIDTHS);
        checkCase(new Case(g, true, 31));
    }

    /**
     * Weights changed in place between calls, or read from another offset of the same array, give the output of
     * the weights the call is given: the SIMD Winograd path keeps its filters' transforms between small-batch calls
     * and must see every change. 16 → 16 at 14×14, batch 1 (one chunk of tiles at 512 bits, whose 16 GEMMs run
     * over the two threads), and 128 → 130, whose 149,760 weights are compared in two parts; two weight sets side
     * by side in one array, the last weight of the first changed.
     */
    @Test
    void forwardReadsWeightsChangedInPlace() {
        for (var g : List.of(new Conv2dGeometry(1, 16, 14, 14, 16, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1),
                new Conv2dGeometry(1, 128, 14, 14, 130, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1))) {
            exercises(g, Pass.FORWARD, ConvPath.WINOGRAD, ALL_WIDTHS);
            int n = g.weightShape().numel();
            float[] in = Gens.floats(71, 0, g.inputShape().numel(), 0);
            float[] bias = Gens.floats(73, 0, g.outChannels(), 0);
            float[] w = Gens.floats(72, 0, 2 * n, 0);
            float[] first = forward(g, in, w, 0, bias);
            assertArrayEquals(first, forward(g, in, w, 0, bias), "the same weights again");
            w[n - 1] += 0.25f;
            float[] changed = forward(g, in, w, 0, bias);
            assertArrayEquals(forward(g, in, w.clone(), 0, bias), changed,
                    "the last weight changed in place, against a copy of the changed weights, " + g);
            assertFalse(Arrays.equals(first, changed),
                    "the last weight changed in place, " + g);
            assertArrayEquals(
                    forward(g, in, Arrays.copyOfRange(w, n, 2 * n), 0, bias), forward(g, in, w, n, bias),
                    "the second set, at offset " + n + " of the same array, " + g);
            assertArrayEquals(changed, forward(g, in, w, 0, bias), "the first set again, " + g);
        }
        checkCase(new Case(new Conv2dGeometry(1, 16, 14, 14, 16, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1), true, 18));
    }

    /**
     * Small planes at the batches that keep their filters' transforms (the SIMD kernel's tiles as its GEMM's rows):
     * 2×2 to 8×8 outputs, padded or not, 16 to 40 channels, batch 1 to 4, within the Winograd bound; and weights
     * changed in place between two calls are seen.
     */
    @Test
    void winogradOnSmallPlanesMatchesTheDefinitionWithinItsBound() {
        Gen<int[]> sizes = integers().between(16, 40).zip(integers().between(16, 40), integers().between(2, 8),
                integers().between(2, 8), (cc, kk, h, w) -> new int[] {cc, kk, h, w});
        Gen<Case> cases = sizes.zip(integers().between(0, 1), integers().between(1, 4), Gens.seeds(),
                (sz, pad, batch, seed) -> new Case(new Conv2dGeometry(batch, sz[0], sz[2] + 2 - 2 * pad,
                        sz[3] + 2 - 2 * pad, sz[1], 3, 3, 1, 1, pad, pad, pad, pad, 1, 1, 1), (seed & 1) == 0, seed));
        qt().withExamples(25).forAll(cases).checkAssert(c -> {
            exercises(c.g(), Pass.FORWARD, ConvPath.WINOGRAD, ALL_WIDTHS);
            checkCase(c);
        });
        var g = new Conv2dGeometry(1, 24, 7, 7, 20, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1);
        float[] in = Gens.floats(81, 0, g.inputShape().numel(), 0);
        float[] w = Gens.floats(82, 0, g.weightShape().numel(), 0);
        float[] first = forward(g, in, w, 0, null);
        w[w.length - 1] += 0.25f;
        assertArrayEquals(forward(g, in, w.clone(), 0, null), forward(g, in, w, 0, null),
                "the last weight changed in place, against a copy of the changed weights");
        assertFalse(Arrays.equals(first, forward(g, in, w, 0, null)), "the last weight changed in place");
    }

    /** One image of 10×10 outputs is one chunk of tiles at 256 bits: its 16 GEMMs run over the two threads. */
    @Test
    void winogradOfOneChunkOverThreads() {
        var g = new Conv2dGeometry(1, 16, 10, 10, 24, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1);
        exercises(g, Pass.FORWARD, ConvPath.WINOGRAD, 128, 256);
        checkCase(new Case(g, true, 19));
    }

    private float[] forward(Conv2dGeometry g, float[] in, float[] w, int wOff, float[] bias) {
        float[] out = new float[g.outputShape().numel()];
        impl().forward(g, in, 0, w, wOff, bias, 0, out, 0, TWO_THREADS);
        return out;
    }

    /**
     * A Winograd-sized layer over 33 images of 14×14 outputs: the SIMD kernel puts two images' tiles in one run of
     * chunks (17 blocks, the last of one image).
     */
    @Test
    void winogradSizedLayerOverImageBlocks() {
        var g = new Conv2dGeometry(33, 16, 14, 14, 17, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1);
        exercises(g, Pass.FORWARD, ConvPath.WINOGRAD, ALL_WIDTHS);
        exercises(g, Pass.INPUT_GRADIENT, ConvPath.WINOGRAD, ALL_WIDTHS);
        checkCase(new Case(new Conv2dGeometry(33, 16, 14, 14, 17, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1), true, 12));
    }

    /**
     * ResNet's stem, 7×7 at stride 2 padded by 3, on phased rows: rows of 23 outputs in phases 26 floats wide, one
     * image, so its columns are cut in two ranges of whole panels for the two threads, the last run's vectors
     * reading past the last phase. The same taps at 3×3 stay on im2col (whole vectors of even input columns and a
     * tail at every width, the last rows' loads ending at the input's end). The stem at 32×32, two images, rows of
     * 16 outputs on 19 phase columns, is on phased rows too.
     */
    @Test
    void stemAtStrideTwoOnPhasedRows() {
        var g = new Conv2dGeometry(1, 3, 45, 45, 64, 7, 7, 2, 2, 3, 3, 3, 3, 1, 1, 1);
        exercises(g, Pass.FORWARD, ConvPath.PHASED_ROWS, ALL_WIDTHS);
        checkCase(new Case(g, true, 13));
        var cifar = new Conv2dGeometry(2, 3, 32, 32, 64, 7, 7, 2, 2, 3, 3, 3, 3, 1, 1, 1);
        exercises(cifar, Pass.FORWARD, ConvPath.PHASED_ROWS, ALL_WIDTHS);
        checkCase(new Case(cifar, false, 15));
        var im2col = new Conv2dGeometry(1, 3, 45, 45, 64, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 1);
        exercises(im2col, Pass.FORWARD, ConvPath.IM2COL, ALL_WIDTHS);
        checkCase(new Case(im2col, false, 14));
    }

    /**
     * One image of 40 channels on im2col: its columns (900 floats per channel) are copied over the two threads in
     * two channel ranges, 36 channels and 4.
     */
    @Test
    void im2colOfOneImageSplitOverChannels() {
        var g = new Conv2dGeometry(1, 40, 20, 20, 24, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 1);
        exercises(g, Pass.FORWARD, ConvPath.IM2COL, ALL_WIDTHS);
        checkCase(new Case(g, true, 17));
    }

    /**
     * Phased rows beyond the stem: 260 output channels (a row block of 256 and one of 4, each its own GEMM) over
     * two images at strides 2 × 1 with asymmetric padding; two groups of a dilated 5×5 kernel at strides 2 × 3,
     * whose taps fall in all six phases.
     */
    @Test
    void phasedRowsOverRowBlocksGroupsAndUnequalStrides() {
        var rowBlocks = new Conv2dGeometry(2, 2, 9, 16, 260, 3, 3, 2, 1, 1, 0, 0, 1, 1, 1, 1);
        var grouped = new Conv2dGeometry(1, 4, 17, 19, 6, 5, 5, 2, 3, 2, 1, 3, 2, 2, 1, 2);
        exercises(rowBlocks, Pass.FORWARD, ConvPath.PHASED_ROWS, ALL_WIDTHS);
        exercises(grouped, Pass.FORWARD, ConvPath.PHASED_ROWS, ALL_WIDTHS);
        checkCase(new Case(rowBlocks, true, 15));
        checkCase(new Case(grouped, false, 16));
    }

    /**
     * Found by the finite-difference property: with padLeft 2 and dilation 2, the first tap's row misses the input
     * (im2col and col2im, stride 3).
     */
    @Test
    void tapsThatMissTheInputEntirelyContributeNothing() {
        var g = new Conv2dGeometry(2, 1, 1, 2, 2, 1, 3, 3, 1, 0, 0, 2, 1, 1, 2, 1);
        exercises(g, Pass.FORWARD, ConvPath.IM2COL, ALL_WIDTHS);
        exercises(g, Pass.INPUT_GRADIENT, ConvPath.COL2IM, ALL_WIDTHS);
        checkCase(new Case(g, false, 0));
    }

    /**
     * Columns of 8 images of 16×128×128 with 3×3 taps at stride 2 (64×64 outputs) exceed one
     * backward-weight chunk (4 Mi floats), so the weight gradient is accumulated over two chunks.
     */
    @Test
    void weightGradientAccumulatesAcrossBatchChunks() {
        var g = new Conv2dGeometry(8, 16, 128, 128, 2, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 1);
        exercises(g, Pass.WEIGHT_GRADIENT, ConvPath.IM2COL, ALL_WIDTHS);
        checkCase(new Case(g, true, 99));
    }

    /**
     * Stride 1 with more input channels than the direct weight gradient takes: the SIMD weight gradient
     * runs on padded rows, 20 images in 16 parts (some of two images), and per group with a dilated,
     * asymmetrically padded kernel.
     */
    @Test
    void weightGradientOnPaddedRowsOverPartsAndGroups() {
        var parts = new Conv2dGeometry(20, 9, 6, 30, 5, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1);
        var groups = new Conv2dGeometry(5, 20, 7, 9, 6, 3, 2, 1, 1, 1, 0, 1, 0, 1, 2, 2);
        exercises(parts, Pass.WEIGHT_GRADIENT, ConvPath.PADDED_ROWS, ALL_WIDTHS);
        exercises(groups, Pass.WEIGHT_GRADIENT, ConvPath.PADDED_ROWS, ALL_WIDTHS);
        exercises(parts, Pass.FORWARD, ConvPath.PADDED_ROWS, ALL_WIDTHS);
        checkCase(new Case(parts, true, 5));
        checkCase(new Case(groups, false, 6));
    }

    /**
     * Stride-1 layers whose output channels per group are whole multiples of 64 (two slabs of two vectors at
     * every width): the SIMD weight gradient with the channels along the lanes on padded rows and in image
     * blocks, a short last tap tile (99 and 81 taps, 6 per tile), a dilated and asymmetrically padded kernel in
     * two groups, odd planes.
     */
    @Test
    void weightGradientInChannelSlabs() {
        var rows = new Conv2dGeometry(5, 11, 5, 16, 64, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1);
        var grouped = new Conv2dGeometry(3, 18, 4, 19, 128, 3, 2, 1, 1, 2, 1, 0, 1, 2, 1, 2);
        // Small planes in image blocks (19 images: a short last block).
        var blocks = new Conv2dGeometry(19, 9, 6, 7, 64, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1);
        exercises(rows, Pass.WEIGHT_GRADIENT, ConvPath.PADDED_ROWS_CHANNEL_SLABS, ALL_WIDTHS);
        exercises(grouped, Pass.WEIGHT_GRADIENT, ConvPath.PADDED_ROWS_CHANNEL_SLABS, ALL_WIDTHS);
        exercises(blocks, Pass.WEIGHT_GRADIENT, ConvPath.IMAGE_BLOCKS_CHANNEL_SLABS, ALL_WIDTHS);
        checkCase(new Case(rows, true, 8));
        checkCase(new Case(grouped, false, 9));
        checkCase(new Case(blocks, true, 10));
    }

    /**
     * Few input channels, many output channels, rows of a whole number of vectors at every width: the SIMD
     * row weight gradient reads the output gradient where it lies, with more tiles (720) than it keeps lanes
     * for over a part, so each block's lanes are summed at once.
     */
    @Test
    void weightGradientOfManyRowTiles() {
        var g = new Conv2dGeometry(2, 8, 3, 32, 120, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1);
        exercises(g, Pass.WEIGHT_GRADIENT, ConvPath.DIRECT, ALL_WIDTHS);
        checkCase(new Case(g, true, 24));
    }

    /**
     * Many images with few channels, in parts whose tiles are cut short (5 taps of a filter row, 11 channels):
     * the row weight gradient at 128 bits, the flattened positions at 256 and 512, where its tiles waste less.
     */
    @Test
    void weightGradientOfManyImagesAndFewChannels() {
        var g = new Conv2dGeometry(40, 2, 9, 20, 11, 3, 5, 1, 1, 1, 1, 2, 2, 1, 1, 1);
        exercises(g, Pass.WEIGHT_GRADIENT, ConvPath.DIRECT, 128);
        exercises(g, Pass.WEIGHT_GRADIENT, ConvPath.FLAT, 256, 512);
        checkCase(new Case(g, true, 7));
    }

    /**
     * Few input channels and K = 16, 8 or 4 output channels, output rows no wider: at 512, 256 and 128 bits
     * respectively one vector, where the SIMD weight gradient runs with the channels along the lanes (odd
     * position counts, vertical stride and dilation, a short last tap tile).
     */
    @Test
    void weightGradientWithOneVectorOfOutputChannels() {
        var sixteen = new Conv2dGeometry(5, 3, 9, 11, 16, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1);
        var eight = new Conv2dGeometry(3, 2, 9, 7, 8, 2, 3, 2, 1, 0, 1, 1, 0, 2, 1, 1);
        var four = new Conv2dGeometry(4, 6, 7, 4, 4, 5, 5, 1, 1, 2, 2, 2, 2, 1, 1, 1);
        exercises(sixteen, Pass.WEIGHT_GRADIENT, ConvPath.LANE_CHANNELS, 512);
        exercises(eight, Pass.WEIGHT_GRADIENT, ConvPath.LANE_CHANNELS, 256);
        exercises(four, Pass.WEIGHT_GRADIENT, ConvPath.LANE_CHANNELS, 128);
        checkCase(new Case(sixteen, true, 21));
        checkCase(new Case(eight, false, 22));
        checkCase(new Case(four, true, 23));
    }

    /**
     * The input gradient of strided layers with small output planes, Wᵀ · gradOut for blocks of images side by
     * side and col2im from each image's columns: 45 images of 4×4 (one block of 40 and a short one of 5) and 3
     * images of 17×17 (two to a block, a last block of one).
     */
    @Test
    void inputGradientOfSmallStridedPlanesInImageBlocks() {
        checkCase(new Case(new Conv2dGeometry(45, 5, 8, 8, 6, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 1), true, 61));
        checkCase(new Case(new Conv2dGeometry(3, 2, 33, 33, 4, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 1), false, 62));
    }

    /**
     * Output planes of one position (ResNet-18's layer4 at 32×32): the forward on image columns, all images in
     * one block whose GEMM runs on both threads, at stride 2, and the forward and input gradient of a pointwise layer
     * on 2×2 planes, each one GEMM over the batch's gathered columns; and a 3×3 plane whose whole batch (five
     * images, past the batches whose Winograd keeps its filters) is one image block, its 20 output channels cut
     * between the two threads (8 and 12), forward and as the transposed layer's input gradient. (The strided cases above run their forward on image columns too, in several
     * blocks and a short last one.)
     */
    @Test
    void onePositionPlanesOnImageColumns() {
        var oneBlock = new Conv2dGeometry(5, 16, 3, 3, 20, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1);
        exercises(oneBlock, Pass.FORWARD, ConvPath.IMAGE_BLOCKS, ALL_WIDTHS);
        exercises(oneBlock, Pass.INPUT_GRADIENT, ConvPath.IMAGE_BLOCKS, ALL_WIDTHS);
        checkCase(new Case(oneBlock, true, 65));
        var strided = new Conv2dGeometry(3, 16, 2, 2, 8, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 1);
        var pointwise = new Conv2dGeometry(3, 64, 2, 2, 72, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1);
        exercises(strided, Pass.FORWARD, ConvPath.IM2COL, ALL_WIDTHS);
        exercises(pointwise, Pass.FORWARD, ConvPath.POINTWISE, ALL_WIDTHS);
        exercises(pointwise, Pass.INPUT_GRADIENT, ConvPath.POINTWISE, ALL_WIDTHS);
        checkCase(new Case(strided, true, 63));
        checkCase(new Case(pointwise, false, 64));
    }

    /**
     * Input planes smaller than the kernel run unrolled, every pass one GEMM over the batch: ResNet-18's 3×3 layers
     * on 2×2 planes at 32×32 (with a bias), a 5×5 kernel at stride 2 on 3×3 planes, and a 3×3 kernel on a 2×3 plane
     * with unequal padding, at the fewest images the path takes.
     */
    @Test
    void planesSmallerThanTheKernelUnrolled() {
        var resnet = new Conv2dGeometry(5, 24, 2, 2, 40, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1);
        var strided = new Conv2dGeometry(6, 8, 3, 3, 12, 5, 5, 2, 2, 2, 2, 2, 2, 1, 1, 1);
        var uneven = new Conv2dGeometry(5, 16, 2, 3, 20, 3, 3, 1, 1, 1, 2, 0, 1, 1, 1, 1);
        long seed = 91;
        for (var g : new Conv2dGeometry[] {resnet, strided, uneven}) {
            for (Pass pass : Pass.values()) {
                exercises(g, pass, ConvPath.UNROLLED, ALL_WIDTHS);
            }
            checkCase(new Case(g, true, seed++));
            checkCase(new Case(g, false, seed++));
        }
    }

    /**
     * Taps that read only padding for every output are cropped from the kernel, and the cropped layer runs: a 3×3
     * kernel around a 1×1 plane (its centre tap alone, ResNet's layer4 at 32×32) and around one with padding 2 and
     * dilation 2; 2×2 of 3×3 live at stride 2 (ResNet's 2 → 1 layer); the centre column alone of a one-column
     * plane, grouped; a depthwise layer on a 1×1 plane. The weight gradient of every dead tap is written as zero.
     * A cropped layer on 1×1 planes runs each pass as one GEMM of the batch's matrices.
     */
    @Test
    void tapsThatReadOnlyPaddingAreCropped() {
        var centre = new Conv2dGeometry(3, 24, 1, 1, 40, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1);
        for (Pass pass : Pass.values()) {
            exercises(centre, pass, ConvPath.POINTWISE, ALL_WIDTHS); // positionless: [N × C] and [N × K] matrices
        }
        checkCase(new Case(centre, true, 81));
        var dilated = new Conv2dGeometry(2, 8, 1, 1, 12, 3, 3, 1, 1, 2, 2, 2, 2, 2, 2, 1);
        exercises(dilated, Pass.FORWARD, ConvPath.POINTWISE, ALL_WIDTHS);
        checkCase(new Case(dilated, false, 82));
        var strided = new Conv2dGeometry(4, 16, 2, 2, 24, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 1);
        checkCase(new Case(strided, true, 83));
        var column = new Conv2dGeometry(2, 8, 5, 1, 6, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 2);
        checkCase(new Case(column, false, 84));
        var depthwise = new Conv2dGeometry(2, 16, 1, 1, 16, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 16);
        exercises(depthwise, Pass.FORWARD, ConvPath.DEPTHWISE, ALL_WIDTHS);
        checkCase(new Case(depthwise, true, 85));
    }

    /**
     * The lanes-as-channels weight gradient (K = 16 at 512 bits) with 13 to 24 taps, so that its second tile of
     * twelve taps is cut short at every length from 1 to 12: each tap a short tile keeps, and only those, is stored.
     * Six images share a part, so each tile starts from the sums of the images before it.
     */
    @Test
    void laneChannelWeightGradientCutsItsLastTileAtEveryLength() {
        for (int taps = 13; taps <= 24; taps++) {
            var g = new Conv2dGeometry(6, 1, taps + 2, 9, 16, taps, 1, 1, 1, 0, 0, 1, 1, 1, 1, 1);
            exercises(g, Pass.WEIGHT_GRADIENT, ConvPath.LANE_CHANNELS, 512);
            checkCase(new Case(g, false, 90 + taps));
        }
    }

    /**
     * Stride-1 layers with few input channels and narrow rows, where the SIMD weight gradient runs over
     * flattened positions (a vector across row ends): rows of 9 with 6 channels and 100 taps at every
     * width; at 512 bits also short channel and tap tiles (K = 7, 13; 18 and 27 taps), dilation, and 90
     * images in two parts of image blocks, the last block short. Uneven padding throughout.
     */
    @Test
    void weightGradientOverFlattenedPositions() {
        var rowsOfNine = new Conv2dGeometry(3, 4, 8, 9, 6, 5, 5, 1, 1, 2, 1, 2, 2, 1, 1, 1);
        var dilated = new Conv2dGeometry(3, 2, 9, 4, 7, 3, 3, 1, 1, 1, 0, 2, 1, 2, 1, 1);
        var manyImages = new Conv2dGeometry(90, 3, 6, 6, 13, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1);
        exercises(rowsOfNine, Pass.WEIGHT_GRADIENT, ConvPath.FLAT, ALL_WIDTHS);
        exercises(dilated, Pass.WEIGHT_GRADIENT, ConvPath.FLAT, 512);
        exercises(manyImages, Pass.WEIGHT_GRADIENT, ConvPath.FLAT, 512);
        checkCase(new Case(rowsOfNine, true, 83));
        checkCase(new Case(dilated, true, 81));
        checkCase(new Case(manyImages, false, 82));
    }

    /**
     * Stride-1 layers with few input channels, at least 4 output channels and rows of at least one vector
     * (16 columns and more at every width): the SIMD forward over flattened positions, in tiles of 8
     * channels × 3 vectors (K = 16) and 6 × 4 (K = 7: a short tile; K = 6), dilation, uneven padding, rows
     * of exactly one vector at 512 bits.
     */
    @Test
    void forwardOverFlattenedPositions() {
        var eights = new Conv2dGeometry(2, 3, 9, 18, 16, 3, 3, 1, 1, 1, 0, 1, 2, 2, 1, 1);
        var shortTile = new Conv2dGeometry(3, 2, 7, 20, 7, 5, 3, 1, 1, 2, 2, 1, 1, 1, 2, 1);
        var sixes = new Conv2dGeometry(2, 1, 16, 16, 6, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1);
        for (var g : List.of(eights, shortTile, sixes)) {
            exercises(g, Pass.FORWARD, ConvPath.FLAT, ALL_WIDTHS);
        }
        checkCase(new Case(eights, true, 91));
        checkCase(new Case(shortTile, false, 92));
        checkCase(new Case(sixes, true, 93));
    }

    /**
     * One to three output channels with rows of at most two vectors at every width (Q ≤ 8), one image so that
     * no image block takes them: the SIMD direct kernels for few outputs forward, rows past P and lanes past Q
     * not stored, filter rows on padding skipped; and their transposes (6 → 2, 3 → 9 channels...) as the
     * input gradient of wider layers.
     */
    @Test
    void fewOutputChannelsForwardAndAsInputGradient() {
        var few = List.of(new Conv2dGeometry(1, 5, 9, 7, 1, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1),
                new Conv2dGeometry(1, 4, 11, 6, 2, 5, 3, 1, 1, 2, 1, 0, 2, 1, 1, 1),
                new Conv2dGeometry(1, 7, 6, 8, 3, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1),
                new Conv2dGeometry(1, 9, 7, 5, 3, 3, 2, 1, 1, 0, 0, 1, 0, 1, 1, 1));
        long seed = 31;
        for (var g : few) {
            exercises(g, Pass.FORWARD, ConvPath.DIRECT, ALL_WIDTHS);
            checkCase(new Case(g, seed % 3 != 0, seed++));
        }
        var toTwo = new Conv2dGeometry(4, 2, 10, 7, 6, 5, 5, 1, 1, 0, 0, 0, 0, 1, 1, 1);
        exercises(toTwo, Pass.INPUT_GRADIENT, ConvPath.DIRECT, ALL_WIDTHS);
        checkCase(new Case(toTwo, true, 35));
    }

    /**
     * One output channel, rows of 17–32 columns (two vectors at 512 bits, where the four-row kernel runs them):
     * padding deeper than three rows, R = 3 (no full step), R = 7, P not a multiple of 4. And layers whose
     * input gradient is such a layer, run as its forward pass: LeNet conv1 at 512 bits (6 → 1 channel, 24 → 28
     * columns), two or three channels into one at every width.
     */
    @Test
    void oneOutputChannelForwardAndAsInputGradient() {
        var deepPadding = new Conv2dGeometry(2, 6, 13, 24, 1, 5, 5, 1, 1, 4, 4, 4, 4, 1, 1, 1);
        var threeRows = new Conv2dGeometry(2, 3, 6, 29, 1, 3, 3, 1, 1, 2, 1, 1, 1, 1, 1, 1);
        var sevenRows = new Conv2dGeometry(2, 2, 14, 26, 1, 7, 4, 1, 1, 0, 3, 0, 0, 1, 1, 1);
        var lenetConv1 = new Conv2dGeometry(2, 1, 28, 28, 6, 5, 5, 1, 1, 0, 0, 0, 0, 1, 1, 1);
        for (var g : List.of(deepPadding, threeRows, sevenRows)) {
            exercises(g, Pass.FORWARD, ConvPath.DIRECT, 512);
        }
        exercises(threeRows, Pass.INPUT_GRADIENT, ConvPath.DIRECT, ALL_WIDTHS);
        exercises(sevenRows, Pass.INPUT_GRADIENT, ConvPath.DIRECT, ALL_WIDTHS);
        exercises(lenetConv1, Pass.INPUT_GRADIENT, ConvPath.DIRECT, 512);
        checkCase(new Case(deepPadding, true, 36));
        checkCase(new Case(threeRows, false, 37));
        checkCase(new Case(sevenRows, true, 38));
        checkCase(new Case(lenetConv1, true, 39));
    }

    /**
     * Narrow layers (output rows of at most one vector) whose channels end in a tile of at most six: the
     * SIMD direct kernel's six-channel tile, after eight-channel tiles and alone, forward and as the
     * transposed layer of an input gradient. LeNet conv2 (6 → 16, rows of 10) and its input gradient (16 → 6)
     * at 512 bits; one image of rows of 7 at 256 and 512 bits; rows of 3 at every width.
     */
    @Test
    void narrowLayersEndingInASixChannelTile() {
        var lenetConv2 = new Conv2dGeometry(2, 6, 14, 14, 16, 5, 5, 1, 1, 0, 0, 0, 0, 1, 1, 1);
        var rowsOfSeven = new Conv2dGeometry(1, 5, 6, 7, 14, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1);
        var rowsOfThree = new Conv2dGeometry(1, 3, 5, 3, 12, 3, 2, 1, 1, 1, 1, 0, 1, 1, 1, 1);
        exercises(lenetConv2, Pass.FORWARD, ConvPath.DIRECT, 512);
        exercises(lenetConv2, Pass.INPUT_GRADIENT, ConvPath.DIRECT, 512);
        exercises(rowsOfSeven, Pass.FORWARD, ConvPath.DIRECT, 256, 512);
        exercises(rowsOfThree, Pass.FORWARD, ConvPath.DIRECT, ALL_WIDTHS);
        checkCase(new Case(lenetConv2, true, 71));
        checkCase(new Case(rowsOfSeven, true, 72));
        checkCase(new Case(rowsOfThree, false, 73));
    }

    /**
     * Depthwise layers (one channel per group), every pass plane by plane: MobileNetV2's 3×3 at stride 1 and 2
     * with rows of several vectors and a tail at every width, a 5×5 at stride 2, rows of several stride-2 vector
     * pairs from even and odd padding, and uneven strides, dilations
     * and padding with a kernel narrower than its stride (input columns no window reaches).
     */
    @Test
    void depthwiseLayersPlaneByPlane() {
        var mobile = new Conv2dGeometry(2, 24, 14, 37, 24, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 24);
        var strided = new Conv2dGeometry(2, 5, 15, 35, 5, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 5);
        var five = new Conv2dGeometry(1, 8, 17, 17, 8, 5, 5, 2, 2, 2, 2, 2, 2, 1, 1, 8);
        var uneven = new Conv2dGeometry(3, 4, 11, 20, 4, 2, 3, 3, 2, 0, 1, 2, 0, 2, 1, 4);
        var gaps = new Conv2dGeometry(2, 3, 9, 26, 3, 1, 2, 2, 3, 0, 0, 1, 0, 1, 1, 3);
        // Rows of several vector pairs at stride 2, from an even and from an odd first padded column.
        var wide = new Conv2dGeometry(1, 3, 7, 70, 3, 3, 3, 2, 2, 1, 1, 0, 1, 1, 1, 3);
        var wideFive = new Conv2dGeometry(1, 2, 6, 67, 2, 5, 5, 2, 2, 2, 2, 2, 2, 1, 1, 2);
        for (var g : List.of(mobile, strided, five, uneven, gaps, wide, wideFive)) {
            for (var pass : Pass.values()) {
                exercises(g, pass, ConvPath.DEPTHWISE, ALL_WIDTHS);
            }
        }
        checkCase(new Case(mobile, true, 81));
        checkCase(new Case(strided, true, 82));
        checkCase(new Case(five, false, 83));
        checkCase(new Case(uneven, true, 84));
        checkCase(new Case(gaps, true, 85));
        checkCase(new Case(wide, true, 86));
        checkCase(new Case(wideFive, false, 87));
    }

    /**
     * Depthwise at stride 2 over 8 columns: output vectors run past Q = 3, and their tail lanes land on input
     * column 7, which no window reaches. An infinite weight must not make a NaN there in the input gradient (a
     * zero gradOut lane times ∞), nor an infinite input at column 7 reach the outputs or the weight gradient.
     */
    @Test
    void depthwiseTailLanesTouchNothingOutsideTheWindows() {
        var g = new Conv2dGeometry(1, 3, 5, 8, 3, 3, 3, 2, 2, 0, 0, 0, 0, 1, 1, 3);
        exercises(g, Pass.INPUT_GRADIENT, ConvPath.DEPTHWISE, ALL_WIDTHS);
        float[] w = Gens.floats(53, 0, g.weightShape().numel(), 0);
        w[4] = Float.POSITIVE_INFINITY; // channel 0, tap (1, 1)
        float[] gOut = Gens.floats(54, 0, g.outputShape().numel(), 0);
        float[] gIn = new float[g.inputShape().numel()];
        impl().backwardInput(g, gOut, 0, w, 0, gIn, 0, TWO_THREADS);
        for (int h = 0; h < g.height(); h++) {
            assertEquals(0f, gIn[h * g.width() + 7], "gradInput (channel 0, row " + h + ", column 7)");
        }
        float[] in = Gens.floats(55, 0, g.inputShape().numel(), 0);
        for (int h = 0; h < g.height(); h++) {
            in[(g.height() + h) * g.width() + 7] = Float.POSITIVE_INFINITY; // channel 1
        }
        w[4] = 0.5f;
        float[] out = new float[g.outputShape().numel()];
        impl().forward(g, in, 0, w, 0, null, 0, out, 0, TWO_THREADS);
        float[] gW = new float[g.weightShape().numel()];
        float[] gB = new float[g.outChannels()];
        impl().backwardWeightAndBias(g, in, 0, gOut, 0, gW, 0, gB, 0, TWO_THREADS);
        for (int i = 0; i < out.length; i++) {
            assertEquals(true, Float.isFinite(out[i]), "out[" + i + "] = " + out[i]);
        }
        for (int i = 0; i < gW.length; i++) {
            assertEquals(true, Float.isFinite(gW[i]), "gradWeight[" + i + "] = " + gW[i]);
        }
    }

    /**
     * An infinite input reaches exactly the outputs whose window holds it (no 0 × ∞ from a zero weight or
     * padding tap), here through the one-output-channel kernel at 512 bits (im2col at the narrower widths):
     * rows of 24 columns, 5×5, padded by 4.
     */
    @Test
    void infiniteInputStaysInsideItsWindows() {
        var g = new Conv2dGeometry(1, 2, 12, 20, 1, 5, 5, 1, 1, 4, 4, 4, 4, 1, 1, 1);
        exercises(g, Pass.FORWARD, ConvPath.DIRECT, 512);
        exercises(g, Pass.FORWARD, ConvPath.IM2COL, 128, 256);
        float[] in = Gens.floats(51, 0, g.inputShape().numel(), 0);
        float[] w = Gens.floats(52, 0, g.weightShape().numel(), 0);
        int h0 = 5;
        int w0 = 9;
        in[(1 * g.height() + h0) * g.width() + w0] = Float.POSITIVE_INFINITY;
        float[] out = new float[g.outputShape().numel()];
        impl().forward(g, in, 0, w, 0, null, 0, out, 0, TWO_THREADS);
        for (int p = 0; p < g.outHeight(); p++) {
            for (int q = 0; q < g.outWidth(); q++) {
                int r = h0 + g.padTop() - p;
                int s = w0 + g.padLeft() - q;
                boolean inWindow = r >= 0 && r < g.kernelH() && s >= 0 && s < g.kernelW();
                float v = out[p * g.outWidth() + q];
                assertEquals(inWindow, !Float.isFinite(v), "output (" + p + ", " + q + ") = " + v);
            }
        }
    }

    /**
     * One input channel, K = 3 or 2 (where the flattened forward, which takes K ≥ 4, does not) and rows wider
     * than two vectors at every width: the SIMD direct forward for one channel in tiles of 3 channels × 2
     * rows and, for K = 2, of 4 channels (two of them empty) × 2 vectors; an odd last row, filter rows on
     * padding skipped. LeNet conv1 (K = 6) runs on the flattened positions instead.
     */
    @Test
    void singleInputChannelWithThreeChannelTiles() {
        var threeChannels = new Conv2dGeometry(3, 1, 21, 40, 3, 5, 5, 1, 1, 2, 2, 2, 2, 1, 1, 1);
        var wideRows = new Conv2dGeometry(2, 1, 9, 40, 3, 3, 4, 1, 1, 1, 0, 2, 1, 1, 1, 1);
        var twoChannels = new Conv2dGeometry(2, 1, 9, 37, 2, 3, 4, 1, 1, 1, 0, 2, 1, 1, 1, 1);
        for (var g : List.of(threeChannels, wideRows, twoChannels)) {
            exercises(g, Pass.FORWARD, ConvPath.DIRECT, ALL_WIDTHS);
        }
        checkCase(new Case(threeChannels, true, 41));
        checkCase(new Case(wideRows, false, 42));
        checkCase(new Case(twoChannels, true, 43));
    }

    /**
     * Small output planes over a batch: the SIMD forward, input gradient (as the transposed layer) and,
     * from 9 input channels, weight gradient run blocks of images with interleaved rows; a short last
     * block, uneven padding; with dilation the input gradient stays on col2im.
     */
    @Test
    void smallPlanesInImageBlocks() {
        var square = new Conv2dGeometry(11, 10, 8, 8, 10, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1);
        var uneven = new Conv2dGeometry(23, 3, 5, 7, 4, 3, 2, 1, 1, 2, 0, 1, 0, 1, 1, 1);
        var dilated = new Conv2dGeometry(5, 4, 9, 8, 3, 3, 3, 1, 1, 2, 2, 1, 2, 2, 2, 1);
        // 9 images a block, 17 blocks in 16 parts: the last part sums a whole block and a one-image block.
        var parts = new Conv2dGeometry(145, 9, 1, 64, 3, 1, 3, 1, 1, 0, 0, 1, 1, 1, 1, 1);
        for (var g : List.of(square, uneven, dilated, parts)) {
            exercises(g, Pass.FORWARD, ConvPath.IMAGE_BLOCKS, ALL_WIDTHS);
        }
        for (var g : List.of(square, uneven, parts)) {
            exercises(g, Pass.INPUT_GRADIENT, ConvPath.IMAGE_BLOCKS, ALL_WIDTHS);
        }
        exercises(dilated, Pass.INPUT_GRADIENT, ConvPath.COL2IM, ALL_WIDTHS);
        exercises(square, Pass.WEIGHT_GRADIENT, ConvPath.IMAGE_BLOCKS, ALL_WIDTHS);
        exercises(parts, Pass.WEIGHT_GRADIENT, ConvPath.IMAGE_BLOCKS, ALL_WIDTHS);
        checkCase(new Case(square, true, 61));
        checkCase(new Case(uneven, true, 62));
        checkCase(new Case(dilated, false, 63));
        checkCase(new Case(parts, true, 64));
    }

    /**
     * Many input channels, uneven padding: the SIMD input gradient runs as the forward pass of the transposed
     * layer (5 → 17 channels), on the flattened positions.
     */
    @Test
    void inputGradientOfManyChannelsAndUnevenPadding() {
        var g = new Conv2dGeometry(3, 17, 9, 30, 5, 3, 4, 1, 1, 2, 0, 1, 3, 1, 1, 1);
        exercises(g, Pass.INPUT_GRADIENT, ConvPath.FLAT, ALL_WIDTHS);
        checkCase(new Case(g, true, 11));
    }

    /**
     * The forward and the input gradient sum reductions longer than {@value Bounds#RUN} products in runs, each from zero,
     * on each GEMM path: all inputs and output gradients 1, weight (0, 0, 0, 0) 1 and every other weight 2⁻²⁴, so
     * that where the 1 leads a float sum every later product is a tie that the sum rounds away. One float chain
     * over K loses them all, (K − 1)·2⁻²⁴; runs lose at most a run's worth and one rounding per run.
     */
    @Test
    void longReductionsSumInRunsOnTheGemmPaths() {
        var paddedRows = new Conv2dGeometry(2, 16, 40, 40, 24, 5, 5, 1, 1, 2, 2, 2, 2, 1, 1, 1);
        exercises(paddedRows, Pass.FORWARD, ConvPath.PADDED_ROWS, ALL_WIDTHS);
        exercises(paddedRows, Pass.INPUT_GRADIENT, ConvPath.PADDED_ROWS, ALL_WIDTHS);
        var imageBlocks = new Conv2dGeometry(8, 32, 5, 5, 24, 5, 5, 1, 1, 2, 2, 2, 2, 1, 1, 1);
        exercises(imageBlocks, Pass.FORWARD, ConvPath.IMAGE_BLOCKS, ALL_WIDTHS);
        exercises(imageBlocks, Pass.INPUT_GRADIENT, ConvPath.IMAGE_BLOCKS, ALL_WIDTHS);
        var unrolled = new Conv2dGeometry(8, 32, 4, 4, 24, 5, 5, 1, 1, 2, 2, 2, 2, 1, 1, 1);
        exercises(unrolled, Pass.FORWARD, ConvPath.UNROLLED, ALL_WIDTHS);
        exercises(unrolled, Pass.INPUT_GRADIENT, ConvPath.UNROLLED, ALL_WIDTHS);
        var strided = new Conv2dGeometry(2, 64, 9, 9, 16, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 1);
        exercises(strided, Pass.FORWARD, ConvPath.IM2COL, ALL_WIDTHS);
        var phased = new Conv2dGeometry(1, 8, 20, 44, 16, 7, 7, 2, 2, 3, 3, 3, 3, 1, 1, 1);
        exercises(phased, Pass.FORWARD, ConvPath.PHASED_ROWS, ALL_WIDTHS);
        for (Conv2dGeometry g : List.of(paddedRows, imageBlocks, unrolled, strided, phased)) {
            float[] in = new float[g.inputShape().numel()];
            float[] w = new float[g.weightShape().numel()];
            float[] gOut = new float[g.outputShape().numel()];
            Arrays.fill(in, 1f);
            Arrays.fill(w, 0x1p-24f);
            w[0] = 1f;
            Arrays.fill(gOut, 1f);
            var oracle = new Oracle(g, in, w, null, gOut);
            float[] out = new float[gOut.length];
            impl().forward(g, in, 0, w, 0, null, 0, out, 0, TWO_THREADS);
            assertWithinRuns("out", oracle.out, oracle.outAbs, oracle.outTerms, out, g);
            float[] gIn = new float[in.length];
            impl().backwardInput(g, gOut, 0, w, 0, gIn, 0, TWO_THREADS);
            assertWithinRuns("gradInput", oracle.gIn, oracle.gInAbs, oracle.gInTerms, gIn, g);
        }
    }

    private static void assertWithinRuns(String what, double[] exact, double[] abs, int[] terms, float[] got,
                                         Conv2dGeometry g) {
        for (int i = 0; i < exact.length; i++) {
            double bound = Bounds.inRuns(terms[i]) * abs[i];
            double err = Math.abs(got[i] - exact[i]);
            if (!(err <= bound)) {
                throw new AssertionError(what + "[" + i + "] = " + got[i] + " but exactly " + exact[i] + " over "
                        + terms[i] + " products: error " + err / Gens.U + "·2⁻²⁴ > " + bound / Gens.U
                        + "·2⁻²⁴, the bound of runs of " + Bounds.RUN + ", for " + g);
            }
        }
    }

    /**
     * The case on uniform data against the float bounds, then on quarters (where every summation order is
     * exact) against the definition bit for bit: a tap, tail or block edge lost costs a whole product.
     */
    private void checkCase(Case c) {
        checkCase(c, false);
        checkCase(c, true);
    }

    private interface Data {
        float[] make(long seed, int off, int n, int pad);
    }

    private void checkCase(Case c, boolean exactData) {
        Conv2dGeometry g = c.g();
        int off = 3;
        Data data = exactData ? Gens::dyadic : Gens::floats;
        float[] in = data.make(c.seed(), off, g.inputShape().numel(), 2);
        float[] w = data.make(c.seed() + 1, off, g.weightShape().numel(), 2);
        float[] bias = c.bias() ? data.make(c.seed() + 2, 0, g.outChannels(), 0) : null;
        float[] gOut = data.make(c.seed() + 3, off, g.outputShape().numel(), 2);
        float[] inExact = Arrays.copyOfRange(in, off, off + g.inputShape().numel());
        float[] wExact = Arrays.copyOfRange(w, off, off + g.weightShape().numel());
        float[] gOutExact = Arrays.copyOfRange(gOut, off, off + g.outputShape().numel());
        var oracle = new Oracle(g, inExact, wExact, bias, gOutExact);

        float[] out = new float[off + g.outputShape().numel()];
        impl().forward(g, in, off, w, off, bias, 0, out, off, TWO_THREADS);
        int pq = g.outHeight() * g.outWidth();
        IntToDoubleFunction outWinograd = !WinogradBound.allowed(g) ? null
                : i -> WinogradBound.forward(g, inExact, 0, wExact, 0, bias, 0, i / pq / g.outChannels(),
                        i / pq % g.outChannels(), i % pq / g.outWidth(), i % g.outWidth());
        Bounds.assertWithin("out", oracle.out, oracle.outAbs, oracle.outTerms, outWinograd, out, off, c);
        assertExact(exactData, "out", oracle.out, out, off, c);

        float[] gIn = new float[off + g.inputShape().numel()];
        Arrays.fill(gIn, Float.NaN); // overwritten, never accumulated into
        impl().backwardInput(g, gOut, off, w, off, gIn, off, TWO_THREADS);
        Conv2dGeometry t = WinogradBound.transposed(g);
        int hw = g.height() * g.width();
        IntToDoubleFunction gInWinograd = t == null || !WinogradBound.allowed(t) ? null
                : i -> WinogradBound.inputGradient(g, gOutExact, 0, wExact, 0, i / hw / g.inChannels(),
                        i / hw % g.inChannels(), i % hw / g.width(), i % g.width());
        Bounds.assertWithin("gradInput", oracle.gIn, oracle.gInAbs, oracle.gInTerms, gInWinograd, gIn, off, c);
        assertExact(exactData, "gradInput", oracle.gIn, gIn, off, c);

        float[] gW = new float[off + g.weightShape().numel()];
        Arrays.fill(gW, Float.NaN);
        impl().backwardWeight(g, in, off, gOut, off, gW, off, TWO_THREADS);
        Bounds.assertWithin("gradWeight", oracle.gW, oracle.gWAbs, oracle.gWTerms, gW, off, c);
        assertExact(exactData, "gradWeight", oracle.gW, gW, off, c);

        float[] gB = new float[g.outChannels() + 1];
        impl().backwardBias(g, gOut, off, gB, 1, TWO_THREADS);
        assertBiasGradient(g, gOutExact, gB, 1, c, exactData);

        // Both at once (the SIMD row kernel sums the bias as it reads gradOut for the weights).
        Arrays.fill(gW, Float.NaN);
        Arrays.fill(gB, Float.NaN);
        impl().backwardWeightAndBias(g, in, off, gOut, off, gW, off, gB, 1, TWO_THREADS);
        Bounds.assertWithin("gradWeight (with the bias)", oracle.gW, oracle.gWAbs, oracle.gWTerms, gW, off, c);
        assertExact(exactData, "gradWeight (with the bias)", oracle.gW, gW, off, c);
        assertBiasGradient(g, gOutExact, gB, 1, c, exactData);
    }

    /** On quarter-valued data every result is the exact sum, rounded from double with nothing to round. */
    private static void assertExact(boolean exactData, String what, double[] exact, float[] actual, int off, Case c) {
        if (!exactData) {
            return;
        }
        for (int i = 0; i < exact.length; i++) {
            if (!Gens.sameValue(actual[off + i], (float) exact[i])) {
                throw new AssertionError(what + "[" + i + "] = " + actual[off + i] + " but exactly " + exact[i]
                        + " on quarter-valued data for " + c);
            }
        }
    }

    private static void assertBiasGradient(Conv2dGeometry g, float[] gOutExact, float[] gB, int gbOff, Case c, boolean exactData) {
        for (int k = 0; k < g.outChannels(); k++) {
            double exact = 0;
            double abs = 0;
            int pq = g.outHeight() * g.outWidth();
            for (int n = 0; n < g.batch(); n++) {
                for (int i = 0; i < pq; i++) {
                    float v = gOutExact[(n * g.outChannels() + k) * pq + i];
                    exact += v;
                    abs += Math.abs(v);
                }
            }
            double bound = exactData ? 0 : 2.0 * (g.batch() * pq + 1) * Gens.U * abs;
            if (!(Math.abs(gB[gbOff + k] - exact) <= bound)) {
                throw new AssertionError("gradBias[" + k + "] = " + gB[gbOff + k] + " but exact " + exact + " for " + c);
            }
        }
    }

    /**
     * Gradients against a central finite difference of L = Σ gOut·conv(x, w), evaluated in double
     * (conv is linear in each argument, so the difference is exact up to double rounding; 1e-4
     * relative covers the float gradients' rounding).
     */
    @Test
    void gradientsAgreeWithFiniteDifferences() {
        qt().withExamples(30).forAll(cases()).checkAssert(c -> {
            Conv2dGeometry g = c.g();
            float[] in = Gens.floats(c.seed(), 0, g.inputShape().numel(), 0);
            float[] w = Gens.floats(c.seed() + 1, 0, g.weightShape().numel(), 0);
            float[] gOut = Gens.floats(c.seed() + 2, 0, g.outputShape().numel(), 0);
            float[] gIn = new float[in.length];
            float[] gW = new float[w.length];
            impl().backwardInput(g, gOut, 0, w, 0, gIn, 0, TWO_THREADS);
            impl().backwardWeight(g, in, 0, gOut, 0, gW, 0, TWO_THREADS);
            var rng = new java.util.SplittableRandom(c.seed() + 3);
            double h = 1e-3;
            double[] vIn = new double[in.length];
            double[] vW = new double[w.length];
            double dIn = 0;
            double dW = 0;
            for (int i = 0; i < in.length; i++) {
                vIn[i] = rng.nextDouble(-1, 1);
                dIn += gIn[i] * vIn[i];
            }
            for (int i = 0; i < w.length; i++) {
                vW[i] = rng.nextDouble(-1, 1);
                dW += gW[i] * vW[i];
            }
            double numIn = (loss(g, in, vIn, h, w, null, 0, gOut) - loss(g, in, vIn, -h, w, null, 0, gOut)) / (2 * h);
            double numW = (loss(g, in, null, 0, w, vW, h, gOut) - loss(g, in, null, 0, w, vW, -h, gOut)) / (2 * h);
            double a = dIn;
            double b = dW;
            assertEquals(numIn, a, 1e-4 * (1 + Math.abs(numIn)), () -> "input gradient for " + c);
            assertEquals(numW, b, 1e-4 * (1 + Math.abs(numW)), () -> "weight gradient for " + c);
        });
    }

    /** Σ gOut·conv(x + hx·vx, w + hw·vw) in double, straight from the definition. */
    private static double loss(Conv2dGeometry g, float[] x, double[] vx, double hx, float[] w, double[] vw, double hw,
                               float[] gOut) {
        int cg = g.inChannels() / g.groups();
        int kg = g.outChannels() / g.groups();
        double total = 0;
        for (int n = 0; n < g.batch(); n++) {
            for (int k = 0; k < g.outChannels(); k++) {
                for (int p = 0; p < g.outHeight(); p++) {
                    for (int q = 0; q < g.outWidth(); q++) {
                        double acc = 0;
                        for (int ci = 0; ci < cg; ci++) {
                            for (int r = 0; r < g.kernelH(); r++) {
                                for (int s = 0; s < g.kernelW(); s++) {
                                    int h = p * g.strideH() - g.padTop() + r * g.dilationH();
                                    int col = q * g.strideW() - g.padLeft() + s * g.dilationW();
                                    if (h < 0 || h >= g.height() || col < 0 || col >= g.width()) {
                                        continue;
                                    }
                                    int i = ((n * g.inChannels() + (k / kg) * cg + ci) * g.height() + h) * g.width() + col;
                                    int wi = ((k * cg + ci) * g.kernelH() + r) * g.kernelW() + s;
                                    double xv = x[i] + (vx == null ? 0 : hx * vx[i]);
                                    double wv = w[wi] + (vw == null ? 0 : hw * vw[wi]);
                                    acc += xv * wv;
                                }
                            }
                        }
                        total += gOut[((n * g.outChannels() + k) * g.outHeight() + p) * g.outWidth() + q] * acc;
                    }
                }
            }
        }
        return total;
    }

    @Test
    void resultsAreBitIdenticalForOneAndTwoThreads() {
        var shapes = List.of(
                new Conv2dGeometry(4, 3, 17, 19, 8, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1),
                new Conv2dGeometry(32, 3, 12, 12, 8, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1),
                new Conv2dGeometry(4, 20, 9, 23, 18, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1),
                new Conv2dGeometry(20, 9, 6, 30, 5, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1),
                new Conv2dGeometry(40, 6, 10, 10, 16, 5, 5, 1, 1, 0, 0, 0, 0, 1, 1, 1),
                new Conv2dGeometry(6, 3, 7, 8, 3, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1),
                new Conv2dGeometry(1, 16, 12, 12, 32, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 1),
                new Conv2dGeometry(3, 8, 9, 9, 8, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1),
                new Conv2dGeometry(2, 6, 10, 10, 6, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 6),
                new Conv2dGeometry(19, 5, 6, 7, 9, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1),
                new Conv2dGeometry(7, 11, 5, 16, 64, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1),
                new Conv2dGeometry(90, 3, 6, 6, 13, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1),
                // Winograd on one image, its chunks split over the threads.
                new Conv2dGeometry(1, 16, 20, 21, 17, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1));
        try (var one = Parallelism.of(1)) {
            for (Conv2dGeometry g : shapes) {
                float[] in = Gens.floats(1, 0, g.inputShape().numel(), 0);
                float[] w = Gens.floats(2, 0, g.weightShape().numel(), 0);
                float[] gOut = Gens.floats(3, 0, g.outputShape().numel(), 0);
                float[][] a = run(g, in, w, gOut, one);
                float[][] b = run(g, in, w, gOut, TWO_THREADS);
                for (int t = 0; t < a.length; t++) {
                    for (int i = 0; i < a[t].length; i++) {
                        int at = i;
                        int which = t;
                        assertEquals(Float.floatToRawIntBits(a[t][i]), Float.floatToRawIntBits(b[t][i]),
                                () -> "result " + which + " element " + at + " differs between 1 and 2 threads for " + g);
                    }
                }
            }
        }
    }

    private float[][] run(Conv2dGeometry g, float[] in, float[] w, float[] gOut, Parallelism p) {
        float[] out = new float[g.outputShape().numel()];
        float[] gIn = new float[g.inputShape().numel()];
        float[] gW = new float[g.weightShape().numel()];
        impl().forward(g, in, 0, w, 0, null, 0, out, 0, p);
        impl().backwardInput(g, gOut, 0, w, 0, gIn, 0, p);
        impl().backwardWeight(g, in, 0, gOut, 0, gW, 0, p);
        float[] gB = new float[g.outChannels()];
        impl().backwardBias(g, gOut, 0, gB, 0, p);
        float[] gWb = new float[g.weightShape().numel()];
        float[] gBw = new float[g.outChannels()];
        impl().backwardWeightAndBias(g, in, 0, gOut, 0, gWb, 0, gBw, 0, p);
        return new float[][] {out, gIn, gW, gB, gWb, gBw};
    }
}
