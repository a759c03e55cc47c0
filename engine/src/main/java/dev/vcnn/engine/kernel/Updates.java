package dev.vcnn.engine.kernel;

/**
 * Optimizer update kernels over {@code float[]} + offsets, length n, with PyTorch's definitions
 * ({@code torch.optim.SGD}, {@code Adam}, {@code AdamW}, single-tensor path). Elementwise:
 * implementations are bit-identical, every step written with the same fused multiply-adds, IEEE
 * division and square root.
 *
 * <p>The new parameter and the momentum (SGD's buffer, Adam's m) are flushed to zero where they come out
 * subnormal ({@link #flush}). PyTorch keeps them; a weight below {@link Float#MIN_NORMAL} changes no
 * product it joins by more than that, but on Intel cores every float operation on a subnormal takes a
 * microcode assist. Adam with L2 decay drives the weights of dead units there: after 8 MNIST epochs a
 * LeNet-5 had 2,947 subnormal weights, and its steps had slowed by a third. Adam's v is not flushed: it
 * stands under a square root beside eps, and with eps = 0 a flushed v would turn m/√v into m/0.
 */
public interface Updates {
    /**
     * One SGD step, in place on {@code param} (and {@code buf} when momentum ≠ 0):
     * <pre>
     * d   = weightDecay ≠ 0 ? fma(weightDecay, p, g) : g
     * buf = first ? d : fma(momentum, buf, (1 − dampening)·d)          (momentum ≠ 0)
     * d   = nesterov ? fma(momentum, buf, d) : buf                      (momentum ≠ 0)
     * p   = flush(fma(−lr, d, p))
     * </pre>
     * with {@code buf} stored as {@code flush(buf)} before it is used.
     * {@code buf} may be null when momentum is 0.
     */
    void sgd(float[] param, int pOff, float[] grad, int gOff, float[] buf, int bOff, int n,
             float lr, float momentum, float dampening, float weightDecay, boolean nesterov, boolean first);

    /**
     * One Adam (or, with {@code decoupled}, AdamW) step at step number {@code step ≥ 1}, in place on
     * p, m and v. With c₁ = 1 − β₁ᵗ, c₂ = 1 − β₂ᵗ (in double, then rounded):
     * <pre>
     * p = p·(1 − lr·wd)                            (decoupled)
     * g = fma(wd, p, g)                            (not decoupled, wd ≠ 0)
     * m = flush(fma(β₁, m, (1 − β₁)·g))
     * v = fma(β₂, v, (1 − β₂)·g·g)
     * p = flush(fma(−lr/c₁, m / (√v / √c₂ + eps), p))
     * </pre>
     */
    void adam(float[] param, int pOff, float[] grad, int gOff, float[] m, int mOff, float[] v, int vOff, int n,
              float lr, float beta1, float beta2, float eps, float weightDecay, boolean decoupled, long step);

    /** {@code x}, or +0 where {@code x} is subnormal or −0; NaN and infinities pass. */
    static float flush(float x) {
        return Math.abs(x) < Float.MIN_NORMAL ? 0f : x;
    }

    /** The per-step constants of {@link #adam}, computed once so every implementation rounds them alike. */
    record AdamConstants(float stepSize, float sqrtBias2, float decay, float oneMinusBeta1, float oneMinusBeta2) {
        public static AdamConstants of(float lr, float beta1, float beta2, float weightDecay, boolean decoupled, long step) {
            double c1 = 1 - Math.pow(beta1, step);
            double c2 = 1 - Math.pow(beta2, step);
            return new AdamConstants((float) (lr / c1), (float) Math.sqrt(c2),
                    decoupled ? (float) (1 - (double) lr * weightDecay) : 1f, 1f - beta1, 1f - beta2);
        }
    }
}
