package dev.vcnn.engine.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;

import dev.vcnn.engine.kernel.scalar.ScalarActivations;
import dev.vcnn.engine.testing.Gens;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The contract of {@link Activations} against every implementation and vector width: elementwise
 * kernels equal the shared scalar definitions bit for bit (NaNs as NaN); those definitions stay within
 * a few ulp of {@link StrictMath}; softmax rows stay within their bound of an exact softmax in double.
 */
public abstract class ActivationsContract {
    protected abstract Activations impl();

    record Case(int n, int xOff, int outOff, long seed) {}

    private static org.quicktheories.dsl.TheoryBuilder<Case> cases() {
        return qt().withExamples(150).forAll(Gens.lengths(2100).zip(Gens.offsets(), Gens.offsets(), Gens.seeds(), Case::new));
    }

    /** Wide-ranging inputs: mostly [-12, 12], some up to ±120 (overflow and underflow of exp), specials. */
    private static float[] inputs(long seed, int off, int n) {
        var rng = new SplittableRandom(seed);
        float[] specials = {0f, -0f, Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, 88.7f, 88.73f,
                -87.4f, -103.9f, -104f, 0.624f, -0.625f, 1e-8f};
        float[] x = new float[off + n + 3];
        for (int i = 0; i < x.length; i++) {
            int pick = rng.nextInt(10);
            x[i] = pick == 0 ? specials[rng.nextInt(specials.length)]
                    : pick == 1 ? (float) rng.nextDouble(-120, 120) : (float) rng.nextDouble(-12, 12);
        }
        return x;
    }

    private interface Unary {
        void apply(Activations a, float[] x, int xOff, float[] out, int outOff, int n);
    }

    private interface Definition {
        float of(float x);
    }

    private void checkUnary(Unary kernel, Definition definition) {
        cases().checkAssert(c -> {
            float[] x = inputs(c.seed(), c.xOff(), c.n());
            float[] out = new float[c.outOff() + c.n()];
            kernel.apply(impl(), x, c.xOff(), out, c.outOff(), c.n());
            for (int i = 0; i < c.n(); i++) {
                float v = x[c.xOff() + i];
                int at = i;
                assertEquals(Float.floatToIntBits(definition.of(v)), Float.floatToIntBits(out[c.outOff() + i]),
                        () -> "element " + at + " (x=" + v + ") for " + c);
            }
        });
    }

    @Test
    void expMatchesTheSharedDefinition() {
        checkUnary(Activations::exp, ScalarActivations::exp);
    }

    @Test
    void sigmoidMatchesTheSharedDefinition() {
        checkUnary(Activations::sigmoid, ScalarActivations::sigmoid);
    }

    @Test
    void tanhMatchesTheSharedDefinition() {
        checkUnary(Activations::tanh, ScalarActivations::tanh);
    }

    @Test
    void leakyReluScalesNegativesOnly() {
        checkUnary((a, x, xo, out, oo, n) -> a.leakyRelu(0.01f, x, xo, out, oo, n), v -> v > 0 ? v : 0.01f * v);
    }

    @Test
    void hardtanhClampsAndKeepsNaN() {
        checkUnary((a, x, xo, out, oo, n) -> a.hardtanh(0f, 6f, x, xo, out, oo, n), v -> v < 0 ? 0 : v > 6 ? 6 : v);
        checkUnary((a, x, xo, out, oo, n) -> a.hardtanh(-1f, 1f, x, xo, out, oo, n), v -> v < -1 ? -1 : v > 1 ? 1 : v);
    }

    @Test
    void backwardPassesFollowTheirDefinitions() {
        cases().checkAssert(c -> {
            float[] x = inputs(c.seed(), c.xOff(), c.n());
            float[] y = new float[c.xOff() + c.n()];
            for (int i = 0; i < y.length; i++) {
                y[i] = ScalarActivations.tanh(x[i]); // any values in [-1, 1] serve as saved outputs
            }
            float[] g = Gens.floats(c.seed() + 1, c.xOff(), c.n(), 0);
            float[] out = new float[c.outOff() + c.n()];
            impl().leakyReluBackward(0.2f, x, c.xOff(), g, c.xOff(), out, c.outOff(), c.n());
            for (int i = 0; i < c.n(); i++) {
                float gi = g[c.xOff() + i];
                assertEquals(Float.floatToIntBits(x[c.xOff() + i] > 0 ? gi : 0.2f * gi), Float.floatToIntBits(out[c.outOff() + i]));
            }
            impl().hardtanhBackward(0f, 6f, x, c.xOff(), g, c.xOff(), out, c.outOff(), c.n());
            for (int i = 0; i < c.n(); i++) {
                float v = x[c.xOff() + i];
                float gi = g[c.xOff() + i];
                assertEquals(Float.floatToIntBits(v > 0 && v < 6 ? gi : 0f), Float.floatToIntBits(out[c.outOff() + i]),
                        "hardtanh gradient at x=" + v);
            }
            impl().sigmoidBackward(y, c.xOff(), g, c.xOff(), out, c.outOff(), c.n());
            for (int i = 0; i < c.n(); i++) {
                float s = y[c.xOff() + i];
                assertEquals(Float.floatToIntBits(g[c.xOff() + i] * (s * (1f - s))), Float.floatToIntBits(out[c.outOff() + i]));
            }
            impl().tanhBackward(y, c.xOff(), g, c.xOff(), out, c.outOff(), c.n());
            for (int i = 0; i < c.n(); i++) {
                float t = y[c.xOff() + i];
                assertEquals(Float.floatToIntBits(g[c.xOff() + i] * Math.fma(-t, t, 1f)), Float.floatToIntBits(out[c.outOff() + i]));
            }
        });
    }

    /** The shared definitions against StrictMath over a dense sweep: exp ≤ 2 ulp, sigmoid and tanh ≤ 4 ulp. */
    @Test
    void sharedDefinitionsAreAccurate() {
        for (float x = -103.9f; x < 88.72f; x = Math.nextUp(x + Math.max(1e-3f, Math.abs(x) * 1e-4f))) {
            double e = StrictMath.exp(x);
            float got = ScalarActivations.exp(x);
            double ulp = Math.ulp((float) e);
            if (e >= Float.MIN_NORMAL) {
                assertTrue(Math.abs(got - e) <= 2 * ulp, "exp(" + x + ") = " + got + " vs " + e);
            } else {
                assertTrue(Math.abs(got - e) <= 2 * Float.MIN_VALUE, "subnormal exp(" + x + ") = " + got + " vs " + e);
            }
            double s = 1 / (1 + StrictMath.exp(-x));
            assertTrue(Math.abs(ScalarActivations.sigmoid(x) - s) <= 4 * Math.ulp((float) s) + Float.MIN_VALUE,
                    "sigmoid(" + x + ") = " + ScalarActivations.sigmoid(x) + " vs " + s);
            double t = StrictMath.tanh(x);
            assertTrue(Math.abs(ScalarActivations.tanh(x) - t) <= 4 * Math.ulp((float) t),
                    "tanh(" + x + ") = " + ScalarActivations.tanh(x) + " vs " + t);
        }
        assertEquals(Float.POSITIVE_INFINITY, ScalarActivations.exp(89f));
        assertEquals(0f, ScalarActivations.exp(-105f));
        assertTrue(Float.isNaN(ScalarActivations.exp(Float.NaN)));
        assertEquals(1f, ScalarActivations.sigmoid(Float.POSITIVE_INFINITY));
        assertEquals(0f, ScalarActivations.sigmoid(Float.NEGATIVE_INFINITY));
        assertEquals(-1f, ScalarActivations.tanh(Float.NEGATIVE_INFINITY));
        assertEquals(Float.floatToIntBits(-0f), Float.floatToIntBits(ScalarActivations.tanh(-0f)));
    }

    @Test
    void softmaxRowsAreWithinTheirBoundOfExactSoftmax() {
        qt().withExamples(150).forAll(integers().between(1, 5), Gens.lengths(300).map(n -> Math.max(1, n)), Gens.seeds())
                .checkAssert((rows, cols, seed) -> {
                    var rng = new SplittableRandom(seed);
                    float scale = (float) Math.pow(10, rng.nextInt(4) - 1); // logits from ±0.1 to ±100
                    float[] x = new float[2 + rows * cols];
                    for (int i = 0; i < x.length; i++) {
                        x[i] = (float) rng.nextDouble(-scale, scale);
                    }
                    float[] soft = new float[1 + rows * cols];
                    float[] logSoft = new float[1 + rows * cols];
                    impl().softmaxRows(false, x, 2, soft, 1, rows, cols);
                    impl().softmaxRows(true, x, 2, logSoft, 1, rows, cols);
                    for (int r = 0; r < rows; r++) {
                        double max = Double.NEGATIVE_INFINITY;
                        for (int j = 0; j < cols; j++) {
                            max = Math.max(max, x[2 + r * cols + j]);
                        }
                        double sum = 0;
                        for (int j = 0; j < cols; j++) {
                            sum += StrictMath.exp(x[2 + r * cols + j] - max);
                        }
                        for (int j = 0; j < cols; j++) {
                            double shifted = x[2 + r * cols + j] - max;
                            double exactSoft = StrictMath.exp(shifted) / sum;
                            double exactLog = shifted - StrictMath.log(sum);
                            float gotSoft = soft[1 + r * cols + j];
                            float gotLog = logSoft[1 + r * cols + j];
                            // x − max rounds by u·|x − max|, which exp turns into a relative error; then
                            // exp's 2 ulp and two roundings on top of the sum's 2·(C+1)·u.
                            double softBound = (2.0 * (cols + 4) + Math.abs(shifted)) * Gens.U * exactSoft
                                    + Math.ulp((float) exactSoft);
                            double logBound = 2.0 * (cols + 4) * Gens.U * (1 + Math.abs(shifted) + Math.abs(exactLog));
                            int col = j;
                            assertTrue(Math.abs(gotSoft - exactSoft) <= softBound,
                                    () -> "softmax[" + col + "] = " + gotSoft + " vs " + exactSoft + " (cols=" + cols + ")");
                            assertTrue(Math.abs(gotLog - exactLog) <= logBound,
                                    () -> "log-softmax[" + col + "] = " + gotLog + " vs " + exactLog + " (cols=" + cols + ")");
                        }
                    }
                });
    }

    @Test
    void softmaxMayOverwriteItsInput() {
        float[] x = {1f, 2f, 3f, -1f, 0f, 1000f, 1000f, -1000f};
        float[] copy = x.clone();
        float[] expected = new float[8];
        impl().softmaxRows(false, copy, 0, expected, 0, 2, 4);
        impl().softmaxRows(false, x, 0, x, 0, 2, 4);
        assertEquals(java.util.Arrays.toString(expected), java.util.Arrays.toString(x));
        assertEquals(0.5f, x[5], 1e-7f);
    }
}
