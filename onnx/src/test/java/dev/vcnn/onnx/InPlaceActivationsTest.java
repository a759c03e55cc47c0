package dev.vcnn.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.vcnn.engine.autograd.Autograd;
import dev.vcnn.engine.autograd.Functional;
import dev.vcnn.engine.autograd.Variable;
import dev.vcnn.engine.nn.Module;
import dev.vcnn.engine.tensor.Shape;
import dev.vcnn.engine.tensor.Tensor;
import dev.vcnn.models.Models;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Nodes that write over their input change nothing: Relu and Clip over the output of the Conv, BatchNormalization
 * or Add before them, and BatchNormalization (in evaluation without gradients) over its Conv's output. An exported
 * graph gives the same outputs, running statistics and gradients, bit for bit, with them on and off, in
 * evaluation and in training; and exactly the nodes whose input nothing else reads are taken.
 */
class InPlaceActivationsTest {
    @TempDir
    Path dir;

    @ParameterizedTest
    // Every Relu or Clip after a Conv, BatchNormalization or Add, and every BatchNormalization after a Conv.
    @CsvSource({"mobilenet_v2, 87", "resnet18, 37", "cifar-cnn-bn, 6"})
    void inPlaceActivationsGiveTheSameBitsAsNewOutputs(String name, int expectedOverInput) throws Exception {
        Module m = Models.build(name, 3, 32, 10, new java.util.Random(5));
        ExportTest.perturb(m);
        Path file = dir.resolve(name + ".onnx");
        OnnxWriter.write(OnnxExporter.export(m, Shape.of(2, 3, 32, 32), name), file);
        assertEquals(expectedOverInput, OnnxGraph.read(file).activationsOverInputs(), "nodes written over their input");
        List<float[]> on = run(OnnxGraph.read(file), true);
        List<float[]> off = run(OnnxGraph.read(file), false);
        assertEquals(off.size(), on.size());
        for (int i = 0; i < on.size(); i++) {
            assertArrayEquals(off.get(i), on.get(i), name + ": result " + i + " " + labels(OnnxGraph.read(file)).get(i));
        }
    }

    private static List<String> labels(OnnxGraph g) {
        List<String> l = new ArrayList<>(List.of("eval output", "training output"));
        g.namedParameters().keySet().forEach(k -> l.add("gradient of " + k));
        g.stateDict().keySet().forEach(k -> l.add("state " + k));
        return l;
    }

    /** Eval outputs, then one training pass: its outputs, every parameter gradient and every buffer after it. */
    private static List<float[]> run(OnnxGraph g, boolean overInputs) {
        g.activationsOverInputs(overInputs);
        Tensor x = ExportTest.random(11, 3, 3, 32, 32);
        List<float[]> out = new ArrayList<>();
        g.eval();
        out.add(Autograd.noGrad(() -> g.forward(Variable.constant(x))).value().toArray());
        g.train();
        Variable y = g.forward(Variable.constant(x));
        out.add(y.value().toArray());
        Functional.sum(Functional.mul(y, Variable.constant(ExportTest.random(12, y.shape().toArray())))).backward();
        g.parameters().forEach(p -> out.add(p.grad().toArray()));
        g.stateDict().values().forEach(t -> out.add(t.toArray()));
        return out;
    }
}
