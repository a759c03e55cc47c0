package dev.vcnn.engine.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vcnn.engine.autograd.Autograd;
import dev.vcnn.engine.autograd.Context;
import dev.vcnn.engine.autograd.Functional;
import dev.vcnn.engine.autograd.Variable;
import dev.vcnn.engine.io.Checkpoint;
import dev.vcnn.engine.kernel.Kernels;
import dev.vcnn.engine.kernel.Losses.Reduction;
import dev.vcnn.engine.optim.Adam;
import dev.vcnn.engine.optim.Optimizer;
import dev.vcnn.engine.optim.Sgd;
import dev.vcnn.engine.parallel.Parallelism;
import dev.vcnn.engine.tensor.SplitMix64;
import dev.vcnn.engine.tensor.Tensor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Small networks learn, training is reproducible on any thread count, and a checkpoint resumes exactly. */
class TrainingTest {
    @Test
    void mlpLearnsXor() {
        var rng = new SplitMix64(7);
        var net = new Sequential(new Linear(2, 8, rng), new Activation.Tanh(), new Linear(8, 1, rng));
        var opt = Adam.adam(net.parameters(), 0.05f);
        Variable x = Variable.constant(Tensor.of(new float[] {0, 0, 0, 1, 1, 0, 1, 1}, 4, 2));
        Variable y = Variable.constant(Tensor.of(new float[] {0, 1, 1, 0}, 4, 1));
        float loss = Float.NaN;
        for (int step = 0; step < 300; step++) {
            opt.zeroGrad();
            Variable l = Functional.bceWithLogits(net.forward(x), y, Reduction.MEAN);
            loss = l.item();
            l.backward();
            opt.step();
        }
        assertTrue(loss < 0.05f, "final loss " + loss);
        float[] logits = Autograd.noGrad(() -> net.forward(x)).value().toArray();
        assertArrayEquals(new boolean[] {false, true, true, false},
                new boolean[] {logits[0] > 0, logits[1] > 0, logits[2] > 0, logits[3] > 0});
    }

    /** Bars: class 0 a horizontal bar, class 1 a vertical one, at a random place, in noise. */
    private static Tensor bars(SplitMix64 rng, int[] labels, int size) {
        int n = labels.length;
        Tensor x = Tensor.zeros(n, 1, size, size);
        for (int i = 0; i < n; i++) {
            labels[i] = rng.nextInt(2);
            int at = rng.nextInt(size);
            for (int j = 0; j < size * size; j++) {
                int r = j / size;
                int c = j % size;
                boolean on = labels[i] == 0 ? r == at : c == at;
                x.data()[i * size * size + j] = (on ? 1f : 0f) + (float) rng.nextGaussian(0, 0.3);
            }
        }
        return x;
    }

    private static Sequential smallCnn(long seed, int channels, int size) {
        return smallCnn(seed, seed, channels, size);
    }

    private static Sequential smallCnn(long initSeed, long dropoutSeed, int channels, int size) {
        var rng = new SplitMix64(initSeed);
        return new Sequential(new Conv2d(1, channels, 3, 1, 1, rng), new Activation.ReLU(), new MaxPool2d(2),
                new Flatten(), new Dropout(0.2f, dropoutSeed), new Linear(channels * size / 2 * size / 2, 2, rng));
    }

    @Test
    void smallCnnSeparatesHorizontalFromVerticalBars() {
        Sequential net = smallCnn(3, 4, 8);
        Optimizer opt = new Sgd(net.parameters(), 0.05f, 0.9f, 0f, 0f, false);
        var data = new SplitMix64(11);
        for (int step = 0; step < 80; step++) {
            int[] labels = new int[32];
            Tensor x = bars(data, labels, 8);
            opt.zeroGrad();
            Functional.crossEntropy(net.forward(Variable.constant(x)), labels).backward();
            opt.step();
        }
        net.eval();
        int[] labels = new int[400];
        Tensor test = bars(new SplitMix64(99), labels, 8);
        float[] logits = Autograd.noGrad(() -> net.forward(Variable.constant(test))).value().toArray();
        int correct = 0;
        for (int i = 0; i < labels.length; i++) {
            int predicted = logits[2 * i + 1] > logits[2 * i] ? 1 : 0;
            correct += predicted == labels[i] ? 1 : 0;
        }
        assertTrue(correct >= 380, "accuracy " + correct + "/400");
    }

    /** Trains the bars CNN for {@code steps} steps on a context and returns (losses, final state). */
    private static List<float[]> train(Context ctx, int steps) {
        return ctx.call(() -> {
            Sequential net = smallCnn(5, 16, 16);
            Optimizer opt = Adam.adamW(net.parameters(), 1e-3f);
            var data = new SplitMix64(13);
            float[] losses = new float[steps];
            for (int step = 0; step < steps; step++) {
                int[] labels = new int[64];
                Tensor x = bars(data, labels, 16);
                opt.zeroGrad();
                Variable loss = Functional.crossEntropy(net.forward(Variable.constant(x)), labels);
                losses[step] = loss.item();
                loss.backward();
                opt.step();
            }
            List<float[]> out = new ArrayList<>();
            out.add(losses);
            net.stateDict().values().forEach(t -> out.add(t.toArray()));
            return out;
        });
    }

    /**
     * Gradient buffers are recycled from one backward pass to the next on a thread: after a pass whose
     * gradients are all NaN, a clean pass must give exactly what it gives on a fresh thread.
     */
    @Test
    void recycledGradientBuffersNeverLeakIntoTheNextPass() throws InterruptedException {
        List<float[]> fresh = new ArrayList<>();
        Thread other = new Thread(() -> fresh.addAll(gradientsOf(false)));
        other.start();
        other.join();
        gradientsOf(true);
        List<float[]> after = gradientsOf(false);
        assertEquals(fresh.size(), after.size());
        for (int i = 0; i < fresh.size(); i++) {
            assertArrayEquals(fresh.get(i), after.get(i), "gradient of parameter " + i);
        }
    }

    private static List<float[]> gradientsOf(boolean poisoned) {
        Sequential net = smallCnn(9, 4, 8);
        int[] labels = new int[8];
        Tensor x = bars(new SplitMix64(23), labels, 8);
        if (poisoned) {
            java.util.Arrays.fill(x.data(), Float.NaN);
        }
        Functional.crossEntropy(net.forward(Variable.constant(x)), labels).backward();
        return net.parameters().stream().map(p -> p.grad().toArray()).toList();
    }

    /** Sequential runs a Conv2d and the ReLU after it as one op: training must match the layers run one by one, bit for bit. */
    @Test
    void fusedConvolutionAndReluTrainAsTheLayersApart() {
        List<float[]> fused = trainLayerByLayer(true);
        List<float[]> apart = trainLayerByLayer(false);
        for (int i = 0; i < fused.size(); i++) {
            assertArrayEquals(apart.get(i), fused.get(i), i == 0 ? "losses" : "state tensor " + i);
        }
    }

    /**
     * The fusion pass pairs a convolution with the ReLU right after it, and a batch norm with the ReLU or ReLU6
     * right after it, and nothing else.
     */
    @Test
    void fusionPassPairsConvolutionsAndBatchNormsWithTheActivationAfterThem() {
        var rng = new SplitMix64(1);
        var net = new Sequential(new Conv2d(1, 2, 3, 1, 1, rng), new Activation.ReLU(), new MaxPool2d(2),
                new Conv2d(2, 2, 3, 1, 1, rng), new Activation.ReLU(), new Activation.ReLU(),
                new Conv2d(2, 2, 3, 1, 1, rng), new Activation.Sigmoid(), new Conv2d(2, 2, 3, 1, 1, rng),
                BatchNorm.batchNorm2d(2), new Activation.ReLU6(), new Conv2d(2, 2, 3, 1, 1, rng), new Activation.ReLU6(),
                BatchNorm.batchNorm2d(2), new Activation.Sigmoid(), BatchNorm.batchNorm2d(2), new Activation.ReLU());
        boolean[] expected = {true, false, false, true, false, false, false, false, false,
            true, false, false, false, false, false, true, false};
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], net.fusedWithNext(i), "layer " + i);
        }
    }

    /**
     * Batch norm with the ReLU or ReLU6 after it, fused, trains and evaluates as the layers run one by one, bit
     * for bit: losses, every weight and running statistic, and the outputs in eval mode with and without a
     * gradient through them.
     */
    @Test
    void fusedBatchNormAndActivationsTrainAsTheLayersApart() {
        List<float[]> fused = trainLayerByLayer(true, TrainingTest::batchNormCnn);
        List<float[]> apart = trainLayerByLayer(false, TrainingTest::batchNormCnn);
        for (int i = 0; i < fused.size(); i++) {
            assertArrayEquals(apart.get(i), fused.get(i), i == 0 ? "losses" : "state tensor or output " + i);
        }
    }

    /** A ReLU written over a residual sum (as ResNet's blocks end) gives the ReLU's values and gradients, bit for bit. */
    @Test
    void reluOverAResidualSumIsTheReluOfIt() {
        List<List<float[]>> runs = new ArrayList<>();
        for (boolean over : new boolean[] {false, true}) {
            var rng = new SplitMix64(31);
            Variable a = Variable.parameter(Tensor.uniform(rng, -1, 1, 2, 3, 5, 5));
            Variable b = Variable.parameter(Tensor.uniform(rng, -1, 1, 2, 3, 5, 5));
            Tensor upstream = Tensor.uniform(rng, -1, 1, 2, 3, 5, 5);
            Variable sum = Functional.add(a, b);
            Variable y = over ? Functional.reluOver(sum) : Functional.relu(sum);
            y.backward(upstream, false);
            runs.add(List.of(y.value().toArray(), a.grad().toArray(), b.grad().toArray()));
        }
        for (int i = 0; i < 3; i++) {
            assertArrayEquals(runs.get(0).get(i), runs.get(1).get(i), new String[] {"output", "grad a", "grad b"}[i]);
        }
        assertTrue(java.util.stream.IntStream.range(0, runs.get(0).get(0).length).anyMatch(i -> runs.get(0).get(0)[i] == 0f)
                && java.util.stream.IntStream.range(0, runs.get(0).get(0).length).anyMatch(i -> runs.get(0).get(0)[i] > 0f),
                "the case reaches both sides of the kink");
    }

    private static Sequential batchNormCnn() {
        var rng = new SplitMix64(23);
        var net = new Sequential(new Conv2d(1, 4, 3, 1, 1, rng), BatchNorm.batchNorm2d(4), new Activation.ReLU(),
                new MaxPool2d(2), new Conv2d(4, 4, 3, 1, 1, rng), BatchNorm.batchNorm2d(4), new Activation.ReLU6(),
                new Flatten(), new Linear(4 * 6 * 6, 8, rng), BatchNorm.batchNorm1d(8), new Activation.ReLU6(),
                new Linear(8, 2, rng));
        // γ = 5 before the first ReLU6, so that its features pass both bounds of the clamp.
        java.util.Arrays.fill(net.stateDict().get("5.weight").data(), 5f);
        return net;
    }

    private static List<float[]> trainLayerByLayer(boolean asSequential) {
        return trainLayerByLayer(asSequential, () -> smallCnn(5, 6, 12));
    }

    private static List<float[]> trainLayerByLayer(boolean asSequential, java.util.function.Supplier<Sequential> make) {
        Sequential net = make.get();
        assertTrue(net.fusedWithNext(0) || net.fusedWithNext(1), "the case is there to run a fused pair");
        Optimizer opt = new Sgd(net.parameters(), 0.05f, 0.9f, 0f, 0f, false);
        var data = new SplitMix64(17);
        float[] losses = new float[4];
        for (int step = 0; step < losses.length; step++) {
            int[] labels = new int[16];
            Variable out = Variable.constant(bars(data, labels, 12));
            if (asSequential) {
                out = net.forward(out);
            } else {
                for (Module m : net.layers()) {
                    out = m.forward(out);
                }
            }
            opt.zeroGrad();
            Variable loss = Functional.crossEntropy(out, labels);
            losses[step] = loss.item();
            loss.backward();
            opt.step();
        }
        List<float[]> result = new ArrayList<>();
        result.add(losses);
        net.stateDict().values().forEach(t -> result.add(t.toArray()));
        net.eval();
        int[] labels = new int[16];
        Variable x = Variable.constant(bars(data, labels, 12));
        result.add(Autograd.noGrad(() -> run(net, x, asSequential)).value().toArray());
        opt.zeroGrad();
        Functional.crossEntropy(run(net, x, asSequential), labels).backward();
        net.parameters().forEach(p -> result.add(p.grad().toArray()));
        return result;
    }

    private static Variable run(Sequential net, Variable x, boolean asSequential) {
        if (asSequential) {
            return net.forward(x);
        }
        Variable out = x;
        for (Module m : net.layers()) {
            out = m.forward(out);
        }
        return out;
    }

    @Test
    void sameSeedGivesBitIdenticalTrainingOnOneAndTwoThreads() {
        try (var one = Parallelism.of(1); var two = Parallelism.of(2)) {
            List<float[]> a = train(new Context(Kernels.defaults(), one), 6);
            List<float[]> b = train(new Context(Kernels.defaults(), two), 6);
            assertEquals(a.size(), b.size());
            for (int i = 0; i < a.size(); i++) {
                assertArrayEquals(a.get(i), b.get(i), i == 0 ? "losses" : "state tensor " + i);
            }
        }
    }

    @Test
    void resumingFromACheckpointGivesTheSameStepsAsNotStopping(@TempDir Path dir) throws Exception {
        float[] straight = resumable(null, 0, 10, 5);
        Path file = dir.resolve("ckpt.safetensors");
        resumable(file, 0, 5, 0);
        float[] resumed = resumable(file, 5, 10, 5);
        assertArrayEquals(straight, resumed, "weights and losses of steps 5..9");
        try (var files = Files.list(dir)) {
            assertTrue(files.allMatch(p -> p.equals(file)), "no temporary files are left behind");
        }
    }

    /**
     * Runs steps [from, to) of a seeded Adam run with dropout, resuming from {@code file} when from > 0
     * and saving to it at the end when from = 0; returns the final weights and the losses of steps from
     * {@code report} on.
     */
    private static float[] resumable(Path file, int from, int to, int report) throws Exception {
        Sequential net = smallCnn(from == 0 ? 21 : 999, 21, 4, 8); // a resumed run starts from other weights
        Optimizer opt = Adam.adam(net.parameters(), 0.01f);
        Dropout dropout = (Dropout) net.get(4);
        var data = new SplitMix64(17);
        if (from > 0) {
            Checkpoint c = Checkpoint.read(file);
            net.loadStateDict(c.model(), true);
            opt.loadStateDict(c.optimizer());
            data = new SplitMix64(Long.parseLong(c.metadata().get("data_rng")));
            dropout.calls(Long.parseLong(c.metadata().get("dropout_calls")));
            assertEquals(String.valueOf(from), c.metadata().get("step"));
        }
        List<Float> losses = new ArrayList<>();
        for (int step = from; step < to; step++) {
            int[] labels = new int[16];
            Tensor x = bars(data, labels, 8);
            opt.zeroGrad();
            Variable loss = Functional.crossEntropy(net.forward(Variable.constant(x)), labels);
            if (step >= report) {
                losses.add(loss.item());
            }
            loss.backward();
            opt.step();
        }
        if (file != null && from == 0) {
            new Checkpoint(net.stateDict(), opt.stateDict(), Map.of("step", String.valueOf(to),
                    "data_rng", String.valueOf(data.state()), "dropout_calls", String.valueOf(dropout.calls()))).write(file);
        }
        float[] w = net.stateDict().get("5.weight").toArray();
        float[] out = java.util.Arrays.copyOf(w, w.length + losses.size());
        for (int i = 0; i < losses.size(); i++) {
            out[w.length + i] = losses.get(i);
        }
        return out;
    }
}
