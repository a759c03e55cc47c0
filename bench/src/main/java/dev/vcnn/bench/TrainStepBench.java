package dev.vcnn.bench;

import dev.vcnn.engine.autograd.Autograd;
import dev.vcnn.engine.autograd.Context;
import dev.vcnn.engine.autograd.Functional;
import dev.vcnn.engine.autograd.Variable;
import dev.vcnn.engine.kernel.Kernels;
import dev.vcnn.engine.nn.Sequential;
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
 * LeNet-5 on 1×28×28 images: one SGD training step (forward, backward, momentum update) at batch 64,
 * and inference at batch 64 and 1, reported as images per second. Run with {@code -prof gc} for the
 * bytes allocated per step ({@code gc.alloc.rate.norm}).
 */
@OutputTimeUnit(TimeUnit.SECONDS)
public class TrainStepBench extends ThreadedBench {
    @Param({"train-64", "infer-64", "infer-1"})
    public String mode;

    /** Images processed, reported per second. */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    public static class Images {
        public long images;
    }

    private Context context;
    private Sequential net;
    private Optimizer optimizer;
    private Variable input;
    private int[] labels;
    private int batch;

    @Setup(Level.Trial)
    public void setUp() {
        context = new Context(Kernels.defaults(), openPool());
        var rng = new SplitMix64(1);
        net = Models.lenet5(1, 10, rng);
        optimizer = new Sgd(net.parameters(), 0.01f, 0.9f, 0f, 0f, false);
        batch = mode.endsWith("-1") ? 1 : 64;
        input = Variable.constant(Tensor.uniform(rng, 0, 1, batch, 1, 28, 28));
        labels = new int[batch];
        for (int i = 0; i < batch; i++) {
            labels[i] = rng.nextInt(10);
        }
        if (mode.startsWith("train")) {
            net.train();
        } else {
            net.eval();
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
