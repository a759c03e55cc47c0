package dev.vcnn.engine.kernel;

import dev.vcnn.engine.parallel.Parallelism;

/**
 * Batch normalisation over [N, C, S] (S = H·W for BatchNorm2d, 1 for BatchNorm1d), per channel c,
 * as {@code torch.nn.functional.batch_norm}: y = γ·(x − μ)/√(σ² + ε) + β. Training uses the batch's
 * mean and biased variance and moves the running statistics by {@code momentum} (running variance
 * from the unbiased estimate); inference uses the running statistics. γ and β may be null (no
 * affine parameters).
 *
 * <p>Channels run in parallel; each channel's sums are taken in double by one task, so results do not
 * depend on the thread count. Callers validate shapes.
 */
public final class BatchNorm {
    private BatchNorm() {}

    /** Channels per task: from the problem size only. */
    private static int grain(int n, int s) {
        return Math.max(1, (1 << 15) / Math.max(1, n * s));
    }

    /**
     * Training forward. Writes y, the batch mean and 1/√(σ² + ε) per channel (for backward) and updates
     * the running statistics in place (skipped when they are null).
     */
    public static void forwardTraining(float[] x, int xOff, int n, int c, int s, float[] gamma, float[] beta,
                                       float eps, float momentum, float[] runningMean, float[] runningVar,
                                       float[] y, int yOff, float[] saveMean, float[] saveInvStd, Blas1 blas1,
                                       Parallelism parallelism) {
        int m = n * s;
        parallelism.forRange(c, grain(n, s), (c0, c1) -> {
            double[] mean = new double[CHANNELS]; // the sums, then divided in place
            double[] sq = new double[CHANNELS];
            for (int ch = c0; ch < c1; ch += CHANNELS) {
                int count = Math.min(CHANNELS, c1 - ch);
                if (count == CHANNELS) {
                    sums4(x, xOff, n, c, s, ch, mean);
                } else {
                    for (int k = 0; k < count; k++) {
                        mean[k] = sum(x, xOff, n, c, s, ch + k);
                    }
                }
                for (int k = 0; k < count; k++) {
                    mean[k] /= m;
                }
                if (count == CHANNELS) {
                    squares4(x, xOff, n, c, s, ch, mean, sq);
                } else {
                    for (int k = 0; k < count; k++) {
                        sq[k] = squares(x, xOff, n, c, s, ch + k, mean[k]);
                    }
                }
                for (int k = 0; k < count; k++) {
                    int chk = ch + k;
                    double var = sq[k] / m;
                    double invStd = 1 / Math.sqrt(var + eps);
                    saveMean[chk] = (float) mean[k];
                    saveInvStd[chk] = (float) invStd;
                    if (runningMean != null) {
                        double unbiased = m > 1 ? sq[k] / (m - 1) : var;
                        runningMean[chk] = (float) ((1 - momentum) * runningMean[chk] + momentum * mean[k]);
                        runningVar[chk] = (float) ((1 - momentum) * runningVar[chk] + momentum * unbiased);
                    }
                    normalize(x, xOff, n, c, s, chk, mean[k], invStd, gamma, beta, y, yOff, blas1);
                }
            }
        });
    }

    /**
     * Channels whose sums one task takes together: each channel's sum is one chain of double adds in its own
     * order, and four independent chains keep the adder busy where one waits on each add's latency (batch norm was
     * 11% of ResNet-18's training-step samples at 32×32, batch 64, on one core of Zen 4).
     */
    static final int CHANNELS = 4;

    /** Σ x over channel ch, images in order, each plane in order, in double. */
    private static double sum(float[] x, int xOff, int n, int c, int s, int ch) {
        double sum = 0;
        for (int i = 0; i < n; i++) {
            int base = xOff + (i * c + ch) * s;
            for (int j = 0; j < s; j++) {
                sum += x[base + j];
            }
        }
        return sum;
    }

    /** {@link #sum} of channels ch … ch + 3 into out[0 … 3], each in the same order. */
    private static void sums4(float[] x, int xOff, int n, int c, int s, int ch, double[] out) {
        double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        for (int i = 0; i < n; i++) {
            int b0 = xOff + (i * c + ch) * s;
            int b1 = b0 + s, b2 = b1 + s, b3 = b2 + s;
            for (int j = 0; j < s; j++) {
                s0 += x[b0 + j];
                s1 += x[b1 + j];
                s2 += x[b2 + j];
                s3 += x[b3 + j];
            }
        }
        out[0] = s0;
        out[1] = s1;
        out[2] = s2;
        out[3] = s3;
    }

    /** Σ (x − mean)² over channel ch, in {@link #sum}'s order. */
    private static double squares(float[] x, int xOff, int n, int c, int s, int ch, double mean) {
        double sq = 0;
        for (int i = 0; i < n; i++) {
            int base = xOff + (i * c + ch) * s;
            for (int j = 0; j < s; j++) {
                double d = x[base + j] - mean;
                sq += d * d;
            }
        }
        return sq;
    }

    /** {@link #squares} of channels ch … ch + 3 about mean[0 … 3] into out[0 … 3]. */
    private static void squares4(float[] x, int xOff, int n, int c, int s, int ch, double[] mean, double[] out) {
        double m0 = mean[0], m1 = mean[1], m2 = mean[2], m3 = mean[3];
        double q0 = 0, q1 = 0, q2 = 0, q3 = 0;
        for (int i = 0; i < n; i++) {
            int b0 = xOff + (i * c + ch) * s;
            int b1 = b0 + s, b2 = b1 + s, b3 = b2 + s;
            for (int j = 0; j < s; j++) {
                double d0 = x[b0 + j] - m0;
                double d1 = x[b1 + j] - m1;
                double d2 = x[b2 + j] - m2;
                double d3 = x[b3 + j] - m3;
                q0 += d0 * d0;
                q1 += d1 * d1;
                q2 += d2 * d2;
                q3 += d3 * d3;
            }
        }
        out[0] = q0;
        out[1] = q1;
        out[2] = q2;
        out[3] = q3;
    }

    /** Inference forward with the running statistics. */
    public static void forwardInference(float[] x, int xOff, int n, int c, int s, float[] gamma, float[] beta,
                                        float eps, float[] runningMean, float[] runningVar,
                                        float[] y, int yOff, Blas1 blas1, Parallelism parallelism) {
        parallelism.forRange(c, grain(n, s), (c0, c1) -> {
            for (int ch = c0; ch < c1; ch++) {
                normalize(x, xOff, n, c, s, ch, runningMean[ch], 1 / Math.sqrt(runningVar[ch] + (double) eps),
                        gamma, beta, y, yOff, blas1);
            }
        });
    }

    private static void normalize(float[] x, int xOff, int n, int c, int s, int ch, double mean, double invStd,
                                  float[] gamma, float[] beta, float[] y, int yOff, Blas1 blas1) {
        // (x − μ) first, in double: x·scale + (β − μ·scale) would cancel badly when |μ| ≫ σ.
        float scale = (float) (invStd * (gamma == null ? 1 : gamma[ch]));
        float shift = beta == null ? 0f : beta[ch];
        for (int i = 0; i < n; i++) {
            blas1.normalize(x, xOff + (i * c + ch) * s, mean, scale, shift, y, yOff + (i * c + ch) * s, s);
        }
    }

    /**
     * Backward of the training forward: with x̂ = (x − μ)·invStd and M = N·S,
     * dx = γ·invStd/M · (M·dy − Σdy − x̂·Σ(dy·x̂)), dγ = Σ dy·x̂, dβ = Σ dy. gradGamma/gradBeta may
     * be null.
     */
    public static void backward(float[] x, int xOff, float[] gradY, int gyOff, int n, int c, int s, float[] gamma,
                                float[] saveMean, float[] saveInvStd, float[] gradX, int gxOff,
                                float[] gradGamma, float[] gradBeta, Blas1 blas1, Parallelism parallelism) {
        int m = n * s;
        parallelism.forRange(c, grain(n, s), (c0, c1) -> {
            double[] sumDy = new double[CHANNELS];
            double[] sumDyXhat = new double[CHANNELS];
            for (int ch = c0; ch < c1; ch += CHANNELS) {
                int count = Math.min(CHANNELS, c1 - ch);
                if (count == CHANNELS) {
                    gradientSums4(x, xOff, gradY, gyOff, n, c, s, ch, saveMean, saveInvStd, sumDy, sumDyXhat);
                } else {
                    for (int k = 0; k < count; k++) {
                        gradientSums(x, xOff, gradY, gyOff, n, c, s, ch + k, saveMean, saveInvStd, sumDy, sumDyXhat, k);
                    }
                }
                for (int k = 0; k < count; k++) {
                    int chk = ch + k;
                    if (gradGamma != null) {
                        gradGamma[chk] = (float) sumDyXhat[k];
                    }
                    if (gradBeta != null) {
                        gradBeta[chk] = (float) sumDy[k];
                    }
                    double mean = saveMean[chk];
                    double invStd = saveInvStd[chk];
                    double kk = (gamma == null ? 1 : gamma[chk]) * invStd / m;
                    for (int i = 0; i < n; i++) {
                        int base = (i * c + chk) * s;
                        blas1.batchNormGradient(x, xOff + base, gradY, gyOff + base, mean, invStd, kk, m, sumDy[k],
                                sumDyXhat[k], gradX, gxOff + base, s);
                    }
                }
            }
        });
    }

    /** Σ dy and Σ dy·x̂ of channel ch into sumDy[at] and sumDyXhat[at], images in order, each plane in order. */
    private static void gradientSums(float[] x, int xOff, float[] gradY, int gyOff, int n, int c, int s, int ch,
                                     float[] saveMean, float[] saveInvStd, double[] sumDy, double[] sumDyXhat, int at) {
        double mean = saveMean[ch];
        double invStd = saveInvStd[ch];
        double sd = 0;
        double sx = 0;
        for (int i = 0; i < n; i++) {
            int base = (i * c + ch) * s;
            for (int j = 0; j < s; j++) {
                double dy = gradY[gyOff + base + j];
                sd += dy;
                sx += dy * (x[xOff + base + j] - mean) * invStd;
            }
        }
        sumDy[at] = sd;
        sumDyXhat[at] = sx;
    }

    /** {@link #gradientSums} of channels ch … ch + 3 into sumDy[0 … 3] and sumDyXhat[0 … 3], each in the same order. */
    private static void gradientSums4(float[] x, int xOff, float[] gradY, int gyOff, int n, int c, int s, int ch,
                                      float[] saveMean, float[] saveInvStd, double[] sumDy, double[] sumDyXhat) {
        double m0 = saveMean[ch], m1 = saveMean[ch + 1], m2 = saveMean[ch + 2], m3 = saveMean[ch + 3];
        double v0 = saveInvStd[ch], v1 = saveInvStd[ch + 1], v2 = saveInvStd[ch + 2], v3 = saveInvStd[ch + 3];
        double d0 = 0, d1 = 0, d2 = 0, d3 = 0;
        double x0 = 0, x1 = 0, x2 = 0, x3 = 0;
        for (int i = 0; i < n; i++) {
            int b0 = (i * c + ch) * s;
            int b1 = b0 + s, b2 = b1 + s, b3 = b2 + s;
            for (int j = 0; j < s; j++) {
                double y0 = gradY[gyOff + b0 + j];
                double y1 = gradY[gyOff + b1 + j];
                double y2 = gradY[gyOff + b2 + j];
                double y3 = gradY[gyOff + b3 + j];
                d0 += y0;
                d1 += y1;
                d2 += y2;
                d3 += y3;
                x0 += y0 * (x[xOff + b0 + j] - m0) * v0;
                x1 += y1 * (x[xOff + b1 + j] - m1) * v1;
                x2 += y2 * (x[xOff + b2 + j] - m2) * v2;
                x3 += y3 * (x[xOff + b3 + j] - m3) * v3;
            }
        }
        sumDy[0] = d0;
        sumDy[1] = d1;
        sumDy[2] = d2;
        sumDy[3] = d3;
        sumDyXhat[0] = x0;
        sumDyXhat[1] = x1;
        sumDyXhat[2] = x2;
        sumDyXhat[3] = x3;
    }
}
