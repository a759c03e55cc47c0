package dev.vcnn.engine.optim;

import dev.vcnn.engine.tensor.Checks;

/**
 * A learning rate as a pure function of the epoch (0-based) and the base rate, so that resuming at an
 * epoch needs no schedule state. The closed forms of {@code torch.optim.lr_scheduler}'s StepLR,
 * CosineAnnealingLR and LinearLR warm-up.
 */
@FunctionalInterface
public interface LrSchedule {
    /** The learning rate for {@code epoch}. */
    float lr(float baseLr, int epoch);

    /** The base rate throughout. */
    static LrSchedule constant() {
        return (base, epoch) -> base;
    }

    /** base·γ^⌊epoch/stepSize⌋ ({@code StepLR}). */
    static LrSchedule step(int stepSize, float gamma) {
        if (stepSize < 1) {
            throw Checks.mismatch("StepLR", "step size", ">= 1", stepSize);
        }
        return (base, epoch) -> (float) (base * Math.pow(gamma, epoch / stepSize));
    }

    /** η_min + (base − η_min)·(1 + cos(π·epoch/T))/2, held at η_min after T ({@code CosineAnnealingLR}). */
    static LrSchedule cosine(int tMax, float etaMin) {
        if (tMax < 1) {
            throw Checks.mismatch("CosineAnnealingLR", "T_max", ">= 1", tMax);
        }
        return (base, epoch) -> (float) (etaMin + (base - etaMin) * (1 + Math.cos(Math.PI * Math.min(epoch, tMax) / tMax)) / 2);
    }

    /**
     * A linear warm-up from {@code startFactor}·rate to the rate over {@code epochs} epochs, then this
     * schedule shifted to start after the warm-up ({@code SequentialLR(LinearLR, …)}).
     */
    default LrSchedule withWarmup(int epochs, float startFactor) {
        if (epochs < 0) {
            throw Checks.mismatch("LinearLR", "warm-up epochs", ">= 0", epochs);
        }
        LrSchedule after = this;
        return (base, epoch) -> epoch < epochs
                ? (float) (base * (startFactor + (1 - startFactor) * epoch / (double) epochs))
                : after.lr(base, epoch - epochs);
    }
}
