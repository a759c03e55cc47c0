package dev.vcnn.bench;

import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * A convolution layer's share of the FMA peak with both measured in the same milliseconds: each
 * invocation runs the layer ({@link ConvBench}'s), then {@link FmaPeakBench}'s chains on every thread for
 * as long as the layer took, and adds both times and FLOP counts to {@link Share}. On this project's shared
 * 2-core machines the peak itself moves by 10–50% from one phase to the next (FmaPeakBench at two threads:
 * 196.7 ± 154 GFLOP/s in one run), so a layer and a peak measured minutes apart can read several points
 * high or low; side by side, each phase slows both. {@code Table} prints the share as
 * (layerFlop / layerNanos) / (peakFlop / peakNanos), summed over the run's iterations. The primary score
 * (invocations per nanosecond) means nothing here.
 */
public class PeakShareBench extends ThreadedBench {
    /**
     * See {@link ConvLayer#of}; not named {@code shape}, so that {@code -p layer=…} picks layers here without
     * narrowing {@link ConvBench} in the same run.
     */
    @Param({"lenet-conv1", "cifar-conv1", "vgg-64", "conv-128"})
    public String layer;

    /** forward, or forwardBackward (input, weight and bias gradients after the forward). */
    @Param({"forward", "forwardBackward"})
    public String pass;

    /** Probe steps per look at the clock: ~36 µs of FMA on one core at 512 bits. */
    private static final int PROBE_STEPS = 1 << 13;

    private ConvLayer conv;
    private boolean backward;
    private final FmaPeakBench.Chains chains = new FmaPeakBench.Chains();

    /** Times (ns) and FLOP of the layer and of the probe beside it, summed over an iteration. */
    @AuxCounters(AuxCounters.Type.EVENTS)
    @State(Scope.Thread)
    public static class Share {
        public double layerNanos;
        public double layerFlop;
        public double peakNanos;
        public double peakFlop;
    }

    @Setup(Level.Trial)
    public void setUp() {
        openPool();
        backward = switch (pass) {
            case "forward" -> false;
            case "forwardBackward" -> true;
            default -> throw new IllegalArgumentException("PeakShareBench: pass must be forward or forwardBackward "
                    + "but was '" + pass + "'");
        };
        conv = ConvLayer.of(layer);
        conv.validate(parallelism);
    }

    @Benchmark
    public float[] interleaved(Share share) {
        long t0 = System.nanoTime();
        float[] result = backward ? conv.forwardBackward(parallelism) : conv.forward(parallelism);
        long t1 = System.nanoTime();
        long flop = chains.run(parallelism, threads, PROBE_STEPS, t1 + (t1 - t0));
        long t2 = System.nanoTime();
        share.layerNanos += t1 - t0;
        share.layerFlop += backward ? conv.forwardBackwardFlop() : conv.forwardFlop();
        share.peakNanos += t2 - t1;
        share.peakFlop += flop;
        return result;
    }
}
