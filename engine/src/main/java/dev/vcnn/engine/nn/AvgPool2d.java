package dev.vcnn.engine.nn;

import dev.vcnn.engine.autograd.Functional;
import dev.vcnn.engine.autograd.Variable;
import dev.vcnn.engine.kernel.Pool2dGeometry;
import dev.vcnn.engine.tensor.Checks;
import dev.vcnn.engine.tensor.Shape;

/** Average pooling with a square window, as {@code nn.AvgPool2d}. */
public final class AvgPool2d extends Module {
    private final int kernel;
    private final int stride;
    private final int padding;
    private final boolean ceilMode;
    private final boolean countIncludePad;

    /** {@code nn.AvgPool2d(kernel)}: stride = kernel. */
    public AvgPool2d(int kernel) {
        this(kernel, kernel, 0, false, true);
    }

    public AvgPool2d(int kernel, int stride, int padding, boolean ceilMode, boolean countIncludePad) {
        this.kernel = kernel;
        this.stride = stride;
        this.padding = padding;
        this.ceilMode = ceilMode;
        this.countIncludePad = countIncludePad;
    }

    /** Whether padded positions count in each window's divisor ({@code count_include_pad}). */
    public boolean countIncludePad() {
        return countIncludePad;
    }

    /** The window, stride, padding and rounding this layer applies to an input of shape {@code s}. */
    public Pool2dGeometry geometry(Shape s) {
        if (s.rank() != 4) {
            throw Checks.mismatch("AvgPool2d", "input rank", 4, s.rank(), "input", s);
        }
        return new Pool2dGeometry(s.dim(0), s.dim(1), s.dim(2), s.dim(3), kernel, kernel, stride, stride,
                padding, padding, 1, 1, ceilMode);
    }

    @Override
    public Variable forward(Variable x) {
        return Functional.avgPool2d(x, geometry(x.shape()), countIncludePad);
    }

    @Override
    public Shape outputShape(Shape input) {
        return geometry(input).outputShape();
    }

    @Override
    protected String extraRepr() {
        return "kernel_size=" + kernel + ", stride=" + stride + ", padding=" + padding;
    }
}
