package dev.vcnn.engine.optim;

import dev.vcnn.engine.autograd.Context;
import dev.vcnn.engine.autograd.Variable;
import dev.vcnn.engine.kernel.Updates;
import dev.vcnn.engine.tensor.Checks;
import dev.vcnn.engine.tensor.Tensor;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Updates parameters from their gradients, as {@code torch.optim}. Parameters whose gradient is off
 * (frozen) or absent are skipped, and their state is left alone. The per-parameter state (momentum,
 * moments, step counts) round-trips through {@link #stateDict()} for checkpoints.
 */
public abstract class Optimizer {
    protected final List<Variable> params;
    private float lr;

    protected Optimizer(List<Variable> params, float lr) {
        if (!(lr >= 0f) || !Float.isFinite(lr)) {
            throw Checks.mismatch(getClass().getSimpleName(), "learning rate", "finite and >= 0", lr);
        }
        this.params = List.copyOf(params);
        this.lr = lr;
    }

    /** The learning rate of the next step. */
    public float lr() {
        return lr;
    }

    /** Sets the learning rate (schedules call this). */
    public void lr(float value) {
        this.lr = value;
    }

    /** One update of every trainable parameter that has a gradient, on the current context's kernels. */
    public void step() {
        Updates updates = Context.current().kernels().updates();
        for (int i = 0; i < params.size(); i++) {
            Variable p = params.get(i);
            if (p.requiresGrad() && p.grad() != null) {
                update(updates, i, p.value(), p.grad());
            }
        }
    }

    /** Drops every parameter's gradient. */
    public void zeroGrad() {
        params.forEach(Variable::zeroGrad);
    }

    /** Applies one step to parameter {@code index}. */
    protected abstract void update(Updates updates, int index, Tensor param, Tensor grad);

    /** The state tensors of parameter {@code index} by name (live), empty before its first step. */
    protected abstract Map<String, Tensor> state(int index);

    /** Restores a named state tensor of parameter {@code index}, already {@link #validate validated}. */
    protected abstract void restore(int index, String name, Tensor value);

    /** All state, keyed {@code <param index>.<name>} (e.g. {@code 3.exp_avg}). */
    public Map<String, Tensor> stateDict() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (int i = 0; i < params.size(); i++) {
            int index = i;
            state(i).forEach((name, t) -> out.put(index + "." + name, t));
        }
        return out;
    }

    /** The names of the state each parameter holds once it has taken a step (e.g. exp_avg, exp_avg_sq, step). */
    protected abstract java.util.List<String> stateNames();

    /**
     * Restores state saved by {@link #stateDict()} for the same parameter list. Each parameter's state is
     * all there or absent (a parameter that never stepped); nothing changes unless the whole dict is valid.
     *
     * @throws IllegalArgumentException naming a key that does not belong to this optimizer, has the wrong
     *     shape or value, or a parameter whose state lacks a name
     */
    public void loadStateDict(Map<String, Tensor> state) {
        String name = getClass().getSimpleName();
        Map<Integer, Map<String, Tensor>> byParam = new java.util.TreeMap<>();
        state.forEach((key, t) -> {
            int dot = key.indexOf('.');
            int index;
            try {
                index = Integer.parseInt(key.substring(0, Math.max(0, dot)));
            } catch (NumberFormatException e) {
                throw Checks.mismatch(name, "state key", "<param index>.<name>", key);
            }
            if (index < 0 || index >= params.size()) {
                throw Checks.mismatch(name, "parameter index of state key " + key, "in [0, " + params.size() + ")", index);
            }
            String field = key.substring(dot + 1);
            if (!stateNames().contains(field)) {
                throw Checks.mismatch(name, "state name of key " + key, "one of " + stateNames(), field);
            }
            validate(index, field, t);
            byParam.computeIfAbsent(index, i -> new LinkedHashMap<>()).put(field, t);
        });
        byParam.forEach((index, fields) -> {
            for (String field : stateNames()) {
                if (!fields.containsKey(field)) {
                    throw Checks.mismatch(name, "state of parameter " + index, "all of " + stateNames(),
                            "no " + index + "." + field + " beside " + fields.keySet());
                }
            }
        });
        byParam.forEach((index, fields) -> fields.forEach((field, t) -> restore(index, field, t)));
    }

    /**
     * Requires that every trainable parameter has state, as it has after a step of a model whose every
     * parameter gets a gradient (a trainer's checkpoint taken after its first step).
     *
     * @throws IllegalArgumentException naming the first parameter without state and {@code where}
     */
    public void requireStateForEveryParameter(String where) {
        for (int i = 0; i < params.size(); i++) {
            if (!stateNames().isEmpty() && params.get(i).requiresGrad() && state(i).isEmpty()) {
                throw Checks.mismatch(getClass().getSimpleName(), "state of parameter " + i + " in " + where,
                        "present (" + stateNames() + ")", "missing");
            }
        }
    }

    /** Checks a state tensor before anything is restored; throws IllegalArgumentException naming the key. */
    protected abstract void validate(int index, String name, Tensor value);

    protected static Tensor like(Tensor t) {
        return Tensor.zeros(t.shape().toArray());
    }

    protected void checkSameShape(String key, Tensor expected, Tensor actual) {
        if (!expected.shape().equals(actual.shape())) {
            throw Checks.mismatch(getClass().getSimpleName(), "shape of state " + key, expected.shape(), actual.shape());
        }
    }
}
