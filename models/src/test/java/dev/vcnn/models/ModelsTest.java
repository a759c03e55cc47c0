package dev.vcnn.models;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vcnn.engine.autograd.Autograd;
import dev.vcnn.engine.autograd.Variable;
import dev.vcnn.engine.nn.Module;
import dev.vcnn.engine.tensor.Shape;
import dev.vcnn.engine.tensor.SplitMix64;
import dev.vcnn.engine.tensor.Tensor;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Every model builds, predicts the shape it produces, and VGG uses torchvision's keys. */
class ModelsTest {
    @Test
    void everyModelsOutputShapeMatchesItsForwardPass() {
        for (Models.Spec spec : Models.SPECS) {
            if (spec.name().equals(Models.IMPORTED)) {
                var e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                        () -> Models.build(Models.IMPORTED, 3, 32, 10, new SplitMix64(1)));
                assertTrue(e.getMessage().contains("vcnn onnx import"), e.getMessage());
                continue;
            }
            boolean colour = spec.name().startsWith("vgg") || spec.name().startsWith("cifar-cnn");
            int c = colour ? 3 : 1;
            int s = colour ? 32 : 28;
            Module m = Models.build(spec.name(), c, s, 10, new SplitMix64(1));
            m.eval();
            Shape in = Shape.of(2, c, s, s);
            Variable y = Autograd.noGrad(() -> m.forward(Variable.constant(Tensor.uniform(new SplitMix64(2), 0, 1, 2, c, s, s))));
            assertEquals(m.outputShape(in), y.shape(), spec.name());
            assertEquals(spec.task() == Models.Task.CLASSIFY ? Shape.of(2, 10) : in, y.shape(), spec.name());
            assertTrue(m.forwardMacs(in) > 0, spec.name());
        }
    }

    @Test
    void vgg16BnFeatureKeysFollowTorchvision() {
        Module m = Models.build("vgg16-bn", 3, 32, 10, new SplitMix64(1));
        var keys = m.stateDict().keySet();
        // torchvision's vgg16_bn: conv at features.0, bn at features.1, ReLU at 2, next conv at 3, pool at 6, …, last conv at 40.
        for (String k : List.of("features.0.weight", "features.1.running_var", "features.3.weight", "features.7.weight",
                "features.40.weight", "features.41.num_batches_tracked", "classifier.0.weight")) {
            assertTrue(keys.contains(k), k + " missing from " + keys);
        }
        // torchvision's vgg16_bn features hold 14,723,136 parameters; the CIFAR head adds 512·10 + 10.
        assertEquals(14_723_136 + 512 * 10 + 10, m.parameterCount());
    }
}
