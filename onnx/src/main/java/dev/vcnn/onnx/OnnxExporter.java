package dev.vcnn.onnx;

import dev.vcnn.engine.kernel.Conv2dGeometry;
import dev.vcnn.engine.kernel.Pool2dGeometry;
import dev.vcnn.engine.nn.Activation;
import dev.vcnn.engine.nn.AdaptiveAvgPool2d;
import dev.vcnn.engine.nn.AvgPool2d;
import dev.vcnn.engine.nn.BatchNorm;
import dev.vcnn.engine.nn.Conv2d;
import dev.vcnn.engine.nn.Dropout;
import dev.vcnn.engine.nn.Flatten;
import dev.vcnn.engine.nn.Linear;
import dev.vcnn.engine.nn.MaxPool2d;
import dev.vcnn.engine.nn.Module;
import dev.vcnn.engine.nn.Sequential;
import dev.vcnn.engine.tensor.Shape;
import dev.vcnn.engine.tensor.Tensor;
import dev.vcnn.models.MobileNetV2;
import dev.vcnn.models.Reshape;
import dev.vcnn.models.ResNet;
import dev.vcnn.models.TransferModel;
import dev.vcnn.models.Upsample;
import dev.vcnn.models.Vgg;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Writes a vcnn model as an opset-17 ONNX graph: each layer becomes the node PyTorch's exporter writes for it
 * (Conv, Gemm, MaxPool, AveragePool, GlobalAveragePool, BatchNormalization, Relu, Clip for ReLU6, LeakyRelu,
 * Sigmoid, Tanh, Dropout, Flatten, Reshape, Resize, and Add for residual shortcuts), parameters and buffers
 * become initializers under their state-dict keys,
 * and the batch axis is symbolic ("N"). An imported {@link OnnxGraph} — alone or as a part of a larger model —
 * is written back as its own nodes with its current weights, so import, fine-tune and export round-trips; the
 * file then keeps that graph's opset (at least 12, where Dropout's ratio became an input), since its nodes
 * follow that opset's forms.
 */
public final class OnnxExporter {
    /** The opset written. */
    public static final int OPSET = 17;

    private final List<OnnxModel.Node> nodes = new ArrayList<>();
    private final List<OnnxModel.Tensor> initializers = new ArrayList<>();
    private final Set<String> names = new HashSet<>();
    private int counter;
    private long opset = OPSET;

    private OnnxExporter() {}

    /**
     * The ONNX model of {@code model} for inputs of shape {@code input} (its first axis, the batch, is written as
     * symbolic). The model is exported as it computes in evaluation mode.
     *
     * @throws IllegalArgumentException naming the layer (by its path in the model) that has no ONNX form
     */
    public static OnnxModel export(Module model, Shape input, String graphName) {
        return export(model, input, graphName, Map.of());
    }

    /** {@link #export(Module, Shape, String)} with {@code metadata_props} (see {@link OnnxRuns#CLASSES}). */
    public static OnnxModel export(Module model, Shape input, String graphName, Map<String, String> metadata) {
        var e = new OnnxExporter();
        String in = "input";
        String output = "output";
        e.names.add(in);
        e.names.add(output);
        Shape outShape = model.outputShape(input);
        String out = e.emit(model, "", in, input);
        e.nodes.add(node("Identity", "output", List.of(out), List.of(output), Map.of()));
        long[] inDims = dims(input);
        long[] outDims = dims(outShape);
        List<String> inNames = new ArrayList<>();
        List<String> outNames = new ArrayList<>();
        for (int i = 0; i < inDims.length; i++) {
            inNames.add(i == 0 ? "N" : "");
        }
        for (int i = 0; i < outDims.length; i++) {
            outNames.add(i == 0 ? "N" : "");
        }
        inDims[0] = -1;
        outDims[0] = -1;
        var graph = new OnnxModel.Graph(graphName, List.copyOf(e.nodes), List.copyOf(e.initializers),
                List.of(new OnnxModel.ValueInfo(in, OnnxModel.Tensor.FLOAT, inDims, inNames)),
                List.of(new OnnxModel.ValueInfo(output, OnnxModel.Tensor.FLOAT, outDims, outNames)));
        return new OnnxModel(8, Map.of("", e.opset), "vcnn", graph, List.of(), metadata);
    }

    private static long[] dims(Shape s) {
        long[] d = new long[s.rank()];
        for (int i = 0; i < d.length; i++) {
            d[i] = s.dim(i);
        }
        return d;
    }

    private static OnnxModel.Node node(String op, String name, List<String> in, List<String> out,
                                       Map<String, OnnxModel.Attribute> attrs) {
        return new OnnxModel.Node(name, op, "", in, out, attrs);
    }

    private String fresh(String hint) {
        String n = hint;
        while (!names.add(n)) {
            n = hint + "_" + ++counter;
        }
        return n;
    }

    private String add(String op, String path, List<String> in, OnnxModel.Attribute... attrs) {
        Map<String, OnnxModel.Attribute> map = new LinkedHashMap<>();
        for (OnnxModel.Attribute a : attrs) {
            map.put(a.name(), a);
        }
        String name = fresh((path.isEmpty() ? "" : path + "/") + op);
        String out = fresh(name + "_output");
        nodes.add(node(op, name, in, List.of(out), map));
        return out;
    }

    private String init(String name, Tensor t) {
        String n = fresh(name);
        initializers.add(OnnxWriter.floats(n, t.toArray(), dims(t.shape())));
        return n;
    }

    private String initLongs(String name, long... values) {
        String n = fresh(name);
        initializers.add(OnnxWriter.longs(n, values, values.length));
        return n;
    }

    private static String key(String path, String name) {
        return path.isEmpty() ? name : path + "." + name;
    }

    /** Emits {@code m} applied to value {@code x} of shape {@code s}; returns the output's name. */
    private String emit(Module m, String path, String x, Shape s) {
        switch (m) {
            case Sequential seq -> {
                String v = x;
                Shape vs = s;
                for (var e : seq.children().entrySet()) {
                    v = emit(e.getValue(), key(path, e.getKey()), v, vs);
                    vs = e.getValue().outputShape(vs);
                }
                return v;
            }
            case Conv2d c -> {
                Conv2dGeometry g = c.geometry(s);
                List<String> in = new ArrayList<>(List.of(x, init(key(path, "weight"), c.weight().value())));
                if (c.bias() != null) {
                    in.add(init(key(path, "bias"), c.bias().value()));
                }
                return add("Conv", path, in, OnnxWriter.attr("kernel_shape", g.kernelH(), g.kernelW()),
                        OnnxWriter.attr("strides", g.strideH(), g.strideW()),
                        OnnxWriter.attr("pads", g.padTop(), g.padLeft(), g.padBottom(), g.padRight()),
                        OnnxWriter.attr("dilations", g.dilationH(), g.dilationW()),
                        OnnxWriter.attr("group", (long) g.groups()));
            }
            case Linear l -> {
                if (s.rank() != 2) {
                    throw new IllegalArgumentException("onnx export: layer '" + path + "' (Linear) takes [N, features]"
                            + " but gets " + s);
                }
                List<String> in = new ArrayList<>(List.of(x, init(key(path, "weight"), l.weight().value())));
                if (l.bias() != null) {
                    in.add(init(key(path, "bias"), l.bias().value()));
                }
                return add("Gemm", path, in, OnnxWriter.attr("transB", 1L));
            }
            case MaxPool2d p -> {
                Pool2dGeometry g = p.geometry(s);
                return add("MaxPool", path, List.of(x), OnnxWriter.attr("kernel_shape", g.kernelH(), g.kernelW()),
                        OnnxWriter.attr("strides", g.strideH(), g.strideW()),
                        OnnxWriter.attr("pads", g.padH(), g.padW(), g.padH(), g.padW()),
                        OnnxWriter.attr("dilations", g.dilationH(), g.dilationW()),
                        OnnxWriter.attr("ceil_mode", g.ceilMode() ? 1L : 0L));
            }
            case AvgPool2d p -> {
                Pool2dGeometry g = p.geometry(s);
                return add("AveragePool", path, List.of(x), OnnxWriter.attr("kernel_shape", g.kernelH(), g.kernelW()),
                        OnnxWriter.attr("strides", g.strideH(), g.strideW()),
                        OnnxWriter.attr("pads", g.padH(), g.padW(), g.padH(), g.padW()),
                        OnnxWriter.attr("ceil_mode", g.ceilMode() ? 1L : 0L),
                        OnnxWriter.attr("count_include_pad", p.countIncludePad() ? 1L : 0L));
            }
            case AdaptiveAvgPool2d p -> {
                m.outputShape(s);
                if (p.outHeight() == 1 && p.outWidth() == 1) {
                    return add("GlobalAveragePool", path, List.of(x));
                }
                if (s.dim(2) == p.outHeight() && s.dim(3) == p.outWidth()) {
                    return add("Identity", path, List.of(x));
                }
                long kh = s.dim(2) / p.outHeight();
                long kw = s.dim(3) / p.outWidth();
                return add("AveragePool", path, List.of(x), OnnxWriter.attr("kernel_shape", kh, kw),
                        OnnxWriter.attr("strides", kh, kw));
            }
            case BatchNorm b -> {
                List<String> in = List.of(x, init(key(path, "weight"), b.weight().value()),
                        init(key(path, "bias"), b.bias().value()), init(key(path, "running_mean"), b.runningMean()),
                        init(key(path, "running_var"), b.runningVar()));
                return add("BatchNormalization", path, in, OnnxWriter.attr("epsilon", b.eps()),
                        OnnxWriter.attr("momentum", 1f - b.momentum()));
            }
            case Activation.ReLU r -> {
                return add("Relu", path, List.of(x));
            }
            case Activation.ReLU6 r -> {
                String lo = fresh(key(path, "min"));
                String hi = fresh(key(path, "max"));
                initializers.add(OnnxWriter.floats(lo, new float[] {0f}));
                initializers.add(OnnxWriter.floats(hi, new float[] {6f}));
                return add("Clip", path, List.of(x, lo, hi));
            }
            case Activation.LeakyReLU r -> {
                return add("LeakyRelu", path, List.of(x), OnnxWriter.attr("alpha", r.slope()));
            }
            case Activation.Sigmoid r -> {
                return add("Sigmoid", path, List.of(x));
            }
            case Activation.Tanh r -> {
                return add("Tanh", path, List.of(x));
            }
            case Dropout d -> {
                String ratio = fresh(key(path, "ratio"));
                initializers.add(OnnxWriter.floats(ratio, new float[] {d.p()}));
                return add("Dropout", path, List.of(x, ratio));
            }
            case Flatten f -> {
                return add("Flatten", path, List.of(x), OnnxWriter.attr("axis", 1L));
            }
            case Reshape r -> {
                int[] d = r.dims();
                long[] shape = new long[d.length + 1];
                for (int i = 0; i < d.length; i++) {
                    shape[i + 1] = d[i];
                }
                return add("Reshape", path, List.of(x, initLongs(key(path, "shape"), shape)));
            }
            case Upsample u -> {
                String scales = fresh(key(path, "scales"));
                initializers.add(OnnxWriter.floats(scales, new float[] {1, 1, u.factor(), u.factor()}, 4));
                return add("Resize", path, List.of(x, "", scales), OnnxWriter.attr("mode", "nearest"),
                        OnnxWriter.attr("coordinate_transformation_mode", "asymmetric"),
                        OnnxWriter.attr("nearest_mode", "floor"));
            }
            case Vgg v -> {
                String f = emit(v.features(), key(path, "features"), x, s);
                Shape fs = v.features().outputShape(s);
                Module avg = v.children().get("avgpool");
                String a = emit(avg, key(path, "avgpool"), f, fs);
                String flat = add("Flatten", path, List.of(a), OnnxWriter.attr("axis", 1L));
                Shape as = avg.outputShape(fs);
                return emit(v.classifier(), key(path, "classifier"), flat, Shape.of(as.dim(0), as.numel() / Math.max(1, as.dim(0))));
            }
            case TransferModel t -> {
                String f = emit(t.backbone(), key(path, "backbone"), x, s);
                Shape fs = t.backbone().outputShape(s);
                String flat = fs.rank() == 2 ? f : add("Flatten", path, List.of(f), OnnxWriter.attr("axis", 1L));
                return emit(t.head(), key(path, "head"), flat, Shape.of(fs.dim(0), fs.numel() / Math.max(1, fs.dim(0))));
            }
            case ResNet r -> {
                String f = emitResNetFeatures(r, path, x, s);
                Shape fs = r.featureExtractor().outputShape(s);
                String flat = add("Flatten", path, List.of(f), OnnxWriter.attr("axis", 1L));
                return emit(r.fc(), key(path, "fc"), flat, Shape.of(fs.dim(0), fs.dim(1)));
            }
            case ResNet.Features f -> {
                return emitResNetFeatures(f.net(), path, x, s);
            }
            case ResNet.Block b -> {
                String v = x;
                Shape vs = s;
                List<Module> body = b.body();
                String[] names = b instanceof ResNet.Bottleneck ? new String[] {"conv1", "bn1", "conv2", "bn2", "conv3", "bn3"}
                        : new String[] {"conv1", "bn1", "conv2", "bn2"};
                for (int i = 0; i < body.size(); i++) {
                    v = emit(body.get(i), key(path, names[i]), v, vs);
                    vs = body.get(i).outputShape(vs);
                    if (i % 2 == 1 && i + 1 < body.size()) {
                        v = add("Relu", key(path, "relu"), List.of(v));
                    }
                }
                String shortcut = b.downsample() == null ? x : emit(b.downsample(), key(path, "downsample"), x, s);
                return add("Relu", key(path, "relu"), List.of(add("Add", path, List.of(v, shortcut))));
            }
            case MobileNetV2 mb -> {
                String f = emit(mb.featureExtractor(), path, x, s);
                Shape fs = mb.featureExtractor().outputShape(s);
                return emit(mb.classifier(), key(path, "classifier"), f, fs);
            }
            case MobileNetV2.Features f -> {
                String v = emit(f.net().features(), key(path, "features"), x, s);
                String pooled = add("GlobalAveragePool", path, List.of(v));
                return add("Flatten", path, List.of(pooled), OnnxWriter.attr("axis", 1L));
            }
            case MobileNetV2.InvertedResidual ir -> {
                String y = emit(ir.conv(), key(path, "conv"), x, s);
                return ir.residual() ? add("Add", path, List.of(x, y)) : y;
            }
            case OnnxGraph g -> {
                return inline(g, path, x);
            }
            default -> throw new IllegalArgumentException("onnx export: layer '" + (path.isEmpty() ? "(the model)" : path)
                    + "' (" + m.typeName() + ") has no ONNX form; vcnn exports Sequential, Conv2d, Linear, pools,"
                    + " BatchNorm, activations, Dropout, Flatten, Unflatten, Upsample, VGG, ResNet, MobileNetV2,"
                    + " transfer models and imported ONNX graphs");
        }
    }

    private String emitResNetFeatures(ResNet r, String path, String x, Shape s) {
        String v = emit(r.conv1(), key(path, "conv1"), x, s);
        Shape vs = r.conv1().outputShape(s);
        v = emit(r.bn1(), key(path, "bn1"), v, vs);
        v = add("Relu", key(path, "relu"), List.of(v));
        v = emit(r.maxpool(), key(path, "maxpool"), v, vs);
        vs = r.maxpool().outputShape(vs);
        for (int i = 0; i < 4; i++) {
            Sequential layer = r.layers().get(i);
            v = emit(layer, key(path, "layer" + (i + 1)), v, vs);
            vs = layer.outputShape(vs);
        }
        return emit(r.avgpool(), key(path, "avgpool"), v, vs);
    }

    /** An imported graph's nodes, its values renamed into this graph, with its current weights. */
    private String inline(OnnxGraph g, String path, String x) {
        if (g.inputs().size() != 1 || g.outputNames().size() != 1) {
            throw new IllegalArgumentException("onnx export: imported graph '" + path + "' must have one input and one"
                    + " output to be part of a model");
        }
        if (g.opset() != opset) {
            if (opset != OPSET || g.opset() < 12) {
                throw new IllegalArgumentException("onnx export: imported graph '" + path + "' follows opset " + g.opset()
                        + ", which cannot be written beside " + (opset != OPSET ? "a graph of opset " + opset
                        : "vcnn's Dropout (opset 12 or later)"));
            }
            opset = g.opset();
        }
        Map<String, String> rename = new LinkedHashMap<>();
        rename.put(g.inputs().get(0).name(), x);
        Map<String, Tensor> state = g.stateDict();
        for (OnnxModel.Tensor t : g.model().graph().initializers()) {
            String n = fresh(key(path, t.name()));
            rename.put(t.name(), n);
            Tensor now = state.get(t.name());
            initializers.add(now != null ? OnnxWriter.floats(n, now.toArray(), t.dims())
                    : new OnnxModel.Tensor(n, t.dims(), t.dataType(), t.rawData(), t.floatData(), t.int64Data(), null, -1, -1));
        }
        for (OnnxModel.Node n : g.nodes()) {
            List<String> ins = n.inputs().stream().map(v -> v.isEmpty() ? "" : rename.computeIfAbsent(v, this::fresh)).toList();
            List<String> outs = n.outputs().stream().map(v -> v.isEmpty() ? "" : rename.computeIfAbsent(v, k -> fresh(key(path, k)))).toList();
            nodes.add(new OnnxModel.Node(fresh(key(path, n.name().isEmpty() ? n.opType() : n.name())), n.opType(), n.domain(),
                    ins, outs, n.attributes()));
        }
        return rename.get(g.outputNames().get(0));
    }
}
