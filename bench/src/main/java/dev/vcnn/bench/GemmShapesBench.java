package dev.vcnn.bench;

import org.openjdk.jmh.annotations.Param;

/**
 * The GEMMs a CNN actually runs: im2col forward GEMMs (weights [K, C·R·S] times columns
 * [C·R·S, N·P·Q]) of three classic layers, and a linear layer x·Wᵀ. {@code flop} is GFLOP/s.
 */
public class GemmShapesBench extends GemmCaseBench {
    /**
     * lenet-conv1: N64, 1→6, 28×28, k5 (M=6, K=25, N=64·24·24); cifar-conv1: N64, 3→32, 32×32, k3 p1
     * (M=32, K=27, N=64·32·32); vgg-conv: N8, 64→64, 56×56, k3 p1 (M=64, K=576, N=8·56·56);
     * linear-784x256: batch 256, 784→256 (M=256, N=256, K=784, B transposed as PyTorch stores W);
     * linear-784x256-b1: the same layer at batch 1 (M=1: a matrix-vector product); linear-784x512-b64 and
     * linear-4096-b64: batch 64, 784→512 and 4096→4096 (the peers' linear workloads, B transposed).
     */
    @Param({"lenet-conv1", "cifar-conv1", "vgg-conv", "linear-784x256", "linear-784x256-b1", "linear-784x512-b64",
        "linear-4096-b64"})
    public String shape;

    @Override
    protected GemmCase problem() {
        return switch (shape) {
            case "lenet-conv1" -> new GemmCase(false, false, 6, 64 * 24 * 24, 25);
            case "cifar-conv1" -> new GemmCase(false, false, 32, 64 * 32 * 32, 27);
            case "vgg-conv" -> new GemmCase(false, false, 64, 8 * 56 * 56, 576);
            case "linear-784x256" -> new GemmCase(false, true, 256, 256, 784);
            case "linear-784x256-b1" -> new GemmCase(false, true, 1, 256, 784);
            case "linear-784x512-b64" -> new GemmCase(false, true, 64, 512, 784);
            case "linear-4096-b64" -> new GemmCase(false, true, 64, 4096, 4096);
            default -> throw new IllegalArgumentException("GemmShapesBench: shape must be one of lenet-conv1, "
                    + "cifar-conv1, vgg-conv, linear-784x256, linear-784x256-b1, linear-784x512-b64, linear-4096-b64 but was '" + shape + "'");
        };
    }
}
