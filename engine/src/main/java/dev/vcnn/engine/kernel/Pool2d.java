package dev.vcnn.engine.kernel;

import dev.vcnn.engine.parallel.Parallelism;

/**
 * Max and average pooling over NCHW planes, forward and backward, with PyTorch's semantics. Shapes
 * from a validated {@link Pool2dGeometry}: input [N, C, H, W], output [N, C, P, Q]. Outputs are
 * overwritten.
 *
 * <p>Max pooling is exact, so implementations agree bit for bit: padding never wins, the first
 * largest tap in row-major window order wins, and a NaN wins over everything (a later NaN over an
 * earlier one), as {@code torch.max_pool2d} does. Its indices are positions {@code h·W + w} within the
 * input plane. Average pooling divides a window sum by the window's size (clipped to the padded
 * input, or to the input when {@code countIncludePad} is false) and stays within
 * {@code 2·(t+1)·2⁻²⁴·Σ|xᵢ| / divisor} of the exact mean of t taps.
 */
public interface Pool2d {
    void maxForward(Pool2dGeometry g, float[] in, int inOff, float[] out, int outOff, int[] indices, int idxOff,
                    Parallelism parallelism);

    /** gradIn = Σ of gradOut routed to each output's recorded index; gradIn is overwritten. */
    void maxBackward(Pool2dGeometry g, float[] gradOut, int goOff, int[] indices, int idxOff, float[] gradIn, int giOff,
                     Parallelism parallelism);

    /** Average pooling; requires dilation 1. */
    void avgForward(Pool2dGeometry g, boolean countIncludePad, float[] in, int inOff, float[] out, int outOff,
                    Parallelism parallelism);

    /** gradIn[h, w] = Σ over windows containing (h, w) of gradOut / divisor; gradIn is overwritten. */
    void avgBackward(Pool2dGeometry g, boolean countIncludePad, float[] gradOut, int goOff, float[] gradIn, int giOff,
                     Parallelism parallelism);

    /**
     * Global average pooling ({@code AdaptiveAvgPool2d(1)}): out[i] = mean of plane i (planeSize
     * values) for i in [0, planes); planes = N·C. Within {@code 2·(S+1)·2⁻²⁴·Σ|x| / S}.
     */
    void globalAvgForward(int planes, int planeSize, float[] in, int inOff, float[] out, int outOff,
                          Parallelism parallelism);

    /** gradIn[i, :] = gradOut[i] / planeSize; gradIn is overwritten. */
    void globalAvgBackward(int planes, int planeSize, float[] gradOut, int goOff, float[] gradIn, int giOff,
                           Parallelism parallelism);
}
