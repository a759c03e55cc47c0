package dev.vcnn.peers;

import dev.vcnn.engine.autograd.Autograd;
import dev.vcnn.engine.autograd.Context;
import dev.vcnn.engine.autograd.Functional;
import dev.vcnn.engine.autograd.Variable;
import dev.vcnn.engine.kernel.Kernels;
import dev.vcnn.engine.nn.Module;
import dev.vcnn.engine.optim.Optimizer;
import dev.vcnn.engine.optim.Sgd;
import dev.vcnn.engine.parallel.Parallelism;
import dev.vcnn.engine.tensor.SplitMix64;
import dev.vcnn.engine.tensor.Tensor;
import dev.vcnn.models.Models;

/**
 * A workload on vcnn, through the same public API a user calls: {@code Functional} operators (a new
 * output tensor per call, as in PyTorch) and {@code Models} networks (LeNet-5, ResNet-18, MobileNetV2) with
 * {@code Sgd}.
 */
final class VcnnRunner implements Runner {
    private final Workload w;
    private final Parallelism parallelism;
    private final Context context;
    private final Variable x;
    private final Variable weight;
    private final Variable bias;
    private final Module net;
    private final Optimizer optimizer;
    private final int[] labels;
    private final Tensor ones;

    /**
     * @param kernels {@code Kernels.defaults()} to measure, {@code Kernels.scalar()} for the reference
     * @param absolute run on |input|, |weight| and |bias| instead: the sum of |terms| of each output,
     *     which the rounding-error bound of a convolution or linear layer is proportional to
     */
    VcnnRunner(Workload w, int threads, Kernels kernels, boolean absolute) {
        this.w = w;
        this.parallelism = Parallelism.of(threads);
        this.context = new Context(kernels, parallelism);
        int[] in = w.input();
        // A backward workload computes all three gradients, as ConvBench's forwardBackward does; they
        // accumulate from run to run, as in PyTorch without zero_grad (the same on both engines).
        boolean backward = w.kind() == Workload.Kind.CONV_BACKWARD;
        x = leaf(Tensor.of(abs(w.inputData(), absolute), in), backward);
        if (w.kind().isConv() || w.kind() == Workload.Kind.LINEAR) {
            weight = leaf(Tensor.of(abs(w.weightData(), absolute), w.weightShape()), backward);
            bias = leaf(Tensor.of(abs(w.biasData(), absolute), w.outChannels()), backward);
        } else {
            weight = null;
            bias = null;
        }
        ones = backward ? Tensor.ones(w.batch(), w.outChannels(), w.outSize(), w.outSize()) : null;
        net = w.kind().isLenet5() ? lenet5() : w.model() != null ? network(w) : null;
        if (w.kind().isTraining()) {
            optimizer = new Sgd(net.parameters(), 0.01f, 0.9f, 0f, 0f, false);
            labels = w.labels();
        } else {
            optimizer = null;
            labels = null;
        }
        if (w.kind() == Workload.Kind.LENET5_INFER || w.kind() == Workload.Kind.NET_INFER) {
            net.eval();
        }
    }

    /** The LeNet-5 both engines train, with vcnn's (PyTorch's default) initialisation from a fixed seed. */
    static Module lenet5() {
        return Models.build("lenet5", 1, 28, 10, new SplitMix64(21));
    }

    /** A network workload's model, with its initialisation from a fixed seed: both engines start from it. */
    static Module network(Workload w) {
        return Models.build(w.model(), w.input()[1], w.input()[2], w.outChannels(), new SplitMix64(21));
    }

    @Override
    public Object run() {
        return context.call(() -> switch (w.kind()) {
            case CONV -> Autograd.noGrad(this::conv);
            case CONV_BACKWARD -> {
                Variable y = conv();
                y.backward(ones, false);
                yield y;
            }
            case MAX_POOL -> Autograd.noGrad(() -> Functional.maxPool2d(x, w.kernel(), w.stride(), 0));
            case LINEAR -> Autograd.noGrad(() -> Functional.linear(x, weight, bias));
            case LENET5_TRAIN, NET_TRAIN -> {
                optimizer.zeroGrad();
                Variable loss = Functional.crossEntropy(net.forward(x), labels);
                loss.backward();
                optimizer.step();
                yield loss.item();
            }
            case LENET5_INFER, NET_INFER -> Autograd.noGrad(() -> net.forward(x));
        });
    }

    @Override
    public float[] output() {
        if (w.kind() == Workload.Kind.CONV_BACKWARD) { // the forward's output; the backward is not checked
            return context.call(() -> Autograd.noGrad(this::conv)).value().toArray();
        }
        if (net == null) {
            return ((Variable) run()).value().toArray();
        }
        boolean training = w.kind().isTraining();
        net.eval();
        float[] logits = context.call(() -> Autograd.noGrad(() -> net.forward(x)).value().toArray());
        if (training) {
            net.train();
        }
        return logits;
    }

    private Variable conv() {
        return Functional.conv2d(x, weight, bias, w.stride(), w.padding());
    }

    @Override
    public void close() {
        parallelism.close();
    }

    private static Variable leaf(Tensor value, boolean requiresGrad) {
        return requiresGrad ? Variable.parameter(value) : Variable.constant(value);
    }

    private static float[] abs(float[] a, boolean absolute) {
        if (absolute) {
            for (int i = 0; i < a.length; i++) {
                a[i] = Math.abs(a[i]);
            }
        }
        return a;
    }
}
