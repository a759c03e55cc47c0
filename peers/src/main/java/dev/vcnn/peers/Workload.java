package dev.vcnn.peers;

import java.util.List;
import java.util.SplittableRandom;

/**
 * A workload both engines run on the same seeded data: a convolution, a max pooling or a linear
 * layer forward, a convolution forward and backward (the {@code -fb} names: input, weight and bias
 * gradients of a gradient of ones, as ConvBench's forwardBackward), one LeNet-5 training step
 * (forward, cross-entropy, backward, SGD with momentum), or LeNet-5 inference on a batch
 * (evaluation mode, no gradients), and the same two for a built-in network of {@code Models}
 * (ResNet-18, MobileNetV2) from the same initial weights on both engines.
 * The shapes are those of {@code bench}'s ConvBench and PoolBench, the MLP's first layer and a VGG
 * classifier layer.
 *
 * @param name the JMH parameter value
 * @param kind what runs
 * @param input the input's shape (N, C, H, W) or (N, features)
 * @param outChannels convolution output channels or linear output features (0 for pooling, training)
 * @param kernel convolution or pooling window (square)
 * @param stride convolution or pooling stride
 * @param padding convolution padding (all four sides)
 * @param model the {@code Models} name of a network workload (null otherwise); its classes are
 *     {@code outChannels}
 */
public record Workload(String name, Kind kind, int[] input, int outChannels, int kernel, int stride, int padding,
                       String model) {
    /** An operator or LeNet-5 workload. */
    public Workload(String name, Kind kind, int[] input, int outChannels, int kernel, int stride, int padding) {
        this(name, kind, input, outChannels, kernel, stride, padding, null);
    }

    /** A training step (cross-entropy, SGD with momentum) or an inference batch of the network {@code model}. */
    static Workload network(String name, boolean training, String model, int[] input, int classes) {
        return new Workload(name, training ? Kind.NET_TRAIN : Kind.NET_INFER, input, classes, 0, 0, 0, model);
    }

    /** What a workload computes. */
    public enum Kind {
        CONV, CONV_BACKWARD, MAX_POOL, LINEAR, LENET5_TRAIN, LENET5_INFER, NET_TRAIN, NET_INFER;

        /** A convolution layer: forward only, or forward and backward. */
        public boolean isConv() {
            return this == CONV || this == CONV_BACKWARD;
        }

        /** A whole LeNet-5 (a training step or an inference batch), measured in images per second. */
        public boolean isLenet5() {
            return this == LENET5_TRAIN || this == LENET5_INFER;
        }

        /** A whole network, LeNet-5 or a {@code Models} one: measured in images per second. */
        public boolean isNetwork() {
            return isLenet5() || this == NET_TRAIN || this == NET_INFER;
        }

        /** A training step, measured on a network in training mode. */
        public boolean isTraining() {
            return this == LENET5_TRAIN || this == NET_TRAIN;
        }
    }

    /** Every workload, in the order of the table. */
    public static final List<Workload> ALL = List.of(
            new Workload("lenet-conv1", Kind.CONV, new int[] {64, 1, 28, 28}, 6, 5, 1, 0),
            new Workload("cifar-conv1", Kind.CONV, new int[] {64, 3, 32, 32}, 32, 3, 1, 1),
            new Workload("vgg-64", Kind.CONV, new int[] {8, 64, 56, 56}, 64, 3, 1, 1),
            new Workload("conv-128", Kind.CONV, new int[] {8, 128, 28, 28}, 128, 3, 1, 1),
            new Workload("lenet-conv1-fb", Kind.CONV_BACKWARD, new int[] {64, 1, 28, 28}, 6, 5, 1, 0),
            new Workload("cifar-conv1-fb", Kind.CONV_BACKWARD, new int[] {64, 3, 32, 32}, 32, 3, 1, 1),
            new Workload("vgg-64-fb", Kind.CONV_BACKWARD, new int[] {8, 64, 56, 56}, 64, 3, 1, 1),
            new Workload("conv-128-fb", Kind.CONV_BACKWARD, new int[] {8, 128, 28, 28}, 128, 3, 1, 1),
            new Workload("maxpool", Kind.MAX_POOL, new int[] {64, 32, 32, 32}, 0, 2, 2, 0),
            new Workload("linear-784-512", Kind.LINEAR, new int[] {64, 784}, 512, 0, 0, 0),
            new Workload("linear-4096", Kind.LINEAR, new int[] {64, 4096}, 4096, 0, 0, 0),
            new Workload("lenet5-train", Kind.LENET5_TRAIN, new int[] {64, 1, 28, 28}, 0, 0, 0, 0),
            new Workload("lenet5-infer", Kind.LENET5_INFER, new int[] {64, 1, 28, 28}, 0, 0, 0, 0),
            network("resnet18-infer-1", false, "resnet18", new int[] {1, 3, 224, 224}, 1000),
            network("resnet18-infer-32", false, "resnet18", new int[] {32, 3, 224, 224}, 1000),
            network("mobilenet_v2-infer-1", false, "mobilenet_v2", new int[] {1, 3, 224, 224}, 1000),
            network("mobilenet_v2-infer-32", false, "mobilenet_v2", new int[] {32, 3, 224, 224}, 1000),
            network("resnet18-train", true, "resnet18", new int[] {64, 3, 32, 32}, 10));

    /**
     * The workload of a name.
     *
     * @throws IllegalArgumentException listing the known names
     */
    public static Workload of(String name) {
        return ALL.stream().filter(w -> w.name.equals(name)).findFirst().orElseThrow(() -> new IllegalArgumentException(
                "workload must be one of " + ALL.stream().map(Workload::name).toList() + " but was '" + name + "'"));
    }

    public int batch() {
        return input[0];
    }

    /** Output height (or width: inputs are square) of a convolution or pooling. */
    public int outSize() {
        return kind.isConv() ? (input[2] + 2 * padding - kernel) / stride + 1 : (input[2] - kernel) / stride + 1;
    }

    public int[] weightShape() {
        return kind.isConv() ? new int[] {outChannels, input[1], kernel, kernel} : new int[] {outChannels, input[1]};
    }

    /**
     * Floating-point operations of one run (2 per multiply-add; a backward counted as twice the
     * forward, as ConvBench counts it), 0 where not meaningful (pooling, training).
     */
    public double flop() {
        return switch (kind) {
            case CONV -> 2.0 * batch() * outChannels * outSize() * outSize() * input[1] * kernel * kernel;
            case CONV_BACKWARD -> 3 * 2.0 * batch() * outChannels * outSize() * outSize() * input[1] * kernel * kernel;
            case LINEAR -> 2.0 * batch() * outChannels * input[1];
            default -> 0;
        };
    }

    /** Multiply-adds per output element (the length of each sum; bias not counted). */
    public int termsPerOutput() {
        return kind.isConv() ? input[1] * kernel * kernel : input[1];
    }

    public float[] inputData() {
        return uniform(11, numel(input));
    }

    public float[] weightData() {
        return uniform(12, numel(weightShape()));
    }

    public float[] biasData() {
        return uniform(13, outChannels);
    }

    /** Class labels of the training batch. */
    public int[] labels() {
        var rng = new SplittableRandom(14);
        int[] y = new int[batch()];
        for (int i = 0; i < y.length; i++) {
            y[i] = rng.nextInt(10);
        }
        return y;
    }

    static int numel(int[] dims) {
        int n = 1;
        for (int d : dims) {
            n *= d;
        }
        return n;
    }

    /** {@code n} floats uniform in [-1, 1). */
    private static float[] uniform(long seed, int n) {
        var rng = new SplittableRandom(seed);
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) rng.nextDouble(-1, 1);
        }
        return x;
    }
}
