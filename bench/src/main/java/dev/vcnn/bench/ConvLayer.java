package dev.vcnn.bench;

import dev.vcnn.engine.kernel.Conv2d;
import dev.vcnn.engine.kernel.Conv2dGeometry;
import dev.vcnn.engine.kernel.Kernels;
import dev.vcnn.engine.kernel.WinogradBound;
import dev.vcnn.engine.parallel.Parallelism;
import java.util.SplittableRandom;

/**
 * One of the convolution layers the benchmarks measure, with seeded data and its buffers: the forward pass,
 * and forward then input, weight and bias gradients (weight and bias in one call, as autograd's conv2d
 * takes them).
 */
final class ConvLayer {
    /** The shapes, by name (see {@link #of}). */
    static final String SHAPES = "lenet-conv1, cifar-conv1, vgg-64, conv-128, resnet-stem, resnet-s2, resnet-1x1,"
            + " mbv2-1x1, mbv2-dw, mbv2-dw-s2, resnet-64, resnet-256, resnet-512, resnet-cifar, r18-cifar-s2, r18-cifar-l4";

    private final Conv2d conv = Kernels.defaults().conv2d();
    private final String shape;
    final Conv2dGeometry g;
    private final float[] input;
    private final float[] weight;
    private final float[] bias;
    private final float[] out;
    private final float[] gradOut;
    private final float[] gradIn;
    private final float[] gradWeight;
    private final float[] gradBias;

    private ConvLayer(String shape, Conv2dGeometry g) {
        this.shape = shape;
        this.g = g;
        var rng = new SplittableRandom(3);
        input = BenchData.uniform(rng, g.inputShape().numel());
        weight = BenchData.uniform(rng, g.weightShape().numel());
        bias = BenchData.uniform(rng, g.outChannels());
        gradOut = BenchData.uniform(rng, g.outputShape().numel());
        out = new float[g.outputShape().numel()];
        gradIn = new float[g.inputShape().numel()];
        gradWeight = new float[g.weightShape().numel()];
        gradBias = new float[g.outChannels()];
    }

    /**
     * lenet-conv1: N64, 1→6, 28×28, k5, no pad; cifar-conv1: N64, 3→32, 32×32, k3, pad 1;
     * vgg-64: N8, 64→64, 56×56, k3, pad 1; conv-128: N8, 128→128, 28×28, k3, pad 1. Batch-1 inference shapes of
     * ResNet and MobileNetV2 at 224: resnet-stem 3→64, 224×224, k7, stride 2, pad 3; resnet-s2 64→128, 56×56, k3,
     * stride 2, pad 1; resnet-1x1 256→64 at 56×56 (a bottleneck's reduction); mbv2-1x1 96→24 at 56×56 (a
     * projection); mbv2-dw 144 channels depthwise 3×3 at 56×56, pad 1, and mbv2-dw-s2 the same at stride 2.
     * resnet-64, resnet-256 and resnet-512: ResNet's 3×3 layers at batch 1, 64→64 at 56×56, 256→256 at 14×14 and
     * 512→512 at 7×7.
     * resnet-cifar: N64, 64→64, 32×32, k3, pad 1 (a ResNet-18 block trained at CIFAR size).
     */
    static ConvLayer of(String shape) {
        return new ConvLayer(shape, switch (shape) {
            case "lenet-conv1" -> new Conv2dGeometry(64, 1, 28, 28, 6, 5, 5, 1, 1, 0, 0, 0, 0, 1, 1, 1);
            case "cifar-conv1" -> new Conv2dGeometry(64, 3, 32, 32, 32, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1);
            case "vgg-64" -> new Conv2dGeometry(8, 64, 56, 56, 64, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1);
            case "conv-128" -> new Conv2dGeometry(8, 128, 28, 28, 128, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1);
            case "resnet-stem" -> new Conv2dGeometry(1, 3, 224, 224, 64, 7, 7, 2, 2, 3, 3, 3, 3, 1, 1, 1);
            case "resnet-s2" -> new Conv2dGeometry(1, 64, 56, 56, 128, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 1);
            case "resnet-1x1" -> new Conv2dGeometry(1, 256, 56, 56, 64, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1);
            case "mbv2-1x1" -> new Conv2dGeometry(1, 96, 56, 56, 24, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1);
            case "mbv2-dw" -> new Conv2dGeometry(1, 144, 56, 56, 144, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 144);
            case "mbv2-dw-s2" -> new Conv2dGeometry(1, 144, 56, 56, 144, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 144);
            case "resnet-64" -> new Conv2dGeometry(1, 64, 56, 56, 64, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1);
            case "resnet-256" -> new Conv2dGeometry(1, 256, 14, 14, 256, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1);
            case "resnet-512" -> new Conv2dGeometry(1, 512, 7, 7, 512, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1);
            case "resnet-cifar" -> new Conv2dGeometry(64, 64, 32, 32, 64, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1);
            // torchvision's ResNet-18 on 32×32 images, batch 64: layer4's strided entry (2×2 → 1×1) and its
            // 3×3 layers on a 1×1 plane.
            case "r18-cifar-s2" -> new Conv2dGeometry(64, 256, 2, 2, 512, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 1);
            case "r18-cifar-l4" -> new Conv2dGeometry(64, 512, 1, 1, 512, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1);
            default -> throw new IllegalArgumentException("unknown convolution layer '" + shape + "': expected one of "
                    + SHAPES);
        });
    }

    /** FLOP of the forward pass: 2 per multiply-add. */
    long forwardFlop() {
        return 2 * g.forwardMacs();
    }

    /** FLOP of forward and backward: the backward counted as twice the forward. */
    long forwardBackwardFlop() {
        return 3 * forwardFlop();
    }

    float[] forward(Parallelism parallelism) {
        conv.forward(g, input, 0, weight, 0, bias, 0, out, 0, parallelism);
        return out;
    }

    float[] forwardBackward(Parallelism parallelism) {
        conv.forward(g, input, 0, weight, 0, bias, 0, out, 0, parallelism);
        conv.backwardInput(g, gradOut, 0, weight, 0, gradIn, 0, parallelism);
        conv.backwardWeightAndBias(g, input, 0, gradOut, 0, gradWeight, 0, gradBias, 0, parallelism);
        return gradWeight;
    }

    /**
     * One forward output per output channel against the scalar definition, within the float bound (the larger of
     * the direct and the Winograd bound where {@link WinogradBound#allowed}).
     */
    void validate(Parallelism parallelism) {
        forward(parallelism);
        var sample = new SplittableRandom(5);
        int cg = g.inChannels() / g.groups();
        int kg = g.outChannels() / g.groups();
        for (int k = 0; k < g.outChannels(); k++) {
            int n = sample.nextInt(g.batch());
            int p = sample.nextInt(g.outHeight());
            int q = sample.nextInt(g.outWidth());
            double exact = bias[k];
            double abs = Math.abs(bias[k]);
            int terms = 1;
            for (int c = 0; c < cg; c++) {
                for (int r = 0; r < g.kernelH(); r++) {
                    for (int s = 0; s < g.kernelW(); s++) {
                        int h = p * g.strideH() - g.padTop() + r * g.dilationH();
                        int w = q * g.strideW() - g.padLeft() + s * g.dilationW();
                        if (h >= 0 && h < g.height() && w >= 0 && w < g.width()) {
                            double t = (double) input[((n * g.inChannels() + k / kg * cg + c) * g.height() + h) * g.width() + w]
                                    * weight[((k * cg + c) * g.kernelH() + r) * g.kernelW() + s];
                            exact += t;
                            abs += Math.abs(t);
                            terms++;
                        }
                    }
                }
            }
            float got = out[((n * g.outChannels() + k) * g.outHeight() + p) * g.outWidth() + q];
            double bound = 2.0 * (terms + 1) * 0x1p-24 * abs;
            if (WinogradBound.allowed(g)) {
                bound = Math.max(bound, WinogradBound.forward(g, input, 0, weight, 0, bias, 0, n, k, p, q));
            }
            if (!(Math.abs(got - exact) <= bound)) {
                throw new IllegalStateException("conv layer " + shape + ": output (" + n + ", " + k + ", " + p + ", "
                        + q + ") is " + got + " but the definition gives " + exact);
            }
        }
    }
}
