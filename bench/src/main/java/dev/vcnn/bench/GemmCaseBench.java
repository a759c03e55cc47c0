package dev.vcnn.bench;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Setup;

/** One validated {@link GemmCase} per trial, timed through {@code Kernels.defaults()}; {@code flop} is GFLOP/s. */
public abstract class GemmCaseBench extends ThreadedBench {
    private GemmCase problem;

    /** The problem for this trial's parameters. */
    protected abstract GemmCase problem();

    @Setup(Level.Trial)
    public void setUp() {
        openPool();
        problem = problem();
        problem.validate(parallelism);
    }

    @Benchmark
    public float[] sgemm(FlopCounter counter) {
        problem.run(parallelism);
        counter.flop += problem.flop();
        return problem.c;
    }
}
