package dev.vcnn.peers;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.training.GradientCollector;
import dev.vcnn.engine.kernel.Conv2dGeometry;
import dev.vcnn.engine.kernel.KernelSettings;
import dev.vcnn.engine.kernel.Kernels;
import dev.vcnn.engine.parallel.Parallelism;
import java.util.List;
import java.util.SplittableRandom;

/**
 * How far vcnn's and PyTorch's float32 convolutions fall from the exact result on the same random
 * inputs: for the output, the input gradient and the weight gradient, the largest error over the ulp of
 * the largest exact value (the scalar reference, which sums in double, stands for the exact value). Run:
 * {@code peers/accuracy} (one thread on each side).
 */
public final class Accuracy {
    private Accuracy() {}

    record Case(String name, Conv2dGeometry g) {}

    static final List<Case> CASES = List.of(
            new Case("vgg 64->64 14x14", new Conv2dGeometry(2, 64, 14, 14, 64, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1)),
            new Case("vgg 64->64 28x28 b1", new Conv2dGeometry(1, 64, 28, 28, 64, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1)),
            new Case("stride-3 grouped", new Conv2dGeometry(16, 8, 30, 30, 8, 3, 3, 3, 3, 0, 0, 0, 0, 1, 1, 2)),
            new Case("dilated 16->16", new Conv2dGeometry(8, 16, 20, 20, 16, 3, 3, 1, 1, 2, 2, 2, 2, 2, 2, 1)),
            new Case("lenet conv1", new Conv2dGeometry(64, 1, 28, 28, 6, 5, 5, 1, 1, 2, 2, 2, 2, 1, 1, 1)),
            new Case("lenet conv2", new Conv2dGeometry(64, 6, 14, 14, 16, 5, 5, 1, 1, 0, 0, 0, 0, 1, 1, 1)),
            new Case("cifar conv1", new Conv2dGeometry(64, 3, 32, 32, 16, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1)),
            new Case("cifar conv3", new Conv2dGeometry(64, 32, 8, 8, 64, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1)));

    static float[] uniform(long seed, int n) {
        var rng = new SplittableRandom(seed);
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) rng.nextDouble(-1, 1);
        }
        return a;
    }

    /** Largest |got − exact| over the ulp of the largest |exact|. */
    static double ulps(float[] exact, float[] got) {
        float max = 0;
        double err = 0;
        for (int i = 0; i < exact.length; i++) {
            max = Math.max(max, Math.abs(exact[i]));
            err = Math.max(err, Math.abs((double) exact[i] - got[i]));
        }
        return err / Math.ulp(max);
    }

    /** {output, input gradient, weight gradient} of a kernel set for gradient {@code go}. */
    static float[][] vcnn(Kernels k, Conv2dGeometry g, float[] x, float[] w, float[] go) {
        var p = Parallelism.sequential();
        float[] y = new float[g.outputShape().numel()];
        float[] gx = new float[x.length];
        float[] gw = new float[w.length];
        k.conv2d().forward(g, x, 0, w, 0, null, 0, y, 0, p);
        k.conv2d().backwardInput(g, go, 0, w, 0, gx, 0, p);
        k.conv2d().backwardWeight(g, x, 0, go, 0, gw, 0, p);
        return new float[][] {y, gx, gw};
    }

    static long[] longs(dev.vcnn.engine.tensor.Shape s) {
        long[] l = new long[s.rank()];
        for (int i = 0; i < l.length; i++) {
            l[i] = s.dim(i);
        }
        return l;
    }

    static float[][] torch(NDManager m, Conv2dGeometry g, float[] x, float[] w, float[] go) {
        try (NDManager scope = m.newSubManager()) {
            NDArray xa = scope.create(x, new Shape(longs(g.inputShape())));
            NDArray wa = scope.create(w, new Shape(longs(g.weightShape())));
            NDArray ga = scope.create(go, new Shape(longs(g.outputShape())));
            xa.setRequiresGradient(true);
            wa.setRequiresGradient(true);
            float[] y;
            try (GradientCollector c = Engine.getEngine("PyTorch").newGradientCollector()) {
                NDArray out = Conv2d.conv2d(xa, wa, null, new Shape(g.strideH(), g.strideW()),
                        new Shape(g.padTop(), g.padLeft()), new Shape(g.dilationH(), g.dilationW()), g.groups()).singletonOrThrow();
                y = out.toFloatArray();
                c.backward(out.mul(ga).sum());
            }
            return new float[][] {y, xa.getGradient().toFloatArray(), wa.getGradient().toFloatArray()};
        }
    }

    public static void main(String[] args) {
        System.setProperty("ai.djl.offline", "true");
        System.setProperty("ai.djl.pytorch.num_interop_threads", "1");
        System.setProperty("ai.djl.pytorch.num_threads", "1");
        Kernels simd = Kernels.simd();
        System.setProperty(KernelSettings.WINOGRAD, "false");
        Kernels direct = Kernels.simd();
        System.clearProperty(KernelSettings.WINOGRAD);
        Kernels exact = Kernels.scalar();
        System.out.println("ulps of the largest exact value: output / input gradient / weight gradient");
        System.out.printf("%-22s %-20s %-20s %-20s%n", "case", "vcnn", "vcnn (winograd off)", "pytorch");
        try (NDManager m = Engine.getEngine("PyTorch").newBaseManager()) {
            for (Case c : CASES) {
                Conv2dGeometry g = c.g();
                float[] x = uniform(1, g.inputShape().numel());
                float[] w = uniform(2, g.weightShape().numel());
                float[] go = uniform(3, g.outputShape().numel());
                float[][] ref = vcnn(exact, g, x, w, go);
                float[][][] got = {vcnn(simd, g, x, w, go), vcnn(direct, g, x, w, go), torch(m, g, x, w, go)};
                StringBuilder line = new StringBuilder(String.format("%-22s", c.name()));
                for (float[][] r : got) {
                    line.append(String.format(" %5.1f /%5.1f /%5.1f  ", ulps(ref[0], r[0]), ulps(ref[1], r[1]), ulps(ref[2], r[2])));
                }
                System.out.println(line);
            }
            OpAccuracy.run(m);
        }
    }
}
