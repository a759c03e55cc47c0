package dev.vcnn.examples;

import dev.vcnn.engine.autograd.Autograd;
import dev.vcnn.engine.autograd.Functional;
import dev.vcnn.engine.autograd.Variable;
import dev.vcnn.engine.nn.Module;
import dev.vcnn.models.data.DataLoader;
import dev.vcnn.models.data.Dataset;

/** What the examples share: the share of a data set a classifier gets right. */
final class Examples {
    private Examples() {}

    /** Fraction of {@code set} that {@code model} (put in evaluation mode) classifies correctly. */
    static double accuracy(Module model, Dataset set, float[][] stats) {
        var images = Variable.constant(DataLoader.all(set, stats[0], stats[1]));
        int[] predicted = Functional.argmax(Autograd.noGrad(() -> model.eval().forward(images).value()));
        int right = 0;
        for (int i = 0; i < predicted.length; i++) {
            right += predicted[i] == set.labels()[i] ? 1 : 0;
        }
        return (double) right / predicted.length;
    }
}
