package dev.vcnn.engine.nn;

import dev.vcnn.engine.autograd.Functional;
import dev.vcnn.engine.autograd.Variable;
import dev.vcnn.engine.kernel.Pool2dGeometry;
import dev.vcnn.engine.tensor.Checks;
import dev.vcnn.engine.tensor.Shape;

/**
 * {@code nn.AdaptiveAvgPool2d((P, Q))}: [N, C, H, W] → [N, C, P, Q]. Output 1×1 is global average
 * pooling; otherwise H and W must be multiples of P and Q, where PyTorch's adaptive windows are the
 * uniform H/P × W/Q windows this layer uses (the case of torchvision's VGG at its native size).
 */
public final class AdaptiveAvgPool2d extends Module {
    private final int outH;
    private final int outW;

    public AdaptiveAvgPool2d(int outH, int outW) {
        if (outH < 1 || outW < 1) {
            throw Checks.mismatch("AdaptiveAvgPool2d", "output size", ">= 1x1", outH + "x" + outW);
        }
        this.outH = outH;
        this.outW = outW;
    }

    /** Output rows. */
    public int outHeight() {
        return outH;
    }

    /** Output columns. */
    public int outWidth() {
        return outW;
    }

    @Override
    public Variable forward(Variable x) {
        outputShape(x.shape());
        if (outH == 1 && outW == 1) {
            return Functional.globalAvgPool2d(x);
        }
        Shape s = x.shape();
        if (s.dim(2) == outH && s.dim(3) == outW) {
            return x;
        }
        int kh = s.dim(2) / outH;
        int kw = s.dim(3) / outW;
        return Functional.avgPool2d(x, new Pool2dGeometry(s.dim(0), s.dim(1), s.dim(2), s.dim(3), kh, kw, kh, kw,
                0, 0, 1, 1, false), true);
    }

    @Override
    public Shape outputShape(Shape s) {
        if (s.rank() != 4) {
            throw Checks.mismatch("AdaptiveAvgPool2d", "input rank", 4, s.rank(), "input", s);
        }
        if (!(outH == 1 && outW == 1) && (s.dim(2) % outH != 0 || s.dim(3) % outW != 0)) {
            throw Checks.mismatch("AdaptiveAvgPool2d", "input size", "a multiple of the output size " + outH + "x" + outW,
                    s.dim(2) + "x" + s.dim(3), "input", s);
        }
        return Shape.of(s.dim(0), s.dim(1), outH, outW);
    }

    @Override
    protected String extraRepr() {
        return "output_size=" + (outH == outW ? String.valueOf(outH) : pair(outH, outW));
    }
}
