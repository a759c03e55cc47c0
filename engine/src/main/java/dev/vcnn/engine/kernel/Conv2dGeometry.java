package dev.vcnn.engine.kernel;

import dev.vcnn.engine.tensor.Checks;
import dev.vcnn.engine.tensor.Shape;

/**
 * The geometry of a 2-d convolution over NCHW input: input [N, C, H, W], weight [K, C/groups, R, S],
 * output [N, K, P, Q] with
 * {@code P = floor((H + padTop + padBottom − dilationH·(R−1) − 1) / strideH) + 1} (and Q likewise).
 * Validated when made: every violation is an {@link IllegalArgumentException} that names the numbers.
 *
 * @param batch N
 * @param inChannels C
 * @param height H
 * @param width W
 * @param outChannels K
 * @param kernelH R
 * @param kernelW S
 * @param strideH vertical stride
 * @param strideW horizontal stride
 * @param padTop rows of zeros above
 * @param padBottom rows of zeros below
 * @param padLeft columns of zeros to the left
 * @param padRight columns of zeros to the right
 * @param dilationH vertical spacing of the kernel taps
 * @param dilationW horizontal spacing of the kernel taps
 * @param groups channel groups (C and K both divisible; groups = C is depthwise)
 */
public record Conv2dGeometry(int batch, int inChannels, int height, int width,
                             int outChannels, int kernelH, int kernelW,
                             int strideH, int strideW,
                             int padTop, int padBottom, int padLeft, int padRight,
                             int dilationH, int dilationW, int groups) {

    public Conv2dGeometry {
        String ctx = "conv2d";
        Checks.nonNegative(ctx, "batch", batch);
        positive(ctx, "input channels", inChannels);
        positive(ctx, "input height", height);
        positive(ctx, "input width", width);
        positive(ctx, "output channels", outChannels);
        positive(ctx, "kernel height", kernelH);
        positive(ctx, "kernel width", kernelW);
        positive(ctx, "stride height", strideH);
        positive(ctx, "stride width", strideW);
        positive(ctx, "dilation height", dilationH);
        positive(ctx, "dilation width", dilationW);
        positive(ctx, "groups", groups);
        Checks.nonNegative(ctx, "padding top", padTop);
        Checks.nonNegative(ctx, "padding bottom", padBottom);
        Checks.nonNegative(ctx, "padding left", padLeft);
        Checks.nonNegative(ctx, "padding right", padRight);
        if (inChannels % groups != 0) {
            throw Checks.mismatch(ctx, "input channels", "divisible by groups=" + groups, inChannels);
        }
        if (outChannels % groups != 0) {
            throw Checks.mismatch(ctx, "output channels", "divisible by groups=" + groups, outChannels);
        }
        long spanH = (long) dilationH * (kernelH - 1) + 1;
        long spanW = (long) dilationW * (kernelW - 1) + 1;
        if (spanH > (long) height + padTop + padBottom || spanW > (long) width + padLeft + padRight) {
            throw Checks.mismatch(ctx, "dilated kernel", "no larger than the padded input",
                    spanH + "x" + spanW, "padded input", (height + padTop + padBottom) + "x" + (width + padLeft + padRight),
                    "kernel", kernelH + "x" + kernelW, "dilation", dilationH + "x" + dilationW);
        }
        // Element counts must fit Java arrays.
        Shape.of(batch, inChannels, height, width);
        Shape.of(outChannels, inChannels / groups, kernelH, kernelW);
        Shape.of(batch, outChannels,
                (int) ((height + padTop + padBottom - spanH) / strideH + 1),
                (int) ((width + padLeft + padRight - spanW) / strideW + 1));
    }

    private static void positive(String op, String name, int value) {
        if (value < 1) {
            throw Checks.mismatch(op, name, ">= 1", value);
        }
    }

    /**
     * A geometry from PyTorch-style arguments: symmetric padding {@code pad}, one stride and dilation
     * for both axes.
     */
    public static Conv2dGeometry of(Shape input, Shape weight, int stride, int pad, int dilation, int groups) {
        return of(input, weight, stride, stride, pad, pad, pad, pad, dilation, dilation, groups);
    }

    /**
     * A geometry from an input shape [N, C, H, W] and a weight shape [K, C/groups, R, S].
     *
     * @throws IllegalArgumentException if the ranks or channel counts disagree, naming both shapes
     */
    public static Conv2dGeometry of(Shape input, Shape weight, int strideH, int strideW,
                                    int padTop, int padBottom, int padLeft, int padRight,
                                    int dilationH, int dilationW, int groups) {
        if (input.rank() != 4) {
            throw Checks.mismatch("conv2d", "input rank", 4, input.rank(), "input", input, "weight", weight);
        }
        if (weight.rank() != 4) {
            throw Checks.mismatch("conv2d", "weight rank", 4, weight.rank(), "input", input, "weight", weight);
        }
        if (groups >= 1 && weight.dim(1) * groups != input.dim(1)) {
            throw Checks.mismatch("conv2d", "input channels", weight.dim(1) * groups, input.dim(1),
                    "input", input, "weight", weight, "groups", groups);
        }
        return new Conv2dGeometry(input.dim(0), input.dim(1), input.dim(2), input.dim(3),
                weight.dim(0), weight.dim(2), weight.dim(3), strideH, strideW,
                padTop, padBottom, padLeft, padRight, dilationH, dilationW, groups);
    }

    /**
     * Padding that keeps {@code ceil(H / stride)} outputs ("same", as TensorFlow and PyTorch define it):
     * the total padding {@code max((P−1)·stride + span − H, 0)} is split with the extra row or column
     * at the bottom/right.
     */
    public static Conv2dGeometry same(Shape input, Shape weight, int stride, int dilation, int groups) {
        int[] ph = samePadding(input.dim(2), weight.dim(2), stride, dilation);
        int[] pw = samePadding(input.dim(3), weight.dim(3), stride, dilation);
        return of(input, weight, stride, stride, ph[0], ph[1], pw[0], pw[1], dilation, dilation, groups);
    }

    /** No padding ("valid"). */
    public static Conv2dGeometry valid(Shape input, Shape weight, int stride, int dilation, int groups) {
        return of(input, weight, stride, stride, 0, 0, 0, 0, dilation, dilation, groups);
    }

    private static int[] samePadding(int size, int kernel, int stride, int dilation) {
        int out = (size + stride - 1) / stride;
        int span = dilation * (kernel - 1) + 1;
        int total = Math.max((out - 1) * stride + span - size, 0);
        return new int[] {total / 2, total - total / 2};
    }

    /** Hp = H + padTop + padBottom: rows of the zero-padded input. */
    public int paddedHeight() {
        return height + padTop + padBottom;
    }

    /** Wp = W + padLeft + padRight: columns of the zero-padded input. */
    public int paddedWidth() {
        return width + padLeft + padRight;
    }

    /** P: output rows. */
    public int outHeight() {
        return (paddedHeight() - dilationH * (kernelH - 1) - 1) / strideH + 1;
    }

    /** Q: output columns. */
    public int outWidth() {
        return (paddedWidth() - dilationW * (kernelW - 1) - 1) / strideW + 1;
    }

    /** Cg = C / groups: input channels each filter sees. */
    public int inChannelsPerGroup() {
        return inChannels / groups;
    }

    /** Kg = K / groups: filters per group. */
    public int outChannelsPerGroup() {
        return outChannels / groups;
    }

    /** Cg·R·S: taps per output value, the K dimension of the im2col GEMM. */
    public int taps() {
        return inChannels / groups * kernelH * kernelW;
    }

    /** H·W: values per input plane. */
    public int inPlane() {
        return height * width;
    }

    /** P·Q: values per output plane. */
    public int outPlane() {
        return outHeight() * outWidth();
    }

    /** [N, C, H, W]. */
    public Shape inputShape() {
        return Shape.of(batch, inChannels, height, width);
    }

    /** [K, C/groups, R, S]. */
    public Shape weightShape() {
        return Shape.of(outChannels, inChannels / groups, kernelH, kernelW);
    }

    /** [N, K, P, Q]. */
    public Shape outputShape() {
        return Shape.of(batch, outChannels, outHeight(), outWidth());
    }

    /**
     * Whether {@link #transposed} exists: stride 1, no dilation, one group, padding under the kernel size on every
     * side.
     */
    public boolean transposable() {
        return groups == 1 && strideH == 1 && strideW == 1 && dilationH == 1 && dilationW == 1
                && padTop < kernelH && padBottom < kernelH && padLeft < kernelW && padRight < kernelW;
    }

    /**
     * The layer whose forward pass is this layer's input gradient (when {@link #transposable}): gradOut [N, K, P, Q]
     * padded by kernel − 1 − pad on each side, convolved with the weights flipped in both axes and with K and C
     * swapped (w'[c, k, R−1−r, S−1−s] = w[k, c, r, s]), gives gradIn [N, C, H, W]: gradIn[c, h, w] =
     * Σ_{k,r,s} gradOut[k, h + pt − r, w + pl − s] · w[k, c, r, s]. The sums gain only exact zeros (padding).
     */
    public Conv2dGeometry transposed() {
        assert transposable() : this;
        return new Conv2dGeometry(batch, outChannels, outHeight(), outWidth(), inChannels, kernelH, kernelW, 1, 1,
                kernelH - 1 - padTop, kernelH - 1 - padBottom, kernelW - 1 - padLeft, kernelW - 1 - padRight, 1, 1, 1);
    }

    /** Multiply-adds of the forward pass: N·K·P·Q·(C/groups)·R·S. */
    public long forwardMacs() {
        return (long) batch * outChannels * outHeight() * outWidth() * (inChannels / groups) * kernelH * kernelW;
    }
}
