package dev.vcnn.models;

import dev.vcnn.engine.nn.Activation;
import dev.vcnn.engine.nn.Conv2d;
import dev.vcnn.engine.nn.Dropout;
import dev.vcnn.engine.nn.Flatten;
import dev.vcnn.engine.nn.Linear;
import dev.vcnn.engine.nn.MaxPool2d;
import dev.vcnn.engine.nn.Module;
import dev.vcnn.engine.nn.Sequential;
import java.util.ArrayList;
import java.util.List;
import java.util.random.RandomGenerator;

/** The classic architectures, built from seeded generators so that a seed fixes every weight. */
public final class Models {
    private Models() {}

    /**
     * LeNet-5 as the PyTorch tutorials write it for 1×28×28 input: conv 5×5 (1→6, padding 2), ReLU,
     * max-pool 2, conv 5×5 (6→16), ReLU, max-pool 2, then 400→120→84→classes with ReLU.
     */
    public static Sequential lenet5(int inChannels, int classes, RandomGenerator rng) {
        return new Sequential(
                new Conv2d(inChannels, 6, 5, 1, 2, rng), new Activation.ReLU(), new MaxPool2d(2),
                new Conv2d(6, 16, 5, 1, 0, rng), new Activation.ReLU(), new MaxPool2d(2),
                new Flatten(),
                new Linear(16 * 5 * 5, 120, rng), new Activation.ReLU(),
                new Linear(120, 84, rng), new Activation.ReLU(),
                new Linear(84, classes, rng));
    }

    /**
     * A multi-layer perceptron on flattened input: Linear → ReLU → Dropout for each hidden size, then a
     * linear classifier (default 784-512-256-10 with dropout 0.2).
     */
    public static Sequential mlp(int inFeatures, int[] hidden, int classes, float dropout, RandomGenerator rng) {
        List<Module> layers = new ArrayList<>();
        layers.add(new Flatten());
        int width = inFeatures;
        for (int i = 0; i < hidden.length; i++) {
            layers.add(new Linear(width, hidden[i], rng));
            layers.add(new Activation.ReLU());
            if (dropout > 0) {
                layers.add(new Dropout(dropout, rng.nextLong()));
            }
            width = hidden[i];
        }
        layers.add(new Linear(width, classes, rng));
        return new Sequential(layers);
    }
}
