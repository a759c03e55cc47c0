package dev.vcnn.models;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vcnn.engine.autograd.Autograd;
import dev.vcnn.engine.autograd.Variable;
import dev.vcnn.engine.nn.Module;
import dev.vcnn.engine.tensor.Shape;
import dev.vcnn.engine.tensor.SplitMix64;
import dev.vcnn.engine.tensor.Tensor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * ResNet-18/34/50 and MobileNetV2 have torchvision's state-dict keys and shapes (the lists in
 * {@code torchvision/}, written by {@code torchvision_keys.py} from torchvision 0.29.1) and its parameter
 * counts, so a torchvision state dict saved as safetensors loads 1:1; and they run at CIFAR and ImageNet sizes.
 */
class ZooTest {
    @ParameterizedTest
    @CsvSource({"resnet18, 11689512", "resnet34, 21797672", "resnet50, 25557032", "mobilenet_v2, 3504872"})
    void keysShapesAndParameterCountsAreTorchvisions(String name, long parameters) throws Exception {
        Module m = Models.build(name, 3, 224, 1000, new SplitMix64(1));
        Map<String, String> expected = new TreeMap<>();
        for (String line : Files.readAllLines(Path.of(ZooTest.class.getResource("torchvision/" + name + ".txt").toURI()))) {
            String[] kv = line.split(" ", -1);
            expected.put(kv[0], kv[1]);
        }
        Map<String, String> actual = new TreeMap<>();
        m.stateDict().forEach((k, t) -> actual.put(k, String.join(",", java.util.Arrays.stream(t.shape().toArray())
                .mapToObj(String::valueOf).toList())));
        assertEquals(expected, actual);
        assertEquals(parameters, m.parameterCount());
    }

    @ParameterizedTest
    @ValueSource(strings = {"resnet18", "resnet50", "mobilenet_v2"})
    void theyRunAtCifarSizeAndPredictTheirOwnShape(String name) {
        Module m = Models.build(name, 3, 32, 10, new SplitMix64(2));
        m.eval();
        Tensor x = Tensor.uniform(new SplitMix64(3), -1, 1, 2, 3, 32, 32);
        Variable y = Autograd.noGrad(() -> m.forward(Variable.constant(x)));
        assertEquals(Shape.of(2, 10), y.shape());
        assertEquals(m.outputShape(Shape.of(2, 3, 32, 32)), y.shape());
        for (float v : y.value().toArray()) {
            assertTrue(Float.isFinite(v));
        }
        Module f = ((Backbone) m).featureExtractor();
        assertEquals(((Backbone) m).featureWidth(), f.outputShape(Shape.of(2, 3, 32, 32)).numel() / 2);
    }
}
