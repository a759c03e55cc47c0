package dev.vcnn.engine.nn;

import dev.vcnn.engine.autograd.Functional;
import dev.vcnn.engine.autograd.Variable;
import dev.vcnn.engine.kernel.Pool2dGeometry;
import dev.vcnn.engine.tensor.Checks;
import dev.vcnn.engine.tensor.Shape;

/** Max pooling with a square window, as {@code nn.MaxPool2d}. */
public final class MaxPool2d extends Module {
    private final int kernel;
    private final int stride;
    private final int padding;
    private final int dilation;
    private final boolean ceilMode;

    /** {@code nn.MaxPool2d(kernel)}: stride = kernel. */
    public MaxPool2d(int kernel) {
        this(kernel, kernel, 0, 1, false);
    }

    public MaxPool2d(int kernel, int stride, int padding, int dilation, boolean ceilMode) {
        this.kernel = kernel;
        this.stride = stride;
        this.padding = padding;
        this.dilation = dilation;
        this.ceilMode = ceilMode;
    }

    /** The window, stride, padding, dilation and rounding this layer applies to an input of shape {@code s}. */
    public Pool2dGeometry geometry(Shape s) {
        if (s.rank() != 4) {
            throw Checks.mismatch("MaxPool2d", "input rank", 4, s.rank(), "input", s);
        }
        return new Pool2dGeometry(s.dim(0), s.dim(1), s.dim(2), s.dim(3), kernel, kernel, stride, stride,
                padding, padding, dilation, dilation, ceilMode);
    }

    @Override
    public Variable forward(Variable x) {
        return Functional.maxPool2d(x, geometry(x.shape()));
    }

    @Override
    public Shape outputShape(Shape input) {
        return geometry(input).outputShape();
    }

    @Override
    protected String extraRepr() {
        return "kernel_size=" + kernel + ", stride=" + stride + ", padding=" + padding + ", dilation=" + dilation
                + ", ceil_mode=" + (ceilMode ? "True" : "False");
    }
}
