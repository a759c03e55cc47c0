package dev.vcnn.models;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vcnn.engine.autograd.Functional;
import dev.vcnn.engine.autograd.Variable;
import dev.vcnn.engine.nn.Module;
import dev.vcnn.engine.optim.Sgd;
import dev.vcnn.engine.tensor.Tensor;
import dev.vcnn.engine.tensor.SplitMix64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * A transfer model trains its new head and, when asked, the backbone's last weight layers, and nothing else:
 * a step moves exactly those parameters.
 */
class TransferModelTest {
    private static Set<String> trainable(Module m) {
        var out = new TreeSet<String>();
        m.namedParameters().forEach((k, v) -> {
            if (v.requiresGrad()) {
                out.add(k);
            }
        });
        return out;
    }

    @Test
    void unfreezingCountsWeightLayersBackFromTheHead() {
        Module lenet = Models.build("lenet5", 1, 28, 10, new SplitMix64(1));
        // lenet5's features: conv (0), conv (3), linear (7), linear (9); the last linear (11) is replaced.
        assertEquals(Set.of("head.weight", "head.bias"), trainable(new TransferModel(lenet, 3, new SplitMix64(2))));
        assertEquals(Set.of("head.weight", "head.bias", "backbone.9.weight", "backbone.9.bias"),
                trainable(new TransferModel(lenet, 3, 1, new SplitMix64(2))));
        assertEquals(Set.of("head.weight", "head.bias", "backbone.7.weight", "backbone.7.bias", "backbone.9.weight",
                "backbone.9.bias"), trainable(new TransferModel(lenet, 3, 2, new SplitMix64(2))));
        assertEquals(10, trainable(new TransferModel(lenet, 3, 4, new SplitMix64(2))).size());
        var e = assertThrows(IllegalArgumentException.class, () -> new TransferModel(lenet, 3, 5, new SplitMix64(2)));
        assertTrue(e.getMessage().contains("4 weight layers") && e.getMessage().contains("was 5"), e.getMessage());
    }

    @Test
    void aStepMovesTheHeadAndTheUnfrozenLayersOnly() {
        Module resnet = Models.build("resnet18", 3, 32, 10, new SplitMix64(1));
        var t = new TransferModel(resnet, 4, 3, new SplitMix64(2));
        t.train();
        Map<String, float[]> before = new java.util.HashMap<>();
        t.stateDict().forEach((k, v) -> before.put(k, v.toArray()));
        var rng = new SplitMix64(3);
        Tensor x = Tensor.zeros(4, 3, 32, 32);
        for (int i = 0; i < x.numel(); i++) {
            x.data()[i] = (float) (rng.nextDouble() * 2 - 1);
        }
        List<Variable> params = t.parameters().stream().filter(Variable::requiresGrad).toList();
        Functional.crossEntropy(t.forward(Variable.constant(x)), new int[] {0, 1, 2, 3}).backward();
        new Sgd(params, 0.1f).step();
        Set<String> moved = new TreeSet<>();
        t.stateDict().forEach((k, v) -> {
            if (!java.util.Arrays.equals(before.get(k), v.toArray())) {
                moved.add(k);
            }
        });
        Set<String> expected = trainable(t);
        assertEquals(Set.of("head.weight", "head.bias", "backbone.layer4.1.bn1.weight", "backbone.layer4.1.bn1.bias",
                "backbone.layer4.1.conv2.weight", "backbone.layer4.1.bn2.weight", "backbone.layer4.1.bn2.bias"), expected);
        assertEquals(expected, moved, "exactly the trainable parameters move; batch norm statistics stay (eval mode)");
        var frozen = t.namedParameters().get("backbone.conv1.weight");
        assertFalse(frozen.requiresGrad());
        assertArrayEquals(before.get("backbone.conv1.weight"), frozen.value().toArray(), 0f);
    }
}
