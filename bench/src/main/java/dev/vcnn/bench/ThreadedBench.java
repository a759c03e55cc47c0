package dev.vcnn.bench;

import dev.vcnn.engine.parallel.Parallelism;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * A benchmark run on vcnn's own pool with {@code threads} threads (1 and 2 by default), and the
 * settings every vcnn benchmark shares: throughput per nanosecond (so a {@link FlopCounter} reads as
 * GFLOP/s), 3 warm-up and 5 measured 1 s iterations, 2 forks with the incubator module. Subclasses
 * override what differs (PoolBench reports milliseconds per operation).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 2, jvmArgsAppend = {"--add-modules=jdk.incubator.vector"})
public abstract class ThreadedBench {
    @Param({"1", "2"})
    public int threads;

    /** Opened by the subclass's setup through {@link #openPool()}, closed after the trial. */
    protected Parallelism parallelism;

    protected Parallelism openPool() {
        parallelism = Parallelism.of(threads);
        return parallelism;
    }

    @TearDown(Level.Trial)
    public void closePool() {
        if (parallelism != null) {
            parallelism.close();
        }
    }
}
