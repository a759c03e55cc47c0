package dev.vcnn.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vcnn.engine.autograd.Autograd;
import dev.vcnn.engine.autograd.Variable;
import dev.vcnn.engine.nn.BatchNorm;
import dev.vcnn.engine.nn.Module;
import dev.vcnn.engine.tensor.Shape;
import dev.vcnn.engine.tensor.Tensor;
import dev.vcnn.models.Models;
import dev.vcnn.models.TransferModel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * A model exported to ONNX and imported back computes what the model computes: every built-in architecture
 * (with batch norm statistics and weights that are not their initial values), a transfer model, and an imported
 * graph after a step of fine-tuning. The exported file is written to disk and parsed back, so the writer and
 * the reader meet.
 */
class ExportTest {
    @TempDir
    Path dir;

    static Tensor random(long seed, int... dims) {
        var rng = new SplittableRandom(seed);
        Tensor t = Tensor.zeros(dims);
        for (int i = 0; i < t.numel(); i++) {
            t.data()[i] = (float) (rng.nextDouble() * 2 - 1);
        }
        return t;
    }

    /** Batch norm statistics and affine parameters moved off their defaults, so that a swapped input shows. */
    static void perturb(Module m) {
        var rng = new SplittableRandom(3);
        for (Module sub : m.namedModules().values()) {
            if (sub instanceof BatchNorm b) {
                for (int i = 0; i < b.runningMean().numel(); i++) {
                    b.runningMean().data()[i] = (float) (rng.nextDouble() - 0.5);
                    b.runningVar().data()[i] = (float) (0.5 + rng.nextDouble());
                    b.weight().value().data()[i] = (float) (0.5 + rng.nextDouble());
                    b.bias().value().data()[i] = (float) (rng.nextDouble() - 0.5);
                }
            }
        }
    }

    private OnnxGraph roundTrip(Module m, Shape input) throws Exception {
        OnnxModel model = OnnxExporter.export(m, input, "test");
        Path file = dir.resolve("model.onnx");
        OnnxWriter.write(model, file);
        return OnnxGraph.read(file);
    }

    static void assertSame(Tensor expected, Tensor actual, double tol) {
        assertEquals(expected.shape(), actual.shape());
        double scale = 1;
        double worst = 0;
        for (int i = 0; i < expected.numel(); i++) {
            scale = Math.max(scale, Math.abs(expected.data()[expected.offset() + i]));
            worst = Math.max(worst, Math.abs(expected.data()[expected.offset() + i] - actual.data()[actual.offset() + i]));
        }
        assertTrue(worst <= tol * scale, "largest difference " + worst + " against " + tol * scale);
    }

    @ParameterizedTest
    @CsvSource({"mlp, 1, 28", "lenet5, 1, 28", "lenet5, 1, 32", "cifar-cnn, 3, 32", "cifar-cnn-bn, 3, 32",
            "vgg11-bn, 3, 32", "linear-ae, 1, 28", "conv-ae, 1, 28", "resnet18, 3, 32", "resnet50, 3, 32",
            "mobilenet_v2, 3, 32"})
    void everyBuiltInModelRoundTrips(String name, int channels, int size) throws Exception {
        Module m = Models.build(name, channels, size, 10, new java.util.Random(5));
        perturb(m);
        m.eval();
        OnnxGraph g = roundTrip(m, Shape.of(2, channels, size, size));
        g.eval();
        Tensor x = random(11, 3, channels, size, size); // another batch than the one exported with
        Tensor expected = Autograd.noGrad(() -> m.forward(Variable.constant(x))).value();
        Tensor actual = Autograd.noGrad(() -> g.forward(Variable.constant(x))).value();
        assertSame(expected, actual, 1e-6);
        assertEquals(m.parameterCount(), g.parameterCount());
    }

    @ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(strings = {"cifar-cnn-bn", "resnet18", "mobilenet_v2"})
    void aTransferModelRoundTrips(String name) throws Exception {
        Module backbone = Models.build(name, 3, 32, 10, new java.util.Random(5));
        perturb(backbone);
        Module t = new TransferModel(backbone, 4, new java.util.Random(6)).eval();
        OnnxGraph g = roundTrip(t, Shape.of(1, 3, 32, 32));
        g.eval();
        Tensor x = random(12, 2, 3, 32, 32);
        assertSame(Autograd.noGrad(() -> t.forward(Variable.constant(x))).value(),
                Autograd.noGrad(() -> g.forward(Variable.constant(x))).value(), 1e-6);
    }

    /** Import, train a step (weights and batch norm statistics change), export, import: the same function. */
    @Test
    void anImportedGraphExportsWithItsFineTunedWeights() throws Exception {
        Path src = Path.of(ExportTest.class.getResource("torch/mobilenet_v2_torchscript_unfolded/model.onnx").toURI());
        OnnxGraph g = OnnxGraph.read(src);
        Map<String, Tensor> before = Map.copyOf(copies(g.stateDict()));
        g.train();
        Variable loss = dev.vcnn.engine.autograd.Functional.mean(g.forward(Variable.constant(random(1, 4, 3, 32, 32))));
        loss.backward();
        new dev.vcnn.engine.optim.Sgd(g.parameters(), 0.5f).step();
        long changed = g.stateDict().entrySet().stream()
                .filter(e -> !java.util.Arrays.equals(e.getValue().toArray(), before.get(e.getKey()).toArray())).count();
        assertTrue(changed > g.parameters().size(), "parameters and statistics changed: " + changed);
        g.eval();
        OnnxGraph back = roundTrip(g, Shape.of(1, 3, 32, 32));
        back.eval();
        Tensor x = random(2, 2, 3, 32, 32);
        assertSame(Autograd.noGrad(() -> g.forward(Variable.constant(x))).value(),
                Autograd.noGrad(() -> back.forward(Variable.constant(x))).value(), 1e-6);
        assertEquals(g.stateDict().keySet(), back.stateDict().keySet());
    }

    private static Map<String, Tensor> copies(Map<String, Tensor> state) {
        var out = new java.util.HashMap<String, Tensor>();
        state.forEach((k, v) -> out.put(k, v.copy()));
        return out;
    }

    @Test
    void aLayerWithoutAnOnnxFormIsNamed() {
        Module odd = new Module() {
            @Override
            public Variable forward(Variable input) {
                return input;
            }

            @Override
            public Shape outputShape(Shape input) {
                return input;
            }

            @Override
            public String typeName() {
                return "Odd";
            }
        };
        var e = assertThrows(IllegalArgumentException.class,
                () -> OnnxExporter.export(new dev.vcnn.engine.nn.Sequential(new dev.vcnn.engine.nn.Flatten(), odd),
                        Shape.of(1, 4), "odd"));
        assertTrue(e.getMessage().contains("layer '1' (Odd) has no ONNX form"), e.getMessage());
    }

}
