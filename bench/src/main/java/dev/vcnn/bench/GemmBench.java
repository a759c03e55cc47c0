package dev.vcnn.bench;

import dev.vcnn.engine.parallel.Parallelism;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.AuxCounters;
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
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/** Square sgemm C = A·B, n×n, through {@code Kernels.defaults()}; {@code flop} is GFLOP/s. */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 2, jvmArgsAppend = {"--add-modules=jdk.incubator.vector"})
public class GemmBench {
    @Param({"64", "128", "256", "512", "1024", "2048"})
    public int n;

    @Param({"1", "2"})
    public int threads;

    private Parallelism parallelism;
    private GemmCase problem;

    @Setup(Level.Trial)
    public void setUp() {
        parallelism = Parallelism.of(threads);
        problem = new GemmCase(false, false, n, n, n);
        problem.validate(parallelism);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        parallelism.close();
    }

    @AuxCounters(AuxCounters.Type.OPERATIONS)
    @State(Scope.Thread)
    public static class Flops {
        public long flop;
    }

    @Benchmark
    public float[] sgemm(Flops counter) {
        problem.run(parallelism);
        counter.flop += problem.flop();
        return problem.c;
    }
}
