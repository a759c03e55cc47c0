package dev.vcnn.engine.kernel;

import dev.vcnn.engine.tensor.Checks;
import dev.vcnn.engine.tensor.Shape;

/**
 * The geometry of 2-d max or average pooling over NCHW input [N, C, H, W] → [N, C, P, Q], as
 * PyTorch defines it: {@code P = ⌊ or ⌈(H + 2·padH − dilationH·(R−1) − 1) / strideH⌉ + 1}, and with
 * {@code ceilMode} a last window that would start in the bottom padding is dropped. Padding may be
 * at most half the kernel. Average pooling ignores dilation (it must be 1).
 *
 * @param batch N
 * @param channels C
 * @param height H
 * @param width W
 * @param kernelH R
 * @param kernelW S
 * @param strideH vertical stride
 * @param strideW horizontal stride
 * @param padH rows of padding on top and bottom
 * @param padW columns of padding left and right
 * @param dilationH vertical spacing of window taps (max pooling)
 * @param dilationW horizontal spacing of window taps (max pooling)
 * @param ceilMode round the output size up instead of down
 */
public record Pool2dGeometry(int batch, int channels, int height, int width,
                             int kernelH, int kernelW, int strideH, int strideW,
                             int padH, int padW, int dilationH, int dilationW, boolean ceilMode) {

    public Pool2dGeometry {
        String op = "pool2d";
        Checks.nonNegative(op, "batch", batch);
        for (var v : new Object[][] {{"channels", channels}, {"input height", height}, {"input width", width},
                {"kernel height", kernelH}, {"kernel width", kernelW}, {"stride height", strideH},
                {"stride width", strideW}, {"dilation height", dilationH}, {"dilation width", dilationW}}) {
            if ((int) v[1] < 1) {
                throw Checks.mismatch(op, (String) v[0], ">= 1", v[1]);
            }
        }
        if (padH < 0 || padH > kernelH / 2) {
            throw Checks.mismatch(op, "padding height", "in [0, kernel height / 2 = " + kernelH / 2 + "]", padH);
        }
        if (padW < 0 || padW > kernelW / 2) {
            throw Checks.mismatch(op, "padding width", "in [0, kernel width / 2 = " + kernelW / 2 + "]", padW);
        }
        int p = outSize(height, kernelH, strideH, padH, dilationH, ceilMode);
        int q = outSize(width, kernelW, strideW, padW, dilationW, ceilMode);
        if (p < 1 || q < 1) {
            throw Checks.mismatch(op, "output size", ">= 1x1", p + "x" + q,
                    "input", height + "x" + width, "kernel", kernelH + "x" + kernelW,
                    "dilation", dilationH + "x" + dilationW, "padding", padH + "x" + padW);
        }
        Shape.of(batch, channels, height, width);
    }

    /** PyTorch's pooling output size, including its ceil-mode rule. */
    static int outSize(int size, int kernel, int stride, int pad, int dilation, boolean ceil) {
        long span = (long) dilation * (kernel - 1) + 1;
        long numerator = size + 2L * pad - span;
        if (numerator < 0) {
            return 0;
        }
        long out = (ceil ? (numerator + stride - 1) / stride : numerator / stride) + 1;
        if (ceil && (out - 1) * stride >= size + pad) {
            out--; // the last window must start inside the input or the top/left padding
        }
        return (int) out;
    }

    /** Square kernel, stride, padding and dilation, floor mode: {@code nn.MaxPool2d(k, stride, pad)}. */
    public static Pool2dGeometry of(Shape input, int kernel, int stride, int pad) {
        if (input.rank() != 4) {
            throw Checks.mismatch("pool2d", "input rank", 4, input.rank(), "input", input);
        }
        return new Pool2dGeometry(input.dim(0), input.dim(1), input.dim(2), input.dim(3),
                kernel, kernel, stride, stride, pad, pad, 1, 1, false);
    }

    /** P: output rows. */
    public int outHeight() {
        return outSize(height, kernelH, strideH, padH, dilationH, ceilMode);
    }

    /** Q: output columns. */
    public int outWidth() {
        return outSize(width, kernelW, strideW, padW, dilationW, ceilMode);
    }

    public Shape inputShape() {
        return Shape.of(batch, channels, height, width);
    }

    public Shape outputShape() {
        return Shape.of(batch, channels, outHeight(), outWidth());
    }
}
