package dev.vcnn.engine.loss;

import dev.vcnn.engine.autograd.Functional;
import dev.vcnn.engine.autograd.Variable;
import dev.vcnn.engine.kernel.Losses.Reduction;

/** {@code nn.MSELoss(reduction)}: prediction and target of one shape → a scalar. */
public record MseLoss(Reduction reduction) {
    public MseLoss() {
        this(Reduction.MEAN);
    }

    public Variable apply(Variable prediction, Variable target) {
        return Functional.mseLoss(prediction, target, reduction);
    }
}
