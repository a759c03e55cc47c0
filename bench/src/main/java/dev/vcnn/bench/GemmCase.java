package dev.vcnn.bench;

import dev.vcnn.engine.kernel.GemmSampleCheck;
import dev.vcnn.engine.kernel.Kernels;
import dev.vcnn.engine.parallel.Parallelism;
import java.util.SplittableRandom;

/**
 * One GEMM problem with its data, the vcnn call and a check of sampled outputs within the float
 * bound (the full scalar reference at n = 2048 would take longer than the benchmark).
 */
final class GemmCase {
    final boolean transA;
    final boolean transB;
    final int m;
    final int n;
    final int k;
    final float[] a;
    final float[] b;
    final float[] c;
    private final Kernels kernels = Kernels.defaults();

    GemmCase(boolean transA, boolean transB, int m, int n, int k) {
        this.transA = transA;
        this.transB = transB;
        this.m = m;
        this.n = n;
        this.k = k;
        var rng = new SplittableRandom(42);
        a = BenchData.uniform(rng, m * k);
        b = BenchData.uniform(rng, k * n);
        c = new float[m * n];
    }

    /** 2·M·N·K. */
    long flop() {
        return 2L * m * n * k;
    }

    void run(Parallelism parallelism) {
        kernels.sgemm(transA, transB, m, n, k, 1f, a, 0, transA ? m : k, b, 0, transB ? k : n,
                0f, c, 0, n, parallelism);
    }

    /** Runs once and checks 256 sampled outputs; throws if any is outside the float bound. */
    void validate(Parallelism parallelism) {
        run(parallelism);
        GemmSampleCheck.worstErrorRatio(transA, transB, m, n, k, a, b, c, 256, 7);
    }

    @Override
    public String toString() {
        return "M=" + m + " N=" + n + " K=" + k + (transA ? " A^T" : "") + (transB ? " B^T" : "");
    }
}
