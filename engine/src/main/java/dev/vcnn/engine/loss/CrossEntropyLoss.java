package dev.vcnn.engine.loss;

import dev.vcnn.engine.autograd.Functional;
import dev.vcnn.engine.autograd.Variable;
import dev.vcnn.engine.kernel.Losses.Reduction;

/**
 * {@code nn.CrossEntropyLoss(reduction, label_smoothing)}: logits [N, C] and class indices → a scalar.
 *
 * @param reduction mean (default) or sum over the batch
 * @param labelSmoothing ε in [0, 1]: the target distribution is (1 − ε)·onehot + ε/C
 */
public record CrossEntropyLoss(Reduction reduction, float labelSmoothing) {
    /** Mean reduction, no smoothing. */
    public CrossEntropyLoss() {
        this(Reduction.MEAN, 0f);
    }

    public Variable apply(Variable logits, int[] targets) {
        return Functional.crossEntropy(logits, targets, reduction, labelSmoothing);
    }
}
