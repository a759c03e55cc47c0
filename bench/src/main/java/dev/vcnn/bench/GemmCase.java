package dev.vcnn.bench;

import dev.vcnn.engine.kernel.Kernels;
import dev.vcnn.engine.parallel.Parallelism;
import java.util.SplittableRandom;

/**
 * One GEMM problem with its data, the vcnn call and a check of sampled outputs against a
 * double-accumulated dot product within the float bound (the full scalar reference at n = 2048
 * would take longer than the benchmark).
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
        a = random(rng, m * k);
        b = random(rng, k * n);
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

    /** Runs once and checks 256 sampled outputs; throws if any is outside the bound. */
    void validate(Parallelism parallelism) {
        run(parallelism);
        var rng = new SplittableRandom(7);
        for (int s = 0; s < 256; s++) {
            int i = rng.nextInt(m);
            int j = rng.nextInt(n);
            double exact = 0;
            double abs = 0;
            for (int p = 0; p < k; p++) {
                float av = transA ? a[p * m + i] : a[i * k + p];
                float bv = transB ? b[j * k + p] : b[p * n + j];
                exact += (double) av * bv;
                abs += Math.abs((double) av * bv);
            }
            double bound = 2.0 * (k + 1) * 0x1p-24 * abs;
            if (!(Math.abs(c[i * n + j] - exact) <= bound)) {
                throw new IllegalStateException("GEMM " + this + " is wrong at (" + i + ", " + j + "): "
                        + c[i * n + j] + " vs exact " + exact + " (bound " + bound + ")");
            }
        }
    }

    private static float[] random(SplittableRandom rng, int size) {
        float[] x = new float[size];
        for (int i = 0; i < size; i++) {
            x[i] = (float) rng.nextDouble(-1, 1);
        }
        return x;
    }

    @Override
    public String toString() {
        return "M=" + m + " N=" + n + " K=" + k + (transA ? " A^T" : "") + (transB ? " B^T" : "");
    }
}
