package dev.vcnn.bench;

import dev.vcnn.engine.kernel.Kernels;
import dev.vcnn.engine.kernel.Pool2d;
import dev.vcnn.engine.kernel.Pool2dGeometry;
import dev.vcnn.engine.tensor.Shape;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;

/**
 * 2×2 stride-2 max and average pooling of (64, 32, 32, 32), and ResNet's stem max pool (3×3, stride 2, padding 1 of
 * (1, 64, 112, 112): {@code stem-max}), forward and forward+backward, in ms.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class PoolBench extends ThreadedBench {
    @Param({"max", "avg", "stem-max"})
    public String kind;

    private final Pool2d pool = Kernels.defaults().pool2d();
    private final Pool2d reference = Kernels.scalar().pool2d();
    private Pool2dGeometry g;
    private float[] in;
    private float[] out;
    private int[] indices;
    private float[] gradOut;
    private float[] gradIn;

    @Setup(Level.Trial)
    public void setUp() {
        openPool();
        g = kind.equals("stem-max") ? Pool2dGeometry.of(Shape.of(1, 64, 112, 112), 3, 2, 1)
                : Pool2dGeometry.of(Shape.of(64, 32, 32, 32), 2, 2, 0);
        var rng = new SplittableRandom(9);
        in = BenchData.uniform(rng, g.inputShape().numel());
        out = new float[g.outputShape().numel()];
        indices = new int[out.length];
        gradOut = BenchData.uniform(rng, out.length);
        gradIn = new float[in.length];
        // Validate once against the scalar reference: the pooling kernels run its arithmetic (max
        // pooling is exact; average pooling sums each window in double either way), so bit for bit.
        forwardBackward();
        float[] refOut = new float[out.length];
        float[] refGrad = new float[in.length];
        if (!kind.equals("avg")) {
            int[] refIdx = new int[out.length];
            reference.maxForward(g, in, 0, refOut, 0, refIdx, 0, parallelism);
            reference.maxBackward(g, gradOut, 0, refIdx, 0, refGrad, 0, parallelism);
        } else {
            reference.avgForward(g, true, in, 0, refOut, 0, parallelism);
            reference.avgBackward(g, true, gradOut, 0, refGrad, 0, parallelism);
        }
        if (!java.util.Arrays.equals(refOut, out) || !java.util.Arrays.equals(refGrad, gradIn)) {
            throw new IllegalStateException("PoolBench " + kind + ": results differ from the scalar reference");
        }
    }

    @Benchmark
    public float[] forward() {
        if (!kind.equals("avg")) {
            pool.maxForward(g, in, 0, out, 0, indices, 0, parallelism);
        } else {
            pool.avgForward(g, true, in, 0, out, 0, parallelism);
        }
        return out;
    }

    @Benchmark
    public float[] forwardBackward() {
        forward();
        if (!kind.equals("avg")) {
            pool.maxBackward(g, gradOut, 0, indices, 0, gradIn, 0, parallelism);
        } else {
            pool.avgBackward(g, true, gradOut, 0, gradIn, 0, parallelism);
        }
        return gradIn;
    }
}
