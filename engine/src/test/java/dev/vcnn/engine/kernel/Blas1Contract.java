package dev.vcnn.engine.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;

import dev.vcnn.engine.testing.Gens;
import dev.vcnn.engine.testing.Sentinels;
import org.junit.jupiter.api.Test;

/**
 * The contract of {@link Blas1}, run against every implementation (subclasses) and, through Surefire
 * executions, under every forced vector width. The oracle is each kernel's definition written out
 * here: elementwise results must match it bit for bit (NaNs compared as NaN), reductions within
 * {@code 2·(n+1)·2⁻²⁴·Σ|termᵢ|} of a double-accumulated sum, and nothing outside the output range
 * may change.
 */
public abstract class Blas1Contract {
    private static final int PAD = 19;

    /** The implementation under test. */
    protected abstract Blas1 impl();

    /** A case: length, three offsets and a data seed. */
    record Case(int n, int xOff, int yOff, int outOff, long seed) {}

    private static org.quicktheories.dsl.TheoryBuilder<Case> cases() {
        return qt().withExamples(300).forAll(
                Gens.lengths(4099).zip(Gens.offsets(), Gens.offsets(), Gens.offsets(), Gens.seeds(),
                        Case::new));
    }

    private interface Binary {
        void apply(Blas1 k, float[] x, int xOff, float[] y, int yOff, float[] out, int outOff, int n);
    }

    private interface FloatOp2 {
        float apply(float x, float y);
    }

    private void checkBinary(Binary kernel, FloatOp2 definition) {
        cases().checkAssert(c -> {
            float[] x = Gens.floatsWithSpecials(c.seed(), c.xOff(), c.n(), PAD);
            float[] y = Gens.floatsWithSpecials(c.seed() + 1, c.yOff(), c.n(), PAD);
            float[] out = Sentinels.floats(c.outOff() + c.n() + PAD);
            kernel.apply(impl(), x, c.xOff(), y, c.yOff(), out, c.outOff(), c.n());
            for (int i = 0; i < c.n(); i++) {
                assertSameFloat(definition.apply(x[c.xOff() + i], y[c.yOff() + i]), out[c.outOff() + i], c, i);
            }
            Sentinels.assertUntouched("output", out, c.outOff(), c.n(), c);
        });
    }

    @Test
    void addIsElementwiseSum() {
        checkBinary(Blas1::add, (a, b) -> a + b);
    }

    @Test
    void subIsElementwiseDifference() {
        checkBinary(Blas1::sub, (a, b) -> a - b);
    }

    @Test
    void mulIsElementwiseProduct() {
        checkBinary(Blas1::mul, (a, b) -> a * b);
    }

    @Test
    void divIsElementwiseQuotient() {
        checkBinary(Blas1::div, (a, b) -> a / b);
    }

    @Test
    void scaleUsesOneAlphaForAllElements() {
        cases().checkAssert(c -> {
            float alpha = (float) (c.seed() % 7 - 3) / 2.5f;
            float[] x = Gens.floatsWithSpecials(c.seed(), c.xOff(), c.n(), PAD);
            float[] out = Sentinels.floats(c.outOff() + c.n() + PAD);
            impl().scale(alpha, x, c.xOff(), out, c.outOff(), c.n());
            for (int i = 0; i < c.n(); i++) {
                assertSameFloat(alpha * x[c.xOff() + i], out[c.outOff() + i], c, i);
            }
            Sentinels.assertUntouched("output", out, c.outOff(), c.n(), c);
        });
    }

    @Test
    void axpyIsOneFusedMultiplyAdd() {
        cases().checkAssert(c -> {
            float alpha = (float) (c.seed() % 11 - 5) / 3f;
            float[] x = Gens.floatsWithSpecials(c.seed(), c.xOff(), c.n(), PAD);
            float[] y = Gens.floatsWithSpecials(c.seed() + 1, c.yOff(), c.n(), PAD);
            float[] before = y.clone();
            impl().axpy(alpha, x, c.xOff(), y, c.yOff(), c.n());
            for (int i = 0; i < y.length; i++) {
                int j = i - c.yOff();
                float expected = j >= 0 && j < c.n() ? Math.fma(alpha, x[c.xOff() + j], before[i]) : before[i];
                assertSameFloat(expected, y[i], c, i);
            }
        });
    }

    @Test
    void reluIsMaxWithZero() {
        cases().checkAssert(c -> {
            float[] x = Gens.floatsWithSpecials(c.seed(), c.xOff(), c.n(), PAD);
            float[] out = Sentinels.floats(c.outOff() + c.n() + PAD);
            impl().relu(x, c.xOff(), out, c.outOff(), c.n());
            for (int i = 0; i < c.n(); i++) {
                float v = x[c.xOff() + i];
                float expected = Float.isNaN(v) ? Float.NaN : v > 0 ? v : 0f;
                assertSameFloat(expected, out[c.outOff() + i], c, i);
            }
            Sentinels.assertUntouched("output", out, c.outOff(), c.n(), c);
        });
    }

    /**
     * Batch norm's map, bit for bit against its definition, at means far from the data (where a float
     * subtraction would round differently from the double one) and with special values.
     */
    @Test
    void normalizeSubtractsTheMeanInDoubleThenFusesScaleAndShift() {
        cases().checkAssert(c -> {
            float[] x = Gens.floatsWithSpecials(c.seed(), c.xOff(), c.n(), PAD);
            double mean = (c.seed() % 3 == 0 ? 1e4 : 0.3) + c.seed() % 7 * 1e-9;
            float scale = 0.75f + c.seed() % 5;
            float shift = -0.125f * (c.seed() % 11);
            float[] out = Sentinels.floats(c.outOff() + c.n() + PAD);
            impl().normalize(x, c.xOff(), mean, scale, shift, out, c.outOff(), c.n());
            for (int i = 0; i < c.n(); i++) {
                float expected = Math.fma((float) (x[c.xOff() + i] - mean), scale, shift);
                assertSameFloat(expected, out[c.outOff() + i], c, i);
            }
            Sentinels.assertUntouched("output", out, c.outOff(), c.n(), c);
        });
    }

    /**
     * Batch norm's map at a mean that is itself a float, as in inference with running statistics: still bit for
     * bit the double subtraction, at small, large, tiny and infinite means.
     */
    @Test
    void normalizeAtAFloatMeanStillSubtractsAsInDouble() {
        float[] means = {0.3f, -1e4f, 1e-40f, -Float.MIN_VALUE, Float.MAX_VALUE, Float.NEGATIVE_INFINITY, 7f};
        cases().checkAssert(c -> {
            float[] x = Gens.floatsWithSpecials(c.seed(), c.xOff(), c.n(), PAD);
            float mean = means[(int) Math.floorMod(c.seed(), (long) means.length)];
            float scale = 0.75f + c.seed() % 5;
            float shift = -0.125f * (c.seed() % 11);
            float[] out = Sentinels.floats(c.outOff() + c.n() + PAD);
            impl().normalize(x, c.xOff(), mean, scale, shift, out, c.outOff(), c.n());
            for (int i = 0; i < c.n(); i++) {
                float expected = Math.fma((float) (x[c.xOff() + i] - (double) mean), scale, shift);
                assertSameFloat(expected, out[c.outOff() + i], c, i);
            }
            Sentinels.assertUntouched("output", out, c.outOff(), c.n(), c);
        });
    }

    /**
     * Batch norm's input gradient over one run: bit for bit the definition's double operations in order, at large
     * and small means, with special values among the inputs and gradients.
     */
    @Test
    void batchNormGradientIsTheDoubleFormulaInOrder() {
        cases().checkAssert(c -> {
            float[] x = Gens.floatsWithSpecials(c.seed(), c.xOff(), c.n(), PAD);
            float[] dy = Gens.floatsWithSpecials(c.seed() + 1, c.yOff(), c.n(), PAD);
            double mean = (c.seed() % 3 == 0 ? 1e4 : 0.3) + c.seed() % 7 * 1e-9;
            double invStd = 0.5 + c.seed() % 5 * 0.37;
            double k = (c.seed() % 2 == 0 ? 1 : -3.5) / (1 + c.n());
            double m = 1 + c.seed() % 97;
            double sumDy = 0.1 * (c.seed() % 11) - 1.0 / 7; // not dyadic: each subtraction rounds
            double sumDyXhat = 1.0 / 3 * (c.seed() % 13);
            float[] out = Sentinels.floats(c.outOff() + c.n() + PAD);
            impl().batchNormGradient(x, c.xOff(), dy, c.yOff(), mean, invStd, k, m, sumDy, sumDyXhat, out, c.outOff(),
                    c.n());
            for (int i = 0; i < c.n(); i++) {
                double xhat = (x[c.xOff() + i] - mean) * invStd;
                float expected = (float) (k * (m * dy[c.yOff() + i] - sumDy - xhat * sumDyXhat));
                assertSameFloat(expected, out[c.outOff() + i], c, i);
            }
            Sentinels.assertUntouched("output", out, c.outOff(), c.n(), c);
        });
    }

    @Test
    void reluBackwardPassesGradientWhereInputIsPositive() {
        cases().checkAssert(c -> {
            float[] x = Gens.floatsWithSpecials(c.seed(), c.xOff(), c.n(), PAD);
            float[] g = Gens.floatsWithSpecials(c.seed() + 1, c.yOff(), c.n(), PAD);
            float[] out = Sentinels.floats(c.outOff() + c.n() + PAD);
            impl().reluBackward(x, c.xOff(), g, c.yOff(), out, c.outOff(), c.n());
            for (int i = 0; i < c.n(); i++) {
                float expected = x[c.xOff() + i] > 0 ? g[c.yOff() + i] : 0f;
                assertSameFloat(expected, out[c.outOff() + i], c, i);
            }
            Sentinels.assertUntouched("output", out, c.outOff(), c.n(), c);
        });
    }

    @Test
    void addBiasAddsOneValuePerChannel() {
        qt().withExamples(200).forAll(org.quicktheories.generators.SourceDSL.integers().between(0, 4),
                        org.quicktheories.generators.SourceDSL.integers().between(1, 20), Gens.lengths(300), Gens.seeds())
                .checkAssert((n, c, s, seed) -> {
                    int off = (int) (seed % 5);
                    float[] x = Gens.floatsWithSpecials(seed, off, n * c * s, PAD);
                    float[] bias = Gens.floats(seed + 1, 2, c, 0);
                    float[] before = x.clone();
                    impl().addBias(x, off, n, c, s, bias, 2);
                    for (int i = 0; i < x.length; i++) {
                        int rel = i - off;
                        float expected = rel >= 0 && rel < n * c * s ? before[i] + bias[2 + (rel / s) % c] : before[i];
                        int at = i;
                        assertEquals(Float.floatToIntBits(expected), Float.floatToIntBits(x[i]), () -> "element " + at);
                    }
                });
    }

    @Test
    void dotIsWithinFloatBoundOfExactSum() {
        cases().checkAssert(c -> {
            float[] x = Gens.floats(c.seed(), c.xOff(), c.n(), PAD);
            float[] y = Gens.floats(c.seed() + 1, c.yOff(), c.n(), PAD);
            double exact = 0;
            double absSum = 0;
            for (int i = 0; i < c.n(); i++) {
                double p = (double) x[c.xOff() + i] * y[c.yOff() + i];
                exact += p;
                absSum += Math.abs(p);
            }
            float got = impl().dot(x, c.xOff(), y, c.yOff(), c.n());
            assertWithinBound(exact, absSum, got, c);
        });
    }

    @Test
    void sumIsWithinFloatBoundOfExactSum() {
        cases().checkAssert(c -> {
            float[] x = Gens.floats(c.seed(), c.xOff(), c.n(), PAD);
            double exact = 0;
            double absSum = 0;
            for (int i = 0; i < c.n(); i++) {
                exact += x[c.xOff() + i];
                absSum += Math.abs(x[c.xOff() + i]);
            }
            assertWithinBound(exact, absSum, impl().sum(x, c.xOff(), c.n()), c);
        });
    }

    /** On quarters every summation order is exact: dot and sum must equal the exact value, so no tail or lane is lost. */
    @Test
    void dotAndSumOfQuartersAreExact() {
        cases().checkAssert(c -> {
            float[] x = Gens.dyadic(c.seed(), c.xOff(), c.n(), PAD);
            float[] y = Gens.dyadic(c.seed() + 1, c.yOff(), c.n(), PAD);
            double dot = 0;
            double sum = 0;
            for (int i = 0; i < c.n(); i++) {
                dot += (double) x[c.xOff() + i] * y[c.yOff() + i];
                sum += x[c.xOff() + i];
            }
            float gotDot = impl().dot(x, c.xOff(), y, c.yOff(), c.n());
            float gotSum = impl().sum(x, c.xOff(), c.n());
            if (!Gens.sameValue((float) dot, gotDot) || !Gens.sameValue((float) sum, gotSum)) {
                throw new AssertionError("dot " + gotDot + " (exactly " + dot + "), sum " + gotSum + " (exactly " + sum
                        + ") for " + c);
            }
        });
    }

    @Test
    void maxAndArgmaxFindTheFirstLargest() {
        cases().checkAssert(c -> {
            if (c.n() == 0) {
                return; // both require n > 0
            }
            float[] x = Gens.floatsWithSpecials(c.seed(), c.xOff(), c.n(), PAD);
            // Repeat the largest element later so "first" is tested, and sometimes remove NaNs.
            if (c.seed() % 2 == 0) {
                for (int i = c.xOff(); i < c.xOff() + c.n(); i++) {
                    if (Float.isNaN(x[i])) {
                        x[i] = 0.25f;
                    }
                }
            }
            int expectedIndex = 0;
            for (int i = 1; i < c.n(); i++) {
                float v = x[c.xOff() + i];
                float best = x[c.xOff() + expectedIndex];
                if (!Float.isNaN(best) && (Float.isNaN(v) || v > best)) {
                    expectedIndex = i;
                }
            }
            // max orders -0 below +0 (Math.max), so it is not always the element argmax points at.
            float expectedMax = x[c.xOff()];
            for (int i = 1; i < c.n(); i++) {
                expectedMax = Math.max(expectedMax, x[c.xOff() + i]);
            }
            assertSameFloat(expectedMax, impl().max(x, c.xOff(), c.n()), c, -1);
            int got = impl().argmax(x, c.xOff(), c.n());
            // +0 and -0 are equally large: the first of either is right.
            assertEquals(expectedIndex, got, () -> "argmax of " + c);
        });
    }

    // ---- helpers ------------------------------------------------------------------------------

    private static void assertSameFloat(float expected, float actual, Case c, int i) {
        // floatToIntBits folds every NaN into one, so NaN payloads do not matter; ±0 do.
        assertEquals(Float.floatToIntBits(expected), Float.floatToIntBits(actual),
                () -> "element " + i + ": expected " + expected + " but was " + actual + ", " + c);
    }

    private static void assertWithinBound(double exact, double absSum, float got, Case c) {
        double bound = 2.0 * (c.n() + 1) * Gens.U * absSum;
        double err = Math.abs(got - exact);
        assertTrue(err <= bound, () -> "error " + err + " exceeds bound " + bound + " (exact=" + exact
                + ", got=" + got + "), " + c);
    }
}
