package dev.vcnn.engine.kernel;

/**
 * Loss functions with their gradients, over {@code float[]} + offsets, as PyTorch defines them.
 * Each returns the loss and, when {@code grad} is not null, writes ∂loss/∂input scaled by the upstream
 * gradient {@code gradScale} (1 for a loss that is the end of the graph).
 *
 * <p>Losses are small (O(N·C)) reductions: one implementation serves every kernel set, summing in
 * double, on top of the set's {@link Activations} for softmax. Callers validate shapes and targets;
 * this class only asserts.
 */
public final class Losses {
    /** How per-element losses combine, as PyTorch's {@code reduction}. */
    public enum Reduction {
        MEAN, SUM
    }

    private final Activations activations;

    /** Losses whose softmax runs on {@code activations}. */
    public Losses(Activations activations) {
        this.activations = activations;
    }

    /**
     * Cross-entropy of logits [N, C] (row-major) against class indices, with PyTorch's label smoothing
     * ε: ℓᵢ = −(1 − ε)·log pᵢ,tᵢ − (ε/C)·Σⱼ log pᵢⱼ, p = softmax(xᵢ), fused with log-softmax so
     * nothing overflows. Gradient: (pᵢ − (1 − ε)·onehot(tᵢ) − ε/C) · gradScale / N (mean) or
     * · gradScale (sum).
     */
    public float softmaxCrossEntropy(float[] logits, int lOff, int[] targets, int tOff, int n, int classes,
                                     float labelSmoothing, Reduction reduction, float gradScale, float[] grad, int gOff) {
        // The gradient array doubles as the log-softmax buffer: no allocation per training step.
        float[] logProb = grad != null ? grad : new float[n * classes];
        int lp = grad != null ? gOff : 0;
        activations.softmaxRows(true, logits, lOff, logProb, lp, n, classes);
        double total = 0;
        for (int i = 0; i < n; i++) {
            int t = targets[tOff + i];
            assert t >= 0 && t < classes : "target " + t + " outside [0, " + classes + ")";
            double rowSum = 0;
            if (labelSmoothing != 0f) {
                for (int j = 0; j < classes; j++) {
                    rowSum += logProb[lp + i * classes + j];
                }
            }
            total -= (1 - (double) labelSmoothing) * logProb[lp + i * classes + t]
                    + (double) labelSmoothing / classes * rowSum;
        }
        double scale = meanScale(reduction, n);
        if (grad != null) {
            float g = (float) (gradScale * scale);
            float onTarget = (float) (gradScale * scale * (1 - (double) labelSmoothing));
            float everywhere = (float) (gradScale * scale * labelSmoothing / classes);
            activations.exp(grad, gOff, grad, gOff, n * classes); // softmax = exp(log-softmax)
            for (int i = 0; i < n; i++) {
                int row = gOff + i * classes;
                for (int j = 0; j < classes; j++) {
                    grad[row + j] = grad[row + j] * g - everywhere;
                }
                grad[row + targets[tOff + i]] -= onTarget;
            }
        }
        return (float) (total * scale);
    }

    /**
     * Negative log-likelihood of log-probabilities [N, C] against class indices: ℓᵢ = −xᵢ,tᵢ.
     * Gradient: −gradScale / N (mean) or −gradScale (sum) at each target, 0 elsewhere (overwritten).
     */
    public float nll(float[] logProb, int lOff, int[] targets, int tOff, int n, int classes,
                     Reduction reduction, float gradScale, float[] grad, int gOff) {
        double total = 0;
        for (int i = 0; i < n; i++) {
            total -= logProb[lOff + i * classes + targets[tOff + i]];
        }
        double scale = meanScale(reduction, n);
        if (grad != null) {
            java.util.Arrays.fill(grad, gOff, gOff + n * classes, 0f);
            float g = (float) (gradScale * scale);
            for (int i = 0; i < n; i++) {
                grad[gOff + i * classes + targets[tOff + i]] = -g;
            }
        }
        return (float) (total * scale);
    }

    /** Mean (or sum) of (x − y)²; gradient 2·(x − y)·gradScale / n (or without / n). */
    public float mse(float[] x, int xOff, float[] y, int yOff, int n, Reduction reduction,
                     float gradScale, float[] grad, int gOff) {
        double total = 0;
        double scale = meanScale(reduction, n);
        float g = (float) (2 * gradScale * scale);
        for (int i = 0; i < n; i++) {
            float d = x[xOff + i] - y[yOff + i];
            total += (double) d * d;
            if (grad != null) {
                grad[gOff + i] = d * g;
            }
        }
        return (float) (total * scale);
    }

    /**
     * Binary cross-entropy on logits: ℓ = max(x, 0) − x·y + log(1 + exp(−|x|)), stable for any x.
     * Gradient (sigmoid(x) − y)·gradScale / n (mean) or · gradScale (sum).
     */
    public float bceWithLogits(float[] x, int xOff, float[] y, int yOff, int n, Reduction reduction,
                               float gradScale, float[] grad, int gOff) {
        double total = 0;
        double scale = meanScale(reduction, n);
        for (int i = 0; i < n; i++) {
            double v = x[xOff + i];
            total += Math.max(v, 0) - v * y[yOff + i] + Math.log1p(Math.exp(-Math.abs(v)));
        }
        if (grad != null) {
            activations.sigmoid(x, xOff, grad, gOff, n);
            float g = (float) (gradScale * scale);
            for (int i = 0; i < n; i++) {
                grad[gOff + i] = (grad[gOff + i] - y[yOff + i]) * g;
            }
        }
        return (float) (total * scale);
    }

    /** 1/n for a mean, 1 for a sum: a mean over no samples is NaN, as {@code torch.mean} of nothing. */
    private static double meanScale(Reduction reduction, int n) {
        return reduction == Reduction.MEAN ? (n > 0 ? 1.0 / n : Double.NaN) : 1.0;
    }
}
