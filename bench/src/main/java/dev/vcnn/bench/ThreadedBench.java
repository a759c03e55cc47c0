package dev.vcnn.bench;

import dev.vcnn.engine.parallel.Parallelism;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/** A benchmark run on vcnn's own pool with {@code threads} threads (1 and 2 by default). */
@State(Scope.Benchmark)
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
