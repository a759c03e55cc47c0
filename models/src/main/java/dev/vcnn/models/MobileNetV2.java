package dev.vcnn.models;

import dev.vcnn.engine.autograd.Functional;
import dev.vcnn.engine.autograd.Variable;
import dev.vcnn.engine.nn.Activation;
import dev.vcnn.engine.nn.BatchNorm;
import dev.vcnn.engine.nn.Conv2d;
import dev.vcnn.engine.nn.Dropout;
import dev.vcnn.engine.nn.Linear;
import dev.vcnn.engine.nn.Module;
import dev.vcnn.engine.nn.Sequential;
import dev.vcnn.engine.nn.init.Init;
import dev.vcnn.engine.tensor.Shape;
import java.util.ArrayList;
import java.util.List;
import java.util.random.RandomGenerator;

/**
 * MobileNetV2 (Sandler et al., 2018) in torchvision's layout and state-dict keys, width 1.0: {@code features.0}
 * (3×3 stride-2 convolution, batch norm, ReLU6), seventeen inverted residual blocks {@code features.1}…
 * {@code features.17} (1×1 expansion by t unless t = 1, depthwise 3×3, linear 1×1 projection; a shortcut where
 * stride is 1 and the widths agree), {@code features.18} (1×1 to 1280), global average pooling, and
 * {@code classifier} (dropout 0.2, linear). Initialised as torchvision does: Kaiming-normal convolutions (fan
 * out), γ = 1 and β = 0, and classifier weights from N(0, 0.01²) with zero bias.
 */
public final class MobileNetV2 extends Module implements Backbone {
    /** t (expansion), c (output channels), n (blocks), s (first block's stride), torchvision's table. */
    private static final int[][] SETTINGS = {{1, 16, 1, 1}, {6, 24, 2, 2}, {6, 32, 3, 2}, {6, 64, 4, 2}, {6, 96, 3, 1},
            {6, 160, 3, 2}, {6, 320, 1, 1}};
    static final int LAST_CHANNELS = 1280;

    private final Sequential features;
    private final Sequential classifier;

    MobileNetV2(int inChannels, int classes, RandomGenerator rng) {
        List<Module> f = new ArrayList<>();
        f.add(convBnRelu6(inChannels, 32, 3, 2, 1, rng));
        int in = 32;
        for (int[] s : SETTINGS) {
            for (int i = 0; i < s[2]; i++) {
                f.add(new InvertedResidual(in, s[1], i == 0 ? s[3] : 1, s[0], rng));
                in = s[1];
            }
        }
        f.add(convBnRelu6(in, LAST_CHANNELS, 1, 1, 1, rng));
        features = registerModule("features", new Sequential(f));
        Linear fc = new Linear(LAST_CHANNELS, classes, rng);
        Init.normal(fc.weight().value(), 0f, 0.01f, rng);
        Init.zeros(fc.bias().value());
        classifier = registerModule("classifier", new Sequential(new Dropout(0.2f, rng.nextLong()), fc));
    }

    /** torchvision's {@code Conv2dNormActivation}: convolution (no bias, padding (k−1)/2), batch norm, ReLU6. */
    static Sequential convBnRelu6(int in, int out, int kernel, int stride, int groups, RandomGenerator rng) {
        return new Sequential(ResNet.conv(in, out, kernel, stride, (kernel - 1) / 2, groups, rng), BatchNorm.batchNorm2d(out),
                new Activation.ReLU6());
    }

    public Sequential features() {
        return features;
    }

    public Sequential classifier() {
        return classifier;
    }

    private Variable pooled(Variable x) {
        return Functional.flatten(Functional.globalAvgPool2d(features.forward(x)));
    }

    @Override
    public Variable forward(Variable x) {
        return classifier.forward(pooled(x));
    }

    @Override
    public Shape outputShape(Shape input) {
        Shape s = features.outputShape(input);
        return classifier.outputShape(Shape.of(s.dim(0), s.dim(1)));
    }

    @Override
    public long forwardMacs(Shape input) {
        Shape s = features.outputShape(input);
        return features.forwardMacs(input) + classifier.forwardMacs(Shape.of(s.dim(0), s.dim(1)));
    }

    /** {@code features} and global average pooling: [N, C, H, W] → [N, 1280], sharing this model's layers. */
    @Override
    public Features featureExtractor() {
        return new Features(this);
    }

    /** A MobileNetV2 without its classifier, under the same keys. */
    public static final class Features extends Module {
        private final MobileNetV2 net;

        Features(MobileNetV2 net) {
            this.net = net;
            registerModule("features", net.features);
        }

        /** The whole network these features belong to. */
        public MobileNetV2 net() {
            return net;
        }

        @Override
        public Variable forward(Variable x) {
            return net.pooled(x);
        }

        @Override
        public Shape outputShape(Shape input) {
            Shape s = net.features.outputShape(input);
            return Shape.of(s.dim(0), s.dim(1));
        }

        @Override
        public long forwardMacs(Shape input) {
            return net.features.forwardMacs(input);
        }

        @Override
        public String typeName() {
            return "MobileNetV2Features";
        }
    }

    @Override
    public int featureWidth() {
        return LAST_CHANNELS;
    }

    @Override
    public String typeName() {
        return "MobileNetV2";
    }

    /**
     * torchvision's {@code InvertedResidual}, its layers in {@code conv}: [expand (1×1, ReLU6) when t ≠ 1,]
     * depthwise 3×3 with the stride (ReLU6), 1×1 projection, batch norm; x + conv(x) when the shapes agree.
     */
    public static final class InvertedResidual extends Module {
        private final Sequential conv;
        private final boolean residual;

        InvertedResidual(int in, int out, int stride, int expand, RandomGenerator rng) {
            int hidden = in * expand;
            List<Module> layers = new ArrayList<>();
            if (expand != 1) {
                layers.add(convBnRelu6(in, hidden, 1, 1, 1, rng));
            }
            layers.add(convBnRelu6(hidden, hidden, 3, stride, hidden, rng));
            layers.add(ResNet.conv(hidden, out, 1, 1, 0, 1, rng));
            layers.add(BatchNorm.batchNorm2d(out));
            conv = registerModule("conv", new Sequential(layers));
            residual = stride == 1 && in == out;
        }

        public Sequential conv() {
            return conv;
        }

        /** Whether the block adds its input to its output. */
        public boolean residual() {
            return residual;
        }

        @Override
        public Variable forward(Variable x) {
            Variable y = conv.forward(x);
            return residual ? Functional.add(x, y) : y;
        }

        @Override
        public Shape outputShape(Shape input) {
            return conv.outputShape(input);
        }

        @Override
        public long forwardMacs(Shape input) {
            return conv.forwardMacs(input);
        }

        @Override
        public String typeName() {
            return "InvertedResidual";
        }
    }
}
