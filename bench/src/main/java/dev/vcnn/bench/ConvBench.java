package dev.vcnn.bench;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;

/**
 * Convolution layers of classic CNNs, forward and forward+backward (input, weight and bias
 * gradients). {@code flop} counts 2 FLOP per multiply-add of the forward pass, and the backward as
 * twice the forward, so it reads as GFLOP/s comparable with PyTorch's figures.
 */
public class ConvBench extends ThreadedBench {
    /** See {@link ConvLayer#of}. */
    @Param({"lenet-conv1", "cifar-conv1", "vgg-64", "conv-128", "resnet-stem", "resnet-s2", "resnet-1x1", "mbv2-1x1",
            "mbv2-dw", "mbv2-dw-s2", "resnet-64", "resnet-256", "resnet-512", "resnet-cifar", "r18-cifar-s2", "r18-cifar-l4"})
    public String shape;

    private ConvLayer layer;

    @Setup(Level.Trial)
    public void setUp() {
        openPool();
        layer = ConvLayer.of(shape);
        layer.validate(parallelism);
    }

    @Benchmark
    public float[] forward(FlopCounter counter) {
        counter.flop += layer.forwardFlop();
        return layer.forward(parallelism);
    }

    @Benchmark
    public float[] forwardBackward(FlopCounter counter) {
        counter.flop += layer.forwardBackwardFlop();
        return layer.forwardBackward(parallelism);
    }
}
