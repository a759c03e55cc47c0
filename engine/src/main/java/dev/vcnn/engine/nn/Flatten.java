package dev.vcnn.engine.nn;

import dev.vcnn.engine.autograd.Functional;
import dev.vcnn.engine.autograd.Variable;
import dev.vcnn.engine.tensor.Checks;
import dev.vcnn.engine.tensor.Shape;

/** [N, …] → [N, rest], as {@code nn.Flatten()}. */
public final class Flatten extends Module {
    @Override
    public Variable forward(Variable x) {
        return Functional.flatten(x);
    }

    @Override
    public Shape outputShape(Shape input) {
        if (input.rank() < 1) {
            throw Checks.mismatch("Flatten", "input rank", ">= 1", 0, "input", input);
        }
        return Shape.of(input.dim(0), input.dim(0) == 0 ? 0 : input.numel() / input.dim(0));
    }

    @Override
    protected String extraRepr() {
        return "start_dim=1, end_dim=-1";
    }
}
