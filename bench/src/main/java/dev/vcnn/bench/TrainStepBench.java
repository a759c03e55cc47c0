package dev.vcnn.bench;

import dev.vcnn.engine.autograd.Autograd;
import dev.vcnn.engine.autograd.Context;
import dev.vcnn.engine.autograd.Functional;
import dev.vcnn.engine.autograd.Variable;
import dev.vcnn.engine.kernel.Kernels;
import dev.vcnn.engine.nn.Module;
import dev.vcnn.engine.optim.Optimizer;
import dev.vcnn.engine.optim.Sgd;
import dev.vcnn.engine.tensor.SplitMix64;
import dev.vcnn.engine.tensor.Tensor;
import dev.vcnn.models.Models;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * Whole models: one SGD training step (forward, backward, momentum update) at batch 64, and inference
 * at batch 64 and 1, reported as images per second, for LeNet-5 on 1×28×28 images and the CIFAR CNN,
 * VGG11-BN and ResNet-18 on 3×32×32. (No training at batch 1: batch norm needs more than one value per channel,
 * as PyTorch insists too.) Setup checks the model's output against the scalar reference kernels. Run
 * with {@code -prof gc} for the bytes allocated per step ({@code gc.alloc.rate.norm}).
 */
@OutputTimeUnit(TimeUnit.SECONDS)
public class TrainStepBench extends ThreadedBench {
    @Param({"lenet5", "cifar-cnn", "vgg11-bn", "resnet18"})
    public String model;

    @Param({"train-64", "infer-64", "infer-1"})
    public String mode;

    /** Images processed, reported per second. */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    public static class Images {
        public long images;
    }

    private Context context;
    private Module net;
    private Optimizer optimizer;
    private Variable input;
    private int[] labels;
    private int batch;

    @Setup(Level.Trial)
    public void setUp() {
        context = new Context(Kernels.defaults(), openPool());
        var rng = new SplitMix64(1);
        int channels = model.equals("lenet5") ? 1 : 3;
        int size = model.equals("lenet5") ? 28 : 32;
        net = Models.build(model, channels, size, 10, rng);
        optimizer = new Sgd(net.parameters(), 0.01f, 0.9f, 0f, 0f, false);
        batch = mode.endsWith("-1") ? 1 : 64;
        input = Variable.constant(Tensor.uniform(rng, 0, 1, batch, channels, size, size));
        labels = new int[batch];
        for (int i = 0; i < batch; i++) {
            labels[i] = rng.nextInt(10);
        }
        validate();
        if (mode.startsWith("train")) {
            net.train();
        } else {
            net.eval();
        }
    }

    /**
     * The benchmarked kernels' logits against the scalar reference kernels' for the same input, in eval
     * mode. A sanity bound, not a derived one: summation order differs, so logits agree to a few float
     * ulps of the largest activations; 1e-3 of the largest logit catches a wrong kernel, not rounding.
     */
    private void validate() {
        net.eval();
        // The first image only: the scalar reference takes seconds for a VGG batch.
        Tensor x = input.value();
        int per = (int) (x.shape().numel() / batch);
        Variable first = Variable.constant(Tensor.of(java.util.Arrays.copyOfRange(x.data(), x.offset(), x.offset() + per),
                1, x.dim(1), x.dim(2), x.dim(3)));
        float[] fast = context.call(() -> Autograd.noGrad(() -> net.forward(first)).value().toArray());
        float[] ref = new Context(Kernels.scalar(), parallelism).call(() -> Autograd.noGrad(() -> net.forward(first)).value().toArray());
        double scale = 1e-30;
        for (float v : ref) {
            scale = Math.max(scale, Math.abs(v));
        }
        for (int i = 0; i < ref.length; i++) {
            if (!(Math.abs(fast[i] - ref[i]) <= 1e-3 * scale)) {
                throw new IllegalStateException("TrainStepBench " + model + ": logit " + i + " is " + fast[i]
                        + " but the scalar reference gives " + ref[i] + " (largest " + scale + ")");
            }
        }
    }

    @Benchmark
    public float step(Images counter) {
        counter.images += batch;
        if (mode.startsWith("train")) {
            return context.call(() -> {
                optimizer.zeroGrad();
                Variable loss = Functional.crossEntropy(net.forward(input), labels);
                loss.backward();
                optimizer.step();
                return loss.item();
            });
        }
        return context.call(() -> Autograd.noGrad(() -> net.forward(input)).value().data()[0]);
    }
}
