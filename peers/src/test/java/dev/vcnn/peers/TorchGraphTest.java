package dev.vcnn.peers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.vcnn.engine.autograd.Autograd;
import dev.vcnn.engine.autograd.Variable;
import dev.vcnn.engine.nn.Module;
import dev.vcnn.engine.tensor.Shape;
import dev.vcnn.engine.tensor.SplitMix64;
import dev.vcnn.engine.tensor.Tensor;
import dev.vcnn.models.Models;
import dev.vcnn.onnx.OnnxExporter;
import dev.vcnn.onnx.OnnxModel;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/** The PyTorch side of the network rows runs vcnn's exported model to vcnn's own logits. */
class TorchGraphTest {
    @ParameterizedTest
    @ValueSource(strings = {"resnet18", "mobilenet_v2", "cifar-cnn-bn"})
    void anExportedModelGivesVcnnsLogits(String name) {
        System.setProperty("ai.djl.offline", "true");
        Module m = Models.build(name, 3, 32, 10, new SplitMix64(3)).eval();
        Shape shape = Shape.of(2, 3, 32, 32);
        float[] in = new float[(int) shape.numel()];
        var rng = new java.util.SplittableRandom(4);
        for (int i = 0; i < in.length; i++) {
            in[i] = (float) rng.nextDouble(-1, 1);
        }
        float[] ours = Autograd.noGrad(() -> m.forward(Variable.constant(Tensor.of(in, shape.toArray()))).value().toArray());
        NDManager manager = Engine.getEngine("PyTorch").newBaseManager();
        try (TorchGraph g = new TorchGraph(OnnxExporter.export(m, shape, name), manager.newSubManager())) {
            NDArray x = manager.create(in, new ai.djl.ndarray.types.Shape(2, 3, 32, 32));
            float[] theirs = g.forward(x, false).toFloatArray();
            assertEquals(ours.length, theirs.length);
            double largest = 0;
            double diff = 0;
            for (int i = 0; i < ours.length; i++) {
                largest = Math.max(largest, Math.abs(ours[i]));
                diff = Math.max(diff, Math.abs(ours[i] - theirs[i]));
            }
            assertTrue(largest > 0 && diff <= 1e-4 * largest, name + ": largest difference " + diff + " of " + largest);
        } finally {
            manager.close();
        }
    }

    @Test
    void anOperatorItDoesNotRunIsNamedWithItsNode() {
        OnnxModel.Node node = new OnnxModel.Node("up", "Resize", "", List.of("x"), List.of("y"), Map.of());
        OnnxModel model = new OnnxModel(8, Map.of("", 17L), "test", new OnnxModel.Graph("g", List.of(node), List.of(),
                List.of(new OnnxModel.ValueInfo("x", 1, new long[] {1, 1, 2, 2}, List.of())),
                List.of(new OnnxModel.ValueInfo("y", 1, new long[] {1, 1, 4, 4}, List.of()))), List.of());
        NDManager manager = Engine.getEngine("PyTorch").newBaseManager();
        try (TorchGraph g = new TorchGraph(model, manager.newSubManager())) {
            var e = assertThrows(IllegalArgumentException.class, () -> g.forward(manager.zeros(new ai.djl.ndarray.types.Shape(1, 1, 2, 2)), false));
            assertTrue(e.getMessage().contains("'up' (Resize)"), e.getMessage());
        } finally {
            manager.close();
        }
    }
}
