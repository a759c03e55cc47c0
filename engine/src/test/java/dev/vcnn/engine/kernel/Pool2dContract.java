package dev.vcnn.engine.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.booleans;
import static org.quicktheories.generators.SourceDSL.integers;

import dev.vcnn.engine.parallel.Parallelism;
import dev.vcnn.engine.testing.Bounds;
import dev.vcnn.engine.testing.Gens;
import dev.vcnn.engine.testing.Sentinels;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.quicktheories.core.Gen;
import org.quicktheories.generators.Generate;

/**
 * The contract of {@link Pool2d} against every implementation. Max pooling must equal the definition
 * bit for bit (value and index, ties and NaNs included); its backward and average pooling stay within
 * {@code 2·(t+1)·2⁻²⁴·Σ|termᵢ|} of exact sums.
 */
public abstract class Pool2dContract {
    private static final Parallelism TWO_THREADS = Parallelism.of(2);

    protected abstract Pool2d impl();

    record Case(Pool2dGeometry g, boolean countIncludePad, long seed) {}

    private static Gen<Case> cases() {
        Gen<int[]> window = integers().between(1, 4).zip(integers().between(1, 4), integers().between(1, 4),
                integers().between(1, 2), (kh, kw, stride, dil) -> new int[] {kh, kw, stride, dil});
        Gen<int[]> plane = integers().between(1, 13).zip(integers().between(1, 13), integers().between(0, 2),
                integers().between(0, 2), (h, w, ph, pw) -> new int[] {h, w, ph, pw});
        return window.zip(plane, booleans().all(), booleans().all(), Gens.seeds(), (k, pl, ceil, incl, seed) -> {
            int padH = Math.min(pl[2], k[0] / 2);
            int padW = Math.min(pl[3], k[1] / 2);
            // Grow the plane until the dilated window fits, so every case is a valid geometry.
            int h = Math.max(pl[0], k[3] * (k[0] - 1) + 1 - 2 * padH);
            int dilationW = 1 + k[3] % 2;
            int w = Math.max(pl[1], dilationW * (k[1] - 1) + 1 - 2 * padW);
            int batch = 1 + (int) (seed % 2);
            int channels = 1 + (int) (seed % 3);
            return new Case(new Pool2dGeometry(batch, channels, h, w, k[0], k[1], k[2], 1 + (k[2] + 1) % 3,
                    padH, padW, k[3], dilationW, ceil), incl, seed);
        });
    }

    /** Values from a small set, so windows often tie, plus the odd NaN and infinity. */
    private static float[] tiesAndSpecials(long seed, int n) {
        var rng = new SplittableRandom(seed);
        float[] pool = {-1f, 0f, -0f, 1f, 2f, 2f, 3.5f, Float.NaN, Float.NEGATIVE_INFINITY, -7f};
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = rng.nextInt(4) == 0 ? pool[rng.nextInt(pool.length)] : (float) rng.nextDouble(-2, 2);
        }
        return x;
    }

    @Test
    void maxPoolingPicksTheFirstLargestAndRoutesGradientsToIt() {
        qt().withExamples(200).forAll(cases()).checkAssert(this::checkMax);
    }

    /** The common 2×2 stride-2 window (a vector fast path), planes up to 70 wide so every width runs whole vectors. */
    @Test
    void twoByTwoMaxPoolingFollowsTheSameRule() {
        qt().withExamples(60).forAll(integers().between(2, 17), integers().between(2, 70), Gens.seeds())
                .checkAssert((h, w, seed) -> checkMax(new Case(
                        new Pool2dGeometry(2, 3, h, w, 2, 2, 2, 2, 0, 0, 1, 1, false), false, seed)));
    }

    /**
     * The 2×2 average and the 2×2 gradients equal the reference bit for bit: the average of four −0 is +0
     * (the reference's sum starts at 0), its g/4 of a −0 gradient +0 too, and max's routing also for
     * indices a forward pass would not give (−1, a tap outside the window), which the reference adds
     * where they point.
     */
    @Test
    void twoByTwoPoolsEqualTheReference() {
        Pool2d reference = Kernels.scalar().pool2d();
        qt().withExamples(40).forAll(integers().between(2, 17), integers().between(2, 70), Gens.seeds())
                .checkAssert((h, w, seed) -> {
                    var g = new Pool2dGeometry(2, 3, h, w, 2, 2, 2, 2, 0, 0, 1, 1, false);
                    int outN = g.outputShape().numel();
                    int inN = g.inputShape().numel();
                    var rng = new SplittableRandom(seed);
                    float[] gradOut = Gens.floats(seed, 0, outN, 0);
                    for (int i = 0; i < outN; i += 1 + rng.nextInt(4)) {
                        gradOut[i] = -0f;
                    }
                    float[] in = Gens.floats(seed + 1, 0, inN, 0);
                    for (int i = 0; i < inN; i += 1 + rng.nextInt(3)) {
                        in[i] = -0f;
                    }
                    float[] expectedOut = new float[outN];
                    float[] actualOut = new float[outN];
                    reference.avgForward(g, false, in, 0, expectedOut, 0, Parallelism.sequential());
                    impl().avgForward(g, false, in, 0, actualOut, 0, TWO_THREADS);
                    assertBitsEqual("avg output", expectedOut, actualOut, g);

                    float[] expected = new float[inN];
                    float[] actual = new float[inN];
                    Arrays.fill(expected, Float.NaN); // overwritten, rows and columns in no window included
                    Arrays.fill(actual, Float.NaN);
                    reference.avgBackward(g, false, gradOut, 0, expected, 0, Parallelism.sequential());
                    impl().avgBackward(g, false, gradOut, 0, actual, 0, TWO_THREADS);
                    assertBitsEqual("avg gradInput", expected, actual, g);

                    int[] indices = new int[outN];
                    impl().maxForward(g, in, 0, new float[outN], 0, indices, 0, TWO_THREADS);
                    if (rng.nextBoolean()) {
                        indices[rng.nextInt(outN)] = rng.nextBoolean() ? -1 : rng.nextInt(h * w);
                    }
                    Arrays.fill(expected, Float.NaN);
                    Arrays.fill(actual, Float.NaN);
                    reference.maxBackward(g, gradOut, 0, indices, 0, expected, 0, Parallelism.sequential());
                    impl().maxBackward(g, gradOut, 0, indices, 0, actual, 0, TWO_THREADS);
                    assertBitsEqual("max gradInput", expected, actual, g);
                });
    }

    /** Floats of guard before and after every array in {@link #everyPassWritesOnlyItsOutput}: more than two vectors. */
    private static final int GUARD = 40;

    /**
     * Every pass writes its output range and nothing beside it, though the vector paths load and store whole
     * vectors that reach past a row: arrays with {@link #GUARD} sentinels on both sides (room the vector paths
     * may use, so the last plane runs them too), for the 2×2 window and for the general cases.
     */
    @Test
    void everyPassWritesOnlyItsOutput() {
        // The 2×2 window at every width up to 70 (each partial last block at every vector width), then the general cases.
        for (int w = 2; w <= 70; w++) {
            for (int h : new int[] {2, 5}) {
                checkGuards(new Case(new Pool2dGeometry(1, 1 + w % 3, h, w, 2, 2, 2, 2, 0, 0, 1, 1, false), false, w));
            }
        }
        qt().withExamples(60).forAll(cases()).checkAssert(this::checkGuards);
    }

    private void checkGuards(Case c) {
        var g0 = c.g();
        var avg = new Pool2dGeometry(g0.batch(), g0.channels(), g0.height(), g0.width(), g0.kernelH(),
                g0.kernelW(), g0.strideH(), g0.strideW(), g0.padH(), g0.padW(), 1, 1, g0.ceilMode());
        int inN = g0.inputShape().numel();
        int outN = g0.outputShape().numel();
        int avgN = avg.outputShape().numel();
        float[] in = Gens.floats(c.seed(), GUARD, inN, GUARD);
        float[] gradOut = Gens.floats(c.seed() + 1, GUARD, outN, GUARD);
        float[] out = Sentinels.floats(GUARD + outN + GUARD);
        int[] idx = Sentinels.ints(GUARD + outN + GUARD);
        impl().maxForward(g0, in, GUARD, out, GUARD, idx, GUARD, TWO_THREADS);
        Sentinels.assertUntouched("max output", out, GUARD, outN, c);
        Sentinels.assertUntouched("max indices", idx, GUARD, outN, c);
        float[] gradIn = Sentinels.floats(GUARD + inN + GUARD);
        impl().maxBackward(g0, gradOut, GUARD, idx, GUARD, gradIn, GUARD, TWO_THREADS);
        Sentinels.assertUntouched("max gradInput", gradIn, GUARD, inN, c);
        float[] avgOut = Sentinels.floats(GUARD + avgN + GUARD);
        impl().avgForward(avg, c.countIncludePad(), in, GUARD, avgOut, GUARD, TWO_THREADS);
        Sentinels.assertUntouched("avg output", avgOut, GUARD, avgN, c);
        float[] avgGradOut = Gens.floats(c.seed() + 2, GUARD, avgN, GUARD);
        float[] avgGradIn = Sentinels.floats(GUARD + inN + GUARD);
        impl().avgBackward(avg, c.countIncludePad(), avgGradOut, GUARD, avgGradIn, GUARD, TWO_THREADS);
        Sentinels.assertUntouched("avg gradInput", avgGradIn, GUARD, inN, c);
    }

    /**
     * Average pooling of quarters over windows of 1, 2 or 4 taps a side (padding counted, so every divisor
     * is a power of two): sums and quotients are exact, so forward and backward equal the reference for
     * any geometry, stride, padding and dilation, on planes up to 40 wide.
     */
    @Test
    void averagePoolingOfQuartersOverPowerOfTwoWindowsIsExact() {
        Pool2d reference = Kernels.scalar().pool2d();
        qt().withExamples(120).forAll(Generate.pick(List.of(1, 2, 4)).zip(Generate.pick(List.of(1, 2, 4)),
                        integers().between(1, 3), integers().between(1, 2), (kh, kw, st, dil) -> new int[] {kh, kw, st, dil}),
                integers().between(1, 40).zip(integers().between(1, 40), integers().between(0, 2), (h, w, pad) -> new int[] {h, w, pad}),
                Gens.seeds()).checkAssert((k, pl, seed) -> {
                    int padH = Math.min(pl[2], k[0] / 2);
                    int padW = Math.min(pl[2], k[1] / 2);
                    int h = Math.max(pl[0], k[3] * (k[0] - 1) + 1 - 2 * padH);
                    int w = Math.max(pl[1], k[3] * (k[1] - 1) + 1 - 2 * padW);
                    var g = new Pool2dGeometry(2, 3, h, w, k[0], k[1], k[2], k[2], padH, padW, k[3], k[3], false);
                    float[] in = Gens.dyadic(seed, 0, g.inputShape().numel(), 0);
                    float[] gradOut = Gens.dyadic(seed + 1, 0, g.outputShape().numel(), 0);
                    float[] expected = new float[g.outputShape().numel()];
                    float[] actual = new float[expected.length];
                    reference.avgForward(g, true, in, 0, expected, 0, Parallelism.sequential());
                    impl().avgForward(g, true, in, 0, actual, 0, TWO_THREADS);
                    assertSameValues("avg output of quarters", expected, actual, g);
                    float[] expectedIn = new float[in.length];
                    float[] actualIn = new float[in.length];
                    Arrays.fill(expectedIn, Float.NaN);
                    Arrays.fill(actualIn, Float.NaN);
                    reference.avgBackward(g, true, gradOut, 0, expectedIn, 0, Parallelism.sequential());
                    impl().avgBackward(g, true, gradOut, 0, actualIn, 0, TWO_THREADS);
                    assertSameValues("avg gradInput of quarters", expectedIn, actualIn, g);
                });
    }

    private static void assertSameValues(String what, float[] expected, float[] actual, Pool2dGeometry g) {
        for (int i = 0; i < expected.length; i++) {
            if (!Gens.sameValue(expected[i], actual[i])) {
                throw new AssertionError(what + "[" + i + "] for " + g + ": " + expected[i] + " vs " + actual[i]);
            }
        }
    }

    private static void assertBitsEqual(String what, float[] expected, float[] actual, Pool2dGeometry g) {
        for (int i = 0; i < expected.length; i++) {
            int at = i;
            assertEquals(Float.floatToRawIntBits(expected[i]), Float.floatToRawIntBits(actual[i]),
                    () -> what + "[" + at + "] for " + g + ": " + expected[at] + " vs " + actual[at]);
        }
    }

    private void checkMax(Case c) {
        Pool2dGeometry g = c.g();
        int off = 2;
        float[] in = new float[off + g.inputShape().numel()];
        System.arraycopy(tiesAndSpecials(c.seed(), g.inputShape().numel()), 0, in, off, g.inputShape().numel());
        int outN = g.outputShape().numel();
        float[] out = new float[off + outN];
        int[] idx = new int[off + outN];
        impl().maxForward(g, in, off, out, off, idx, off, TWO_THREADS);
        float[] valuesOnly = new float[off + outN];
        impl().maxForward(g, in, off, valuesOnly, off, null, 0, TWO_THREADS);
        int hw = g.height() * g.width();
        int pq = g.outHeight() * g.outWidth();
        double[] exactGrad = new double[g.inputShape().numel()];
        double[] absGrad = new double[exactGrad.length];
        int[] terms = new int[exactGrad.length];
        float[] gradOut = Gens.floats(c.seed() + 1, off, outN, 0);
        for (int plane = 0; plane < g.batch() * g.channels(); plane++) {
            for (int p = 0; p < g.outHeight(); p++) {
                for (int q = 0; q < g.outWidth(); q++) {
                    // A dilated window can miss the input entirely: -inf, index -1, no gradient.
                    float best = Float.NEGATIVE_INFINITY;
                    int at = -1;
                    for (int r = 0; r < g.kernelH(); r++) {
                        for (int s = 0; s < g.kernelW(); s++) {
                            int h = p * g.strideH() - g.padH() + r * g.dilationH();
                            int w = q * g.strideW() - g.padW() + s * g.dilationW();
                            if (h < 0 || h >= g.height() || w < 0 || w >= g.width()) {
                                continue;
                            }
                            float v = in[off + plane * hw + h * g.width() + w];
                            if (at < 0 || v > best || Float.isNaN(v)) {
                                best = v;
                                at = h * g.width() + w;
                            }
                        }
                    }
                    int o = plane * pq + p * g.outWidth() + q;
                    int where = at;
                    assertEquals(Float.floatToIntBits(best), Float.floatToIntBits(out[off + o]),
                            () -> "max value at output " + o + " for " + c);
                    assertEquals(where, idx[off + o], () -> "max index at output " + o + " for " + c);
                    assertEquals(Float.floatToIntBits(best), Float.floatToIntBits(valuesOnly[off + o]),
                            () -> "max value without indices at output " + o + " for " + c);
                    if (at < 0) {
                        continue;
                    }
                    double go = gradOut[off + o];
                    exactGrad[plane * hw + at] += go;
                    absGrad[plane * hw + at] += Math.abs(go);
                    terms[plane * hw + at]++;
                }
            }
        }
        float[] gradIn = new float[off + exactGrad.length];
        Arrays.fill(gradIn, Float.NaN);
        impl().maxBackward(g, gradOut, off, idx, off, gradIn, off, TWO_THREADS);
        Bounds.assertWithin("max gradInput", exactGrad, absGrad, terms, gradIn, off, c);
    }

    @Test
    void averagePoolingDividesByThePyTorchWindowSize() {
        qt().withExamples(200).forAll(cases()).checkAssert(c0 -> {
            Pool2dGeometry g0 = c0.g();
            // Average pooling has no dilation.
            var g = new Pool2dGeometry(g0.batch(), g0.channels(), g0.height(), g0.width(), g0.kernelH(), g0.kernelW(),
                    g0.strideH(), g0.strideW(), g0.padH(), g0.padW(), 1, 1, g0.ceilMode());
            var c = new Case(g, c0.countIncludePad(), c0.seed());
            int off = 1;
            float[] in = Gens.floats(c.seed(), off, g.inputShape().numel(), 0);
            int outN = g.outputShape().numel();
            float[] gradOut = Gens.floats(c.seed() + 1, off, outN, 0);
            int hw = g.height() * g.width();
            double[] exact = new double[outN];
            double[] abs = new double[outN];
            int[] terms = new int[outN];
            double[] exactGrad = new double[g.inputShape().numel()];
            double[] absGrad = new double[exactGrad.length];
            int[] gradTerms = new int[exactGrad.length];
            for (int plane = 0; plane < g.batch() * g.channels(); plane++) {
                for (int p = 0; p < g.outHeight(); p++) {
                    for (int q = 0; q < g.outWidth(); q++) {
                        int o = (plane * g.outHeight() + p) * g.outWidth() + q;
                        int h0 = p * g.strideH() - g.padH();
                        int w0 = q * g.strideW() - g.padW();
                        int h1 = Math.min(h0 + g.kernelH(), g.height() + g.padH());
                        int w1 = Math.min(w0 + g.kernelW(), g.width() + g.padW());
                        int divisor = (h1 - h0) * (w1 - w0);
                        int inside = 0;
                        for (int h = Math.max(h0, 0); h < Math.min(h1, g.height()); h++) {
                            for (int w = Math.max(w0, 0); w < Math.min(w1, g.width()); w++) {
                                inside++;
                            }
                        }
                        if (!c.countIncludePad()) {
                            divisor = inside;
                        }
                        for (int h = Math.max(h0, 0); h < Math.min(h1, g.height()); h++) {
                            for (int w = Math.max(w0, 0); w < Math.min(w1, g.width()); w++) {
                                int i = plane * hw + h * g.width() + w;
                                exact[o] += in[off + i] / (double) divisor;
                                abs[o] += Math.abs(in[off + i]) / (double) divisor;
                                terms[o]++;
                                double share = gradOut[off + o] / (double) divisor;
                                exactGrad[i] += share;
                                absGrad[i] += Math.abs(share);
                                gradTerms[i]++;
                            }
                        }
                    }
                }
            }
            float[] out = new float[off + outN];
            impl().avgForward(g, c.countIncludePad(), in, off, out, off, TWO_THREADS);
            Bounds.assertWithin("avg output", exact, abs, terms, out, off, c);
            float[] gradIn = new float[off + exactGrad.length];
            Arrays.fill(gradIn, Float.NaN);
            impl().avgBackward(g, c.countIncludePad(), gradOut, off, gradIn, off, TWO_THREADS);
            Bounds.assertWithin("avg gradInput", exactGrad, absGrad, gradTerms, gradIn, off, c);
        });
    }


    @Test
    void globalAveragePoolingTakesPlaneMeansAndSpreadsGradientsEvenly() {
        qt().withExamples(100).forAll(integers().between(0, 40), Gens.lengths(3000).map(n -> Math.max(1, n)), Gens.seeds())
                .checkAssert((planes, size, seed) -> {
                    float[] in = Gens.floats(seed, 3, planes * size, 0);
                    float[] out = new float[1 + planes];
                    impl().globalAvgForward(planes, size, in, 3, out, 1, TWO_THREADS);
                    double[] exact = new double[planes];
                    double[] abs = new double[planes];
                    int[] terms = new int[planes];
                    for (int p = 0; p < planes; p++) {
                        for (int i = 0; i < size; i++) {
                            exact[p] += in[3 + p * size + i] / (double) size;
                            abs[p] += Math.abs(in[3 + p * size + i]) / (double) size;
                        }
                        terms[p] = size;
                    }
                    Bounds.assertWithin("global mean", exact, abs, terms, out, 1, planes + "x" + size);
                    float[] gradOut = Gens.floats(seed + 1, 0, planes, 0);
                    float[] gradIn = new float[planes * size];
                    impl().globalAvgBackward(planes, size, gradOut, 0, gradIn, 0, TWO_THREADS);
                    for (int i = 0; i < gradIn.length; i++) {
                        assertEquals((float) ((double) gradOut[i / size] / size), gradIn[i]);
                    }
                });
    }
}
