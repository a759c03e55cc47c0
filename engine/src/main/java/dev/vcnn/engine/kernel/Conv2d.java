package dev.vcnn.engine.kernel;

import dev.vcnn.engine.parallel.Parallelism;
import java.util.Optional;

/**
 * 2-d convolution (cross-correlation, as in PyTorch) over NCHW float arrays, forward and backward.
 * Shapes come from a validated {@link Conv2dGeometry}: input [N, C, H, W], weight [K, C/G, R, S],
 * bias [K], output [N, K, P, Q]. Every method overwrites its output; arrays are read from their offsets.
 *
 * <p>Implementations trust their arguments (the geometry is validated; array lengths are checked by
 * callers). Each output is a sum of products and may differ from the exact sum by at most
 * {@code 2·(t+1)·2⁻²⁴·Σ|termᵢ|} over its t terms (the bias counting as one term), except where an
 * implementation computes it by Winograd's F(2×2, 3×3): the forward pass of a layer {@link WinogradBound#allowed}
 * to, and the input gradient of a layer whose {@link WinogradBound#transposed} layer is; those outputs lie
 * within the larger of that bound and {@link WinogradBound}'s. Results are bit-identical for any thread count.
 */
public interface Conv2d {
    /**
     * The path each pass takes for {@code g} in this implementation; empty for one with a single path per pass
     * (the scalar reference).
     */
    default Optional<ConvPlan> plan(Conv2dGeometry g) {
        return Optional.empty();
    }

    /** out[n,k,p,q] = bias[k] + Σ_{c,r,s} in[n, g·C/G + c, p·sh − pt + r·dh, q·sw − pl + s·dw] · w[k,c,r,s]. */
    void forward(Conv2dGeometry g, float[] input, int inOff, float[] weight, int wOff,
                 float[] bias, int bOff, float[] out, int outOff, Parallelism parallelism);

    /** gradIn = ∂L/∂input given gradOut = ∂L/∂out: every input position gathers the taps that read it. */
    void backwardInput(Conv2dGeometry g, float[] gradOut, int goOff, float[] weight, int wOff,
                       float[] gradIn, int giOff, Parallelism parallelism);

    /** gradWeight[k,c,r,s] = Σ_{n,p,q} gradOut[n,k,p,q] · in[n, g·C/G + c, …]. */
    void backwardWeight(Conv2dGeometry g, float[] input, int inOff, float[] gradOut, int goOff,
                        float[] gradWeight, int gwOff, Parallelism parallelism);

    /** gradBias[k] = Σ_{n,p,q} gradOut[n,k,p,q]. */
    void backwardBias(Conv2dGeometry g, float[] gradOut, int goOff, float[] gradBias, int gbOff,
                      Parallelism parallelism);

    /**
     * {@link #backwardWeight} and, when {@code gradBias} is not null, {@link #backwardBias} in one call, each
     * within its own bound: an implementation may sum the bias gradient while it reads gradOut for the
     * weights (in another order than {@link #backwardBias}).
     */
    default void backwardWeightAndBias(Conv2dGeometry g, float[] input, int inOff, float[] gradOut, int goOff,
                                       float[] gradWeight, int gwOff, float[] gradBias, int gbOff,
                                       Parallelism parallelism) {
        backwardWeight(g, input, inOff, gradOut, goOff, gradWeight, gwOff, parallelism);
        if (gradBias != null) {
            backwardBias(g, gradOut, goOff, gradBias, gbOff, parallelism);
        }
    }
}
