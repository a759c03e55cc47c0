package dev.vcnn.models;

import dev.vcnn.engine.autograd.Functional;
import dev.vcnn.engine.autograd.Variable;
import dev.vcnn.engine.nn.Activation;
import dev.vcnn.engine.nn.AdaptiveAvgPool2d;
import dev.vcnn.engine.nn.BatchNorm;
import dev.vcnn.engine.nn.Conv2d;
import dev.vcnn.engine.nn.Dropout;
import dev.vcnn.engine.nn.Linear;
import dev.vcnn.engine.nn.MaxPool2d;
import dev.vcnn.engine.nn.Module;
import dev.vcnn.engine.nn.Sequential;
import dev.vcnn.engine.tensor.Shape;
import java.util.ArrayList;
import java.util.List;
import java.util.random.RandomGenerator;

/**
 * VGG (Simonyan and Zisserman, 2014) with torchvision's layout and state-dict keys: {@code features}
 * (3×3 convolutions, padding 1, ReLU, optional batch norm, max-pool 2 between stages), {@code avgpool}
 * and {@code classifier}. At 224×224 the classifier is torchvision's 25088→4096→4096→classes with
 * dropout 0.5, so its ImageNet weights exported as safetensors load 1:1; at 32×32 (CIFAR) the features
 * end at 1×1×512 and the classifier is one 512→classes linear layer.
 */
public final class Vgg extends Module {
    /** Channels per conv, 0 = max-pool: configuration "A" (VGG11) and "D" (VGG16). */
    static final int[] VGG11 = {64, 0, 128, 0, 256, 256, 0, 512, 512, 0, 512, 512, 0};
    static final int[] VGG16 = {64, 64, 0, 128, 128, 0, 256, 256, 256, 0, 512, 512, 512, 0, 512, 512, 512, 0};

    private final Sequential features;
    private final AdaptiveAvgPool2d avgpool;
    private final Sequential classifier;

    Vgg(int[] config, boolean batchNorm, int inChannels, int imageSize, int classes, RandomGenerator rng) {
        List<Module> layers = new ArrayList<>();
        int c = inChannels;
        for (int v : config) {
            if (v == 0) {
                layers.add(new MaxPool2d(2));
            } else {
                layers.add(new Conv2d(c, v, 3, 1, 1, rng));
                if (batchNorm) {
                    layers.add(BatchNorm.batchNorm2d(v));
                }
                layers.add(new Activation.ReLU());
                c = v;
            }
        }
        features = registerModule("features", new Sequential(layers));
        boolean imagenet = imageSize >= 224;
        avgpool = registerModule("avgpool", new AdaptiveAvgPool2d(imagenet ? 7 : 1, imagenet ? 7 : 1));
        classifier = registerModule("classifier", imagenet
                ? new Sequential(new Linear(512 * 7 * 7, 4096, rng), new Activation.ReLU(), new Dropout(0.5f, rng.nextLong()),
                        new Linear(4096, 4096, rng), new Activation.ReLU(), new Dropout(0.5f, rng.nextLong()),
                        new Linear(4096, classes, rng))
                : new Sequential(new Linear(512, classes, rng)));
    }

    public Sequential features() {
        return features;
    }

    public Sequential classifier() {
        return classifier;
    }

    @Override
    public Variable forward(Variable x) {
        return classifier.forward(Functional.flatten(avgpool.forward(features.forward(x))));
    }

    @Override
    public Shape outputShape(Shape input) {
        Shape s = avgpool.outputShape(features.outputShape(input));
        return classifier.outputShape(Shape.of(s.dim(0), s.numel() / Math.max(1, s.dim(0))));
    }

    @Override
    public long forwardMacs(Shape input) {
        Shape f = features.outputShape(input);
        Shape s = avgpool.outputShape(f);
        return features.forwardMacs(input) + classifier.forwardMacs(Shape.of(s.dim(0), s.numel() / Math.max(1, s.dim(0))));
    }

    @Override
    public String typeName() {
        return "VGG";
    }
}
