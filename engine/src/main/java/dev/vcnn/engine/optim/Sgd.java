package dev.vcnn.engine.optim;

import dev.vcnn.engine.autograd.Variable;
import dev.vcnn.engine.kernel.Updates;
import dev.vcnn.engine.tensor.Checks;
import dev.vcnn.engine.tensor.Tensor;
import java.util.List;
import java.util.Map;

/** {@code torch.optim.SGD}: momentum, dampening, Nesterov and (L2) weight decay; see {@link Updates#sgd}. */
public final class Sgd extends Optimizer {
    private final float momentum;
    private final float dampening;
    private final float weightDecay;
    private final boolean nesterov;
    private final Tensor[] buffers;

    /** Plain SGD. */
    public Sgd(List<Variable> params, float lr) {
        this(params, lr, 0f, 0f, 0f, false);
    }

    public Sgd(List<Variable> params, float lr, float momentum, float dampening, float weightDecay, boolean nesterov) {
        super(params, lr);
        if (nesterov && (momentum <= 0f || dampening != 0f)) {
            throw Checks.mismatch("SGD", "momentum and dampening for Nesterov", "momentum > 0 and dampening 0",
                    "momentum=" + momentum + ", dampening=" + dampening);
        }
        if (!(momentum >= 0f) || !(weightDecay >= 0f)) {
            throw Checks.mismatch("SGD", "momentum and weight decay", ">= 0",
                    "momentum=" + momentum + ", weight_decay=" + weightDecay);
        }
        this.momentum = momentum;
        this.dampening = dampening;
        this.weightDecay = weightDecay;
        this.nesterov = nesterov;
        this.buffers = new Tensor[this.params.size()];
    }

    @Override
    protected void update(Updates updates, int index, Tensor param, Tensor grad) {
        boolean first = buffers[index] == null;
        if (momentum != 0f && first) {
            buffers[index] = like(param);
        }
        Tensor buf = buffers[index];
        updates.sgd(param.data(), param.offset(), grad.data(), grad.offset(), buf == null ? null : buf.data(), 0,
                param.numel(), lr(), momentum, dampening, weightDecay, nesterov, first);
    }

    @Override
    protected Map<String, Tensor> state(int index) {
        return buffers[index] == null ? Map.of() : Map.of("momentum_buffer", buffers[index]);
    }

    @Override
    protected java.util.List<String> stateNames() {
        return momentum != 0f ? java.util.List.of("momentum_buffer") : java.util.List.of();
    }

    @Override
    protected void validate(int index, String name, Tensor value) {
        checkSameShape(index + "." + name, params.get(index).value(), value);
    }

    @Override
    protected void restore(int index, String name, Tensor value) {
        buffers[index] = value.copy();
    }
}
