package dev.vcnn.bench;

import dev.vcnn.engine.parallel.Parallelism;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Setup;

/**
 * The best FMA throughput the Vector API reaches here: 16 independent accumulator chains (two
 * 4-cycle FMA pipes need at least 8 in flight), no memory traffic. The {@code flop} counter is in
 * FLOP per nanosecond, i.e. GFLOP/s; GEMM and convolution report against it.
 */
public class FmaPeakBench extends ThreadedBench {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final int STEPS = 1 << 16;

    private final Chains chains = new Chains();

    @Setup(Level.Trial)
    public void setUp() {
        openPool();
    }

    /** One batch of {@link #STEPS} per thread (the deadline has passed by the time it is looked at). */
    @Benchmark
    public void fma(FlopCounter counter) {
        counter.flop += chains.run(parallelism, threads, STEPS, System.nanoTime());
    }

    /**
     * The probe, for this benchmark and {@link PeakShareBench}: the chains' seeds, and per thread (up to 8) a
     * sink row and a batch count, 8 rows apart to avoid false sharing.
     */
    static final class Chains {
        private final float[] seeds = {1.0001f, 0.9999f, 1e-7f};
        private final float[][] sinks = new float[64][F.length()];
        private final long[] batches = new long[64];

        /**
         * Batches of {@code steps} steps on each of {@code threads} tasks, until {@code deadline}
         * ({@link System#nanoTime}) has passed and at least one; returns the FLOP done. One fork-join in all: a
         * fork-join per short batch cost each thread microseconds that the FLOP count would not show.
         */
        long run(Parallelism parallelism, int threads, int steps, long deadline) {
            parallelism.forRange(threads, 1, (s, e) -> {
                for (int t = s; t < e; t++) {
                    long n = 0;
                    do {
                        fmaSteps(seeds, steps, sinks[t * 8]);
                        n++;
                    } while (System.nanoTime() - deadline < 0);
                    batches[t * 8] = n;
                }
            });
            long total = 0;
            for (int t = 0; t < threads; t++) {
                total += batches[t * 8];
            }
            return total * steps * 16 * F.length() * 2;
        }
    }

    /** From seeds {x, a0, y}: chains a_i = a0 + i·y, each step a ← a·x + y. */
    private static void fmaSteps(float[] seeds, int steps, float[] sink) {
        var x = FloatVector.broadcast(F, seeds[0]);
        var y = FloatVector.broadcast(F, seeds[2]);
        var a0 = FloatVector.broadcast(F, seeds[1]);
        var a1 = a0.add(y);
        var a2 = a1.add(y);
        var a3 = a2.add(y);
        var a4 = a3.add(y);
        var a5 = a4.add(y);
        var a6 = a5.add(y);
        var a7 = a6.add(y);
        var a8 = a7.add(y);
        var a9 = a8.add(y);
        var a10 = a9.add(y);
        var a11 = a10.add(y);
        var a12 = a11.add(y);
        var a13 = a12.add(y);
        var a14 = a13.add(y);
        var a15 = a14.add(y);
        for (int i = 0; i < steps; i++) {
            a0 = a0.fma(x, y);
            a1 = a1.fma(x, y);
            a2 = a2.fma(x, y);
            a3 = a3.fma(x, y);
            a4 = a4.fma(x, y);
            a5 = a5.fma(x, y);
            a6 = a6.fma(x, y);
            a7 = a7.fma(x, y);
            a8 = a8.fma(x, y);
            a9 = a9.fma(x, y);
            a10 = a10.fma(x, y);
            a11 = a11.fma(x, y);
            a12 = a12.fma(x, y);
            a13 = a13.fma(x, y);
            a14 = a14.fma(x, y);
            a15 = a15.fma(x, y);
        }
        a0.add(a1).add(a2.add(a3)).add(a4.add(a5).add(a6.add(a7)))
                .add(a8.add(a9).add(a10.add(a11)).add(a12.add(a13).add(a14.add(a15))))
                .intoArray(sink, 0);
    }
}
