package dev.vcnn.engine.nn;

import dev.vcnn.engine.autograd.Functional;
import dev.vcnn.engine.autograd.Variable;
import dev.vcnn.engine.tensor.Checks;
import dev.vcnn.engine.tensor.Shape;
import dev.vcnn.engine.tensor.Tensor;

/**
 * {@code nn.BatchNorm1d} ([N, C] or [N, C, L]) and {@code nn.BatchNorm2d} ([N, C, H, W]): affine weight
 * (ones) and bias (zeros), buffers running_mean (zeros), running_var (ones) and num_batches_tracked,
 * momentum 0.1 and eps 1e-5 by default, as PyTorch.
 */
public final class BatchNorm extends Module {
    private final int features;
    private final boolean twoD;
    private final float eps;
    private final float momentum;
    private final Variable weight;
    private final Variable bias;
    private final Tensor runningMean;
    private final Tensor runningVar;
    private final Tensor batchesTracked;

    private BatchNorm(int features, boolean twoD, float eps, float momentum) {
        if (features < 1) {
            throw Checks.mismatch(twoD ? "BatchNorm2d" : "BatchNorm1d", "num_features", ">= 1", features);
        }
        this.features = features;
        this.twoD = twoD;
        this.eps = eps;
        this.momentum = momentum;
        this.weight = registerParameter("weight", Tensor.ones(features));
        this.bias = registerParameter("bias", Tensor.zeros(features));
        this.runningMean = registerBuffer("running_mean", Tensor.zeros(features));
        this.runningVar = registerBuffer("running_var", Tensor.ones(features));
        this.batchesTracked = registerBuffer("num_batches_tracked", Tensor.zeros());
    }

    public static BatchNorm batchNorm1d(int features) {
        return new BatchNorm(features, false, 1e-5f, 0.1f);
    }

    public static BatchNorm batchNorm2d(int features) {
        return new BatchNorm(features, true, 1e-5f, 0.1f);
    }

    public static BatchNorm batchNorm2d(int features, float eps, float momentum) {
        return new BatchNorm(features, true, eps, momentum);
    }

    @Override
    public Variable forward(Variable x) {
        outputShape(x.shape());
        if (isTraining()) {
            batchesTracked.data()[batchesTracked.offset()]++;
        }
        return Functional.batchNorm(x, weight, bias, runningMean, runningVar, isTraining(), momentum, eps);
    }

    /**
     * {@link #forward}, in evaluation written over {@code x}'s own value when no gradient is recorded
     * ({@link Functional#batchNormOver}): for an {@code x} nothing else reads.
     */
    public Variable forwardOver(Variable x) {
        if (isTraining()) {
            return forward(x);
        }
        outputShape(x.shape());
        return Functional.batchNormOver(x, weight, bias, runningMean, runningVar, eps);
    }

    /** γ, one per channel. */
    public Variable weight() {
        return weight;
    }

    /** β, one per channel. */
    public Variable bias() {
        return bias;
    }

    /** ε added to the variance. */
    public float eps() {
        return eps;
    }

    /** PyTorch's momentum: the weight of a batch's statistics in the running ones. */
    public float momentum() {
        return momentum;
    }

    public Tensor runningMean() {
        return runningMean;
    }

    public Tensor runningVar() {
        return runningVar;
    }

    @Override
    public Shape outputShape(Shape input) {
        boolean rankOk = twoD ? input.rank() == 4 : input.rank() == 2 || input.rank() == 3;
        if (!rankOk) {
            throw Checks.mismatch(typeName(), "input rank", twoD ? "4" : "2 or 3", input.rank(), "input", input);
        }
        if (input.dim(1) != features) {
            throw Checks.mismatch(typeName(), "input channels", features, input.dim(1), "input", input);
        }
        return input;
    }

    @Override
    public String typeName() {
        return twoD ? "BatchNorm2d" : "BatchNorm1d";
    }

    @Override
    protected String extraRepr() {
        return features + ", eps=" + py(eps) + ", momentum=" + py(momentum) + ", affine=True, track_running_stats=True";
    }
}
