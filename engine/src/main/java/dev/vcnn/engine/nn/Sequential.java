package dev.vcnn.engine.nn;

import dev.vcnn.engine.autograd.Variable;
import dev.vcnn.engine.tensor.Shape;
import java.util.List;

/**
 * Runs its children in order; they are named "0", "1", … as in PyTorch. A {@link Conv2d} followed by
 * an {@link Activation.ReLU} runs as one op ({@link Conv2d#forwardRelu}), with the same results.
 */
public final class Sequential extends Module {
    private final List<Module> layers;

    public Sequential(Module... layers) {
        this(List.of(layers));
    }

    public Sequential(List<Module> layers) {
        this.layers = List.copyOf(layers);
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

    @Override
    public Variable forward(Variable input) {
        Variable x = input;
        for (int i = 0; i < layers.size(); i++) {
            try {
                // A convolution and the ReLU after it run as one op, bit for bit the same (see Conv2d.forwardRelu).
                if (layers.get(i) instanceof Conv2d conv && i + 1 < layers.size()
                        && layers.get(i + 1) instanceof Activation.ReLU) {
                    x = conv.forwardRelu(x);
                    i++;
                } else {
                    x = layers.get(i).forward(x);
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
