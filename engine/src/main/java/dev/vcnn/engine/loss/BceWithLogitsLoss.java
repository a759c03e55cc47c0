package dev.vcnn.engine.loss;

import dev.vcnn.engine.autograd.Functional;
import dev.vcnn.engine.autograd.Variable;
import dev.vcnn.engine.kernel.Losses.Reduction;

/** {@code nn.BCEWithLogitsLoss(reduction)}: logits and targets in [0, 1] of one shape → a scalar. */
public record BceWithLogitsLoss(Reduction reduction) {
    public BceWithLogitsLoss() {
        this(Reduction.MEAN);
    }

    public Variable apply(Variable logits, Variable target) {
        return Functional.bceWithLogits(logits, target, reduction);
    }
}
