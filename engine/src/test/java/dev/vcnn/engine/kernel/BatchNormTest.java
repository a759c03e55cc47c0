package dev.vcnn.engine.kernel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;

import dev.vcnn.engine.parallel.Parallelism;
import dev.vcnn.engine.testing.Gens;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Batch norm against its definition in double, its backward against a finite difference of L = Σ w·y
 * (central differences in double with h = 1e-3 and 5e-4, Richardson-extrapolated; tolerance
 * 1e-3·(1 + |d|)), and the running statistics against PyTorch's update rule.
 */
class BatchNormTest {
    private static final Parallelism TWO = Parallelism.of(2);
    /** The kernels the layers use: the Vector API ones where the module is readable. */
    private static final Blas1 BLAS1 = Kernels.defaults().blas1();

    private static double[] forwardExact(double[] x, int n, int c, int s, float[] gamma, float[] beta, float eps) {
        double[] y = new double[x.length];
        int m = n * s;
        for (int ch = 0; ch < c; ch++) {
            double mean = 0;
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < s; j++) {
                    mean += x[(i * c + ch) * s + j];
                }
            }
            mean /= m;
            double var = 0;
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < s; j++) {
                    double d = x[(i * c + ch) * s + j] - mean;
                    var += d * d;
                }
            }
            var /= m;
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < s; j++) {
                    int at = (i * c + ch) * s + j;
                    y[at] = gamma[ch] * (x[at] - mean) / Math.sqrt(var + eps) + beta[ch];
                }
            }
        }
        return y;
    }

    /** d/dt Σ w·y(x + t·v) at t = 0 by a central difference of step h, in double. */
    private static double centralDifference(float[] x, double[] v, float[] w, double h, int n, int c, int s,
                                            float[] gamma, float[] beta, float eps) {
        double[] plus = new double[x.length];
        double[] minus = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            plus[i] = x[i] + h * v[i];
            minus[i] = x[i] - h * v[i];
        }
        double[] yp = forwardExact(plus, n, c, s, gamma, beta, eps);
        double[] ym = forwardExact(minus, n, c, s, gamma, beta, eps);
        double d = 0;
        for (int i = 0; i < x.length; i++) {
            d += w[i] * (yp[i] - ym[i]) / (2 * h);
        }
        return d;
    }

    @Test
    void trainingForwardBackwardAndRunningStatistics() {
        qt().withExamples(80).forAll(integers().between(1, 5), integers().between(1, 6), integers().between(1, 30), Gens.seeds())
                .checkAssert((n, c, s, seed) -> {
                    if (n * s < 2) {
                        return; // a single value per channel has no variance to normalise by
                    }
                    var rng = new SplittableRandom(seed);
                    int size = n * c * s;
                    float[] x = new float[size];
                    float[] w = new float[size];
                    float[] gamma = new float[c];
                    float[] beta = new float[c];
                    for (int i = 0; i < size; i++) {
                        x[i] = (float) rng.nextDouble(-2, 3);
                        w[i] = (float) rng.nextDouble(-1, 1);
                    }
                    for (int i = 0; i < c; i++) {
                        gamma[i] = (float) rng.nextDouble(0.5, 2);
                        beta[i] = (float) rng.nextDouble(-1, 1);
                    }
                    float eps = 1e-5f;
                    float[] runMean = new float[c];
                    float[] runVar = new float[c];
                    java.util.Arrays.fill(runVar, 1f);
                    float[] y = new float[size];
                    float[] mean = new float[c];
                    float[] invStd = new float[c];
                    BatchNorm.forwardTraining(x, 0, n, c, s, gamma, beta, eps, 0.1f, runMean, runVar, y, 0, mean, invStd, BLAS1, TWO);
                    double[] xd = new double[size];
                    for (int i = 0; i < size; i++) {
                        xd[i] = x[i];
                    }
                    double[] exact = forwardExact(xd, n, c, s, gamma, beta, eps);
                    for (int i = 0; i < size; i++) {
                        // (x − μ) and γ·invStd each round once, the fma once: a few u of |x̂·γ|, |β| and |y|.
                        int ch = i / s % c;
                        double xhatGamma = Math.abs(exact[i] - beta[ch]);
                        double bound = 8 * Gens.U * (Math.abs(exact[i]) + Math.abs(beta[ch]) + xhatGamma);
                        int at = i;
                        assertTrue(Math.abs(y[i] - exact[i]) <= bound, () -> "y[" + at + "] = " + y[at] + " vs " + exact[at]);
                    }
                    // Running statistics: (1 − m)·old + m·batch, with the unbiased variance.
                    for (int ch = 0; ch < c; ch++) {
                        double sum = 0;
                        double sq = 0;
                        for (int i = 0; i < n; i++) {
                            for (int j = 0; j < s; j++) {
                                sum += x[(i * c + ch) * s + j];
                            }
                        }
                        double mu = sum / (n * s);
                        for (int i = 0; i < n; i++) {
                            for (int j = 0; j < s; j++) {
                                double d = x[(i * c + ch) * s + j] - mu;
                                sq += d * d;
                            }
                        }
                        assertEquals((float) (0.1 * mu), runMean[ch], 2 * Gens.U * Math.abs(0.1 * mu) + 1e-12);
                        double expectedVar = 0.9 + 0.1 * sq / (n * s - 1);
                        assertEquals(expectedVar, runVar[ch], 2 * Gens.U * expectedVar);
                    }
                    // Backward of L = Σ w·y along a random direction v.
                    float[] gradX = new float[size];
                    float[] gradGamma = new float[c];
                    float[] gradBeta = new float[c];
                    BatchNorm.backward(x, 0, w, 0, n, c, s, gamma, mean, invStd, gradX, 0, gradGamma, gradBeta, BLAS1, TWO);
                    double[] v = new double[size];
                    double analytic = 0;
                    for (int i = 0; i < size; i++) {
                        v[i] = rng.nextDouble(-1, 1);
                        analytic += gradX[i] * v[i];
                    }
                    // Richardson: (4·D(h/2) − D(h)) / 3 cancels the h² term of the central difference, which
                    // alone missed by 0.5% when a channel's two values lay close together (seed 30277076466134:
                    // n = 2, c = 1, s = 1).
                    double numeric = (4 * centralDifference(x, v, w, 5e-4, n, c, s, gamma, beta, eps)
                            - centralDifference(x, v, w, 1e-3, n, c, s, gamma, beta, eps)) / 3;
                    double a = analytic;
                    double num = numeric;
                    assertTrue(Math.abs(a - num) <= 1e-3 * (1 + Math.abs(num)), () -> "dx·v = " + a + " vs " + num);
                    for (int ch = 0; ch < c; ch++) {
                        double db = 0;
                        double dg = 0;
                        for (int i = 0; i < n; i++) {
                            for (int j = 0; j < s; j++) {
                                int at = (i * c + ch) * s + j;
                                db += w[at];
                                dg += w[at] * (exact[at] - beta[ch]) / gamma[ch];
                            }
                        }
                        assertEquals(db, gradBeta[ch], 1e-5 * (1 + Math.abs(db)));
                        assertEquals(dg, gradGamma[ch], 1e-4 * (1 + Math.abs(dg)));
                    }
                });
    }

    @Test
    void inferenceUsesRunningStatisticsAndIsThreadIndependent() {
        // n·s = 2^15 makes the grain one channel: 4 channels are 4 chunks, split over the threads.
        int n = 2;
        int c = 4;
        int s = 1 << 14;
        float[] x = Gens.floats(5, 0, n * c * s, 0);
        float[] mean = {0.1f, -0.2f, 0f, 1f};
        float[] var = {1f, 0.5f, 2f, 0.25f};
        float[] gamma = {1f, 2f, 0.5f, 1f};
        float[] beta = {0f, 1f, -1f, 0.5f};
        float[] y1 = new float[x.length];
        float[] y2 = new float[x.length];
        try (var one = Parallelism.of(1); var two = Parallelism.of(2)) {
            BatchNorm.forwardInference(x, 0, n, c, s, gamma, beta, 1e-5f, mean, var, y1, 0, BLAS1, one);
            BatchNorm.forwardInference(x, 0, n, c, s, gamma, beta, 1e-5f, mean, var, y2, 0, BLAS1, two);
            assertEquals(c, two.splitChunks());
        }
        assertArrayEquals(y1, y2);
        int at = (c + 1) * s + 7; // image 1, channel 1
        double expected = gamma[1] * (x[at] - mean[1]) / Math.sqrt(var[1] + 1e-5) + beta[1];
        assertEquals(expected, y1[at], 1e-6);
    }

    /** Training forward (with running statistics) and backward on 1, 2 and 3 threads, split into 6 chunks. */
    @Test
    void trainingIsBitIdenticalOnOneTwoAndThreeThreads() {
        int n = 4;
        int c = 6;
        int s = 1 << 13; // n·s = 2^15: one channel per chunk
        float[] x = Gens.floats(6, 0, n * c * s, 0);
        float[] w = Gens.floats(7, 0, n * c * s, 0);
        float[] gamma = Gens.floats(8, 0, c, 0);
        float[] beta = Gens.floats(9, 0, c, 0);
        float[][] results = null;
        for (int threads = 1; threads <= 3; threads++) {
            float[][] now;
            try (var p = Parallelism.of(threads)) {
                now = trainingStep(x, w, n, c, s, gamma, beta, p);
                assertEquals(threads == 1 ? 0 : 2 * c, p.splitChunks(), threads + " threads");
            }
            if (results == null) {
                results = now;
            } else {
                for (int k = 0; k < now.length; k++) {
                    assertArrayEquals(results[k], now[k], "output " + k + " on " + threads + " threads");
                }
            }
        }
    }

    /**
     * Channels summed four at a time give each channel's bits as summing it alone does: the sums, statistics,
     * outputs and gradients against a one-channel-at-a-time reference written here, for channel counts around
     * multiples of four, planes of 1 to 16 values, and ranges of five channels over two threads (one group of four
     * and one channel left over per range).
     */
    @Test
    void channelsSummedTogetherKeepEachChannelsBits() {
        int[][] shapes = {{3, 1, 1}, {5, 4, 1}, {2, 5, 3}, {4, 9, 16}, {64, 13, 1}, {2, 13, 2731}};
        for (int[] shape : shapes) {
            int n = shape[0];
            int c = shape[1];
            int s = shape[2];
            float[] x = Gens.floats(21 + c, 0, n * c * s, 0);
            float[] dy = Gens.floats(22 + c, 0, n * c * s, 0);
            float[] gamma = Gens.floats(23, 0, c, 0);
            float[] beta = Gens.floats(24, 0, c, 0);
            float[][] want = channelByChannel(x, dy, n, c, s, gamma, beta);
            for (int threads = 1; threads <= 2; threads++) {
                float[][] got;
                try (var p = Parallelism.of(threads)) {
                    got = trainingStep(x, dy, n, c, s, gamma, beta, p);
                }
                for (int k = 0; k < got.length; k++) {
                    assertArrayEquals(want[k], got[k], "output " + k + " of [" + n + ", " + c + ", " + s + "] on "
                            + threads + " threads");
                }
            }
        }
    }

    /**
     * The training forward (momentum 0.1 from running statistics 0 and 1) and backward of {@code dy} on {@code p}:
     * y, running mean and variance, batch mean and 1/σ, and the gradients of x, γ and β.
     */
    private static float[][] trainingStep(float[] x, float[] dy, int n, int c, int s, float[] gamma, float[] beta,
                                          Parallelism p) {
        float[] runMean = new float[c];
        float[] runVar = new float[c];
        java.util.Arrays.fill(runVar, 1f);
        float[] y = new float[x.length];
        float[] mean = new float[c];
        float[] invStd = new float[c];
        float[] gradX = new float[x.length];
        float[] gradGamma = new float[c];
        float[] gradBeta = new float[c];
        BatchNorm.forwardTraining(x, 0, n, c, s, gamma, beta, 1e-5f, 0.1f, runMean, runVar, y, 0, mean, invStd, BLAS1, p);
        BatchNorm.backward(x, 0, dy, 0, n, c, s, gamma, mean, invStd, gradX, 0, gradGamma, gradBeta, BLAS1, p);
        return new float[][] {y, runMean, runVar, mean, invStd, gradX, gradGamma, gradBeta};
    }

    /** The training forward and backward one channel at a time: each sum one chain of double adds in order. */
    private static float[][] channelByChannel(float[] x, float[] dy, int n, int c, int s, float[] gamma, float[] beta) {
        int m = n * s;
        float[] y = new float[x.length];
        float[] runMean = new float[c];
        float[] runVar = new float[c];
        float[] mean = new float[c];
        float[] invStd = new float[c];
        float[] gradX = new float[x.length];
        float[] gradGamma = new float[c];
        float[] gradBeta = new float[c];
        for (int ch = 0; ch < c; ch++) {
            double sum = 0;
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < s; j++) {
                    sum += x[(i * c + ch) * s + j];
                }
            }
            double mu = sum / m;
            double sq = 0;
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < s; j++) {
                    double d = x[(i * c + ch) * s + j] - mu;
                    sq += d * d;
                }
            }
            double is = 1 / Math.sqrt(sq / m + 1e-5f);
            mean[ch] = (float) mu;
            invStd[ch] = (float) is;
            runMean[ch] = (float) ((1 - 0.1f) * 0 + 0.1f * mu);
            runVar[ch] = (float) ((1 - 0.1f) * 1 + 0.1f * (m > 1 ? sq / (m - 1) : sq / m));
            float scale = (float) (is * gamma[ch]);
            for (int i = 0; i < n; i++) {
                BLAS1.normalize(x, (i * c + ch) * s, mu, scale, beta[ch], y, (i * c + ch) * s, s);
            }
        }
        for (int ch = 0; ch < c; ch++) {
            double mu = mean[ch];
            double is = invStd[ch];
            double sumDy = 0;
            double sumDyXhat = 0;
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < s; j++) {
                    int at = (i * c + ch) * s + j;
                    sumDy += dy[at];
                    sumDyXhat += dy[at] * (x[at] - mu) * is;
                }
            }
            gradGamma[ch] = (float) sumDyXhat;
            gradBeta[ch] = (float) sumDy;
            double k = gamma[ch] * is / m;
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < s; j++) {
                    int at = (i * c + ch) * s + j;
                    gradX[at] = (float) (k * (m * (double) dy[at] - sumDy - (x[at] - mu) * is * sumDyXhat));
                }
            }
        }
        return new float[][] {y, runMean, runVar, mean, invStd, gradX, gradGamma, gradBeta};
    }
}
