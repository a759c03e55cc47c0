package dev.vcnn.bench;

import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/** Square sgemm C = A·B, n×n, through {@code Kernels.defaults()}; {@code flop} is GFLOP/s. */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 2, jvmArgsAppend = {"--add-modules=jdk.incubator.vector"})
public class GemmBench extends ThreadedBench {
    @Param({"64", "128", "256", "512", "1024", "2048"})
    public int n;

    private GemmCase problem;

    @Setup(Level.Trial)
    public void setUp() {
        openPool();
        problem = new GemmCase(false, false, n, n, n);
        problem.validate(parallelism);
    }

    @Benchmark
    public float[] sgemm(FlopCounter counter) {
        problem.run(parallelism);
        counter.flop += problem.flop();
        return problem.c;
    }
}
