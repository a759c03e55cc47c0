package dev.vcnn.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A model written by ONNX's own Python package ({@code tiny.onnx}, made by {@code make_tiny.py} beside it and
 * accepted by {@code onnx.checker}) reads back as that script built it.
 */
class OnnxModelTest {
    private static Path tiny() throws Exception {
        return Path.of(OnnxModelTest.class.getResource("tiny.onnx").toURI());
    }

    @Test
    void aModelWrittenByOnnxReadsAsItWasBuilt() throws Exception {
        OnnxModel m = OnnxModel.read(tiny());
        assertEquals(8, m.irVersion());
        assertEquals(Map.of("", 17L), m.opsets());
        assertEquals("onnx-helper", m.producer());
        OnnxModel.Graph g = m.graph();
        assertEquals("tiny", g.name());
        assertEquals(List.of("Conv", "Relu", "MaxPool", "Reshape", "Gemm"), g.nodes().stream().map(OnnxModel.Node::opType).toList());

        OnnxModel.Node conv = g.nodes().get(0);
        assertEquals(List.of("x", "conv.weight", "conv.bias"), conv.inputs());
        assertEquals(List.of("c"), conv.outputs());
        assertArrayEquals(new long[] {3, 3}, conv.attributes().get("kernel_shape").ints());
        assertArrayEquals(new long[] {1, 1, 1, 1}, conv.attributes().get("pads").ints());
        assertEquals(7, conv.attributes().get("pads").type()); // INTS
        OnnxModel.Node gemm = g.nodes().get(4);
        assertEquals(1, gemm.attributes().get("transB").i());
        assertEquals(1f, gemm.attributes().get("alpha").f());
        assertEquals(1, gemm.attributes().get("alpha").type()); // FLOAT

        var weights = g.initializers().stream().collect(java.util.stream.Collectors.toMap(OnnxModel.Tensor::name, t -> t));
        OnnxModel.Tensor w = weights.get("conv.weight");
        assertArrayEquals(new long[] {4, 1, 3, 3}, w.dims());
        assertArrayEquals(new float[] {0.001230153371579945f, 0.2987455427646637f, -0.27413785457611084f},
                Arrays.copyOf(w.floats(), 3));
        OnnxModel.Tensor fc = weights.get("fc.weight");
        assertArrayEquals(new long[] {3, 64}, fc.dims());
        assertEquals(-0.658058762550354f, fc.floats()[2 * 64 + 63]);
        OnnxModel.Tensor bias = weights.get("fc.bias"); // written in float_data, not raw_data
        assertNull(bias.rawData());
        assertArrayEquals(new float[] {0.1f, 0.2f, 0.3f}, bias.floats());
        OnnxModel.Tensor shape = weights.get("flat_shape");
        assertEquals(OnnxModel.Tensor.INT64, shape.dataType());
        assertEquals(16, shape.rawData().length);
        assertEquals("onnx: tensor 'flat_shape' must be FLOAT (1) but has data type 7",
                assertThrows(IllegalArgumentException.class, shape::floats).getMessage());

        OnnxModel.ValueInfo x = g.inputs().get(0);
        assertEquals("x", x.name());
        assertEquals(1, x.elemType());
        assertArrayEquals(new long[] {-1, 1, 8, 8}, x.dims());
        assertEquals(List.of("N", "", "", ""), x.dimNames());
        assertEquals("y", g.outputs().get(0).name());
    }

    /** Every truncation of the file is an error naming the file and a byte offset, or a model without its graph. */
    @Test
    void everyTruncationOfTheFileIsAClearError() throws Exception {
        byte[] all = Files.readAllBytes(tiny());
        for (int cut = 0; cut < all.length; cut++) {
            byte[] prefix = Arrays.copyOf(all, cut);
            var e = assertThrows(IllegalArgumentException.class, () -> OnnxModel.parse("tiny.onnx", prefix), "cut at " + cut);
            assertTrue(e.getMessage().contains("(file=tiny.onnx"), e.getMessage());
        }
    }

    @Test
    void negativeDimsAreRefusedNamingTheTensor() {
        var tensor = new WireWriter().varints(1, -2, -2).varint(2, OnnxModel.Tensor.FLOAT).string(8, "w")
                .bytes(9, new byte[16]);
        byte[] model = new WireWriter().varint(1, 8).message(7, new WireWriter().message(5, tensor))
                .message(8, new WireWriter().string(1, "").varint(2, 17)).toByteArray();
        assertEquals("onnx: tensor 'w' dims must be non-negative but were [-2, -2]",
                assertThrows(IllegalArgumentException.class, () -> OnnxModel.parse("m", model)).getMessage());
    }

    @Test
    void aFileWithoutAGraphSaysSo(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("empty.onnx");
        Files.write(file, new WireWriter().varint(1, 8).string(2, "nobody").toByteArray());
        assertEquals("onnx: model must have a graph (field 7) but has none (file=" + file + ")",
                assertThrows(IllegalArgumentException.class, () -> OnnxModel.read(file)).getMessage());
    }

    @Test
    void weightsInAnExternalFileReadAsIfTheyWereInline() throws Exception {
        OnnxModel inline = OnnxModel.read(tiny());
        OnnxModel external = OnnxModel.read(Path.of(OnnxModelTest.class.getResource("tiny_external.onnx").toURI()));
        for (OnnxModel.Tensor t : inline.graph().initializers()) {
            if (t.dataType() != OnnxModel.Tensor.FLOAT) {
                continue;
            }
            OnnxModel.Tensor e = external.graph().initializers().stream().filter(x -> x.name().equals(t.name())).findFirst()
                    .orElseThrow();
            assertArrayEquals(t.floats(), e.floats(), t.name());
        }
        OnnxModel.Tensor w = external.graph().initializers().stream().filter(x -> x.name().equals("fc.weight"))
                .findFirst().orElseThrow();
        assertEquals("tiny_external.data", w.externalLocation());
        // Parsed from bytes alone, there is no folder to read it from.
        byte[] bytes = Files.readAllBytes(Path.of(OnnxModelTest.class.getResource("tiny_external.onnx").toURI()));
        OnnxModel.Tensor unread = OnnxModel.parse("tiny_external.onnx", bytes).graph().initializers().stream()
                .filter(x -> x.name().equals("fc.weight")).findFirst().orElseThrow();
        assertTrue(assertThrows(IllegalArgumentException.class, unread::floats).getMessage()
                .contains("keeps its data in external file 'tiny_external.data'"));
    }

    /** A model of one FLOAT tensor [2] whose data is in {@code location} (with optional offset and length). */
    private static byte[] externalModel(String location, String offset, String length) {
        var tensor = new WireWriter().varints(1, 2).varint(2, OnnxModel.Tensor.FLOAT).string(8, "w")
                .message(13, new WireWriter().string(1, "location").string(2, location));
        if (offset != null) {
            tensor.message(13, new WireWriter().string(1, "offset").string(2, offset));
        }
        if (length != null) {
            tensor.message(13, new WireWriter().string(1, "length").string(2, length));
        }
        tensor.varint(14, 1);
        return new WireWriter().varint(1, 8).message(7, new WireWriter().message(5, tensor).string(2, "g"))
                .message(8, new WireWriter().string(1, "").varint(2, 17)).toByteArray();
    }

    @Test
    void externalDataMustStayInsideTheModelsFolderAndItsFile(@TempDir Path dir) throws Exception {
        Path models = Files.createDirectory(dir.resolve("models"));
        Files.write(dir.resolve("secret.bin"), new byte[8]);
        Files.write(models.resolve("w.bin"), new byte[] {0, 0, (byte) 0x80, 0x3f, 0, 0, 0, 0x40, 9, 9});
        Path model = models.resolve("m.onnx");

        Files.write(model, externalModel("w.bin", null, "8"));
        assertArrayEquals(new float[] {1f, 2f}, OnnxModel.read(model).graph().initializers().get(0).floats());
        Files.write(model, externalModel("w.bin", "4", "8"));
        assertEquals("onnx: tensor 'w' external data 'w.bin' (model=" + model + ") asks for bytes [4, 12) of a file of 10 bytes",
                assertThrows(IllegalArgumentException.class, () -> OnnxModel.read(model)).getMessage());

        for (String escape : new String[] {"../secret.bin", dir.resolve("secret.bin").toString(), "sub/../../secret.bin"}) {
            Files.write(model, externalModel(escape, null, null));
            var e = assertThrows(IllegalArgumentException.class, () -> OnnxModel.read(model), escape);
            assertTrue(e.getMessage().endsWith("must lie inside the model's folder " + models.toRealPath()), e.getMessage());
        }
        Files.createSymbolicLink(models.resolve("link.bin"), dir.resolve("secret.bin"));
        Files.write(model, externalModel("link.bin", null, null));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> OnnxModel.read(model)).getMessage()
                .contains("but is a link to"));
        Files.write(model, externalModel("w.bin", "-4", null));
        assertEquals("onnx: tensor 'w' external data 'offset' must be a non-negative integer but was '-4'",
                assertThrows(IllegalArgumentException.class, () -> OnnxModel.read(model)).getMessage());
        Files.write(model, externalModel("missing.bin", null, null));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> OnnxModel.read(model)).getMessage()
                .contains("must be a file"));
    }
}
