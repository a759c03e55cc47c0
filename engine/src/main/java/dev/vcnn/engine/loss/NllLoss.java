package dev.vcnn.engine.loss;

import dev.vcnn.engine.autograd.Functional;
import dev.vcnn.engine.autograd.Variable;
import dev.vcnn.engine.kernel.Losses.Reduction;

/** {@code nn.NLLLoss(reduction)}: log-probabilities [N, C] and class indices → a scalar. */
public record NllLoss(Reduction reduction) {
    public NllLoss() {
        this(Reduction.MEAN);
    }

    public Variable apply(Variable logProb, int[] targets) {
        return Functional.nllLoss(logProb, targets, reduction);
    }
}
