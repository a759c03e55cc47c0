package dev.vcnn.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Collection;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/**
 * Every benchmark, every parameter combination, one very short iteration in this JVM: a benchmark
 * whose setup validation fails (wrong result against the scalar reference) or that throws fails the
 * build. This times nothing; speed is measured with the benchmarks jar.
 */
class BenchmarksRunTest {
    @Test
    void everyBenchmarkRunsAndValidates() throws Exception {
        var options = new OptionsBuilder()
                .include("dev\\.vcnn\\.bench\\..*")
                .forks(0)
                .warmupIterations(0)
                .measurementIterations(1)
                .measurementTime(TimeValue.milliseconds(10))
                .timeUnit(TimeUnit.MILLISECONDS)
                .shouldFailOnError(true)
                .build();
        Collection<RunResult> results = new Runner(options).run();
        // FmaPeak 2, Gemm 6·2, GemmShapes 7·2, Conv 2 methods·16 shapes·2, PeakShare 4 shapes·2 passes·2,
        // Pool 2 methods·3 kinds·2, TrainStep 4 models·3 modes·2, MicroKernel 3 depths·2 row counts.
        assertEquals(2 + 12 + 14 + 64 + 16 + 12 + 24 + 6, results.size());
        for (RunResult r : results) {
            assertTrue(r.getPrimaryResult().getScore() > 0, r.getParams().getBenchmark() + " scored nothing");
        }
    }
}
