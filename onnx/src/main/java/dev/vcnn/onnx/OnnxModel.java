package dev.vcnn.onnx;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * An ONNX model as its file holds it: the IR version, the operator sets it imports, and the main graph's nodes,
 * initializers, inputs and outputs, with field numbers from ONNX's {@code onnx.proto}. Fields a model may carry
 * that vcnn does not use (documentation, metadata, training info) are skipped. Tensors keep their bytes as
 * written; {@link Tensor#floats()} decodes FLOAT data from {@code raw_data} or {@code float_data}.
 *
 * @param irVersion {@code ir_version}
 * @param opsets {@code opset_import}: domain ("" for the default ONNX domain) to version
 * @param producer {@code producer_name}
 * @param graph the main graph
 * @param functions model-local functions ({@code functions}, field 25), which nodes call by domain and name
 * @param metadata {@code metadata_props}: key-value strings (vcnn writes a classifier's class names and input
 *     normalisation there, and reads them back on import)
 */
public record OnnxModel(long irVersion, Map<String, Long> opsets, String producer, Graph graph,
                        List<Function> functions, Map<String, String> metadata) {
    /** A model without metadata. */
    public OnnxModel(long irVersion, Map<String, Long> opsets, String producer, Graph graph, List<Function> functions) {
        this(irVersion, opsets, producer, graph, functions, Map.of());
    }

    /** The largest model file read into memory: 2 GiB − 1, protobuf's own limit for one message. */
    public static final long MAX_BYTES = Integer.MAX_VALUE - 8;

    /** {@code GraphProto}. */
    public record Graph(String name, List<Node> nodes, List<Tensor> initializers, List<ValueInfo> inputs,
                        List<ValueInfo> outputs) {}

    /**
     * {@code FunctionProto}: a model-local operator defined by a body of nodes over its formal inputs and
     * outputs; attributes the body takes from the call site are named in {@code attributes}.
     */
    public record Function(String name, String domain, List<String> inputs, List<String> outputs,
                           List<String> attributes, List<Node> nodes, Map<String, Long> opsets) {}

    /** {@code NodeProto}: an operator applied to named values. */
    public record Node(String name, String opType, String domain, List<String> inputs, List<String> outputs,
                       Map<String, Attribute> attributes) {}

    /** {@code ValueInfoProto}: a graph input or output by name, with its element type and dimensions (-1: symbolic). */
    public record ValueInfo(String name, int elemType, long[] dims, List<String> dimNames) {}

    /**
     * {@code AttributeProto}: one of a float, an integer, a string, a tensor, or lists of floats, integers or
     * strings, as {@code type} says (1 FLOAT, 2 INT, 3 STRING, 4 TENSOR, 6 FLOATS, 7 INTS, 8 STRINGS).
     */
    public record Attribute(String name, int type, float f, long i, String s, Tensor t, float[] floats, long[] ints,
                            List<String> strings, String refAttrName) {}

    /**
     * {@code TensorProto}: dims, data type (1 FLOAT, 7 INT64, …) and the data as stored. A tensor whose data lives in
     * an external file has its {@code location}, {@code offset} and {@code length} (-1 when absent: from 0, to the
     * end); {@link OnnxModel#read} loads those bytes into {@code rawData}.
     */
    public record Tensor(String name, long[] dims, int dataType, byte[] rawData, float[] floatData, long[] int64Data,
                         String externalLocation, long externalOffset, long externalLength) {
        public static final int FLOAT = 1;
        public static final int INT64 = 7;

        /** Element count: the product of dims (1 for a scalar). */
        public long count() {
            long n = 1;
            for (long d : dims) {
                n *= d;
            }
            return n;
        }

        /**
         * The FLOAT data, from {@code raw_data} (little-endian) or {@code float_data}.
         *
         * @throws IllegalArgumentException naming the tensor when it is not FLOAT or its data does not match its dims
         */
        public float[] floats() {
            if (dataType != FLOAT) {
                throw new IllegalArgumentException("onnx: tensor '" + name + "' must be FLOAT (1) but has data type " + dataType);
            }
            long n = count();
            if (rawData == null && externalLocation != null) {
                throw new IllegalArgumentException("onnx: tensor '" + name + "' keeps its data in external file '"
                        + externalLocation + "', which is read only with the model's path (OnnxModel.read)");
            }
            if (rawData != null) {
                if (rawData.length != 4 * n) {
                    throw new IllegalArgumentException("onnx: tensor '" + name + "' of " + n + " floats must hold "
                            + 4 * n + " bytes of raw_data but holds " + rawData.length);
                }
                return WireReader.littleEndianFloats(rawData, 0, rawData.length);
            }
            if (floatData.length != n) {
                throw new IllegalArgumentException("onnx: tensor '" + name + "' of " + n + " floats holds "
                        + floatData.length + " in float_data");
            }
            return floatData.clone();
        }

        /**
         * The INT64 data, from {@code raw_data} (little-endian) or {@code int64_data}.
         *
         * @throws IllegalArgumentException naming the tensor when it is not INT64 or its data does not match its dims
         */
        public long[] longs() {
            if (dataType != INT64) {
                throw new IllegalArgumentException("onnx: tensor '" + name + "' must be INT64 (7) but has data type " + dataType);
            }
            long n = count();
            if (rawData != null) {
                if (rawData.length != 8 * n) {
                    throw new IllegalArgumentException("onnx: tensor '" + name + "' of " + n + " int64s must hold "
                            + 8 * n + " bytes of raw_data but holds " + rawData.length);
                }
                long[] out = new long[(int) n];
                ByteBuffer.wrap(rawData).order(java.nio.ByteOrder.LITTLE_ENDIAN).asLongBuffer().get(out);
                return out;
            }
            if (int64Data.length != n) {
                throw new IllegalArgumentException("onnx: tensor '" + name + "' of " + n + " int64s holds "
                        + int64Data.length + " in int64_data");
            }
            return int64Data.clone();
        }
    }

    /**
     * Reads an ONNX file.
     *
     * @throws IllegalArgumentException naming the file and the byte offset when it is not a well-formed model
     */
    public static OnnxModel read(Path file) throws IOException {
        long size = Files.size(file);
        if (size > MAX_BYTES) {
            throw new IllegalArgumentException("onnx: file must be at most " + MAX_BYTES + " bytes but is " + size
                    + " (file=" + file + "); larger models keep their weights in external data files");
        }
        OnnxModel m = parse(file.toString(), Files.readAllBytes(file));
        Path folder = file.toAbsolutePath().getParent();
        List<Tensor> loaded = new ArrayList<>();
        for (Tensor t : m.graph().initializers()) {
            loaded.add(t.externalLocation() == null ? t : withExternalData(t, folder, file));
        }
        Graph g = m.graph();
        return new OnnxModel(m.irVersion(), m.opsets(), m.producer(),
                new Graph(g.name(), g.nodes(), List.copyOf(loaded), g.inputs(), g.outputs()), m.functions(), m.metadata());
    }

    /**
     * The tensor with its external bytes read: the location must name a file inside the model's folder (no absolute
     * path, no way out through "..", no symbolic link leading elsewhere) and offset + length must lie within it.
     */
    private static Tensor withExternalData(Tensor t, Path folder, Path model) throws IOException {
        String where = "tensor '" + t.name() + "' external data '" + t.externalLocation() + "' (model=" + model + ")";
        Path location;
        try {
            location = Path.of(t.externalLocation());
        } catch (java.nio.file.InvalidPathException e) {
            throw new IllegalArgumentException("onnx: " + where + " is not a valid path");
        }
        Path real = folder.toRealPath();
        Path target = real.resolve(location).normalize();
        if (location.isAbsolute() || !target.startsWith(real)) {
            throw new IllegalArgumentException("onnx: " + where + " must lie inside the model's folder " + real);
        }
        if (!Files.isRegularFile(target)) {
            throw new IllegalArgumentException("onnx: " + where + " must be a file but " + target + " is not one");
        }
        if (!target.toRealPath().startsWith(real)) {
            throw new IllegalArgumentException("onnx: " + where + " must lie inside the model's folder " + real
                    + " but is a link to " + target.toRealPath());
        }
        long size = Files.size(target);
        long offset = Math.max(0, t.externalOffset());
        long length = t.externalLength() >= 0 ? t.externalLength() : size - offset;
        if (offset > size || length > size - offset || length > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("onnx: " + where + " asks for bytes [" + offset + ", " + (offset + length)
                    + ") of a file of " + size + " bytes");
        }
        byte[] data = new byte[(int) length];
        try (var ch = java.nio.channels.FileChannel.open(target)) {
            var buf = ByteBuffer.wrap(data);
            while (buf.hasRemaining()) {
                if (ch.read(buf, offset + buf.position()) < 0) {
                    throw new IllegalArgumentException("onnx: " + where + " ended early");
                }
            }
        }
        return new Tensor(t.name(), t.dims(), t.dataType(), data, t.floatData(), t.int64Data(), t.externalLocation(),
                t.externalOffset(), t.externalLength());
    }

    /** Parses a model's bytes; {@code source} names them in errors. */
    public static OnnxModel parse(String source, byte[] bytes) {
        var r = new WireReader(source, bytes);
        long ir = 0;
        Map<String, Long> opsets = new LinkedHashMap<>();
        String producer = "";
        Graph graph = null;
        List<Function> functions = new ArrayList<>();
        Map<String, String> metadata = new LinkedHashMap<>();
        while (r.next()) {
            switch (r.field()) {
                case 1 -> ir = r.varint();
                case 2 -> producer = r.string();
                case 7 -> graph = graph(r.message());
                case 8 -> opset(r.message(), opsets);
                case 25 -> functions.add(function(r.message()));
                case 14 -> { // StringStringEntryProto: key (1), value (2)
                    WireReader kv = r.message();
                    String key = "";
                    String value = "";
                    while (kv.next()) {
                        switch (kv.field()) {
                            case 1 -> key = kv.string();
                            case 2 -> value = kv.string();
                            default -> kv.skip();
                        }
                    }
                    metadata.put(key, value);
                }
                default -> r.skip();
            }
        }
        if (graph == null) {
            throw new IllegalArgumentException("onnx: model must have a graph (field 7) but has none (file=" + source + ")");
        }
        if (opsets.isEmpty()) {
            throw new IllegalArgumentException("onnx: model must import at least one operator set (field 8) but imports none"
                    + " (file=" + source + ")");
        }
        return new OnnxModel(ir, Map.copyOf(opsets), producer, graph, List.copyOf(functions),
                java.util.Collections.unmodifiableMap(metadata));
    }

    /**
     * Parses one serialized {@code TensorProto}, the form of ONNX's test data files ({@code input_0.pb}).
     *
     * @throws IllegalArgumentException naming {@code source} and the byte offset when the bytes are malformed
     */
    public static Tensor parseTensor(String source, byte[] bytes) {
        return tensor(new WireReader(source, bytes));
    }

    /** {@code OperatorSetIdProto}: domain (1) and version (2). */
    private static void opset(WireReader o, Map<String, Long> into) {
        String domain = "";
        long version = 0;
        while (o.next()) {
            switch (o.field()) {
                case 1 -> domain = o.string();
                case 2 -> version = o.varint();
                default -> o.skip();
            }
        }
        into.put(domain, version);
    }

    private static Function function(WireReader r) {
        String name = "";
        String domain = "";
        List<String> inputs = new ArrayList<>();
        List<String> outputs = new ArrayList<>();
        List<String> attributes = new ArrayList<>();
        List<Node> nodes = new ArrayList<>();
        Map<String, Long> opsets = new LinkedHashMap<>();
        while (r.next()) {
            switch (r.field()) {
                case 1 -> name = r.string();
                case 4 -> inputs.add(r.string());
                case 5 -> outputs.add(r.string());
                case 6 -> attributes.add(r.string());
                case 7 -> nodes.add(node(r.message()));
                case 9 -> opset(r.message(), opsets);
                case 10 -> domain = r.string();
                case 11 -> attributes.add(attribute(r.message()).name()); // attribute_proto: a default value
                default -> r.skip();
            }
        }
        return new Function(name, domain, List.copyOf(inputs), List.copyOf(outputs), List.copyOf(attributes),
                List.copyOf(nodes), Map.copyOf(opsets));
    }

    private static Graph graph(WireReader r) {
        String name = "";
        List<Node> nodes = new ArrayList<>();
        List<Tensor> initializers = new ArrayList<>();
        List<ValueInfo> inputs = new ArrayList<>();
        List<ValueInfo> outputs = new ArrayList<>();
        while (r.next()) {
            switch (r.field()) {
                case 1 -> nodes.add(node(r.message()));
                case 2 -> name = r.string();
                case 5 -> initializers.add(tensor(r.message()));
                case 11 -> inputs.add(valueInfo(r.message()));
                case 12 -> outputs.add(valueInfo(r.message()));
                default -> r.skip();
            }
        }
        return new Graph(name, List.copyOf(nodes), List.copyOf(initializers), List.copyOf(inputs), List.copyOf(outputs));
    }

    private static Node node(WireReader r) {
        List<String> inputs = new ArrayList<>();
        List<String> outputs = new ArrayList<>();
        String name = "";
        String opType = "";
        String domain = "";
        Map<String, Attribute> attributes = new LinkedHashMap<>();
        while (r.next()) {
            switch (r.field()) {
                case 1 -> inputs.add(r.string());
                case 2 -> outputs.add(r.string());
                case 3 -> name = r.string();
                case 4 -> opType = r.string();
                case 5 -> {
                    Attribute a = attribute(r.message());
                    attributes.put(a.name(), a);
                }
                case 7 -> domain = r.string();
                default -> r.skip();
            }
        }
        return new Node(name, opType, domain, List.copyOf(inputs), List.copyOf(outputs), attributes);
    }

    private static Attribute attribute(WireReader r) {
        String name = "";
        int type = 0;
        float f = 0;
        long i = 0;
        String s = null;
        Tensor t = null;
        float[] floats = new float[0];
        long[] ints = new long[0];
        List<String> strings = new ArrayList<>();
        String ref = null;
        while (r.next()) {
            switch (r.field()) {
                case 1 -> name = r.string();
                case 2 -> f = r.float32();
                case 3 -> i = r.varint();
                case 4 -> s = r.string();
                case 5 -> t = tensor(r.message());
                case 7 -> floats = concat(floats, r.floats());
                case 8 -> ints = concat(ints, r.varints());
                case 9 -> strings.add(r.string());
                case 20 -> type = r.int32();
                case 21 -> ref = r.string();
                default -> r.skip();
            }
        }
        return new Attribute(name, type, f, i, s, t, floats, ints, List.copyOf(strings), ref);
    }

    private static Tensor tensor(WireReader r) {
        long[] dims = new long[0];
        int dataType = 0;
        String name = "";
        byte[] raw = null;
        float[] floatData = new float[0];
        long[] int64Data = new long[0];
        String location = null;
        long offset = -1;
        long length = -1;
        while (r.next()) {
            switch (r.field()) {
                case 1 -> dims = concat(dims, r.varints());
                case 2 -> dataType = r.int32();
                case 4 -> floatData = concat(floatData, r.floats());
                case 7 -> int64Data = concat(int64Data, r.varints());
                case 8 -> name = r.string();
                case 9 -> raw = r.bytes();
                case 13 -> {
                    WireReader kv = r.message();
                    String key = null;
                    String value = null;
                    while (kv.next()) {
                        switch (kv.field()) {
                            case 1 -> key = kv.string();
                            case 2 -> value = kv.string();
                            default -> kv.skip();
                        }
                    }
                    if ("location".equals(key)) {
                        location = value;
                    } else if ("offset".equals(key) || "length".equals(key)) {
                        long v = externalNumber(key, value, name);
                        if ("offset".equals(key)) {
                            offset = v;
                        } else {
                            length = v;
                        }
                    }
                }
                default -> r.skip();
            }
        }
        for (long d : dims) {
            if (d < 0) {
                throw new IllegalArgumentException("onnx: tensor '" + name + "' dims must be non-negative but were "
                        + java.util.Arrays.toString(dims));
            }
        }
        return new Tensor(name, dims, dataType, raw, floatData, int64Data, location, offset, length);
    }

    private static long externalNumber(String key, String value, String tensor) {
        try {
            long v = Long.parseLong(value);
            if (v >= 0) {
                return v;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException("onnx: tensor '" + tensor + "' external data '" + key
                + "' must be a non-negative integer but was '" + value + "'");
    }

    /** a then b: repeated fields may come in several pieces, packed or not. */
    private static float[] concat(float[] a, float[] b) {
        if (a.length == 0) {
            return b;
        }
        float[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    private static long[] concat(long[] a, long[] b) {
        if (a.length == 0) {
            return b;
        }
        long[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    private static ValueInfo valueInfo(WireReader r) {
        String name = "";
        int elemType = 0;
        long[] dims = new long[0];
        List<String> dimNames = new ArrayList<>();
        while (r.next()) {
            switch (r.field()) {
                case 1 -> name = r.string();
                case 2 -> { // TypeProto: tensor_type (1) -> elem_type (1), shape (2) -> dim (1) -> dim_value (1) | dim_param (2)
                    WireReader type = r.message();
                    while (type.next()) {
                        if (type.field() != 1) {
                            type.skip();
                            continue;
                        }
                        WireReader tensorType = type.message();
                        while (tensorType.next()) {
                            switch (tensorType.field()) {
                                case 1 -> elemType = tensorType.int32();
                                case 2 -> {
                                    WireReader shape = tensorType.message();
                                    while (shape.next()) {
                                        if (shape.field() != 1) {
                                            shape.skip();
                                            continue;
                                        }
                                        WireReader dim = shape.message();
                                        long value = -1;
                                        String param = "";
                                        while (dim.next()) {
                                            switch (dim.field()) {
                                                case 1 -> value = dim.varint();
                                                case 2 -> param = dim.string();
                                                default -> dim.skip();
                                            }
                                        }
                                        dims = concat(dims, new long[] {value});
                                        dimNames.add(param);
                                    }
                                }
                                default -> tensorType.skip();
                            }
                        }
                    }
                }
                default -> r.skip();
            }
        }
        return new ValueInfo(name, elemType, dims, List.copyOf(dimNames));
    }
}
