package dev.vcnn.examples;

import dev.vcnn.engine.nn.Module;
import dev.vcnn.models.Models;
import dev.vcnn.models.data.Dataset;
import dev.vcnn.models.train.Evaluation;

/** What the examples share: the share of a data set a classifier gets right. */
final class Examples {
    private Examples() {}

    /** Fraction of {@code set} that {@code model} (put in evaluation mode) classifies correctly. */
    static double accuracy(Module model, Dataset set, float[][] stats) {
        return Evaluation.of(model, set, stats[0], stats[1], Models.Task.CLASSIFY, 256).accuracy();
    }
}
