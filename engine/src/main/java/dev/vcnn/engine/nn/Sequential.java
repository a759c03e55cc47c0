package dev.vcnn.engine.nn;

import dev.vcnn.engine.autograd.Variable;
import dev.vcnn.engine.tensor.Shape;
import java.util.List;

/**
 * Runs its children in order; they are named "0", "1", … as in PyTorch. Adjacent layers that the fusion pass
 * pairs (a {@link Conv2d} and the {@link Activation.ReLU} after it) run as one op, with the same results: see
 * {@link #fusedWithNext}.
 */
public final class Sequential extends Module {
    private final List<Module> layers;
    /** From the fusion pass, once: fusedWithNext[i] when layers i and i + 1 run as one op. */
    private final boolean[] fusedWithNext;
    /** From the fusion pass: overInput[i] when batch norm i may normalise its convolution's output in place. */
    private final boolean[] overInput;

    public Sequential(Module... layers) {
        this(List.of(layers));
    }

    public Sequential(List<Module> layers) {
        this.layers = List.copyOf(layers);
        this.fusedWithNext = Fusion.pairs(this.layers);
        this.overInput = Fusion.batchNormsOverConvolutions(this.layers, fusedWithNext);
        for (int i = 0; i < this.layers.size(); i++) {
            registerModule(String.valueOf(i), this.layers.get(i));
        }
    }

    /** The layers in order. */
    public List<Module> layers() {
        return layers;
    }

    /** Layer {@code i}. */
    public Module get(int i) {
        return layers.get(i);
    }

    public int size() {
        return layers.size();
    }

    /** Whether layer {@code i} runs as one op with layer {@code i + 1} (a convolution and its ReLU). */
    public boolean fusedWithNext(int i) {
        return fusedWithNext[i];
    }

    @Override
    public Variable forward(Variable input) {
        Variable x = input;
        for (int i = 0; i < layers.size(); i++) {
            try {
                if (fusedWithNext[i]) {
                    x = Fusion.forward(layers.get(i), layers.get(i + 1), overInput[i], x);
                    i++;
                } else {
                    x = Fusion.forward(layers.get(i), overInput[i], x);
                }
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("layer " + i + " (" + layers.get(i) + "): " + e.getMessage(), e);
            }
        }
        return x;
    }

    @Override
    public Shape outputShape(Shape input) {
        Shape s = input;
        for (int i = 0; i < layers.size(); i++) {
            try {
                s = layers.get(i).outputShape(s);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("layer " + i + " (" + layers.get(i) + "): " + e.getMessage(), e);
            }
        }
        return s;
    }

    @Override
    public long forwardMacs(Shape input) {
        long macs = 0;
        Shape s = input;
        for (Module m : layers) {
            macs += m.forwardMacs(s);
            s = m.outputShape(s);
        }
        return macs;
    }
}
