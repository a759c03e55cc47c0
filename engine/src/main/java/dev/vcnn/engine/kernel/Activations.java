package dev.vcnn.engine.kernel;

/**
 * Elementwise activations and their backward passes over {@code float[]} + offsets, length n, plus
 * row-wise softmax. Outputs may alias inputs exactly.
 *
 * <p>Elementwise kernels are bit-identical between implementations: the transcendental ones share
 * one definition of exp (Cephes-style range reduction and polynomial, written with fused multiply-adds,
 * within 2 ulp of the true exp, see {@code ScalarActivations.exp}) rather than calling
 * {@link Math#exp}, whose last bit a vector implementation cannot reproduce. Softmax rows sum in a
 * different order per implementation. Against an exact softmax, y = softmax(x) of a row of C classes is
 * within {@code (2·(C+4) + |x − max|)·2⁻²⁴·|y| + ulp(y)} (the |x − max| term is the rounding of
 * x − max, magnified by exp), and log-softmax within {@code 2·(C+4)·2⁻²⁴·(1 + |x − max| + |y|)}.
 */
public interface Activations {
    /** out = x &gt; 0 ? x : slope·x (NaN stays NaN). */
    void leakyRelu(float slope, float[] x, int xOff, float[] out, int outOff, int n);

    /** gradIn = x &gt; 0 ? gradOut : slope·gradOut, with x the forward input. */
    void leakyReluBackward(float slope, float[] x, int xOff, float[] gradOut, int gOff, float[] gradIn, int giOff, int n);

    /** out = x &lt; lo ? lo : x &gt; hi ? hi : x (NaN stays NaN), {@code nn.Hardtanh}; ReLU6 is (0, 6). */
    void hardtanh(float lo, float hi, float[] x, int xOff, float[] out, int outOff, int n);

    /** gradIn = lo &lt; x &lt; hi ? gradOut : 0, with x the forward input (0 at the bounds, as PyTorch's). */
    void hardtanhBackward(float lo, float hi, float[] x, int xOff, float[] gradOut, int gOff, float[] gradIn, int giOff,
                          int n);

    /** out = exp(x), the shared definition (see the class comment). */
    void exp(float[] x, int xOff, float[] out, int outOff, int n);

    /** out = 1 / (1 + exp(−x)), computed as e/(1+e) with e = exp(x) for x &lt; 0 so tiny values survive. */
    void sigmoid(float[] x, int xOff, float[] out, int outOff, int n);

    /** gradIn = gradOut · y · (1 − y), with y the sigmoid's output. */
    void sigmoidBackward(float[] y, int yOff, float[] gradOut, int gOff, float[] gradIn, int giOff, int n);

    /** out = tanh(x): an odd polynomial for |x| &lt; 0.625, else sign(x)·(1 − 2 / (exp(2|x|) + 1)). */
    void tanh(float[] x, int xOff, float[] out, int outOff, int n);

    /** gradIn = gradOut · (1 − y²), with y the tanh's output. */
    void tanhBackward(float[] y, int yOff, float[] gradOut, int gOff, float[] gradIn, int giOff, int n);

    /**
     * Softmax over each of {@code rows} rows of {@code cols} values (row-major): y = exp(x − max) / Σ.
     * With {@code log}, log-softmax: y = x − max − log Σ exp(x − max). Stable for any finite input.
     */
    void softmaxRows(boolean log, float[] x, int xOff, float[] out, int outOff, int rows, int cols);
}
