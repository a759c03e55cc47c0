package dev.vcnn.models;

import dev.vcnn.engine.autograd.Functional;
import dev.vcnn.engine.autograd.Variable;
import dev.vcnn.engine.nn.Module;
import dev.vcnn.engine.tensor.Checks;
import dev.vcnn.engine.tensor.Shape;
import dev.vcnn.engine.tensor.Tensor;

/**
 * {@code nn.Upsample(scale_factor=f, mode="nearest")}: [N, C, H, W] → [N, C, f·H, f·W], each value
 * repeated in an f×f block. Built from broadcasting ops (view as [N, C, H, 1, W, 1], multiply by ones
 * [f, 1, f], view back), so its gradient is the block sum with no code of its own.
 */
public final class Upsample extends Module {
    private final int factor;

    public Upsample(int factor) {
        if (factor < 1) {
            throw Checks.mismatch("Upsample", "scale factor", ">= 1", factor);
        }
        this.factor = factor;
    }

    /** The integer scale factor of both spatial axes. */
    public int factor() {
        return factor;
    }

    @Override
    public Variable forward(Variable x) {
        Shape s = outputShape(x.shape());
        Shape in = x.shape();
        Variable v = Functional.reshape(x, in.dim(0), in.dim(1), in.dim(2), 1, in.dim(3), 1);
        Variable ones = Variable.constant(Tensor.ones(1, 1, 1, factor, 1, factor));
        return Functional.reshape(Functional.mul(v, ones), s.toArray());
    }

    @Override
    public Shape outputShape(Shape input) {
        if (input.rank() != 4) {
            throw Checks.mismatch("Upsample", "input rank", 4, input.rank(), "input", input);
        }
        return Shape.of(input.dim(0), input.dim(1), input.dim(2) * factor, input.dim(3) * factor);
    }

    @Override
    protected String extraRepr() {
        return "scale_factor=" + factor + ".0, mode='nearest'";
    }
}
