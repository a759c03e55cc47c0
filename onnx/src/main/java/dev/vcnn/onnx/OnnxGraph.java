package dev.vcnn.onnx;

import dev.vcnn.engine.autograd.Autograd;
import dev.vcnn.engine.autograd.Functional;
import dev.vcnn.engine.autograd.Variable;
import dev.vcnn.engine.nn.Module;
import dev.vcnn.engine.tensor.Shape;
import dev.vcnn.engine.tensor.Tensor;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * An ONNX graph as a vcnn {@link Module}: float initializers are parameters (trainable, freezable by name, saved
 * and loaded by {@link #stateDict()} under their ONNX names), batch norm's running statistics are buffers, and
 * int64 initializers are constants. Running it interprets the nodes in a topological order computed once;
 * every float op records autograd, so an imported model fine-tunes like one built from layers.
 *
 * <p>Construction checks the whole graph before anything runs: every node's operator, attribute values and
 * data types against {@link OnnxOps}'s supported set (all problems reported together, each naming the node,
 * the operator and the opset), every input produced by something, and no cycles. Model-local functions are
 * inlined first.
 */
public final class OnnxGraph extends Module implements dev.vcnn.models.Backbone {
    /** The opsets of the default domain this interpreter implements. */
    public static final int MIN_OPSET = 9;
    public static final int MAX_OPSET = 18;

    private final OnnxModel model;
    private final int opset;
    private final List<OnnxModel.Node> order;
    private final Map<String, Variable> parameters = new LinkedHashMap<>();
    private final Map<String, Tensor> buffers = new LinkedHashMap<>();
    private final Map<String, OnnxValue> constants = new LinkedHashMap<>();
    private final List<OnnxModel.ValueInfo> inputs;
    private final List<String> outputs;
    /** Nodes that write over their input (see {@link #activationsOverInputs}); empty when turned off. */
    private Set<OnnxModel.Node> overInput;
    private long seed = 0x5eed;

    private OnnxGraph(OnnxModel model) {
        this.model = model;
        Long version = model.opsets().getOrDefault("", model.opsets().get("ai.onnx"));
        if (version == null || version < MIN_OPSET || version > MAX_OPSET) {
            throw new IllegalArgumentException("onnx: the model imports opset " + version + " of the default domain;"
                    + " vcnn runs opsets " + MIN_OPSET + " to " + MAX_OPSET + " (opsets " + model.opsets() + ")");
        }
        this.opset = version.intValue();
        List<OnnxModel.Node> nodes = Functions.inline(model.graph().nodes(), model.functions());
        OnnxModel.Graph g = model.graph();
        Set<String> initialized = new HashSet<>();
        for (OnnxModel.Tensor t : g.initializers()) {
            initialized.add(t.name());
        }
        this.inputs = g.inputs().stream().filter(v -> !initialized.contains(v.name())).toList();
        this.outputs = g.outputs().stream().map(OnnxModel.ValueInfo::name).toList();

        List<String> problems = new ArrayList<>();
        for (OnnxModel.ValueInfo v : inputs) {
            if (v.elemType() != OnnxModel.Tensor.FLOAT && v.elemType() != OnnxModel.Tensor.INT64) {
                problems.add("graph input '" + v.name() + "' has element type " + v.elemType()
                        + "; vcnn takes FLOAT (1) and INT64 (7)");
            }
        }
        for (OnnxModel.Node n : nodes) {
            problems.addAll(OnnxOps.check(n, opset));
        }
        Map<String, Integer> staticUse = OnnxOps.staticInputs(nodes);
        for (OnnxModel.Tensor t : g.initializers()) {
            try {
                classify(t, staticUse.getOrDefault(t.name(), 0));
            } catch (IllegalArgumentException e) {
                problems.add(e.getMessage().replaceFirst("^onnx: ", ""));
            }
        }
        this.order = problems.isEmpty() ? sort(nodes, problems) : nodes;
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException("onnx: graph '" + g.name() + "' (opset " + opset + ") cannot run in vcnn: "
                    + problems.size() + " problem(s):\n  " + String.join("\n  ", problems));
        }
        this.overInput = activationsOverInputs(order, outputs);
    }

    /**
     * The nodes that may write over their input 0, the output of a producer that nothing else reads (no other
     * node, no graph output, and not the producer's own backward, which reads only its inputs), bit for bit the
     * same result and gradients:
     * <ul>
     *   <li>Relu and Clip after a Conv, BatchNormalization or Add clamp that value in place
     *       ({@link Functional#reluOver}); in MobileNetV2 every ReLU6 is one;
     *   <li>BatchNormalization after a Conv normalises it in place in evaluation without gradients
     *       ({@link Functional#batchNormOver}).
     * </ul>
     */
    private static Set<OnnxModel.Node> activationsOverInputs(List<OnnxModel.Node> nodes, List<String> outputs) {
        Map<String, String> producerOp = new HashMap<>();
        Map<String, Integer> reads = new HashMap<>();
        for (OnnxModel.Node n : nodes) {
            n.outputs().forEach(o -> producerOp.put(o, n.opType()));
            n.inputs().forEach(i -> reads.merge(i, 1, Integer::sum));
        }
        outputs.forEach(o -> reads.merge(o, 1, Integer::sum));
        Set<OnnxModel.Node> over = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        for (OnnxModel.Node n : nodes) {
            boolean activation = n.opType().equals("Relu") || n.opType().equals("Clip");
            if ((activation || n.opType().equals("BatchNormalization")) && !n.inputs().isEmpty()) {
                String in = n.inputs().get(0);
                String op = producerOp.get(in);
                if (reads.get(in) == 1 && ("Conv".equals(op)
                        || (activation && ("BatchNormalization".equals(op) || "Add".equals(op))))) {
                    over.add(n);
                }
            }
        }
        return over;
    }

    /** Turns the in-place activations off (or on again): for checking that they change nothing. */
    void activationsOverInputs(boolean on) {
        overInput = on ? activationsOverInputs(order, outputs) : Set.of();
    }

    /** How many nodes write over their input. */
    int activationsOverInputs() {
        return overInput.size();
    }

    /** Reads and checks a model file; external data is read from beside it. */
    public static OnnxGraph read(Path file) throws IOException {
        return of(OnnxModel.read(file));
    }

    /**
     * The graph of a parsed model.
     *
     * @throws IllegalArgumentException listing every node, attribute, data type or edge vcnn cannot run
     */
    public static OnnxGraph of(OnnxModel model) {
        return new OnnxGraph(model);
    }

    /** The model this graph was built from. */
    public OnnxModel model() {
        return model;
    }

    /** The default domain's opset. */
    public int opset() {
        return opset;
    }

    /** The graph's inputs the caller provides (initializers excluded). */
    public List<OnnxModel.ValueInfo> inputs() {
        return inputs;
    }

    /** The graph's output names. */
    public List<String> outputNames() {
        return outputs;
    }

    /** The nodes in the order they run (model-local functions inlined). */
    public List<OnnxModel.Node> nodes() {
        return order;
    }

    /** The last Gemm or MatMul node, which takes the features to the classes, and its input width. */
    private record Classifier(OnnxModel.Node node, int width) {}

    private Classifier classifier() {
        for (int i = order.size() - 1; i >= 0; i--) {
            OnnxModel.Node n = order.get(i);
            if (!n.opType().equals("Gemm") && !n.opType().equals("MatMul")) {
                continue;
            }
            Variable w = parameters.get(n.inputs().get(1));
            if (w == null || w.shape().rank() != 2) {
                break;
            }
            boolean transposed = n.opType().equals("Gemm") && OnnxOps.attrI(n, "transB", 0) != 0;
            return new Classifier(n, w.shape().dim(transposed ? 1 : 0));
        }
        throw new IllegalArgumentException("onnx: graph '" + model.graph().name() + "' must end in a Gemm or MatMul"
                + " classifier with a weight initializer to serve as a backbone, but has none");
    }

    /**
     * This graph cut before its last Gemm or MatMul: the nodes that compute that node's first input, with copies of
     * the weights they use, under the same names.
     *
     * @throws IllegalArgumentException when the graph has no such classifier
     */
    @Override
    public Module featureExtractor() {
        OnnxModel.Node last = classifier().node();
        String out = last.inputs().get(0);
        Set<String> needed = new HashSet<>(Set.of(out));
        List<OnnxModel.Node> kept = new ArrayList<>();
        for (int i = order.indexOf(last) - 1; i >= 0; i--) {
            OnnxModel.Node n = order.get(i);
            if (n.outputs().stream().anyMatch(needed::contains)) {
                kept.add(0, n);
                n.inputs().forEach(needed::add);
            }
        }
        OnnxModel.Graph g = model.graph();
        Map<String, Tensor> state = stateDict();
        List<OnnxModel.Tensor> inits = new ArrayList<>();
        for (OnnxModel.Tensor t : g.initializers()) {
            if (needed.contains(t.name())) {
                Tensor now = state.get(t.name());
                inits.add(now == null ? t : OnnxWriter.floats(t.name(), now.toArray(), t.dims()));
            }
        }
        var cut = new OnnxModel.Graph(g.name() + "-features", kept, inits, inputs,
                List.of(new OnnxModel.ValueInfo(out, OnnxModel.Tensor.FLOAT, new long[0], List.of())));
        OnnxGraph f = new OnnxGraph(new OnnxModel(model.irVersion(), model.opsets(), model.producer(), cut, List.of()));
        f.train(isTraining());
        return f;
    }

    @Override
    public int featureWidth() {
        return classifier().width();
    }

    /** Sets the seed training-mode dropout draws its masks from (each run advances it). */
    public void seed(long seed) {
        this.seed = seed;
    }

    /**
     * The parameters grouped by the node that first takes them (a Conv's weight and bias, a Gemm's, a batch norm's
     * scale and shift), in the order the nodes run.
     */
    @Override
    public List<List<Variable>> parameterGroups() {
        List<List<Variable>> out = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        for (OnnxModel.Node n : order) {
            List<Variable> group = new ArrayList<>();
            for (String in : n.inputs()) {
                Variable p = parameters.get(in);
                if (p != null && seen.add(in)) {
                    group.add(p);
                }
            }
            if (!group.isEmpty()) {
                out.add(List.copyOf(group));
            }
        }
        return out;
    }

    /** Freezes every parameter whose name starts with {@code prefix}; returns how many. */
    public int freeze(String prefix) {
        int n = 0;
        for (var e : namedParameters().entrySet()) {
            if (e.getKey().startsWith(prefix)) {
                e.getValue().requiresGrad(false);
                n++;
            }
        }
        return n;
    }

    private void classify(OnnxModel.Tensor t, int staticUse) {
        int[] dims = new int[t.dims().length];
        for (int i = 0; i < dims.length; i++) {
            if (t.dims()[i] > Integer.MAX_VALUE - 8) {
                throw new IllegalArgumentException("onnx: initializer '" + t.name() + "' has a dimension of "
                        + t.dims()[i]);
            }
            dims[i] = (int) t.dims()[i];
        }
        if (t.count() > Shape.MAX_ELEMENTS) {
            throw new IllegalArgumentException("onnx: initializer '" + t.name() + "' holds " + t.count()
                    + " elements, more than a tensor can");
        }
        switch (t.dataType()) {
            case OnnxModel.Tensor.FLOAT -> {
                Tensor value = Tensor.of(t.floats(), dims);
                if (staticUse == OnnxOps.BUFFER) {
                    buffers.put(t.name(), registerBuffer(t.name(), value));
                } else if (staticUse == OnnxOps.CONSTANT) {
                    constants.put(t.name(), OnnxValue.of(value));
                } else {
                    parameters.put(t.name(), registerParameter(t.name(), value));
                }
            }
            case OnnxModel.Tensor.INT64 -> constants.put(t.name(), new OnnxValue.Ints(t.longs(), dims));
            default -> throw new IllegalArgumentException("onnx: initializer '" + t.name() + "' has data type "
                    + t.dataType() + "; vcnn reads FLOAT (1) and INT64 (7)");
        }
    }

    /** Kahn's algorithm over value names; reports inputs nothing produces and cycles. */
    private List<OnnxModel.Node> sort(List<OnnxModel.Node> nodes, List<String> problems) {
        Map<String, Integer> producer = new HashMap<>();
        for (int i = 0; i < nodes.size(); i++) {
            for (String out : nodes.get(i).outputs()) {
                if (!out.isEmpty() && producer.put(out, i) != null) {
                    problems.add("value '" + out + "' is produced by more than one node");
                }
            }
        }
        Set<String> available = new HashSet<>(constants.keySet());
        available.addAll(parameters.keySet());
        available.addAll(buffers.keySet());
        inputs.forEach(v -> available.add(v.name()));
        int[] waiting = new int[nodes.size()];
        Map<String, List<Integer>> consumers = new HashMap<>();
        for (int i = 0; i < nodes.size(); i++) {
            OnnxModel.Node n = nodes.get(i);
            for (String in : new LinkedHashSet<>(n.inputs())) {
                if (in.isEmpty() || available.contains(in)) {
                    continue;
                }
                if (!producer.containsKey(in)) {
                    problems.add(OnnxOps.where(n, opset) + ": input '" + in
                            + "' is not a graph input, an initializer or any node's output");
                    continue;
                }
                waiting[i]++;
                consumers.computeIfAbsent(in, k -> new ArrayList<>()).add(i);
            }
        }
        ArrayDeque<Integer> ready = new ArrayDeque<>();
        for (int i = 0; i < nodes.size(); i++) {
            if (waiting[i] == 0) {
                ready.add(i);
            }
        }
        List<OnnxModel.Node> sorted = new ArrayList<>();
        while (!ready.isEmpty()) {
            int i = ready.poll();
            sorted.add(nodes.get(i));
            for (String out : nodes.get(i).outputs()) {
                for (int c : consumers.getOrDefault(out, List.of())) {
                    if (--waiting[c] == 0) {
                        ready.add(c);
                    }
                }
            }
        }
        if (problems.isEmpty() && sorted.size() < nodes.size()) {
            List<String> stuck = new ArrayList<>();
            for (int i = 0; i < nodes.size() && stuck.size() < 5; i++) {
                if (waiting[i] > 0) {
                    stuck.add("'" + nodes.get(i).name() + "' (" + nodes.get(i).opType() + ")");
                }
            }
            problems.add("the graph has a cycle: " + (nodes.size() - sorted.size()) + " node(s) wait on each other, e.g. "
                    + String.join(", ", stuck));
        }
        for (String out : outputs) {
            if (!available.contains(out) && !producer.containsKey(out)) {
                problems.add("graph output '" + out + "' is not produced by any node");
            }
        }
        return sorted;
    }

    /**
     * Runs the graph on named inputs and returns every graph output by name.
     *
     * @throws IllegalArgumentException naming a missing input, an input of the wrong type or rank, or the node
     *     whose operator rejected the shapes it got
     */
    public Map<String, OnnxValue> run(Map<String, OnnxValue> given) {
        Map<String, OnnxValue> values = new HashMap<>(constants);
        parameters.forEach((k, v) -> values.put(k, new OnnxValue.Floats(v)));
        buffers.forEach((k, v) -> values.put(k, OnnxValue.of(v)));
        for (OnnxModel.ValueInfo v : inputs) {
            OnnxValue x = given.get(v.name());
            if (x == null) {
                throw new IllegalArgumentException("onnx: graph input '" + v.name() + "' was not given (given: "
                        + given.keySet() + ")");
            }
            checkInput(v, x);
            values.put(v.name(), x);
        }
        var ctx = new OnnxOps.RunContext(opset, isTraining(), buffers, seed, overInput);
        for (OnnxModel.Node n : order) {
            List<OnnxValue> args = new ArrayList<>(n.inputs().size());
            for (String in : n.inputs()) {
                args.add(in.isEmpty() ? null : values.get(in));
            }
            List<OnnxValue> results;
            try {
                results = OnnxOps.apply(n, args, ctx);
            } catch (IllegalArgumentException | IndexOutOfBoundsException e) {
                throw new IllegalArgumentException("onnx: " + OnnxOps.where(n, opset) + " failed on inputs "
                        + describe(n.inputs(), args) + ": " + e.getMessage(), e);
            }
            for (int i = 0; i < results.size() && i < n.outputs().size(); i++) {
                if (!n.outputs().get(i).isEmpty()) {
                    values.put(n.outputs().get(i), results.get(i));
                }
            }
        }
        seed = ctx.nextSeed();
        Map<String, OnnxValue> out = new LinkedHashMap<>();
        for (String name : outputs) {
            out.put(name, values.get(name));
        }
        return out;
    }

    private static String describe(List<String> names, List<OnnxValue> args) {
        List<String> parts = new ArrayList<>();
        for (int i = 0; i < names.size(); i++) {
            OnnxValue v = args.get(i);
            parts.add("'" + names.get(i) + "' " + (v == null ? "absent"
                    : (v instanceof OnnxValue.Ints ? "int64" : "float") + java.util.Arrays.toString(v.dims())));
        }
        return parts.toString();
    }

    private static void checkInput(OnnxModel.ValueInfo v, OnnxValue x) {
        if (x.elemType() != v.elemType()) {
            throw new IllegalArgumentException("onnx: graph input '" + v.name() + "' must have element type "
                    + v.elemType() + " but was given " + x.elemType());
        }
        int[] dims = x.dims();
        if (v.dims().length > 0 && dims.length != v.dims().length) {
            throw new IllegalArgumentException("onnx: graph input '" + v.name() + "' must have rank " + v.dims().length
                    + " (dims " + java.util.Arrays.toString(v.dims()) + ") but has dims " + java.util.Arrays.toString(dims));
        }
        for (int i = 0; i < v.dims().length; i++) {
            if (v.dims()[i] >= 0 && v.dims()[i] != dims[i]) {
                throw new IllegalArgumentException("onnx: graph input '" + v.name() + "' must have dims "
                        + java.util.Arrays.toString(v.dims()) + " (-1: any) but has " + java.util.Arrays.toString(dims));
            }
        }
    }

    /**
     * Runs a graph of one float input and one float output.
     *
     * @throws IllegalArgumentException when the graph takes or gives more than one value, or a non-float one
     */
    @Override
    public Variable forward(Variable input) {
        if (inputs.size() != 1 || outputs.size() != 1) {
            throw new IllegalArgumentException("onnx: forward(x) needs a graph of one input and one output but this one"
                    + " has inputs " + inputs.stream().map(OnnxModel.ValueInfo::name).toList() + " and outputs "
                    + outputs + "; use run(Map)");
        }
        OnnxValue y = run(Map.of(inputs.get(0).name(), new OnnxValue.Floats(input))).get(outputs.get(0));
        if (!(y instanceof OnnxValue.Floats f)) {
            throw new IllegalArgumentException("onnx: graph output '" + outputs.get(0) + "' is int64, not float");
        }
        return f.variable();
    }

    @Override
    public Shape outputShape(Shape input) {
        boolean was = isTraining();
        eval();
        try {
            return Autograd.noGrad(() -> forward(Variable.constant(Tensor.zeros(input.toArray())))).shape();
        } finally {
            train(was);
        }
    }

    @Override
    public String typeName() {
        return "OnnxGraph";
    }

    @Override
    protected String extraRepr() {
        return "name=" + model.graph().name() + ", opset=" + opset + ", nodes=" + order.size()
                + ", parameters=" + parameterCount();
    }
}
