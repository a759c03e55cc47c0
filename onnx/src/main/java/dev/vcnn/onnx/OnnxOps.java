package dev.vcnn.onnx;

import dev.vcnn.engine.autograd.Functional;
import dev.vcnn.engine.autograd.Variable;
import dev.vcnn.engine.kernel.Pool2dGeometry;
import dev.vcnn.engine.tensor.Shape;
import dev.vcnn.engine.tensor.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The ONNX operators vcnn runs, each with the semantics of ONNX's operator specification for opsets 9 to 18:
 * attributes and their defaults, multidirectional broadcasting, and the opset in which a form changed (Softmax's
 * axis at 13; Squeeze, Unsqueeze and ReduceMean taking their axes as inputs at 13 and 18; Clip's bounds and Pad's
 * pads as inputs at 11; Dropout's ratio as an input at 12; Resize's roi input at 11, replacing Upsample from 10).
 * {@link #check} validates a node statically, {@link #apply} runs it.
 */
final class OnnxOps {
    /** How an initializer is held, from the input slots that use it. */
    static final int PARAMETER = 0;
    static final int BUFFER = 1;
    static final int CONSTANT = 2;

    /** The operators of the default domain vcnn runs. */
    static final Set<String> SUPPORTED = Set.of("Conv", "ConvTranspose", "MaxPool", "AveragePool", "GlobalAveragePool",
            "GlobalMaxPool", "BatchNormalization", "Relu", "LeakyRelu", "Clip", "Sigmoid", "Tanh", "HardSigmoid",
            "HardSwish", "Erf", "Exp", "Sqrt", "Pow", "Neg", "Gemm", "MatMul", "Add", "Sub", "Mul", "Div", "Sum", "Max",
            "Min", "Flatten", "Reshape", "Transpose", "Concat", "Squeeze", "Unsqueeze", "Shape", "Gather", "Constant",
            "Identity", "Dropout", "Softmax", "LogSoftmax", "Pad", "Resize", "Upsample", "ReduceMean", "Cast");

    private static final Set<String> AUTO_PAD = Set.of("NOTSET", "SAME_UPPER", "SAME_LOWER", "VALID");
    private static final Set<String> COORDINATE_MODES = Set.of("half_pixel", "pytorch_half_pixel", "align_corners",
            "asymmetric", "half_pixel_symmetric");
    private static final Set<String> NEAREST_MODES = Set.of("round_prefer_floor", "round_prefer_ceil", "floor", "ceil");

    private OnnxOps() {}

    /** State one run of a graph shares between nodes: the mode and the dropout seed. */
    static final class RunContext {
        final int opset;
        final boolean training;
        private long seed;
        private final Set<OnnxModel.Node> overInput;

        RunContext(int opset, boolean training, Map<String, Tensor> buffers, long seed, Set<OnnxModel.Node> overInput) {
            this.opset = opset;
            this.training = training;
            this.seed = seed;
            this.overInput = overInput;
        }

        /** Whether node n may write over its (float) input 0, which nothing else reads. */
        boolean overInput(OnnxModel.Node n) {
            return overInput.contains(n);
        }

        long nextSeed() {
            return seed++;
        }
    }

    static String where(OnnxModel.Node n, int opset) {
        return "node '" + n.name() + "' (" + n.opType() + ", opset " + opset + ")";
    }

    // ---- static checks ------------------------------------------------------------------------------

    /** Everything about a node vcnn cannot run, as messages naming the node, the operator and the opset. */
    static List<String> check(OnnxModel.Node n, int opset) {
        List<String> p = new ArrayList<>();
        String at = where(n, opset);
        if (!n.domain().isEmpty() && !n.domain().equals("ai.onnx")) {
            p.add(at + ": domain '" + n.domain() + "' is not supported (vcnn runs the default ONNX domain)");
            return p;
        }
        if (!SUPPORTED.contains(n.opType())) {
            p.add(at + ": operator " + n.opType() + " is not supported");
            return p;
        }
        switch (n.opType()) {
            case "Conv", "ConvTranspose", "MaxPool", "AveragePool" -> {
                oneOf(p, at, n, "auto_pad", "NOTSET", AUTO_PAD);
                for (String name : new String[] {"kernel_shape", "strides", "dilations", "output_padding"}) {
                    length(p, at, n, name, 2);
                }
                length(p, at, n, "pads", 4);
                if (n.opType().equals("MaxPool")) {
                    if (attrI(n, "storage_order", 0) != 0) {
                        p.add(at + ": storage_order=1 (column-major indices) is not supported");
                    }
                    if (n.outputs().size() > 1 && !n.outputs().get(1).isEmpty()) {
                        p.add(at + ": the Indices output is not supported");
                    }
                }
                if (n.opType().endsWith("Pool") && !n.attributes().containsKey("kernel_shape")) {
                    p.add(at + ": attribute kernel_shape is required");
                }
                if (n.opType().equals("ConvTranspose") && n.attributes().containsKey("output_shape")) {
                    p.add(at + ": attribute output_shape is not supported (give pads and output_padding)");
                }
            }
            case "Resize", "Upsample" -> {
                String mode = attrS(n, "mode", "nearest");
                if (!mode.equals("nearest") && !mode.equals("linear") && !mode.equals("bilinear")) {
                    p.add(at + ": mode '" + mode + "' is not supported (nearest, linear)");
                }
                if (n.opType().equals("Resize")) {
                    oneOf(p, at, n, "coordinate_transformation_mode", "half_pixel", COORDINATE_MODES);
                    oneOf(p, at, n, "nearest_mode", "round_prefer_floor", NEAREST_MODES);
                    if (attrI(n, "antialias", 0) != 0) {
                        p.add(at + ": antialias=1 is not supported");
                    }
                    if (attrI(n, "exclude_outside", 0) != 0) {
                        p.add(at + ": exclude_outside=1 is not supported");
                    }
                    oneOf(p, at, n, "keep_aspect_ratio_policy", "stretch", Set.of("stretch"));
                }
            }
            case "Pad" -> oneOf(p, at, n, "mode", "constant", Set.of("constant", "reflect", "edge"));
            case "Cast" -> {
                long to = attrI(n, "to", 0);
                if (to != OnnxModel.Tensor.FLOAT && to != OnnxModel.Tensor.INT64) {
                    p.add(at + ": cast to data type " + to + " is not supported (FLOAT 1, INT64 7)");
                }
            }
            case "Constant" -> {
                OnnxModel.Attribute v = n.attributes().get("value");
                if (v != null && v.t() != null && v.t().dataType() != OnnxModel.Tensor.FLOAT
                        && v.t().dataType() != OnnxModel.Tensor.INT64) {
                    p.add(at + ": a constant of data type " + v.t().dataType() + " is not supported (FLOAT 1, INT64 7)");
                } else if (v == null && !n.attributes().containsKey("value_float")
                        && !n.attributes().containsKey("value_floats") && !n.attributes().containsKey("value_int")
                        && !n.attributes().containsKey("value_ints")) {
                    p.add(at + ": only value, value_float(s) and value_int(s) constants are supported, not "
                            + n.attributes().keySet());
                }
            }
            case "Dropout" -> {
                if (n.outputs().size() > 1 && !n.outputs().get(1).isEmpty()) {
                    p.add(at + ": the mask output is not supported");
                }
            }
            case "BatchNormalization" -> {
                for (int i = 1; i < n.outputs().size(); i++) {
                    if (!n.outputs().get(i).isEmpty()) {
                        p.add(at + ": the running-statistics outputs are not supported (vcnn updates the running"
                                + " statistics in place in training mode)");
                        break;
                    }
                }
            }
            default -> { }
        }
        return p;
    }

    private static void oneOf(List<String> p, String at, OnnxModel.Node n, String attr, String def, Set<String> allowed) {
        String v = attrS(n, attr, def);
        if (!allowed.contains(v)) {
            p.add(at + ": " + attr + " '" + v + "' is not supported (" + String.join(", ", new java.util.TreeSet<>(allowed))
                    + ")");
        }
    }

    private static void length(List<String> p, String at, OnnxModel.Node n, String attr, int len) {
        OnnxModel.Attribute a = n.attributes().get(attr);
        if (a != null && a.ints().length != len) {
            p.add(at + ": " + attr + " " + Arrays.toString(a.ints()) + " must have " + len
                    + " values: vcnn runs 2-d convolution and pooling only");
        }
    }

    /**
     * How each initializer is used: {@link #BUFFER} for batch norm's running statistics, {@link #CONSTANT} for
     * configuration inputs (shapes, scales, bounds, exponents, pad values), {@link #PARAMETER} otherwise.
     */
    static Map<String, Integer> staticInputs(List<OnnxModel.Node> nodes) {
        Map<String, Integer> kind = new HashMap<>();
        for (OnnxModel.Node n : nodes) {
            for (int i = 0; i < n.inputs().size(); i++) {
                String in = n.inputs().get(i);
                if (in.isEmpty()) {
                    continue;
                }
                int k = kindOf(n.opType(), i);
                kind.merge(in, k, Math::min);
            }
        }
        return kind;
    }

    private static int kindOf(String op, int slot) {
        return switch (op) {
            case "BatchNormalization" -> slot >= 3 ? BUFFER : PARAMETER;
            case "Resize", "Upsample", "Clip", "Pad", "Pow", "Dropout", "Reshape", "Squeeze", "Unsqueeze", "ReduceMean",
                 "Gather" -> slot >= 1 ? CONSTANT : PARAMETER;
            default -> PARAMETER;
        };
    }

    // ---- attributes ---------------------------------------------------------------------------------

    static long attrI(OnnxModel.Node n, String name, long def) {
        OnnxModel.Attribute a = n.attributes().get(name);
        return a == null ? def : a.i();
    }

    static float attrF(OnnxModel.Node n, String name, float def) {
        OnnxModel.Attribute a = n.attributes().get(name);
        return a == null ? def : a.f();
    }

    static String attrS(OnnxModel.Node n, String name, String def) {
        OnnxModel.Attribute a = n.attributes().get(name);
        return a == null || a.s() == null ? def : a.s();
    }

    static long[] attrInts(OnnxModel.Node n, String name, long[] def) {
        OnnxModel.Attribute a = n.attributes().get(name);
        return a == null ? def : a.ints();
    }

    // ---- argument access ----------------------------------------------------------------------------

    private static boolean has(List<OnnxValue> a, int i) {
        return i < a.size() && a.get(i) != null;
    }

    private static Variable f(OnnxModel.Node n, List<OnnxValue> a, int i) {
        if (!has(a, i)) {
            throw new IllegalArgumentException("input " + i + " is required");
        }
        if (!(a.get(i) instanceof OnnxValue.Floats fl)) {
            throw new IllegalArgumentException("input " + i + " ('" + n.inputs().get(i) + "') must be float but is int64");
        }
        return fl.variable();
    }

    private static OnnxValue.Ints ints(OnnxModel.Node n, List<OnnxValue> a, int i) {
        if (!has(a, i)) {
            throw new IllegalArgumentException("input " + i + " is required");
        }
        if (!(a.get(i) instanceof OnnxValue.Ints v)) {
            throw new IllegalArgumentException("input " + i + " ('" + n.inputs().get(i) + "') must be int64 but is float");
        }
        return v;
    }

    private static float scalar(OnnxModel.Node n, List<OnnxValue> a, int i, float def) {
        if (!has(a, i)) {
            return def;
        }
        Tensor t = f(n, a, i).value();
        if (t.numel() != 1) {
            throw new IllegalArgumentException("input " + i + " ('" + n.inputs().get(i) + "') must be a scalar but has shape "
                    + t.shape());
        }
        return t.data()[t.offset()];
    }

    private static long[] axesFrom(OnnxModel.Node n, List<OnnxValue> a, int slot, int sinceOpset, int opset) {
        if (opset >= sinceOpset) {
            return has(a, slot) ? ints(n, a, slot).data() : null;
        }
        return attrInts(n, "axes", null);
    }

    private static int axis(long axis, int rank, String what) {
        long a = axis < 0 ? axis + rank : axis;
        if (a < 0 || a >= rank) {
            throw new IllegalArgumentException(what + " " + axis + " is outside [-" + rank + ", " + rank + ")");
        }
        return (int) a;
    }

    private static int[] toInts(long[] v, String what) {
        int[] out = new int[v.length];
        for (int i = 0; i < v.length; i++) {
            if (v[i] < Integer.MIN_VALUE || v[i] > Integer.MAX_VALUE) {
                throw new IllegalArgumentException(what + " " + v[i] + " is out of range");
            }
            out[i] = (int) v[i];
        }
        return out;
    }

    private static List<OnnxValue> one(Variable v) {
        return List.of(new OnnxValue.Floats(v));
    }

    private static List<OnnxValue> one(OnnxValue v) {
        return List.of(v);
    }

    // ---- running ------------------------------------------------------------------------------------

    static List<OnnxValue> apply(OnnxModel.Node n, List<OnnxValue> a, RunContext ctx) {
        int opset = ctx.opset;
        return switch (n.opType()) {
            case "Conv" -> one(conv(n, f(n, a, 0), f(n, a, 1), has(a, 2) ? f(n, a, 2) : null));
            case "ConvTranspose" -> one(convTranspose(n, f(n, a, 0), f(n, a, 1), has(a, 2) ? f(n, a, 2) : null));
            case "MaxPool", "AveragePool" -> one(pool(n, f(n, a, 0)));
            case "GlobalAveragePool" -> one(Functional.globalAvgPool2d(rank4(f(n, a, 0))));
            case "GlobalMaxPool" -> {
                Variable x = rank4(f(n, a, 0));
                Shape s = x.shape();
                yield one(Functional.maxPool2d(x, new Pool2dGeometry(s.dim(0), s.dim(1), s.dim(2), s.dim(3),
                        s.dim(2), s.dim(3), 1, 1, 0, 0, 1, 1, false)));
            }
            case "BatchNormalization" -> one(!ctx.training && ctx.overInput(n)
                    ? Functional.batchNormOver(f(n, a, 0), f(n, a, 1), f(n, a, 2), f(n, a, 3).value(), f(n, a, 4).value(),
                            attrF(n, "epsilon", 1e-5f))
                    : Functional.batchNorm(f(n, a, 0), f(n, a, 1), f(n, a, 2), f(n, a, 3).value(), f(n, a, 4).value(),
                            ctx.training, 1f - attrF(n, "momentum", 0.9f), attrF(n, "epsilon", 1e-5f)));
            case "Relu" -> one(ctx.overInput(n) ? Functional.reluOver(f(n, a, 0)) : Functional.relu(f(n, a, 0)));
            case "LeakyRelu" -> one(Functional.leakyRelu(f(n, a, 0), attrF(n, "alpha", 0.01f)));
            case "Sigmoid" -> one(Functional.sigmoid(f(n, a, 0)));
            case "Tanh" -> one(Functional.tanh(f(n, a, 0)));
            case "Clip" -> {
                float lo = opset >= 11 ? scalar(n, a, 1, Float.NEGATIVE_INFINITY) : attrF(n, "min", Float.NEGATIVE_INFINITY);
                float hi = opset >= 11 ? scalar(n, a, 2, Float.POSITIVE_INFINITY) : attrF(n, "max", Float.POSITIVE_INFINITY);
                // PyTorch exports ReLU6 and Hardtanh as Clip: the engine's hardtanh, with their gradient (0 at the
                // bounds). min > max sets everything to max, as the operator's specification says.
                yield one(lo > hi ? Ops.unary("clip", f(n, a, 0), x -> hi, (x, y) -> 0)
                        : ctx.overInput(n) ? Functional.hardtanhOver(f(n, a, 0), lo, hi)
                        : Functional.hardtanh(f(n, a, 0), lo, hi));
            }
            case "HardSigmoid" -> {
                double al = attrF(n, "alpha", 0.2f);
                double be = attrF(n, "beta", 0.5f);
                yield one(Ops.unary("hard_sigmoid", f(n, a, 0), x -> Math.max(0, Math.min(1, al * x + be)),
                        (x, y) -> al * x + be > 0 && al * x + be < 1 ? al : 0));
            }
            case "HardSwish" -> one(Ops.unary("hard_swish", f(n, a, 0), x -> x * Math.max(0, Math.min(1, x / 6 + 0.5)),
                    (x, y) -> x < -3 ? 0 : x > 3 ? 1 : x / 3 + 0.5));
            case "Erf" -> one(Ops.unary("erf", f(n, a, 0), Ops::erf, (x, y) -> 2 / Math.sqrt(Math.PI) * Math.exp(-x * x)));
            case "Exp" -> one(Ops.unary("exp", f(n, a, 0), Math::exp, (x, y) -> y));
            case "Sqrt" -> one(Ops.unary("sqrt", f(n, a, 0), Math::sqrt, (x, y) -> 0.5 / y));
            case "Neg" -> a.get(0) instanceof OnnxValue.Ints v ? one(intArith("Neg", v, null))
                    : one(Functional.scale(f(n, a, 0), -1f));
            case "Pow" -> one(Ops.binary("pow", f(n, a, 0), f(n, a, 1), Math::pow,
                    (x, e) -> e * Math.pow(x, e - 1), (x, e) -> Math.log(x) * Math.pow(x, e)));
            case "Gemm" -> one(gemm(n, f(n, a, 0), f(n, a, 1), has(a, 2) ? f(n, a, 2) : null));
            case "MatMul" -> one(matmul(f(n, a, 0), f(n, a, 1)));
            case "Add", "Sub", "Mul", "Div" -> {
                if (a.get(0) instanceof OnnxValue.Ints x && a.get(1) instanceof OnnxValue.Ints y) {
                    yield one(intArith(n.opType(), x, y));
                }
                Variable x = f(n, a, 0);
                Variable y = f(n, a, 1);
                yield one(switch (n.opType()) {
                    case "Add" -> Functional.add(x, y);
                    case "Sub" -> Functional.sub(x, y);
                    case "Mul" -> Functional.mul(x, y);
                    default -> Functional.div(x, y);
                });
            }
            case "Sum", "Max", "Min" -> {
                Variable acc = f(n, a, 0);
                for (int i = 1; i < a.size(); i++) {
                    Variable next = f(n, a, i);
                    acc = switch (n.opType()) {
                        case "Sum" -> Functional.add(acc, next);
                        case "Max" -> Ops.binary("max", acc, next, Math::max, (x, y) -> x >= y ? 1 : 0,
                                (x, y) -> x >= y ? 0 : 1);
                        default -> Ops.binary("min", acc, next, Math::min, (x, y) -> x <= y ? 1 : 0,
                                (x, y) -> x <= y ? 0 : 1);
                    };
                }
                yield one(acc);
            }
            case "Flatten" -> {
                Variable x = f(n, a, 0);
                int r = x.shape().rank();
                long ax = attrI(n, "axis", 1);
                int k = (int) (ax < 0 ? ax + r : ax);
                if (k < 0 || k > r) {
                    throw new IllegalArgumentException("axis " + ax + " is outside [-" + r + ", " + r + "]");
                }
                int outer = 1;
                for (int i = 0; i < k; i++) {
                    outer *= x.shape().dim(i);
                }
                int inner = 1;
                for (int i = k; i < r; i++) {
                    inner *= x.shape().dim(i);
                }
                yield one(Functional.reshape(x, outer, inner));
            }
            case "Reshape" -> {
                int[] in = a.get(0).dims();
                int[] dims = reshapeDims(in, ints(n, a, 1).data(), attrI(n, "allowzero", 0) != 0);
                yield one(reshaped(a.get(0), dims));
            }
            case "Transpose" -> {
                Variable x = f(n, a, 0);
                int r = x.shape().rank();
                long[] perm = attrInts(n, "perm", null);
                int[] p = new int[r];
                if (perm == null) {
                    for (int i = 0; i < r; i++) {
                        p[i] = r - 1 - i;
                    }
                } else {
                    if (perm.length != r) {
                        throw new IllegalArgumentException("perm " + Arrays.toString(perm) + " must have " + r + " entries");
                    }
                    boolean[] seen = new boolean[r];
                    for (int i = 0; i < r; i++) {
                        p[i] = axis(perm[i], r, "perm entry");
                        if (seen[p[i]]) {
                            throw new IllegalArgumentException("perm " + Arrays.toString(perm) + " repeats axis " + p[i]);
                        }
                        seen[p[i]] = true;
                    }
                }
                yield one(Ops.permute(x, p));
            }
            case "Concat" -> {
                long ax = attrI(n, "axis", 0);
                if (a.get(0) instanceof OnnxValue.Ints) {
                    List<long[]> parts = new ArrayList<>();
                    int total = 0;
                    for (int i = 0; i < a.size(); i++) {
                        OnnxValue.Ints v = ints(n, a, i);
                        if (v.dims().length != 1) {
                            throw new IllegalArgumentException("int64 Concat takes 1-d inputs, not dims "
                                    + Arrays.toString(v.dims()));
                        }
                        parts.add(v.data());
                        total += v.data().length;
                    }
                    long[] out = new long[total];
                    int at = 0;
                    for (long[] part : parts) {
                        System.arraycopy(part, 0, out, at, part.length);
                        at += part.length;
                    }
                    yield one(OnnxValue.Ints.vector(out));
                }
                Variable[] xs = new Variable[a.size()];
                for (int i = 0; i < xs.length; i++) {
                    xs[i] = f(n, a, i);
                }
                yield one(Functional.concat(axis(ax, xs[0].shape().rank(), "axis"), xs));
            }
            case "Squeeze" -> {
                int[] in = a.get(0).dims();
                long[] axes = axesFrom(n, a, 1, 13, opset);
                boolean[] drop = new boolean[in.length];
                if (axes == null) {
                    for (int i = 0; i < in.length; i++) {
                        drop[i] = in[i] == 1;
                    }
                } else {
                    for (long ax : axes) {
                        int k = axis(ax, in.length, "axis");
                        if (in[k] != 1) {
                            throw new IllegalArgumentException("axis " + ax + " has size " + in[k] + ", not 1");
                        }
                        drop[k] = true;
                    }
                }
                int[] dims = new int[in.length];
                int r = 0;
                for (int i = 0; i < in.length; i++) {
                    if (!drop[i]) {
                        dims[r++] = in[i];
                    }
                }
                yield one(reshaped(a.get(0), Arrays.copyOf(dims, r)));
            }
            case "Unsqueeze" -> {
                int[] in = a.get(0).dims();
                long[] axes = axesFrom(n, a, 1, 13, opset);
                if (axes == null) {
                    throw new IllegalArgumentException("axes are required");
                }
                int r = in.length + axes.length;
                boolean[] added = new boolean[r];
                for (long ax : axes) {
                    int k = axis(ax, r, "axis");
                    if (added[k]) {
                        throw new IllegalArgumentException("axis " + ax + " is given twice");
                    }
                    added[k] = true;
                }
                int[] dims = new int[r];
                for (int i = 0, j = 0; i < r; i++) {
                    dims[i] = added[i] ? 1 : in[j++];
                }
                yield one(reshaped(a.get(0), dims));
            }
            case "Shape" -> {
                int[] d = a.get(0).dims();
                int r = d.length;
                long start = opset >= 15 ? attrI(n, "start", 0) : 0;
                long end = opset >= 15 ? attrI(n, "end", r) : r;
                int s0 = (int) Math.max(0, Math.min(r, start < 0 ? start + r : start));
                int e0 = (int) Math.max(0, Math.min(r, end < 0 ? end + r : end));
                long[] out = new long[Math.max(0, e0 - s0)];
                for (int i = 0; i < out.length; i++) {
                    out[i] = d[s0 + i];
                }
                yield one(OnnxValue.Ints.vector(out));
            }
            case "Gather" -> {
                OnnxValue.Ints idx = ints(n, a, 1);
                int r = a.get(0).dims().length;
                int k = axis(attrI(n, "axis", 0), r, "axis");
                if (a.get(0) instanceof OnnxValue.Ints data) {
                    yield one(gatherInts(data, k, idx));
                }
                yield one(Ops.gather(f(n, a, 0), k, idx.data(), idx.dims()));
            }
            case "Constant" -> one(constant(n));
            case "Identity" -> one(a.get(0));
            case "Cast" -> one(cast(n, a.get(0)));
            case "Dropout" -> {
                float p = opset >= 12 ? scalar(n, a, 1, 0.5f) : attrF(n, "ratio", 0.5f);
                yield one(Functional.dropout(f(n, a, 0), p, ctx.training, ctx.nextSeed()));
            }
            case "Softmax", "LogSoftmax" -> one(softmax(f(n, a, 0), n.opType().equals("LogSoftmax"),
                    attrI(n, "axis", opset >= 13 ? -1 : 1), opset));
            case "Pad" -> one(pad(n, a, opset));
            case "Resize", "Upsample" -> one(resize(n, a, opset));
            case "ReduceMean" -> {
                Variable x = f(n, a, 0);
                int r = x.shape().rank();
                long[] axes = axesFrom(n, a, 1, 18, opset);
                boolean keep = attrI(n, "keepdims", 1) != 0;
                if (axes == null || axes.length == 0) {
                    if (opset >= 18 && attrI(n, "noop_with_empty_axes", 0) != 0) {
                        yield one(x);
                    }
                    axes = new long[r];
                    for (int i = 0; i < r; i++) {
                        axes[i] = i;
                    }
                }
                int[] ax = new int[axes.length];
                for (int i = 0; i < ax.length; i++) {
                    ax[i] = axis(axes[i], r, "axis");
                }
                yield one(Functional.mean(x, keep, ax));
            }
            default -> throw new IllegalArgumentException("operator " + n.opType() + " is not supported");
        };
    }

    private static Variable rank4(Variable x) {
        if (x.shape().rank() != 4) {
            throw new IllegalArgumentException("vcnn runs 2-d convolution and pooling on [N, C, H, W] inputs, not "
                    + x.shape());
        }
        return x;
    }

    /** [top, left, bottom, right] for a window of {@code span} taps per axis (the dilated kernel extent). */
    private static int[] pads(OnnxModel.Node n, int h, int w, int spanH, int spanW, int strideH, int strideW,
                              boolean ceil) {
        String auto = attrS(n, "auto_pad", "NOTSET");
        if (auto.equals("SAME_UPPER") || auto.equals("SAME_LOWER")) {
            int[] out = new int[4];
            int[] in = {h, w};
            int[] span = {spanH, spanW};
            int[] stride = {strideH, strideW};
            for (int i = 0; i < 2; i++) {
                int o = (in[i] + stride[i] - 1) / stride[i];
                int total = Math.max(0, (o - 1) * stride[i] + span[i] - in[i]);
                int small = total / 2;
                out[i] = auto.equals("SAME_UPPER") ? small : total - small;
                out[i + 2] = total - out[i];
            }
            return out;
        }
        if (auto.equals("VALID")) {
            return new int[4];
        }
        long[] p = attrInts(n, "pads", new long[4]);
        for (long v : p) {
            if (v < 0) {
                throw new IllegalArgumentException("pads " + Arrays.toString(p) + " must be non-negative");
            }
        }
        return toInts(p, "pad");
    }

    private static Variable conv(OnnxModel.Node n, Variable x, Variable w, Variable b) {
        rank4(x);
        if (w.shape().rank() != 4) {
            throw new IllegalArgumentException("weight must be [M, C/group, kH, kW], not " + w.shape());
        }
        int[] s = toInts(attrInts(n, "strides", new long[] {1, 1}), "stride");
        int[] d = toInts(attrInts(n, "dilations", new long[] {1, 1}), "dilation");
        int group = (int) attrI(n, "group", 1);
        int kh = w.shape().dim(2);
        int kw = w.shape().dim(3);
        int[] p = pads(n, x.shape().dim(2), x.shape().dim(3), d[0] * (kh - 1) + 1, d[1] * (kw - 1) + 1, s[0], s[1], false);
        return Functional.conv2d(x, w, b, s[0], s[1], p[0], p[2], p[1], p[3], d[0], d[1], group);
    }

    /**
     * A transposed convolution as the convolution it is the adjoint of: zeros inserted between the input's
     * pixels (stride − 1 of them), the border padded by dilation·(k − 1) − pad, and the kernel flipped with its
     * input and output channels swapped per group.
     */
    private static Variable convTranspose(OnnxModel.Node n, Variable x, Variable w, Variable b) {
        rank4(x);
        if (w.shape().rank() != 4) {
            throw new IllegalArgumentException("weight must be [C, M/group, kH, kW], not " + w.shape());
        }
        int[] s = toInts(attrInts(n, "strides", new long[] {1, 1}), "stride");
        int[] d = toInts(attrInts(n, "dilations", new long[] {1, 1}), "dilation");
        int[] op = toInts(attrInts(n, "output_padding", new long[] {0, 0}), "output padding");
        int group = (int) attrI(n, "group", 1);
        int c = w.shape().dim(0);
        int mg = w.shape().dim(1);
        int kh = w.shape().dim(2);
        int kw = w.shape().dim(3);
        if (group < 1 || c % group != 0 || x.shape().dim(1) != c) {
            throw new IllegalArgumentException("input channels " + x.shape().dim(1) + " must equal the weight's first"
                    + " dimension " + c + ", divisible by group " + group);
        }
        String auto = attrS(n, "auto_pad", "NOTSET");
        int[] p;
        if (auto.equals("SAME_UPPER") || auto.equals("SAME_LOWER")) {
            p = new int[4];
            int[] in = {x.shape().dim(2), x.shape().dim(3)};
            int[] k = {kh, kw};
            for (int i = 0; i < 2; i++) {
                int total = Math.max(0, s[i] * (in[i] - 1) + op[i] + (k[i] - 1) * d[i] + 1 - in[i] * s[i]);
                int small = total / 2;
                p[i] = auto.equals("SAME_UPPER") ? small : total - small;
                p[i + 2] = total - p[i];
            }
        } else {
            p = pads(n, 0, 0, 0, 0, 1, 1, false);
        }
        int[] k = {kh, kw};
        int[] before = new int[2];
        int[] after = new int[2];
        for (int i = 0; i < 2; i++) {
            before[i] = d[i] * (k[i] - 1) - p[i];
            after[i] = d[i] * (k[i] - 1) - p[i + 2] + op[i];
            if (before[i] < 0 || after[i] < 0) {
                throw new IllegalArgumentException("pads " + Arrays.toString(p) + " larger than dilation·(kernel − 1) = "
                        + d[i] * (k[i] - 1) + " are not supported");
            }
        }
        Variable up = Ops.insertZeros(Ops.insertZeros(x, 2, s[0]), 3, s[1]);
        up = Ops.pad(Ops.pad(up, 2, before[0], after[0], "constant", 0f), 3, before[1], after[1], "constant", 0f);
        // w [C, M/g, kh, kw] → [g, C/g, M/g, kh, kw] → [g, M/g, C/g, kh, kw] → [M, C/g, kh, kw], flipped in space
        Variable wt = Functional.reshape(w, group, c / group, mg, kh, kw);
        wt = Ops.permute(wt, new int[] {0, 2, 1, 3, 4});
        wt = Functional.reshape(wt, group * mg, c / group, kh, kw);
        wt = Ops.flip(Ops.flip(wt, 2), 3);
        return Functional.conv2d(up, wt, b, 1, 1, 0, 0, 0, 0, d[0], d[1], group);
    }

    private static Variable pool(OnnxModel.Node n, Variable x) {
        rank4(x);
        boolean max = n.opType().equals("MaxPool");
        int[] k = toInts(attrInts(n, "kernel_shape", null), "kernel size");
        int[] s = toInts(attrInts(n, "strides", new long[] {1, 1}), "stride");
        int[] d = max ? toInts(attrInts(n, "dilations", new long[] {1, 1}), "dilation") : new int[] {1, 1};
        boolean ceil = attrI(n, "ceil_mode", 0) != 0;
        boolean countPad = attrI(n, "count_include_pad", 0) != 0;
        int[] p = pads(n, x.shape().dim(2), x.shape().dim(3), d[0] * (k[0] - 1) + 1, d[1] * (k[1] - 1) + 1,
                s[0], s[1], ceil);
        boolean symmetric = p[0] == p[2] && p[1] == p[3] && p[0] <= k[0] / 2 && p[1] <= k[1] / 2;
        int padH = p[0];
        int padW = p[1];
        if (!symmetric) {
            if (!max && !countPad) {
                throw new IllegalArgumentException("asymmetric pads " + Arrays.toString(p)
                        + " with count_include_pad=0 are not supported");
            }
            float fill = max ? Float.NEGATIVE_INFINITY : 0f;
            x = Ops.pad(Ops.pad(x, 2, p[0], p[2], "constant", fill), 3, p[1], p[3], "constant", fill);
            padH = 0;
            padW = 0;
        }
        Shape sh = x.shape();
        var g = new Pool2dGeometry(sh.dim(0), sh.dim(1), sh.dim(2), sh.dim(3), k[0], k[1], s[0], s[1], padH, padW,
                d[0], d[1], ceil);
        return max ? Functional.maxPool2d(x, g) : Functional.avgPool2d(x, g, countPad);
    }

    private static Variable gemm(OnnxModel.Node n, Variable a, Variable b, Variable c) {
        float alpha = attrF(n, "alpha", 1f);
        float beta = attrF(n, "beta", 1f);
        boolean ta = attrI(n, "transA", 0) != 0;
        boolean tb = attrI(n, "transB", 0) != 0;
        if (!ta && tb && alpha == 1f && (c == null || beta == 1f && c.shape().rank() == 1
                && c.shape().dim(0) == b.shape().dim(0))) {
            return Functional.linear(a, b, c);
        }
        Variable y = Functional.matmul(ta ? Ops.permute(a, new int[] {1, 0}) : a, tb ? Ops.permute(b, new int[] {1, 0}) : b);
        if (alpha != 1f) {
            y = Functional.scale(y, alpha);
        }
        if (c != null && beta != 0f) {
            y = Functional.add(y, beta == 1f ? c : Functional.scale(c, beta));
        }
        return y;
    }

    private static Variable matmul(Variable a, Variable b) {
        int ra = a.shape().rank();
        int rb = b.shape().rank();
        if (rb > 2) {
            throw new IllegalArgumentException("batched MatMul (second input of rank " + rb + ") is not supported");
        }
        Variable b2 = rb == 1 ? Functional.reshape(b, b.shape().dim(0), 1) : b;
        Variable a2 = ra == 1 ? Functional.reshape(a, 1, a.shape().dim(0))
                : ra > 2 ? Functional.reshape(a, -1, a.shape().dim(-1)) : a;
        Variable y = Functional.matmul(a2, b2);
        int[] dims;
        if (ra == 1) {
            dims = rb == 1 ? new int[0] : new int[] {b.shape().dim(1)};
        } else {
            dims = a.shape().toArray();
            if (rb == 1) {
                dims = Arrays.copyOf(dims, dims.length - 1);
            } else {
                dims[dims.length - 1] = b.shape().dim(1);
            }
        }
        return Arrays.equals(dims, y.shape().toArray()) ? y : Functional.reshape(y, dims);
    }

    static int[] reshapeDims(int[] in, long[] shape, boolean allowZero) {
        int[] dims = new int[shape.length];
        int infer = -1;
        long known = 1;
        long total = 1;
        for (int d : in) {
            total *= d;
        }
        for (int i = 0; i < shape.length; i++) {
            long v = shape[i];
            if (v == 0 && !allowZero) {
                if (i >= in.length) {
                    throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " copies dimension " + i
                            + " (0) of an input of rank " + in.length);
                }
                v = in[i];
            }
            if (v == -1) {
                if (infer >= 0) {
                    throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " has more than one -1");
                }
                infer = i;
                continue;
            }
            if (v < 0 || v > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " has dimension " + v);
            }
            dims[i] = (int) v;
            known *= v;
        }
        if (infer >= 0) {
            if (known == 0 || total % known != 0) {
                throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " cannot hold the input's " + total
                        + " elements (dims " + Arrays.toString(in) + ")");
            }
            dims[infer] = (int) (total / known);
            known = total;
        }
        if (known != total) {
            throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " holds " + known
                    + " elements but the input " + Arrays.toString(in) + " has " + total);
        }
        return dims;
    }

    private static OnnxValue reshaped(OnnxValue v, int[] dims) {
        if (v instanceof OnnxValue.Ints i) {
            return new OnnxValue.Ints(i.data(), dims);
        }
        return new OnnxValue.Floats(Functional.reshape(((OnnxValue.Floats) v).variable(), dims));
    }

    private static OnnxValue intArith(String op, OnnxValue.Ints a, OnnxValue.Ints b) {
        if (b == null) {
            long[] out = a.data().clone();
            for (int i = 0; i < out.length; i++) {
                out[i] = -out[i];
            }
            return new OnnxValue.Ints(out, a.dims());
        }
        Shape s = Ops.broadcast(op, Shape.of(a.dims()), Shape.of(b.dims()));
        int[] ia = Ops.sourceIndex(Shape.of(a.dims()), s);
        int[] ib = Ops.sourceIndex(Shape.of(b.dims()), s);
        long[] out = new long[s.numel()];
        for (int i = 0; i < out.length; i++) {
            long x = a.data()[ia[i]];
            long y = b.data()[ib[i]];
            out[i] = switch (op) {
                case "Add" -> x + y;
                case "Sub" -> x - y;
                case "Mul" -> x * y;
                default -> {
                    if (y == 0) {
                        throw new IllegalArgumentException("int64 division by zero");
                    }
                    yield x / y;
                }
            };
        }
        return new OnnxValue.Ints(out, s.toArray());
    }

    private static OnnxValue gatherInts(OnnxValue.Ints data, int axis, OnnxValue.Ints idx) {
        int[] d = data.dims();
        int len = d[axis];
        int outer = 1;
        for (int i = 0; i < axis; i++) {
            outer *= d[i];
        }
        int inner = 1;
        for (int i = axis + 1; i < d.length; i++) {
            inner *= d[i];
        }
        long[] out = new long[outer * idx.data().length * inner];
        int at = 0;
        for (int o = 0; o < outer; o++) {
            for (long j : idx.data()) {
                long k = j < 0 ? j + len : j;
                if (k < 0 || k >= len) {
                    throw new IllegalArgumentException("Gather index " + j + " is outside [-" + len + ", " + len + ")");
                }
                System.arraycopy(data.data(), (int) ((o * len + k) * inner), out, at, inner);
                at += inner;
            }
        }
        int[] dims = new int[d.length - 1 + idx.dims().length];
        int r = 0;
        for (int i = 0; i < axis; i++) {
            dims[r++] = d[i];
        }
        for (int k : idx.dims()) {
            dims[r++] = k;
        }
        for (int i = axis + 1; i < d.length; i++) {
            dims[r++] = d[i];
        }
        return new OnnxValue.Ints(out, dims);
    }

    private static OnnxValue constant(OnnxModel.Node n) {
        Map<String, OnnxModel.Attribute> at = n.attributes();
        if (at.containsKey("value")) {
            OnnxModel.Tensor t = at.get("value").t();
            int[] dims = toInts(t.dims(), "dimension");
            return t.dataType() == OnnxModel.Tensor.INT64 ? new OnnxValue.Ints(t.longs(), dims)
                    : OnnxValue.of(Tensor.of(t.floats(), dims));
        }
        if (at.containsKey("value_float")) {
            return OnnxValue.of(Tensor.of(new float[] {at.get("value_float").f()}));
        }
        if (at.containsKey("value_floats")) {
            float[] v = at.get("value_floats").floats();
            return OnnxValue.of(Tensor.of(v, v.length));
        }
        if (at.containsKey("value_int")) {
            return new OnnxValue.Ints(new long[] {at.get("value_int").i()}, new int[0]);
        }
        return OnnxValue.Ints.vector(at.get("value_ints").ints());
    }

    private static OnnxValue cast(OnnxModel.Node n, OnnxValue v) {
        long to = attrI(n, "to", 0);
        if (to == v.elemType()) {
            return v;
        }
        if (v instanceof OnnxValue.Ints i) {
            float[] out = new float[i.data().length];
            for (int k = 0; k < out.length; k++) {
                out[k] = i.data()[k];
            }
            return OnnxValue.of(Tensor.of(out, i.dims()));
        }
        Tensor t = ((OnnxValue.Floats) v).variable().value();
        long[] out = new long[t.numel()];
        for (int k = 0; k < out.length; k++) {
            out[k] = (long) t.data()[t.offset() + k];
        }
        return new OnnxValue.Ints(out, t.shape().toArray());
    }

    private static Variable softmax(Variable x, boolean log, long axis, int opset) {
        int r = x.shape().rank();
        int k = axis(axis, r, "axis");
        if (opset < 13) { // the input coerced to 2-d [prod(dims before axis), prod(the rest)]
            int outer = 1;
            for (int i = 0; i < k; i++) {
                outer *= x.shape().dim(i);
            }
            Variable flat = Functional.reshape(x, outer, outer == 0 ? 0 : -1);
            Variable y = log ? Functional.logSoftmax(flat, -1) : Functional.softmax(flat, -1);
            return Functional.reshape(y, x.shape().toArray());
        }
        if (k == r - 1) {
            return log ? Functional.logSoftmax(x, -1) : Functional.softmax(x, -1);
        }
        int[] perm = new int[r];
        for (int i = 0; i < r; i++) {
            perm[i] = i;
        }
        perm[k] = r - 1;
        perm[r - 1] = k;
        Variable t = Ops.permute(x, perm);
        Variable y = log ? Functional.logSoftmax(t, -1) : Functional.softmax(t, -1);
        return Ops.permute(y, perm);
    }

    private static Variable pad(OnnxModel.Node n, List<OnnxValue> a, int opset) {
        Variable x = f(n, a, 0);
        int r = x.shape().rank();
        boolean inputs = opset >= 11;
        long[] pads = inputs ? ints(n, a, 1).data() : attrInts(n, "pads", new long[2 * r]);
        float value = inputs ? scalar(n, a, 2, 0f) : attrF(n, "value", 0f);
        int[] axes;
        if (inputs && has(a, 3)) {
            long[] given = ints(n, a, 3).data();
            axes = new int[given.length];
            for (int i = 0; i < axes.length; i++) {
                axes[i] = axis(given[i], r, "axis");
            }
        } else {
            axes = new int[r];
            for (int i = 0; i < r; i++) {
                axes[i] = i;
            }
        }
        if (pads.length != 2 * axes.length) {
            throw new IllegalArgumentException("pads " + Arrays.toString(pads) + " must have 2 × " + axes.length
                    + " values (begins, then ends)");
        }
        String mode = attrS(n, "mode", "constant");
        for (int i = 0; i < axes.length; i++) {
            int before = (int) pads[i];
            int after = (int) pads[i + axes.length];
            if (before != 0 || after != 0) {
                x = Ops.pad(x, axes[i], before, after, mode, value);
            }
        }
        return x;
    }

    private static Variable resize(OnnxModel.Node n, List<OnnxValue> a, int opset) {
        Variable x = f(n, a, 0);
        int r = x.shape().rank();
        boolean upsample = n.opType().equals("Upsample");
        String mode = attrS(n, "mode", "nearest");
        if (mode.equals("bilinear")) {
            mode = "linear";
        }
        boolean old = upsample || opset < 11; // before Resize-11: asymmetric coordinates, nearest rounds down
        String coord = old ? "asymmetric" : attrS(n, "coordinate_transformation_mode", "half_pixel");
        String nearest = old ? "floor" : attrS(n, "nearest_mode", "round_prefer_floor");
        int scalesSlot = upsample || opset < 11 ? 1 : 2; // Resize-10 is (X, scales)
        double[] scales = new double[r];
        int[] out = new int[r];
        boolean haveScales = has(a, scalesSlot) && f(n, a, scalesSlot).value().numel() > 0;
        if (!old && has(a, 3) && ints(n, a, 3).data().length > 0) {
            long[] sizes = ints(n, a, 3).data();
            if (sizes.length != r) {
                throw new IllegalArgumentException("sizes " + Arrays.toString(sizes) + " must have " + r + " values");
            }
            for (int i = 0; i < r; i++) {
                out[i] = (int) sizes[i];
                scales[i] = (double) sizes[i] / x.shape().dim(i);
            }
        } else if (haveScales) {
            Tensor s = f(n, a, scalesSlot).value();
            if (s.numel() != r) {
                throw new IllegalArgumentException("scales " + s + " must have " + r + " values");
            }
            for (int i = 0; i < r; i++) {
                scales[i] = s.data()[s.offset() + i];
                if (!(scales[i] > 0)) {
                    throw new IllegalArgumentException("scales must be positive, not " + scales[i]);
                }
                out[i] = (int) Math.floor(x.shape().dim(i) * scales[i]);
            }
        } else {
            throw new IllegalArgumentException("one of scales and sizes is required");
        }
        for (int i = 0; i < r; i++) {
            if (out[i] != x.shape().dim(i) || scales[i] != 1.0) {
                x = Ops.resize(x, i, out[i], scales[i], mode, coord, nearest);
            }
        }
        return x;
    }
}
