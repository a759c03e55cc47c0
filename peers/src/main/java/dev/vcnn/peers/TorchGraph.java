package dev.vcnn.peers;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.BatchNorm;
import ai.djl.nn.norm.Dropout;
import ai.djl.nn.pooling.Pool;
import dev.vcnn.onnx.OnnxModel;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A graph that vcnn's {@code OnnxExporter} wrote, run in PyTorch eager mode: each node one libtorch call
 * through DJL's functional API ({@code Conv2d.conv2d}, {@code BatchNorm.batchNorm}, {@code Pool.maxPool2d},
 * {@code Linear.linear}, ...), as a Python {@code forward} calls torch's functions one by one. The weights are
 * the file's initializers, so both engines start from the same model. Only the operators that exporter writes
 * for the built-in CNNs are run; any other is an error naming the node.
 */
final class TorchGraph implements AutoCloseable {
    private final NDManager manager;
    private final List<OnnxModel.Node> nodes;
    private final String input;
    private final String output;
    /** Initializers that are weights (a Conv's, a Gemm's, a BatchNormalization's scale and bias), in file order. */
    private final List<NDArray> parameters;
    /** Every initializer by name: the values a forward pass starts from. */
    private final Map<String, NDArray> initializers = new HashMap<>();

    TorchGraph(OnnxModel model, NDManager manager) {
        this.manager = manager;
        OnnxModel.Graph g = model.graph();
        this.nodes = g.nodes();
        this.input = g.inputs().getFirst().name();
        this.output = g.outputs().getFirst().name();
        java.util.Set<String> weights = new java.util.HashSet<>();
        for (OnnxModel.Node n : nodes) {
            switch (n.opType()) {
                case "Conv", "Gemm" -> weights.addAll(n.inputs().subList(1, n.inputs().size()));
                case "BatchNormalization" -> weights.addAll(n.inputs().subList(1, 3));
                default -> { }
            }
        }
        List<NDArray> params = new ArrayList<>();
        for (OnnxModel.Tensor t : g.initializers()) {
            NDArray a = manager.create(t.floats(), new Shape(t.dims()));
            initializers.put(t.name(), a);
            if (weights.contains(t.name())) {
                params.add(a);
            }
        }
        this.parameters = List.copyOf(params);
    }

    /** The weights, in the file's order, to be given gradients and updated by a training step. */
    List<NDArray> parameters() {
        return parameters;
    }

    /**
     * The graph's first output for {@code x}: batch statistics, updated running statistics and dropout when
     * {@code training}. Intermediate values are attached to {@code x}'s manager.
     */
    NDArray forward(NDArray x, boolean training) {
        Map<String, NDArray> v = new HashMap<>(initializers);
        v.put(input, x);
        for (OnnxModel.Node n : nodes) {
            NDArray y = apply(n, v, training);
            v.put(n.outputs().getFirst(), y);
        }
        return v.get(output);
    }

    private NDArray apply(OnnxModel.Node n, Map<String, NDArray> v, boolean training) {
        NDArray x = v.get(n.inputs().getFirst());
        return switch (n.opType()) {
            case "Conv" -> {
                long[] pads = ints(n, "pads");
                if (pads[0] != pads[2] || pads[1] != pads[3]) {
                    throw unsupported(n, "asymmetric pads");
                }
                NDArray bias = n.inputs().size() > 2 ? v.get(n.inputs().get(2)) : null;
                yield Conv2d.conv2d(x, v.get(n.inputs().get(1)), bias, new Shape(ints(n, "strides")),
                        new Shape(pads[0], pads[1]), new Shape(ints(n, "dilations")), (int) n.attributes().get("group").i())
                        .singletonOrThrow();
            }
            // DJL takes ONNX's momentum (the running value's weight) and hands libtorch 1 − momentum.
            case "BatchNormalization" -> BatchNorm.batchNorm(x, v.get(n.inputs().get(3)), v.get(n.inputs().get(4)),
                    v.get(n.inputs().get(1)), v.get(n.inputs().get(2)), 1, n.attributes().get("momentum").f(),
                    n.attributes().get("epsilon").f(), training).singletonOrThrow();
            case "Relu" -> Activation.relu(x);
            case "Clip" -> x.clip(v.get(n.inputs().get(1)).getFloat(), v.get(n.inputs().get(2)).getFloat());
            case "Add" -> x.add(v.get(n.inputs().get(1)));
            case "MaxPool" -> {
                long[] pads = ints(n, "pads");
                yield Pool.maxPool2d(x, new Shape(ints(n, "kernel_shape")), new Shape(ints(n, "strides")),
                        new Shape(pads[0], pads[1]), n.attributes().get("ceil_mode").i() == 1);
            }
            case "GlobalAveragePool" -> Pool.globalAvgPool2d(x).reshape(x.getShape().get(0), x.getShape().get(1), 1, 1);
            case "Flatten" -> x.reshape(x.getShape().get(0), -1);
            case "Gemm" -> {
                OnnxModel.Attribute t = n.attributes().get("transB");
                if (t == null || t.i() != 1 || n.attributes().containsKey("alpha") || n.attributes().containsKey("beta")) {
                    throw unsupported(n, "a Gemm other than x·Wᵀ + b");
                }
                yield Linear.linear(x, v.get(n.inputs().get(1)), n.inputs().size() > 2 ? v.get(n.inputs().get(2)) : null)
                    .singletonOrThrow();
            }
            case "Dropout" -> training ? Dropout.dropout(x, v.get(n.inputs().get(1)).getFloat(), true).singletonOrThrow() : x;
            case "Identity" -> x;
            default -> throw unsupported(n, "the operator");
        };
    }

    private static long[] ints(OnnxModel.Node n, String name) {
        OnnxModel.Attribute a = n.attributes().get(name);
        if (a == null) {
            throw unsupported(n, "a missing '" + name + "' attribute");
        }
        return a.ints();
    }

    private static IllegalArgumentException unsupported(OnnxModel.Node n, String what) {
        return new IllegalArgumentException("TorchGraph: node '" + n.name() + "' (" + n.opType() + "): " + what
                + " is not run here; only the exporter's built-in CNN operators are");
    }

    @Override
    public void close() {
        manager.close();
    }
}
