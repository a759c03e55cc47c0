package dev.vcnn.models;

import dev.vcnn.engine.autograd.Functional;
import dev.vcnn.engine.autograd.Variable;
import dev.vcnn.engine.nn.Activation;
import dev.vcnn.engine.nn.AdaptiveAvgPool2d;
import dev.vcnn.engine.nn.BatchNorm;
import dev.vcnn.engine.nn.Conv2d;
import dev.vcnn.engine.nn.Linear;
import dev.vcnn.engine.nn.MaxPool2d;
import dev.vcnn.engine.nn.Module;
import dev.vcnn.engine.nn.Sequential;
import dev.vcnn.engine.nn.init.Init;
import dev.vcnn.engine.tensor.Shape;
import java.util.ArrayList;
import java.util.List;
import java.util.random.RandomGenerator;

/**
 * ResNet (He et al., 2015) in torchvision's layout, so that a torchvision state dict saved as safetensors loads
 * by key: {@code conv1} (7×7, stride 2), {@code bn1}, {@code relu}, {@code maxpool} (3×3, stride 2),
 * {@code layer1}…{@code layer4} of basic (ResNet-18/34) or bottleneck (ResNet-50, stride on the 3×3 as in
 * torchvision's "v1.5") blocks with 1×1 {@code downsample} shortcuts where the shape changes, {@code avgpool}
 * and {@code fc}. Convolutions start from Kaiming-normal weights (fan out), batch norms from γ = 1, β = 0, as
 * torchvision initialises them. At 32×32 (CIFAR) the stem leaves 8×8 and layer4 ends at 1×1.
 */
public final class ResNet extends Module implements Backbone {
    /** Blocks per stage of ResNet-18, -34 and -50. */
    static final int[] RESNET18 = {2, 2, 2, 2};
    static final int[] RESNET34 = {3, 4, 6, 3};
    static final int[] RESNET50 = {3, 4, 6, 3};

    private final Conv2d conv1;
    private final BatchNorm bn1;
    private final MaxPool2d maxpool;
    private final Sequential[] layers = new Sequential[4];
    private final AdaptiveAvgPool2d avgpool;
    private final Linear fc;

    ResNet(int[] blocks, boolean bottleneck, int inChannels, int classes, RandomGenerator rng) {
        conv1 = registerModule("conv1", conv(inChannels, 64, 7, 2, 3, 1, rng));
        bn1 = registerModule("bn1", BatchNorm.batchNorm2d(64));
        registerModule("relu", new Activation.ReLU());
        maxpool = registerModule("maxpool", new MaxPool2d(3, 2, 1, 1, false));
        int in = 64;
        int expansion = bottleneck ? 4 : 1;
        for (int s = 0; s < 4; s++) {
            int planes = 64 << s;
            List<Module> stage = new ArrayList<>();
            for (int b = 0; b < blocks[s]; b++) {
                int stride = b == 0 && s > 0 ? 2 : 1;
                stage.add(bottleneck ? new Bottleneck(in, planes, stride, rng) : new BasicBlock(in, planes, stride, rng));
                in = planes * expansion;
            }
            layers[s] = registerModule("layer" + (s + 1), new Sequential(stage));
        }
        avgpool = registerModule("avgpool", new AdaptiveAvgPool2d(1, 1));
        fc = registerModule("fc", new Linear(512 * expansion, classes, rng));
    }

    /** A convolution without bias, Kaiming-normal (fan out, ReLU gain) as torchvision initialises it. */
    static Conv2d conv(int in, int out, int kernel, int stride, int padding, int groups, RandomGenerator rng) {
        Conv2d c = new Conv2d(in, out, kernel, stride, padding, null, 1, groups, false, rng);
        Init.kaimingNormal(c.weight().value(), 0, Init.Mode.FAN_OUT, Init.Nonlinearity.RELU, rng);
        return c;
    }

    /** conv1 … layer4: the feature extractor before pooling. */
    private Variable stem(Variable x) {
        // Each batch norm here is written over its convolution's output, and each ReLU over the output of a batch
        // norm or of the residual add: values nothing else reads.
        Variable y = maxpool.forward(Functional.reluOver(bn1.forwardOver(conv1.forward(x))));
        for (Sequential layer : layers) {
            y = layer.forward(y);
        }
        return y;
    }

    @Override
    public Variable forward(Variable x) {
        return fc.forward(Functional.flatten(avgpool.forward(stem(x))));
    }

    @Override
    public Shape outputShape(Shape input) {
        Shape s = featureShape(input);
        return fc.outputShape(Shape.of(s.dim(0), s.dim(1)));
    }

    private Shape featureShape(Shape input) {
        Shape s = maxpool.outputShape(conv1.outputShape(input));
        for (Sequential layer : layers) {
            s = layer.outputShape(s);
        }
        return avgpool.outputShape(s);
    }

    @Override
    public long forwardMacs(Shape input) {
        long macs = conv1.forwardMacs(input);
        Shape s = maxpool.outputShape(conv1.outputShape(input));
        for (Sequential layer : layers) {
            macs += layer.forwardMacs(s);
            s = layer.outputShape(s);
        }
        return macs + fc.forwardMacs(Shape.of(s.dim(0), s.dim(1)));
    }

    public Conv2d conv1() {
        return conv1;
    }

    public BatchNorm bn1() {
        return bn1;
    }

    public MaxPool2d maxpool() {
        return maxpool;
    }

    /** layer1 … layer4. */
    public List<Sequential> layers() {
        return List.of(layers);
    }

    public AdaptiveAvgPool2d avgpool() {
        return avgpool;
    }

    public Linear fc() {
        return fc;
    }

    /** Everything before {@code fc}: [N, C, H, W] → [N, 512·expansion, 1, 1], sharing this model's layers. */
    @Override
    public Features featureExtractor() {
        return new Features(this);
    }

    /** A ResNet without its {@code fc}, under the same keys. */
    public static final class Features extends Module {
        private final ResNet net;

        Features(ResNet net) {
            this.net = net;
            registerModule("conv1", net.conv1);
            registerModule("bn1", net.bn1);
            registerModule("maxpool", net.maxpool);
            for (int i = 0; i < 4; i++) {
                registerModule("layer" + (i + 1), net.layers[i]);
            }
            registerModule("avgpool", net.avgpool);
        }

        /** The whole network these features belong to. */
        public ResNet net() {
            return net;
        }

        @Override
        public Variable forward(Variable x) {
            return net.avgpool.forward(net.stem(x));
        }

        @Override
        public Shape outputShape(Shape input) {
            return net.featureShape(input);
        }

        @Override
        public String typeName() {
            return "ResNetFeatures";
        }
    }

    @Override
    public int featureWidth() {
        return fc.weight().shape().dim(1);
    }

    @Override
    public String typeName() {
        return "ResNet";
    }

    /** The 1×1 convolution and batch norm that match a block's shortcut to its output, or null when none is needed. */
    private static Sequential shortcut(int in, int out, int stride, RandomGenerator rng) {
        return stride != 1 || in != out ? new Sequential(conv(in, out, 1, stride, 0, 1, rng), BatchNorm.batchNorm2d(out)) : null;
    }

    /** A residual block: relu(body(x) + shortcut(x)), the shortcut x itself or {@code downsample(x)}. */
    public abstract static sealed class Block extends Module permits BasicBlock, Bottleneck {
        final Sequential downsample;

        Block(Sequential downsample) {
            this.downsample = downsample;
        }

        /** The 1×1 convolution and batch norm on the shortcut, or null. */
        public Sequential downsample() {
            return downsample;
        }

        /** The convolutions and batch norms of the body, in order: conv1, bn1, conv2, bn2[, conv3, bn3]. */
        public abstract List<Module> body();

        @Override
        public Variable forward(Variable x) {
            List<Module> b = body();
            Variable y = x;
            for (int i = 0; i < b.size(); i += 2) {
                y = ((BatchNorm) b.get(i + 1)).forwardOver(b.get(i).forward(y));
                if (i + 2 < b.size()) {
                    y = Functional.reluOver(y);
                }
            }
            return Functional.reluOver(Functional.add(y, downsample == null ? x : downsample.forward(x)));
        }

        @Override
        public Shape outputShape(Shape input) {
            Shape s = input;
            for (Module m : body()) {
                s = m.outputShape(s);
            }
            return s;
        }

        @Override
        public long forwardMacs(Shape input) {
            long macs = downsample == null ? 0 : downsample.forwardMacs(input);
            Shape s = input;
            for (Module m : body()) {
                macs += m.forwardMacs(s);
                s = m.outputShape(s);
            }
            return macs;
        }
    }

    /** torchvision's {@code BasicBlock}: two 3×3 convolutions, the first with the block's stride. */
    public static final class BasicBlock extends Block {
        private final List<Module> body;

        BasicBlock(int in, int planes, int stride, RandomGenerator rng) {
            super(shortcut(in, planes, stride, rng));
            Conv2d c1 = registerModule("conv1", conv(in, planes, 3, stride, 1, 1, rng));
            BatchNorm b1 = registerModule("bn1", BatchNorm.batchNorm2d(planes));
            Conv2d c2 = registerModule("conv2", conv(planes, planes, 3, 1, 1, 1, rng));
            BatchNorm b2 = registerModule("bn2", BatchNorm.batchNorm2d(planes));
            registerModule("relu", new Activation.ReLU());
            if (downsample != null) {
                registerModule("downsample", downsample);
            }
            body = List.of(c1, b1, c2, b2);
        }

        @Override
        public List<Module> body() {
            return body;
        }

        @Override
        public String typeName() {
            return "BasicBlock";
        }
    }

    /** torchvision's {@code Bottleneck}: 1×1 to {@code planes}, 3×3 with the stride, 1×1 to 4·planes. */
    public static final class Bottleneck extends Block {
        private final List<Module> body;

        Bottleneck(int in, int planes, int stride, RandomGenerator rng) {
            super(shortcut(in, planes * 4, stride, rng));
            Conv2d c1 = registerModule("conv1", conv(in, planes, 1, 1, 0, 1, rng));
            BatchNorm b1 = registerModule("bn1", BatchNorm.batchNorm2d(planes));
            Conv2d c2 = registerModule("conv2", conv(planes, planes, 3, stride, 1, 1, rng));
            BatchNorm b2 = registerModule("bn2", BatchNorm.batchNorm2d(planes));
            Conv2d c3 = registerModule("conv3", conv(planes, planes * 4, 1, 1, 0, 1, rng));
            BatchNorm b3 = registerModule("bn3", BatchNorm.batchNorm2d(planes * 4));
            registerModule("relu", new Activation.ReLU());
            if (downsample != null) {
                registerModule("downsample", downsample);
            }
            body = List.of(c1, b1, c2, b2, c3, b3);
        }

        @Override
        public List<Module> body() {
            return body;
        }

        @Override
        public String typeName() {
            return "Bottleneck";
        }
    }
}
