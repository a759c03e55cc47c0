package dev.vcnn.bench;

import dev.vcnn.engine.kernel.simd.gemm.MicroKernel;
import dev.vcnn.engine.kernel.simd.gemm.SimdGemm;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * The GEMM's register tile alone, on one thread, with no packing, blocking or threads around it: one packed
 * NR×kc panel of B against {@code rows}/MR packed A panels, each tile added to a C block that stays in cache,
 * as the packed GEMM's innermost loops call it. What it reaches beside {@link FmaPeakBench} (run both in one
 * JMH run) bounds every GEMM and convolution built on it; at kc ≤ 256 the B panel (32 KiB at 512 bits) fits in L1.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class MicroKernelBench {
    private static final int MR = SimdGemm.MR;
    private static final int NR = SimdGemm.NR;

    /** Products per accumulator per call: one run (≤ 256) or a whole K block of four runs. */
    @Param({"128", "256", "1024"})
    public int kc;

    /** Rows of A per B panel: one tile (both panels in L1), or the 96 of a packed GEMM's row block. */
    @Param({"8", "96"})
    public int rows;

    private float[] ap;
    private float[] bp;
    private float[] c;
    private final float[] tile = new float[MR * NR];

    @Setup(Level.Trial)
    public void setUp() {
        ap = BenchData.uniform(new SplittableRandom(1), rows * kc);
        bp = BenchData.uniform(new SplittableRandom(2), NR * kc);
        c = new float[rows * NR];
        validate();
    }

    /**
     * One pass with beta = 0 against the products summed in double: the packed layouts are A's MR values and B's
     * NR values per k. Fails beyond the float bound 2(kc + 1)·2⁻²⁴·Σ|products|.
     */
    private void validate() {
        for (int ir = 0; ir < rows; ir += MR) {
            MicroKernel.microKernelRuns(kc, ap, ir * kc, bp, 0, c, ir * NR, NR, 1f, 0f, MR, NR, tile);
            for (int i = 0; i < MR; i++) {
                for (int j = 0; j < NR; j++) {
                    double exact = 0;
                    double abs = 0;
                    for (int p = 0; p < kc; p++) {
                        double t = (double) ap[ir * kc + p * MR + i] * bp[p * NR + j];
                        exact += t;
                        abs += Math.abs(t);
                    }
                    double got = c[(ir + i) * NR + j];
                    if (Math.abs(got - exact) > 2.0 * (kc + 1) * 0x1p-24 * abs) {
                        throw new IllegalStateException("MicroKernelBench: tile (" + (ir + i) + ", " + j + ") is "
                                + got + ", expected " + exact + " (kc " + kc + ")");
                    }
                }
            }
        }
    }

    @Benchmark
    public float[] tiles(FlopCounter counter) {
        for (int ir = 0; ir < rows; ir += MR) {
            MicroKernel.microKernelRuns(kc, ap, ir * kc, bp, 0, c, ir * NR, NR, 1f, 0.5f, MR, NR, tile);
        }
        counter.flop += 2L * rows * NR * kc;
        return c;
    }
}
