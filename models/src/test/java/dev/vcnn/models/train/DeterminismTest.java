package dev.vcnn.models.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vcnn.engine.autograd.Context;
import dev.vcnn.engine.autograd.Functional;
import dev.vcnn.engine.autograd.Variable;
import dev.vcnn.engine.kernel.Kernels;
import dev.vcnn.engine.kernel.WinogradBound;
import dev.vcnn.engine.nn.BatchNorm;
import dev.vcnn.engine.nn.Conv2d;
import dev.vcnn.engine.nn.Dropout;
import dev.vcnn.engine.nn.Module;
import dev.vcnn.engine.optim.Sgd;
import dev.vcnn.engine.parallel.Parallelism;
import dev.vcnn.engine.tensor.Shape;
import dev.vcnn.engine.tensor.SplitMix64;
import dev.vcnn.engine.tensor.Tensor;
import dev.vcnn.models.Models;
import dev.vcnn.models.data.Augment;
import dev.vcnn.models.data.DataLoader;
import dev.vcnn.models.data.Dataset;
import dev.vcnn.models.data.Synthetic;
import java.util.Iterator;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Training is bit-identical on 1, 2 and 3 threads end to end: cifar-cnn-bn (batch norm, two dropout
 * layers, a 16→32 layer that Winograd's algorithm may run) on augmented batches, SGD with Nesterov
 * momentum and weight decay, and every thread count really splits its work.
 */
class DeterminismTest {
    private static Map<String, Tensor> train(int threads, long[] split) {
        Dataset data = Synthetic.generate("train", 11, 0, 96, 3, 32);
        Module model = Models.build("cifar-cnn-bn", 3, 32, 10, new SplitMix64(4));
        var opt = new Sgd(model.parameters(), 0.05f, 0.9f, 0f, 5e-4f, true);
        float[][] stats = DataLoader.channelStats(data);
        try (var p = Parallelism.of(threads);
             var loader = new DataLoader(data, 32, true, 7, stats[0], stats[1], new Augment(true, 4, 0, 0))) {
            new Context(Kernels.defaults(), p).run(() -> {
                model.train();
                for (int epoch = 0; epoch < 2; epoch++) {
                    for (Iterator<DataLoader.Batch> it = loader.epoch(epoch); it.hasNext(); ) {
                        DataLoader.Batch b = it.next();
                        opt.zeroGrad();
                        Variable loss = Functional.crossEntropy(model.forward(Variable.constant(b.images())), b.labels());
                        loss.backward();
                        opt.step();
                    }
                }
            });
            split[0] = p.splitChunks();
        }
        return model.stateDict();
    }

    @Test
    void aCnnWithBatchNormDropoutAndAugmentationTrainsToTheSameBitsOnOneTwoAndThreeThreads() {
        Module probe = Models.build("cifar-cnn-bn", 3, 32, 10, new SplitMix64(4));
        assertTrue(probe.namedModules().values().stream().anyMatch(m -> m instanceof BatchNorm));
        assertEquals(2, probe.namedModules().values().stream().filter(m -> m instanceof Dropout).count());
        Conv2d second = (Conv2d) probe.namedModules().get("4");
        assertTrue(WinogradBound.allowed(second.geometry(Shape.of(32, 16, 16, 16))), "conv2 is a Winograd-shaped layer");

        long[] split = new long[1];
        Map<String, Tensor> one = train(1, split);
        assertEquals(0, split[0]);
        for (int threads = 2; threads <= 3; threads++) {
            Map<String, Tensor> many = train(threads, split);
            assertTrue(split[0] > 100, threads + " threads split only " + split[0] + " chunks");
            assertEquals(one.keySet(), many.keySet());
            for (String k : one.keySet()) {
                assertArrayEquals(one.get(k).toArray(), many.get(k).toArray(), k + " on " + threads + " threads");
            }
        }
    }
}
