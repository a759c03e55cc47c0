package dev.vcnn.engine.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;

import dev.vcnn.engine.kernel.Losses.Reduction;
import dev.vcnn.engine.testing.Gens;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.ToDoubleFunction;
import org.junit.jupiter.api.Test;

/**
 * Losses on both kernel sets: values against the definitions evaluated in double, gradients against a
 * central finite difference of the double-precision loss along a random direction. With h = 1e-3 the
 * difference's truncation error is about h²·|f'''|/6 ≈ 1e-7 for these O(1) inputs, far below the
 * float gradient's own rounding (~1e-6 relative), so 1e-4·(1 + |d|) separates a wrong gradient
 * (error O(1)) from rounding.
 */
class LossesTest {
    private static final List<Losses> IMPLS = List.of(
            new Losses(Kernels.scalar().activations()), new Losses(Kernels.simd().activations()));

    /** PyTorch's cross-entropy with label smoothing eps, in double: (1 − ε)·(lse − x_t) + ε/C·Σⱼ(lse − xⱼ). */
    private static double exactCrossEntropy(double[] x, int[] t, int n, int c, boolean mean, double eps) {
        double total = 0;
        for (int i = 0; i < n; i++) {
            double max = Double.NEGATIVE_INFINITY;
            for (int j = 0; j < c; j++) {
                max = Math.max(max, x[i * c + j]);
            }
            double sum = 0;
            for (int j = 0; j < c; j++) {
                sum += StrictMath.exp(x[i * c + j] - max);
            }
            double lse = max + StrictMath.log(sum);
            double smooth = 0;
            for (int j = 0; j < c; j++) {
                smooth += lse - x[i * c + j];
            }
            total += (1 - eps) * (lse - x[i * c + t[i]]) + eps / c * smooth;
        }
        return mean ? total / n : total;
    }

    private static void checkDirectional(float[] x, float[] grad, float gradScale, ToDoubleFunction<double[]> loss, long seed) {
        var rng = new SplittableRandom(seed);
        double[] v = new double[x.length];
        double[] plus = new double[x.length];
        double[] minus = new double[x.length];
        double h = 1e-3;
        double analytic = 0;
        for (int i = 0; i < x.length; i++) {
            v[i] = rng.nextDouble(-1, 1);
            plus[i] = x[i] + h * v[i];
            minus[i] = x[i] - h * v[i];
            analytic += grad[i] * v[i];
        }
        double numeric = gradScale * (loss.applyAsDouble(plus) - loss.applyAsDouble(minus)) / (2 * h);
        assertTrue(Math.abs(analytic - numeric) <= 1e-4 * (1 + Math.abs(numeric)),
                "directional derivative " + analytic + " vs finite difference " + numeric);
    }

    @Test
    void crossEntropyMatchesLogSumExpAndItsGradient() {
        qt().withExamples(100).forAll(integers().between(1, 9), integers().between(1, 40), Gens.seeds()).checkAssert((n, c, seed) -> {
            var rng = new SplittableRandom(seed);
            float[] logits = new float[1 + n * c];
            for (int i = 0; i < logits.length; i++) {
                logits[i] = (float) rng.nextDouble(-3, 3);
            }
            int[] targets = new int[n];
            for (int i = 0; i < n; i++) {
                targets[i] = rng.nextInt(c);
            }
            double[] xd = new double[n * c];
            float[] xf = new float[n * c];
            for (int i = 0; i < xd.length; i++) {
                xd[i] = logits[1 + i];
                xf[i] = logits[1 + i];
            }
            for (Reduction red : Reduction.values()) {
              for (float eps : new float[] {0f, 0.1f}) {
                boolean mean = red == Reduction.MEAN;
                double exact = exactCrossEntropy(xd, targets, n, c, mean, eps);
                for (Losses losses : IMPLS) {
                    float[] grad = new float[n * c];
                    float got = losses.softmaxCrossEntropy(logits, 1, targets, 0, n, c, eps, red, 0.5f, grad, 0);
                    // log-softmax bound per row (|x − max| ≤ 6, |y| ≤ log C + 6), summed, plus the final rounding.
                    double perRow = 2.0 * (c + 4) * Gens.U * (1 + 6 + Math.log(c) + 6);
                    double bound = (mean ? perRow : n * perRow) + 2 * Gens.U * Math.abs(exact);
                    assertTrue(Math.abs(got - exact) <= bound, "loss " + got + " vs " + exact + " (" + red + ", ε=" + eps + ")");
                    checkDirectional(xf, grad, 0.5f, x -> exactCrossEntropy(x, targets, n, c, mean, eps), seed);
                }
              }
            }
        });
    }

    @Test
    void mseAndBinaryCrossEntropyMatchTheirDefinitions() {
        qt().withExamples(100).forAll(Gens.lengths(300).map(n -> Math.max(1, n)), Gens.seeds()).checkAssert((n, seed) -> {
            var rng = new SplittableRandom(seed);
            float[] x = new float[n];
            float[] y = new float[n];
            float[] labels = new float[n];
            for (int i = 0; i < n; i++) {
                x[i] = (float) rng.nextDouble(-4, 4);
                y[i] = (float) rng.nextDouble(-4, 4);
                labels[i] = rng.nextInt(2);
            }
            ToDoubleFunction<double[]> mse = v -> {
                double s = 0;
                for (int i = 0; i < n; i++) {
                    s += (v[i] - y[i]) * (v[i] - y[i]);
                }
                return s / n;
            };
            ToDoubleFunction<double[]> bce = v -> {
                double s = 0;
                for (int i = 0; i < n; i++) {
                    double p = 1 / (1 + StrictMath.exp(-v[i]));
                    s -= labels[i] * StrictMath.log(p) + (1 - labels[i]) * StrictMath.log(1 - p);
                }
                return s / n;
            };
            double[] xd = new double[n];
            for (int i = 0; i < n; i++) {
                xd[i] = x[i];
            }
            for (Losses losses : IMPLS) {
                float[] grad = new float[n];
                float gotMse = losses.mse(x, 0, y, 0, n, Reduction.MEAN, 1f, grad, 0);
                double exactMse = mse.applyAsDouble(xd);
                // each (x − y) rounds once, squaring doubles it; the sum in double adds nothing.
                assertTrue(Math.abs(gotMse - exactMse) <= 4 * Gens.U * exactMse + Float.MIN_NORMAL, gotMse + " vs " + exactMse);
                checkDirectional(x, grad, 1f, mse, seed);
                float gotBce = losses.bceWithLogits(x, 0, labels, 0, n, Reduction.MEAN, 1f, grad, 0);
                double exactBce = bce.applyAsDouble(xd);
                // the loss sums in double and rounds once to float: a few units of 2⁻²⁴ relative.
                assertTrue(Math.abs(gotBce - exactBce) <= 4 * Gens.U * exactBce + Float.MIN_NORMAL, gotBce + " vs " + exactBce);
                checkDirectional(x, grad, 1f, bce, seed);
            }
        });
    }

    @Test
    void crossEntropyIsStableForHugeLogits() {
        float[] logits = {1000f, -1000f, 0f, 0f, 0f, 10000f};
        float[] grad = new float[6];
        float loss = IMPLS.get(1).softmaxCrossEntropy(logits, 0, new int[] {0, 0}, 0, 2, 3, 0f, Reduction.SUM, 1f, grad, 0);
        assertEquals(10000f, loss, 1e-3f); // row 0 contributes 0, row 1 contributes 10000
        assertEquals(0f, grad[0], 1e-7f);
        assertEquals(-1f, grad[3], 1e-7f);
        assertEquals(1f, grad[5], 1e-7f);
    }

    @Test
    void aMeanOverNoSamplesIsNaNAndASumIsZero() {
        for (Losses l : IMPLS) {
            float[] none = new float[0];
            assertTrue(Float.isNaN(l.softmaxCrossEntropy(none, 0, new int[0], 0, 0, 5, 0f, Reduction.MEAN, 1f, none, 0)));
            assertTrue(Float.isNaN(l.nll(none, 0, new int[0], 0, 0, 5, Reduction.MEAN, 1f, none, 0)));
            assertTrue(Float.isNaN(l.mse(none, 0, none, 0, 0, Reduction.MEAN, 1f, none, 0)));
            assertTrue(Float.isNaN(l.bceWithLogits(none, 0, none, 0, 0, Reduction.MEAN, 1f, none, 0)));
            assertEquals(0f, l.mse(none, 0, none, 0, 0, Reduction.SUM, 1f, none, 0));
        }
    }

    /**
     * The cross-entropy gradient with few classes (rows of one or two vectors, or none) is as close to the
     * reference as its rounding allows: within one ulp of the largest gradient, for 2 to 40 classes. The
     * row's exp sum is the softmax's denominator; summed in float it cost two to three ulps.
     */
    @Test
    void crossEntropyGradientWithFewClassesIsWithinAnUlpOfTheReference() {
        Losses reference = IMPLS.get(0);
        for (Losses l : IMPLS) {
            for (int classes = 2; classes <= 40; classes++) {
                int n = 64;
                float[] logits = Gens.floats(classes, 0, n * classes, 0);
                for (int i = 0; i < logits.length; i++) {
                    logits[i] *= 4;
                }
                int[] t = new int[n];
                for (int i = 0; i < n; i++) {
                    t[i] = (i * 7) % classes;
                }
                float[] expected = new float[n * classes];
                float[] actual = new float[n * classes];
                reference.softmaxCrossEntropy(logits, 0, t, 0, n, classes, 0f, Reduction.MEAN, 1f, expected, 0);
                l.softmaxCrossEntropy(logits, 0, t, 0, n, classes, 0f, Reduction.MEAN, 1f, actual, 0);
                float max = 0;
                for (float g : expected) {
                    max = Math.max(max, Math.abs(g));
                }
                for (int i = 0; i < expected.length; i++) {
                    assertTrue(Math.abs(expected[i] - actual[i]) <= Math.ulp(max), "classes " + classes + ", gradient " + i
                            + ": " + actual[i] + " vs " + expected[i] + " (ulp of the largest " + Math.ulp(max) + ")");
                }
            }
        }
    }
}
