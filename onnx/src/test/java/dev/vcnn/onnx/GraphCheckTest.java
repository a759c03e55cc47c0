package dev.vcnn.onnx;

import static dev.vcnn.onnx.OnnxWriter.attr;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vcnn.engine.autograd.Variable;
import dev.vcnn.engine.tensor.Tensor;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A graph vcnn cannot run is refused when it is built, before anything runs, with every problem in one message
 * naming the node, the operator and the opset; a graph that runs but is given the wrong inputs names them.
 */
class GraphCheckTest {
    static OnnxModel.ValueInfo info(String name, long... dims) {
        return new OnnxModel.ValueInfo(name, OnnxModel.Tensor.FLOAT, dims, List.of());
    }

    static OnnxModel.Node node(String name, String op, List<String> in, List<String> out, OnnxModel.Attribute... attrs) {
        var map = new java.util.LinkedHashMap<String, OnnxModel.Attribute>();
        for (var a : attrs) {
            map.put(a.name(), a);
        }
        return new OnnxModel.Node(name, op, "", in, out, map);
    }

    static OnnxModel model(long opset, List<OnnxModel.Node> nodes, List<OnnxModel.Tensor> inits) {
        return new OnnxModel(8, Map.of("", opset), "test", new OnnxModel.Graph("g", nodes, inits,
                List.of(info("x", -1, 2, 4, 4)), List.of(info("y"))), List.of());
    }

    static String refusal(OnnxModel m) {
        // through the wire format, so the reader and the checks meet
        OnnxModel parsed = OnnxModel.parse("test.onnx", OnnxWriter.toBytes(m));
        return assertThrows(IllegalArgumentException.class, () -> OnnxGraph.of(parsed)).getMessage();
    }

    @Test
    void everyUnsupportedNodeIsReportedAtOnce() {
        String msg = refusal(model(17, List.of(
                node("lrn", "LRN", List.of("x"), List.of("a"), attr("size", 3L)),
                node("cubic", "Resize", List.of("a", "", "s"), List.of("b"), attr("mode", "cubic")),
                node("wrap", "Pad", List.of("b", "p"), List.of("c"), attr("mode", "wrap")),
                node("pool3d", "MaxPool", List.of("c"), List.of("y"), attr("kernel_shape", 2, 2, 2))),
                List.of(OnnxWriter.floats("s", new float[] {1, 1, 2, 2}, 4), OnnxWriter.longs("p", new long[8], 8))));
        assertTrue(msg.contains("4 problem(s)"), msg);
        assertTrue(msg.contains("node 'lrn' (LRN, opset 17): operator LRN is not supported"), msg);
        assertTrue(msg.contains("node 'cubic' (Resize, opset 17): mode 'cubic' is not supported"), msg);
        assertTrue(msg.contains("node 'wrap' (Pad, opset 17): mode 'wrap' is not supported"), msg);
        assertTrue(msg.contains("node 'pool3d' (MaxPool, opset 17): kernel_shape [2, 2, 2] must have 2 values"), msg);
    }

    @Test
    void aCycleIsRefused() {
        String msg = refusal(model(17, List.of(
                node("a", "Add", List.of("x", "c"), List.of("b")),
                node("b", "Relu", List.of("b"), List.of("c")),
                node("c", "Relu", List.of("c"), List.of("y"))), List.of()));
        assertTrue(msg.contains("the graph has a cycle"), msg);
    }

    @Test
    void aMissingInitializerIsNamed() {
        String msg = refusal(model(17, List.of(node("conv", "Conv", List.of("x", "conv.weight"), List.of("y"))), List.of()));
        assertTrue(msg.contains("node 'conv' (Conv, opset 17): input 'conv.weight' is not a graph input, an initializer"
                + " or any node's output"), msg);
    }

    @Test
    void anOpsetOutsideTheRangeIsRefused() {
        String msg = refusal(model(7, List.of(node("r", "Relu", List.of("x"), List.of("y"))), List.of()));
        assertTrue(msg.contains("opset 7 of the default domain; vcnn runs opsets 9 to 18"), msg);
    }

    @Test
    void anInitializerOfAnotherDataTypeIsNamed() {
        var bad = new OnnxModel.Tensor("w16", new long[] {2}, 10, new byte[4], new float[0], new long[0], null, -1, -1);
        String msg = refusal(model(17, List.of(node("m", "Mul", List.of("x", "w16"), List.of("y"))), List.of(bad)));
        assertTrue(msg.contains("initializer 'w16' has data type 10; vcnn reads FLOAT (1) and INT64 (7)"), msg);
    }

    @Test
    void wrongInputsAreNamedWhenItRuns() {
        OnnxGraph g = OnnxGraph.of(model(17, List.of(node("r", "Relu", List.of("x"), List.of("y"))), List.of()));
        var missing = assertThrows(IllegalArgumentException.class, () -> g.run(Map.of()));
        assertTrue(missing.getMessage().contains("graph input 'x' was not given"), missing.getMessage());
        var shape = assertThrows(IllegalArgumentException.class,
                () -> g.forward(Variable.constant(Tensor.zeros(1, 3, 4, 4))));
        assertTrue(shape.getMessage().contains("graph input 'x' must have dims [-1, 2, 4, 4] (-1: any) but has [1, 3, 4, 4]"),
                shape.getMessage());
        assertEquals(List.of(5, 2, 4, 4), java.util.Arrays.stream(g.forward(Variable.constant(Tensor.zeros(5, 2, 4, 4)))
                .shape().toArray()).boxed().toList());
    }

    @Test
    void aNodeThatFailsOnItsShapesIsNamed() {
        OnnxGraph g = OnnxGraph.of(model(17, List.of(node("mm", "MatMul", List.of("x", "w"), List.of("y"))),
                List.of(OnnxWriter.floats("w", new float[6], 3, 2))));
        var e = assertThrows(IllegalArgumentException.class, () -> g.forward(Variable.constant(Tensor.zeros(1, 2, 4, 4))));
        assertTrue(e.getMessage().startsWith("onnx: node 'mm' (MatMul, opset 17) failed on inputs ['x' float[1, 2, 4, 4],"
                + " 'w' float[3, 2]]"), e.getMessage());
    }
}
