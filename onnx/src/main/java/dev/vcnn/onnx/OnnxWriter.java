package dev.vcnn.onnx;

import dev.vcnn.engine.io.AtomicFile;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Map;

/**
 * Serializes an {@link OnnxModel} in the protobuf wire format with {@code onnx.proto}'s field numbers: the inverse
 * of {@link OnnxModel#parse}. Tensors are written with their data in {@code raw_data} (little-endian), as
 * PyTorch's exporters write them.
 */
public final class OnnxWriter {
    private OnnxWriter() {}

    /** The model's bytes. */
    public static byte[] toBytes(OnnxModel m) {
        var w = new WireWriter();
        w.varint(1, m.irVersion());
        if (!m.producer().isEmpty()) {
            w.string(2, m.producer());
        }
        w.message(7, graph(m.graph()));
        for (Map.Entry<String, Long> e : new java.util.TreeMap<>(m.opsets()).entrySet()) {
            w.message(8, opset(e.getKey(), e.getValue()));
        }
        m.metadata().forEach((k, v) -> w.message(14, new WireWriter().string(1, k).string(2, v)));
        for (OnnxModel.Function f : m.functions()) {
            var fw = new WireWriter().string(1, f.name());
            f.inputs().forEach(i -> fw.string(4, i));
            f.outputs().forEach(o -> fw.string(5, o));
            f.attributes().forEach(a -> fw.string(6, a));
            f.nodes().forEach(n -> fw.message(7, node(n)));
            new java.util.TreeMap<>(f.opsets()).forEach((d, v) -> fw.message(9, opset(d, v)));
            fw.string(10, f.domain());
            w.message(25, fw);
        }
        return w.toByteArray();
    }

    /** Writes the model to a file atomically (a crash leaves the old file or the new one). */
    public static void write(OnnxModel m, Path file) throws IOException {
        byte[] bytes = toBytes(m);
        AtomicFile.write(file, ch -> AtomicFile.writeFully(ch, ByteBuffer.wrap(bytes)));
    }

    private static WireWriter opset(String domain, long version) {
        var o = new WireWriter();
        if (!domain.isEmpty()) {
            o.string(1, domain);
        }
        return o.varint(2, version);
    }

    private static WireWriter graph(OnnxModel.Graph g) {
        var w = new WireWriter();
        g.nodes().forEach(n -> w.message(1, node(n)));
        w.string(2, g.name());
        g.initializers().forEach(t -> w.message(5, tensor(t)));
        g.inputs().forEach(v -> w.message(11, valueInfo(v)));
        g.outputs().forEach(v -> w.message(12, valueInfo(v)));
        return w;
    }

    private static WireWriter node(OnnxModel.Node n) {
        var w = new WireWriter();
        n.inputs().forEach(i -> w.string(1, i));
        n.outputs().forEach(o -> w.string(2, o));
        if (!n.name().isEmpty()) {
            w.string(3, n.name());
        }
        w.string(4, n.opType());
        n.attributes().values().forEach(a -> w.message(5, attribute(a)));
        if (!n.domain().isEmpty()) {
            w.string(7, n.domain());
        }
        return w;
    }

    private static WireWriter attribute(OnnxModel.Attribute a) {
        var w = new WireWriter().string(1, a.name());
        switch (a.type()) {
            case 1 -> w.float32(2, a.f());
            case 2 -> w.varint(3, a.i());
            case 3 -> w.string(4, a.s());
            case 4 -> w.message(5, tensor(a.t()));
            case 6 -> w.floats(7, a.floats());
            case 7 -> w.varints(8, a.ints());
            case 8 -> a.strings().forEach(s -> w.string(9, s));
            default -> throw new IllegalArgumentException("onnx: attribute '" + a.name() + "' has type " + a.type()
                    + ", which vcnn does not write");
        }
        w.varint(20, a.type());
        if (a.refAttrName() != null) {
            w.string(21, a.refAttrName());
        }
        return w;
    }

    private static WireWriter tensor(OnnxModel.Tensor t) {
        var w = new WireWriter();
        if (t.dims().length > 0) {
            w.varints(1, t.dims());
        }
        w.varint(2, t.dataType());
        if (!t.name().isEmpty()) {
            w.string(8, t.name());
        }
        byte[] raw = t.rawData();
        if (raw == null) {
            raw = switch (t.dataType()) {
                case OnnxModel.Tensor.FLOAT -> {
                    float[] f = t.floats();
                    ByteBuffer b = ByteBuffer.allocate(4 * f.length).order(java.nio.ByteOrder.LITTLE_ENDIAN);
                    b.asFloatBuffer().put(f);
                    yield b.array();
                }
                case OnnxModel.Tensor.INT64 -> {
                    long[] l = t.longs();
                    ByteBuffer b = ByteBuffer.allocate(8 * l.length).order(java.nio.ByteOrder.LITTLE_ENDIAN);
                    b.asLongBuffer().put(l);
                    yield b.array();
                }
                default -> throw new IllegalArgumentException("onnx: tensor '" + t.name() + "' has data type "
                        + t.dataType() + ", which vcnn does not write");
            };
        }
        return w.bytes(9, raw);
    }

    private static WireWriter valueInfo(OnnxModel.ValueInfo v) {
        var shape = new WireWriter();
        for (int i = 0; i < v.dims().length; i++) {
            var dim = new WireWriter();
            String param = i < v.dimNames().size() ? v.dimNames().get(i) : "";
            if (v.dims()[i] >= 0) {
                dim.varint(1, v.dims()[i]);
            } else {
                dim.string(2, param.isEmpty() ? "d" + i : param);
            }
            shape.message(1, dim);
        }
        var tensorType = new WireWriter().varint(1, v.elemType()).message(2, shape);
        return new WireWriter().string(1, v.name()).message(2, new WireWriter().message(1, tensorType));
    }

    // ---- builders for the records ---------------------------------------------------------------------

    /** A FLOAT tensor. */
    public static OnnxModel.Tensor floats(String name, float[] data, long... dims) {
        ByteBuffer b = ByteBuffer.allocate(4 * data.length).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(data);
        return new OnnxModel.Tensor(name, dims, OnnxModel.Tensor.FLOAT, b.array(), new float[0], new long[0], null, -1, -1);
    }

    /** An INT64 tensor. */
    public static OnnxModel.Tensor longs(String name, long[] data, long... dims) {
        ByteBuffer b = ByteBuffer.allocate(8 * data.length).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        b.asLongBuffer().put(data);
        return new OnnxModel.Tensor(name, dims, OnnxModel.Tensor.INT64, b.array(), new float[0], new long[0], null, -1, -1);
    }

    public static OnnxModel.Attribute attr(String name, long i) {
        return new OnnxModel.Attribute(name, 2, 0, i, null, null, new float[0], new long[0], java.util.List.of(), null);
    }

    public static OnnxModel.Attribute attr(String name, float f) {
        return new OnnxModel.Attribute(name, 1, f, 0, null, null, new float[0], new long[0], java.util.List.of(), null);
    }

    public static OnnxModel.Attribute attr(String name, String s) {
        return new OnnxModel.Attribute(name, 3, 0, 0, s, null, new float[0], new long[0], java.util.List.of(), null);
    }

    public static OnnxModel.Attribute attr(String name, long... ints) {
        return new OnnxModel.Attribute(name, 7, 0, 0, null, null, new float[0], ints, java.util.List.of(), null);
    }

    public static OnnxModel.Attribute attr(String name, OnnxModel.Tensor t) {
        return new OnnxModel.Attribute(name, 4, 0, 0, null, t, new float[0], new long[0], java.util.List.of(), null);
    }
}
