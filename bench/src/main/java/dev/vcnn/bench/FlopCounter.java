package dev.vcnn.bench;

import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;

/**
 * Floating-point operations done by a benchmark. Throughput benchmarks with an output unit of
 * nanoseconds report it as {@code flop} in ops/ns, which is GFLOP/s.
 */
@AuxCounters(AuxCounters.Type.OPERATIONS)
@State(Scope.Thread)
public class FlopCounter {
    public long flop;
}
