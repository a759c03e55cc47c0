package dev.vcnn.models;

import dev.vcnn.engine.autograd.Functional;
import dev.vcnn.engine.autograd.Variable;
import dev.vcnn.engine.nn.Module;
import dev.vcnn.engine.tensor.Shape;

/** [N, …] → [N, dims…] ({@code nn.Unflatten(1, dims)}). */
public final class Reshape extends Module {
    private final int[] dims;

    public Reshape(int... dims) {
        this.dims = dims.clone();
    }

    private int[] full(int batch) {
        int[] d = new int[dims.length + 1];
        d[0] = batch;
        System.arraycopy(dims, 0, d, 1, dims.length);
        return d;
    }

    /** The target dimensions after the batch axis. */
    public int[] dims() {
        return dims.clone();
    }

    @Override
    public Variable forward(Variable x) {
        return Functional.reshape(x, full(x.shape().dim(0)));
    }

    @Override
    public Shape outputShape(Shape input) {
        return input.reshape(full(input.dim(0)));
    }

    @Override
    public String typeName() {
        return "Unflatten";
    }

    @Override
    protected String extraRepr() {
        return "dim=1, unflattened_size=" + java.util.Arrays.toString(dims).replace('[', '(').replace(']', ')');
    }
}
