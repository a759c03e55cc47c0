package dev.vcnn.engine.nn;

import dev.vcnn.engine.autograd.Functional;
import dev.vcnn.engine.autograd.Variable;
import dev.vcnn.engine.nn.init.Init;
import dev.vcnn.engine.tensor.Checks;
import dev.vcnn.engine.tensor.Shape;
import dev.vcnn.engine.tensor.Tensor;
import java.util.random.RandomGenerator;

/** y = x·Wᵀ + b: [*, in] → [*, out]. Weight [out, in] and bias [out] start as PyTorch's defaults. */
public final class Linear extends Module {
    private final int in;
    private final int out;
    private final Variable weight;
    private final Variable bias;

    public Linear(int in, int out, RandomGenerator rng) {
        this(in, out, true, rng);
    }

    public Linear(int in, int out, boolean bias, RandomGenerator rng) {
        this.in = in;
        this.out = out;
        Tensor w = Tensor.zeros(out, in);
        Tensor b = bias ? Tensor.zeros(out) : null;
        Init.torchDefault(w, b, rng);
        this.weight = registerParameter("weight", w);
        this.bias = bias ? registerParameter("bias", b) : null;
    }

    public Variable weight() {
        return weight;
    }

    /** The bias, or null. */
    public Variable bias() {
        return bias;
    }

    @Override
    public Variable forward(Variable x) {
        return Functional.linear(x, weight, bias);
    }

    @Override
    public Shape outputShape(Shape input) {
        if (input.rank() < 1 || input.dim(-1) != in) {
            throw Checks.mismatch("Linear", "input features", in, input.rank() < 1 ? "a scalar" : input.dim(-1), "input", input);
        }
        int[] d = input.toArray();
        d[d.length - 1] = out;
        return Shape.of(d);
    }

    @Override
    public long forwardMacs(Shape input) {
        return (long) input.numel() / Math.max(1, in) * in * out;
    }

    @Override
    protected String extraRepr() {
        return "in_features=" + in + ", out_features=" + out + ", bias=" + (bias != null ? "True" : "False");
    }
}
