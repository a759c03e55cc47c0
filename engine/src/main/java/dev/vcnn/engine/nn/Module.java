package dev.vcnn.engine.nn;

import dev.vcnn.engine.autograd.Variable;
import dev.vcnn.engine.tensor.Shape;
import dev.vcnn.engine.tensor.Tensor;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;

/**
 * A layer or a network, shaped like PyTorch's {@code nn.Module}: named parameters, buffers (state
 * that is saved but not trained, such as batch-norm running statistics) and child modules, in
 * registration order; dotted state-dict keys ({@code features.0.weight}); {@code train()}/{@code eval()};
 * freezing; a {@code toString()} that prints the configuration the way PyTorch does.
 */
public abstract class Module {
    private final Map<String, Variable> parameters = new LinkedHashMap<>();
    private final Map<String, Tensor> buffers = new LinkedHashMap<>();
    private final Map<String, Module> children = new LinkedHashMap<>();
    private boolean training = true;

    /** Runs the layer. */
    public abstract Variable forward(Variable input);

    /**
     * The output shape for an input shape, without running anything.
     *
     * @throws IllegalArgumentException naming this layer and the shape it cannot take
     */
    public abstract Shape outputShape(Shape input);

    /** Multiply-adds of one forward pass over {@code input} (0 for layers without products). */
    public long forwardMacs(Shape input) {
        return 0;
    }

    /** The name PyTorch prints for this layer, e.g. {@code Conv2d}. */
    public String typeName() {
        return getClass().getSimpleName();
    }

    /** The configuration shown between the parentheses of {@link #toString()}. */
    protected String extraRepr() {
        return "";
    }

    // ---- registration ---------------------------------------------------------------------------

    protected final Variable registerParameter(String name, Tensor value) {
        Variable p = Variable.parameter(value);
        parameters.put(name, p);
        return p;
    }

    protected final Tensor registerBuffer(String name, Tensor value) {
        buffers.put(name, value);
        return value;
    }

    protected final <M extends Module> M registerModule(String name, M module) {
        children.put(name, module);
        return module;
    }

    // ---- traversal ------------------------------------------------------------------------------

    /** Direct children by name, in registration order. */
    public Map<String, Module> children() {
        return java.util.Collections.unmodifiableMap(children);
    }

    /** This module ("" ) and every descendant, by dotted path, depth first. */
    public Map<String, Module> namedModules() {
        Map<String, Module> out = new LinkedHashMap<>();
        collectModules("", out);
        return out;
    }

    private void collectModules(String prefix, Map<String, Module> out) {
        out.put(prefix, this);
        children.forEach((name, child) -> child.collectModules(prefix.isEmpty() ? name : prefix + "." + name, out));
    }

    /** Every parameter by dotted name, depth first in registration order. */
    public Map<String, Variable> namedParameters() {
        Map<String, Variable> out = new LinkedHashMap<>();
        visit("", (prefix, m) -> m.parameters.forEach((n, p) -> out.put(prefix + n, p)));
        return out;
    }

    /** Every parameter, frozen ones included. */
    public List<Variable> parameters() {
        return new ArrayList<>(namedParameters().values());
    }

    /** Every buffer by dotted name. */
    public Map<String, Tensor> namedBuffers() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        visit("", (prefix, m) -> m.buffers.forEach((n, b) -> out.put(prefix + n, b)));
        return out;
    }

    private void visit(String prefix, BiConsumer<String, Module> action) {
        action.accept(prefix, this);
        children.forEach((name, child) -> child.visit(prefix + name + ".", action));
    }

    /** The number of elements over all parameters. */
    public long parameterCount() {
        return parameters().stream().mapToLong(p -> p.value().numel()).sum();
    }

    // ---- modes ----------------------------------------------------------------------------------

    /** Training mode (dropout active, batch norm on batch statistics), for this module and its children. */
    public Module train() {
        return train(true);
    }

    /** Evaluation mode, recursively. */
    public Module eval() {
        return train(false);
    }

    public Module train(boolean on) {
        training = on;
        children.values().forEach(c -> c.train(on));
        return this;
    }

    public boolean isTraining() {
        return training;
    }

    /** Stops gradients for every parameter of this module: optimizers skip them. */
    public Module freeze() {
        parameters().forEach(p -> p.requiresGrad(false));
        return this;
    }

    /** Turns gradients back on for every parameter. */
    public Module unfreeze() {
        parameters().forEach(p -> p.requiresGrad(true));
        return this;
    }

    /**
     * The parameters grouped by the layer that owns them (a module with parameters of its own: a convolution,
     * batch norm or linear layer), in the order the layers were registered, which for the library's models is
     * the order they run. Transfer learning unfreezes the last groups.
     */
    public List<List<Variable>> parameterGroups() {
        List<List<Variable>> out = new ArrayList<>();
        visit("", (prefix, m) -> {
            if (!m.parameters.isEmpty()) {
                out.add(List.copyOf(m.parameters.values()));
            }
        });
        return out;
    }

    /** Drops every parameter's gradient. */
    public void zeroGrad() {
        parameters().forEach(Variable::zeroGrad);
    }

    // ---- state ----------------------------------------------------------------------------------

    /** Parameters and buffers by dotted key, as PyTorch's {@code state_dict()}; the tensors are live. */
    public Map<String, Tensor> stateDict() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        visit("", (prefix, m) -> {
            m.parameters.forEach((n, p) -> out.put(prefix + n, p.value()));
            m.buffers.forEach((n, b) -> out.put(prefix + n, b));
        });
        return out;
    }

    /**
     * Copies tensors into this module's parameters and buffers by key (the live tensors keep their
     * identity, so optimizers holding them keep working). With {@code strict}, every missing and
     * unexpected key is an error; a mis-shaped key always is. All problems are reported in one message.
     *
     * @throws IllegalArgumentException listing every missing, unexpected and mis-shaped key
     */
    public void loadStateDict(Map<String, Tensor> state, boolean strict) {
        Map<String, Tensor> own = stateDict();
        List<String> missing = new ArrayList<>();
        List<String> unexpected = new ArrayList<>();
        List<String> misShaped = new ArrayList<>();
        own.forEach((key, t) -> {
            Tensor src = state.get(key);
            if (src == null) {
                missing.add(key);
            } else if (!src.shape().equals(t.shape())) {
                misShaped.add(key + " (checkpoint " + src.shape() + ", model " + t.shape() + ")");
            }
        });
        state.keySet().stream().filter(k -> !own.containsKey(k)).forEach(unexpected::add);
        if (!misShaped.isEmpty() || strict && (!missing.isEmpty() || !unexpected.isEmpty())) {
            var sb = new StringBuilder("loadStateDict: the state dict does not fit " + typeName() + ":");
            if (!missing.isEmpty()) {
                sb.append(" missing keys ").append(missing).append(';');
            }
            if (!unexpected.isEmpty()) {
                sb.append(" unexpected keys ").append(unexpected).append(';');
            }
            if (!misShaped.isEmpty()) {
                sb.append(" mis-shaped keys ").append(misShaped).append(';');
            }
            sb.setLength(sb.length() - 1);
            throw new IllegalArgumentException(sb.toString());
        }
        own.forEach((key, t) -> {
            Tensor src = state.get(key);
            if (src != null) {
                System.arraycopy(src.data(), src.offset(), t.data(), t.offset(), t.numel());
            }
        });
    }

    // ---- printing -------------------------------------------------------------------------------

    /** PyTorch's format: {@code Linear(in_features=784, out_features=10, bias=True)}, children indented. */
    @Override
    public String toString() {
        if (children.isEmpty()) {
            return typeName() + "(" + extraRepr() + ")";
        }
        var sb = new StringBuilder(typeName()).append("(\n");
        if (!extraRepr().isEmpty()) {
            sb.append("  ").append(extraRepr()).append('\n');
        }
        children.forEach((name, child) ->
                sb.append("  (").append(name).append("): ").append(child.toString().replace("\n", "\n  ")).append('\n'));
        return sb.append(')').toString();
    }

    /** A float as Python prints it: {@code 0.1}, {@code 1.0}, {@code 1e-05}. */
    protected static String py(float v) {
        String s = Float.toString(v);
        int e = s.indexOf('E');
        if (e < 0) {
            return s;
        }
        String mantissa = s.substring(0, e).replaceAll("\\.0$", "");
        int exp = Integer.parseInt(s.substring(e + 1));
        return mantissa + "e" + (exp < 0 ? "-" : "+") + String.format(java.util.Locale.ROOT, "%02d", Math.abs(exp));
    }

    /** "(a, b)" as PyTorch prints pairs. */
    protected static String pair(int a, int b) {
        return "(" + a + ", " + b + ")";
    }
}
