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
            for (int ch = c0; ch < c1; ch++) {
                double sum = 0;
                for (int i = 0; i < n; i++) {
                    int base = xOff + (i * c + ch) * s;
                    for (int j = 0; j < s; j++) {
                        sum += x[base + j];
                    }
                }
                double mean = sum / m;
                double sq = 0;
                for (int i = 0; i < n; i++) {
                    int base = xOff + (i * c + ch) * s;
                    for (int j = 0; j < s; j++) {
                        double d = x[base + j] - mean;
                        sq += d * d;
                    }
                }
                double var = sq / m;
                double invStd = 1 / Math.sqrt(var + eps);
                saveMean[ch] = (float) mean;
                saveInvStd[ch] = (float) invStd;
                if (runningMean != null) {
                    double unbiased = m > 1 ? sq / (m - 1) : var;
                    runningMean[ch] = (float) ((1 - momentum) * runningMean[ch] + momentum * mean);
                    runningVar[ch] = (float) ((1 - momentum) * runningVar[ch] + momentum * unbiased);
                }
                normalize(x, xOff, n, c, s, ch, mean, invStd, gamma, beta, y, yOff, blas1);
            }
        });
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
                                float[] gradGamma, float[] gradBeta, Parallelism parallelism) {
        int m = n * s;
        parallelism.forRange(c, grain(n, s), (c0, c1) -> {
            for (int ch = c0; ch < c1; ch++) {
                double mean = saveMean[ch];
                double invStd = saveInvStd[ch];
                double sumDy = 0;
                double sumDyXhat = 0;
                for (int i = 0; i < n; i++) {
                    int base = (i * c + ch) * s;
                    for (int j = 0; j < s; j++) {
                        double dy = gradY[gyOff + base + j];
                        sumDy += dy;
                        sumDyXhat += dy * (x[xOff + base + j] - mean) * invStd;
                    }
                }
                if (gradGamma != null) {
                    gradGamma[ch] = (float) sumDyXhat;
                }
                if (gradBeta != null) {
                    gradBeta[ch] = (float) sumDy;
                }
                double k = (gamma == null ? 1 : gamma[ch]) * invStd / m;
                for (int i = 0; i < n; i++) {
                    int base = (i * c + ch) * s;
                    for (int j = 0; j < s; j++) {
                        double xhat = (x[xOff + base + j] - mean) * invStd;
                        gradX[gxOff + base + j] = (float) (k * (m * (double) gradY[gyOff + base + j] - sumDy - xhat * sumDyXhat));
                    }
                }
            }
        });
    }
}
