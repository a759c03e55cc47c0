package dev.vcnn.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vcnn.engine.autograd.Autograd;
import dev.vcnn.engine.autograd.Functional;
import dev.vcnn.engine.autograd.Variable;
import dev.vcnn.engine.io.SafeTensors;
import dev.vcnn.engine.optim.Adam;
import dev.vcnn.engine.tensor.Tensor;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A model exported by PyTorch, imported, trains like a vcnn model: the loss falls on a fixed batch, parameters
 * frozen by name keep their values while the others move, batch norm statistics move in training mode only,
 * and the weights save and load as safetensors under their ONNX names.
 */
class FineTuneTest {
    @TempDir
    Path dir;

    private static OnnxGraph mobilenet() throws Exception {
        return OnnxGraph.read(Path.of(FineTuneTest.class.getResource("torch/mobilenet_v2_torchscript_unfolded/model.onnx").toURI()));
    }

    @Test
    void anImportedModelFineTunesWithItsEarlyLayersFrozen() throws Exception {
        OnnxGraph g = mobilenet();
        Map<String, Variable> params = g.namedParameters();
        String first = params.keySet().iterator().next();
        int frozen = g.freeze(first.substring(0, first.lastIndexOf('.') + 1));
        assertTrue(frozen >= 1, first);
        Tensor firstBefore = params.get(first).value().copy();
        String last = "classifier.1.weight";
        Tensor lastBefore = params.get(last).value().copy();
        String mean = g.namedBuffers().keySet().iterator().next();
        Tensor meanBefore = g.namedBuffers().get(mean).copy();

        Tensor x = ExportTest.random(4, 8, 3, 32, 32);
        int[] labels = {0, 1, 2, 3, 4, 5, 6, 7};
        var opt = Adam.adam(g.parameters().stream().filter(Variable::requiresGrad).toList(), 1e-2f);
        g.train();
        float firstLoss = Float.NaN;
        float lastLoss = Float.NaN;
        for (int step = 0; step < 25; step++) {
            g.zeroGrad();
            Variable loss = Functional.crossEntropy(g.forward(Variable.constant(x)), labels);
            loss.backward();
            opt.step();
            if (step == 0) {
                firstLoss = loss.item();
            }
            lastLoss = loss.item();
        }
        assertTrue(lastLoss < 0.5f * firstLoss, "loss " + firstLoss + " -> " + lastLoss);
        assertArrayEquals(firstBefore.toArray(), params.get(first).value().toArray(), 0f);
        assertNull(params.get(first).grad());
        assertTrue(!java.util.Arrays.equals(lastBefore.toArray(), params.get(last).value().toArray()));
        assertTrue(!java.util.Arrays.equals(meanBefore.toArray(), g.namedBuffers().get(mean).toArray()),
                "running statistics move in training mode");

        g.eval();
        Tensor meanAfter = g.namedBuffers().get(mean).copy();
        Tensor y = Autograd.noGrad(() -> g.forward(Variable.constant(x))).value();
        assertArrayEquals(meanAfter.toArray(), g.namedBuffers().get(mean).toArray(), 0f);

        Path file = dir.resolve("tuned.safetensors");
        SafeTensors.write(file, g.stateDict());
        OnnxGraph fresh = mobilenet();
        fresh.eval();
        fresh.loadStateDict(SafeTensors.read(file), true);
        assertArrayEquals(y.toArray(), Autograd.noGrad(() -> fresh.forward(Variable.constant(x))).value().toArray(), 0f);
        assertEquals(g.stateDict().keySet(), fresh.stateDict().keySet());
    }

    /**
     * An imported graph's weight layers are its nodes that take weights, in the order they run; a transfer model
     * on it with the last two left trainable trains exactly those and its head.
     */
    @Test
    void theLastWeightLayersOfAnImportedBackboneUnfreeze() throws Exception {
        OnnxGraph g = mobilenet();
        java.util.List<java.util.List<Variable>> groups = g.parameterGroups();
        assertEquals(g.parameters().size(), groups.stream().mapToInt(java.util.List::size).sum(), "each parameter once");
        var names = new java.util.IdentityHashMap<Variable, String>();
        g.namedParameters().forEach((k, v) -> names.put(v, k));
        assertEquals(java.util.List.of("classifier.1.weight", "classifier.1.bias"),
                groups.getLast().stream().map(names::get).toList(), "the classifier runs last");
        // The first group is the stem convolution: its weight is the first parameter any node takes.
        assertEquals(4, groups.getFirst().getFirst().shape().rank());

        var t = new dev.vcnn.models.TransferModel(g, 3, 2, new java.util.Random(1));
        var features = t.backbone().parameterGroups();
        var trainable = t.parameters().stream().filter(Variable::requiresGrad).toList();
        var expected = new java.util.ArrayList<Variable>();
        features.subList(features.size() - 2, features.size()).forEach(expected::addAll);
        expected.addAll(t.head().parameters());
        assertEquals(expected.size(), trainable.size());
        assertEquals(new java.util.HashSet<>(expected), new java.util.HashSet<>(trainable),
                "the last two backbone layers and the head");
    }
}
