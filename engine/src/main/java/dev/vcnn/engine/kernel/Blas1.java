package dev.vcnn.engine.kernel;

/**
 * Elementwise and level-1 kernels over {@code float[]} + offsets, length {@code n}.
 *
 * <p>Implementations trust their arguments (callers validate at the public boundary; kernels only
 * {@code assert}). Output ranges may alias an input range exactly, never partially.
 *
 * <p>Elementwise results are bit-identical between implementations. Reductions ({@link #dot},
 * {@link #sum}) may differ from the scalar reference, which accumulates in double, by at most
 * {@code 2·(n+1)·2⁻²⁴·Σ|termᵢ|}; {@link #max} and {@link #argmax} are exact.
 */
public interface Blas1 {
    /** {@code out[i] = x[i] + y[i]}. */
    void add(float[] x, int xOff, float[] y, int yOff, float[] out, int outOff, int n);

    /** {@code out[i] = x[i] - y[i]}. */
    void sub(float[] x, int xOff, float[] y, int yOff, float[] out, int outOff, int n);

    /** {@code out[i] = x[i] * y[i]}. */
    void mul(float[] x, int xOff, float[] y, int yOff, float[] out, int outOff, int n);

    /** {@code out[i] = x[i] / y[i]} (IEEE division: x/0 is ±∞ or NaN). */
    void div(float[] x, int xOff, float[] y, int yOff, float[] out, int outOff, int n);

    /** {@code out[i] = alpha * x[i]}. */
    void scale(float alpha, float[] x, int xOff, float[] out, int outOff, int n);

    /** {@code y[i] = fma(alpha, x[i], y[i])}: one rounding, as {@link Math#fma}. */
    void axpy(float alpha, float[] x, int xOff, float[] y, int yOff, int n);

    /** {@code out[i] = max(x[i], 0)} with {@link Math#max} semantics (NaN stays NaN, -0 becomes +0). */
    void relu(float[] x, int xOff, float[] out, int outOff, int n);

    /** {@code gradIn[i] = x[i] > 0 ? gradOut[i] : 0}, where {@code x} is the ReLU's input. */
    void reluBackward(float[] x, int xOff, float[] gradOut, int gOff, float[] gradIn, int giOff, int n);

    /**
     * Adds a per-channel bias in place over [N, C, S] (S = H·W for images, 1 for a linear layer's
     * [N, C] output): {@code x[n, c, s] += bias[c]}.
     */
    void addBias(float[] x, int xOff, int n, int c, int s, float[] bias, int bOff);

    /**
     * Batch norm's per-channel map: {@code out[i] = fma((float) (x[i] − mean), scale, shift)}, the
     * subtraction in double so that nothing cancels when |mean| ≫ σ. Bit-identical in every implementation.
     */
    void normalize(float[] x, int xOff, double mean, float scale, float shift, float[] out, int outOff, int n);

    /**
     * Batch norm's input gradient over one run of a channel:
     * {@code out[i] = (float) (k · (m·dy[i] − sumDy − ((x[i] − mean)·invStd)·sumDyXhat))}, every operation in double
     * in that order, none fused. Bit-identical in every implementation.
     */
    void batchNormGradient(float[] x, int xOff, float[] dy, int dyOff, double mean, double invStd, double k, double m,
                           double sumDy, double sumDyXhat, float[] out, int outOff, int n);

    /** {@code Σ x[i]·y[i]}; 0 for {@code n = 0}. */
    float dot(float[] x, int xOff, float[] y, int yOff, int n);

    /** {@code Σ x[i]}; 0 for {@code n = 0}. */
    float sum(float[] x, int xOff, int n);

    /**
     * The largest element as {@link Math#max} orders them (NaN if any is NaN, +0 above -0);
     * requires {@code n > 0}.
     */
    float max(float[] x, int xOff, int n);

    /**
     * The index (relative to {@code xOff}) of the first largest element, or of the first NaN if
     * there is one, as {@code torch.argmax}; requires {@code n > 0}.
     */
    int argmax(float[] x, int xOff, int n);
}
