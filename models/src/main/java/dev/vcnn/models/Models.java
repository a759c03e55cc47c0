package dev.vcnn.models;

import dev.vcnn.engine.autograd.Variable;
import dev.vcnn.engine.nn.Activation;
import dev.vcnn.engine.nn.Conv2d;
import dev.vcnn.engine.nn.Dropout;
import dev.vcnn.engine.nn.Flatten;
import dev.vcnn.engine.nn.Linear;
import dev.vcnn.engine.nn.MaxPool2d;
import dev.vcnn.engine.nn.Module;
import dev.vcnn.engine.nn.Sequential;
import dev.vcnn.engine.nn.init.Init;
import dev.vcnn.engine.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.random.RandomGenerator;

/** The classic architectures, built from seeded generators so that a seed fixes every weight. */
public final class Models {
    private Models() {}

    /** What a model learns: class scores, or a reconstruction of its input. */
    public enum Task { CLASSIFY, RECONSTRUCT }

    /** A model name the command line accepts, with what it expects and how it trains by default. */
    public record Spec(String name, Task task, String description) {}

    /** Every model by name. */
    public static final List<Spec> SPECS = List.of(
            new Spec("mlp", Task.CLASSIFY, "784-512-256-10 perceptron with dropout 0.2"),
            new Spec("lenet5", Task.CLASSIFY, "LeNet-5: two 5x5 convolutions, three linear layers"),
            new Spec("cifar-cnn", Task.CLASSIFY, "three 3x3 conv blocks 16-32-64 with max pooling, dropout, two linear layers"),
            new Spec("cifar-cnn-bn", Task.CLASSIFY, "cifar-cnn with batch norm after each convolution"),
            new Spec("vgg11", Task.CLASSIFY, "VGG11 (torchvision layout)"),
            new Spec("vgg11-bn", Task.CLASSIFY, "VGG11 with batch norm"),
            new Spec("vgg16", Task.CLASSIFY, "VGG16 (torchvision layout)"),
            new Spec("vgg16-bn", Task.CLASSIFY, "VGG16 with batch norm"),
            new Spec("resnet18", Task.CLASSIFY, "ResNet-18 (torchvision layout): basic blocks 2-2-2-2"),
            new Spec("resnet34", Task.CLASSIFY, "ResNet-34 (torchvision layout): basic blocks 3-4-6-3"),
            new Spec("resnet50", Task.CLASSIFY, "ResNet-50 (torchvision layout): bottleneck blocks 3-4-6-3"),
            new Spec("mobilenet_v2", Task.CLASSIFY, "MobileNetV2 (torchvision layout): inverted residuals, ReLU6"),
            new Spec("linear-ae", Task.RECONSTRUCT, "linear autoencoder 784-32-784"),
            new Spec("conv-ae", Task.RECONSTRUCT, "convolutional autoencoder, 16-8 channel bottleneck at 1/4 size"),
            new Spec("onnx", Task.CLASSIFY, "a classifier imported with 'vcnn onnx import' (train it with --backbone)"));

    /** The model name of runs whose model was imported from an ONNX file rather than built here. */
    public static final String IMPORTED = "onnx";

    /**
     * The spec of a model name.
     *
     * @throws IllegalArgumentException listing the known names
     */
    public static Spec spec(String name) {
        return SPECS.stream().filter(s -> s.name().equals(name)).findFirst().orElseThrow(() -> new IllegalArgumentException(
                "model must be one of " + SPECS.stream().map(Spec::name).toList() + " but was '" + name + "'"));
    }

    /** Builds a model for images of channels×size×size and {@code classes} classes. */
    public static Module build(String name, int channels, int size, int classes, RandomGenerator rng) {
        return switch (spec(name).name()) {
            case "mlp" -> mlp(channels * size * size, new int[] {512, 256}, classes, 0.2f, rng);
            case "lenet5" -> {
                if (size != 28 && size != 32) {
                    throw new IllegalArgumentException("lenet5: image size must be 28 or 32 but was " + size);
                }
                yield size == 28 ? lenet5(channels, classes, rng) : lenet5Valid(channels, classes, rng);
            }
            case "cifar-cnn" -> cifarCnn(channels, size, classes, false, rng);
            case "cifar-cnn-bn" -> cifarCnn(channels, size, classes, true, rng);
            case "vgg11" -> new Vgg(Vgg.VGG11, false, channels, size, classes, rng);
            case "vgg11-bn" -> new Vgg(Vgg.VGG11, true, channels, size, classes, rng);
            case "vgg16" -> new Vgg(Vgg.VGG16, false, channels, size, classes, rng);
            case "vgg16-bn" -> new Vgg(Vgg.VGG16, true, channels, size, classes, rng);
            case "resnet18" -> new ResNet(ResNet.RESNET18, false, channels, classes, rng);
            case "resnet34" -> new ResNet(ResNet.RESNET34, false, channels, classes, rng);
            case "resnet50" -> new ResNet(ResNet.RESNET50, true, channels, classes, rng);
            case "mobilenet_v2" -> new MobileNetV2(channels, classes, rng);
            case "linear-ae" -> linearAutoencoder(channels, size, 32, rng);
            case "conv-ae" -> convAutoencoder(channels, size, rng);
            case IMPORTED -> throw new IllegalArgumentException("model 'onnx' is read from a file, not built: import it with"
                    + " 'vcnn onnx import MODEL.onnx --out RUN_DIR', then use --run RUN_DIR or --backbone RUN_DIR");
            default -> throw new AssertionError(name);
        };
    }

    /** The weight initialisations {@link #initialize} knows. */
    public static final List<String> INITS = List.of("default", "zeros", "constant", "uniform", "normal", "xavier", "kaiming");

    /**
     * Re-initialises every linear and convolution layer of a model, biases to zero, with the named
     * scheme: {@code default} (leave PyTorch's layer defaults), {@code zeros}, {@code constant} (0.1, as
     * a "same for every unit" example), {@code uniform} and {@code normal} (PyTorch's {@code uniform_} and
     * {@code normal_} defaults U(0, 1) and N(0, 1): scale ignores the fan), {@code xavier} (Glorot uniform,
     * gain 1) and {@code kaiming} (He normal, fan-in, ReLU gain).
     */
    public static void initialize(Module model, String scheme, RandomGenerator rng) {
        if (scheme.equals("default")) {
            return;
        }
        for (Module m : model.namedModules().values()) {
            Variable w;
            Variable b;
            if (m instanceof Linear l) {
                w = l.weight();
                b = l.bias();
            } else if (m instanceof Conv2d c) {
                w = c.weight();
                b = c.bias();
            } else {
                continue;
            }
            Tensor t = w.value();
            switch (scheme) {
                case "zeros" -> Init.zeros(t);
                case "constant" -> Init.constant(t, 0.1f);
                case "uniform" -> Init.uniform(t, 0f, 1f, rng);
                case "normal" -> Init.normal(t, 0f, 1f, rng);
                case "xavier" -> Init.xavierUniform(t, 1.0, rng);
                case "kaiming" -> Init.kaimingNormal(t, 0, Init.Mode.FAN_IN, Init.Nonlinearity.RELU, rng);
                default -> throw new IllegalArgumentException("init must be one of " + INITS + " but was '" + scheme + "'");
            }
            if (b != null) {
                Init.zeros(b.value());
            }
        }
    }

    /** LeNet-5 for 32×32 input: the first convolution without padding. */
    private static Sequential lenet5Valid(int inChannels, int classes, RandomGenerator rng) {
        return new Sequential(
                new Conv2d(inChannels, 6, 5, 1, 0, rng), new Activation.ReLU(), new MaxPool2d(2),
                new Conv2d(6, 16, 5, 1, 0, rng), new Activation.ReLU(), new MaxPool2d(2),
                new Flatten(),
                new Linear(16 * 5 * 5, 120, rng), new Activation.ReLU(),
                new Linear(120, 84, rng), new Activation.ReLU(),
                new Linear(84, classes, rng));
    }

    /**
     * The classic tutorial CNN: conv 3×3 16-32-64 (padding 1), each with ReLU and max-pool 2, then
     * dropout 0.25, linear 64·(size/8)² → 500, ReLU, dropout 0.25, linear → classes; with
     * {@code batchNorm}, a BatchNorm2d between each convolution and its ReLU.
     */
    public static Sequential cifarCnn(int channels, int size, int classes, RandomGenerator rng) {
        return cifarCnn(channels, size, classes, false, rng);
    }

    static Sequential cifarCnn(int channels, int size, int classes, boolean batchNorm, RandomGenerator rng) {
        int s = size / 8;
        List<Module> layers = new ArrayList<>();
        int c = channels;
        for (int k : new int[] {16, 32, 64}) {
            layers.add(new Conv2d(c, k, 3, 1, 1, rng));
            if (batchNorm) {
                layers.add(dev.vcnn.engine.nn.BatchNorm.batchNorm2d(k));
            }
            layers.add(new Activation.ReLU());
            layers.add(new MaxPool2d(2));
            c = k;
        }
        layers.addAll(List.of(new Flatten(), new Dropout(0.25f, rng.nextLong()),
                new Linear(64 * s * s, 500, rng), new Activation.ReLU(), new Dropout(0.25f, rng.nextLong()),
                new Linear(500, classes, rng)));
        return new Sequential(layers);
    }

    /** Flatten → Linear(C·H·W, code) → ReLU → Linear(code, C·H·W) → Sigmoid → [N, C, H, W]. */
    public static Sequential linearAutoencoder(int channels, int size, int code, RandomGenerator rng) {
        int n = channels * size * size;
        return new Sequential(new Flatten(), new Linear(n, code, rng), new Activation.ReLU(),
                new Linear(code, n, rng), new Activation.Sigmoid(), new Reshape(channels, size, size));
    }

    /**
     * Encoder conv 3×3 C→16, ReLU, pool 2, conv 16→8, ReLU, pool 2; decoder upsample 2, conv 8→16, ReLU,
     * upsample 2, conv 16→C, Sigmoid. Size must be a multiple of 4.
     */
    public static Sequential convAutoencoder(int channels, int size, RandomGenerator rng) {
        if (size % 4 != 0) {
            throw new IllegalArgumentException("conv-ae: image size must be a multiple of 4 but was " + size);
        }
        return new Sequential(
                new Conv2d(channels, 16, 3, 1, 1, rng), new Activation.ReLU(), new MaxPool2d(2),
                new Conv2d(16, 8, 3, 1, 1, rng), new Activation.ReLU(), new MaxPool2d(2),
                new Upsample(2), new Conv2d(8, 16, 3, 1, 1, rng), new Activation.ReLU(),
                new Upsample(2), new Conv2d(16, channels, 3, 1, 1, rng), new Activation.Sigmoid());
    }

    /**
     * LeNet-5 as the PyTorch tutorials write it for 1×28×28 input: conv 5×5 (1→6, padding 2), ReLU,
     * max-pool 2, conv 5×5 (6→16), ReLU, max-pool 2, then 400→120→84→classes with ReLU.
     */
    public static Sequential lenet5(int inChannels, int classes, RandomGenerator rng) {
        return new Sequential(
                new Conv2d(inChannels, 6, 5, 1, 2, rng), new Activation.ReLU(), new MaxPool2d(2),
                new Conv2d(6, 16, 5, 1, 0, rng), new Activation.ReLU(), new MaxPool2d(2),
                new Flatten(),
                new Linear(16 * 5 * 5, 120, rng), new Activation.ReLU(),
                new Linear(120, 84, rng), new Activation.ReLU(),
                new Linear(84, classes, rng));
    }

    /**
     * A multi-layer perceptron on flattened input: Linear → ReLU → Dropout for each hidden size, then a
     * linear classifier (default 784-512-256-10 with dropout 0.2).
     */
    public static Sequential mlp(int inFeatures, int[] hidden, int classes, float dropout, RandomGenerator rng) {
        List<Module> layers = new ArrayList<>();
        layers.add(new Flatten());
        int width = inFeatures;
        for (int i = 0; i < hidden.length; i++) {
            layers.add(new Linear(width, hidden[i], rng));
            layers.add(new Activation.ReLU());
            if (dropout > 0) {
                layers.add(new Dropout(dropout, rng.nextLong()));
            }
            width = hidden[i];
        }
        layers.add(new Linear(width, classes, rng));
        return new Sequential(layers);
    }
}
