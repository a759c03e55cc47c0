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
