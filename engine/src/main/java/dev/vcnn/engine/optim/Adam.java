package dev.vcnn.engine.optim;

import dev.vcnn.engine.autograd.Variable;
import dev.vcnn.engine.kernel.Updates;
import dev.vcnn.engine.tensor.Checks;
import dev.vcnn.engine.tensor.Tensor;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code torch.optim.Adam} (L2 weight decay added to the gradient) and {@code torch.optim.AdamW}
 * (decoupled weight decay); see {@link Updates#adam}. Each parameter counts its own steps, as in PyTorch.
 */
public final class Adam extends Optimizer {
    private final float beta1;
    private final float beta2;
    private final float eps;
    private final float weightDecay;
    private final boolean decoupled;
    private final Tensor[] m;
    private final Tensor[] v;
    private final long[] steps;

    private Adam(List<Variable> params, float lr, float beta1, float beta2, float eps, float weightDecay, boolean decoupled) {
        super(params, lr);
        String name = decoupled ? "AdamW" : "Adam";
        if (!(beta1 >= 0f && beta1 < 1f) || !(beta2 >= 0f && beta2 < 1f)) {
            throw Checks.mismatch(name, "betas", "in [0, 1)", "(" + beta1 + ", " + beta2 + ")");
        }
        if (!(eps >= 0f) || !(weightDecay >= 0f)) {
            throw Checks.mismatch(name, "eps and weight decay", ">= 0", "eps=" + eps + ", weight_decay=" + weightDecay);
        }
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
        this.weightDecay = weightDecay;
        this.decoupled = decoupled;
        this.m = new Tensor[this.params.size()];
        this.v = new Tensor[this.params.size()];
        this.steps = new long[this.params.size()];
    }

    /** Adam with PyTorch's defaults: betas (0.9, 0.999), eps 1e-8, no weight decay. */
    public static Adam adam(List<Variable> params, float lr) {
        return adam(params, lr, 0.9f, 0.999f, 1e-8f, 0f);
    }

    public static Adam adam(List<Variable> params, float lr, float beta1, float beta2, float eps, float weightDecay) {
        return new Adam(params, lr, beta1, beta2, eps, weightDecay, false);
    }

    /** AdamW with PyTorch's defaults: betas (0.9, 0.999), eps 1e-8, weight decay 0.01. */
    public static Adam adamW(List<Variable> params, float lr) {
        return adamW(params, lr, 0.9f, 0.999f, 1e-8f, 0.01f);
    }

    public static Adam adamW(List<Variable> params, float lr, float beta1, float beta2, float eps, float weightDecay) {
        return new Adam(params, lr, beta1, beta2, eps, weightDecay, true);
    }

    /** The weight decay: L2 for Adam, decoupled for AdamW. */
    public float weightDecay() {
        return weightDecay;
    }

    @Override
    protected void update(Updates updates, int i, Tensor param, Tensor grad) {
        if (m[i] == null) {
            m[i] = like(param);
            v[i] = like(param);
        }
        steps[i]++;
        updates.adam(param.data(), param.offset(), grad.data(), grad.offset(), m[i].data(), 0, v[i].data(), 0,
                param.numel(), lr(), beta1, beta2, eps, weightDecay, decoupled, steps[i]);
    }

    @Override
    protected Map<String, Tensor> state(int i) {
        if (m[i] == null) {
            return Map.of();
        }
        Map<String, Tensor> s = new LinkedHashMap<>();
        s.put("exp_avg", m[i]);
        s.put("exp_avg_sq", v[i]);
        // Two float halves, so step counts past 2^24 survive a float32 checkpoint exactly.
        s.put("step", Tensor.of(new float[] {steps[i] >>> 24, steps[i] & 0xFFFFFF}, 2));
        return s;
    }

    @Override
    protected java.util.List<String> stateNames() {
        return java.util.List.of("exp_avg", "exp_avg_sq", "step");
    }

    @Override
    protected void validate(int i, String name, Tensor value) {
        String key = i + "." + name;
        if (!name.equals("step")) {
            checkSameShape(key, params.get(i).value(), value);
            return;
        }
        checkSameShape(key, Tensor.zeros(2), value);
        float high = value.get(0);
        float low = value.get(1);
        // The halves of a count in [1, 2^48): whole numbers, the low one under 2^24.
        if (!(high >= 0 && high < 0x1p24f && high == Math.rint(high) && low >= 0 && low < 0x1p24f && low == Math.rint(low))
                || (high == 0 && low == 0)) {
            throw Checks.mismatch(decoupled ? "AdamW" : "Adam", "state " + key, "a step count >= 1 as two whole halves "
                    + "[count >> 24, count & 0xFFFFFF]", "[" + high + ", " + low + "]");
        }
    }

    @Override
    protected void restore(int i, String name, Tensor value) {
        switch (name) {
            case "exp_avg" -> m[i] = value.copy();
            case "exp_avg_sq" -> v[i] = value.copy();
            default -> steps[i] = ((long) value.get(0) << 24) | (long) value.get(1);
        }
    }
}
