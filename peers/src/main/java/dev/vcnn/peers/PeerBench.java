package dev.vcnn.peers;

import dev.vcnn.engine.kernel.Kernels;
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
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * vcnn and PyTorch side by side: every {@link Workload} on each engine at 1 and 2 threads, in
 * operations per second. Setup checks the engine's output against vcnn's scalar reference kernels
 * ({@link Check}) before anything is timed. {@link PeerTable} turns the JSON into the ratio table.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
// A fixed, pre-touched heap: a growing G1 heap first-touches its new regions, and with vcnn allocating a few
// GB/s of activations that kernel time (page faults) took LeNet-5 inference on 2 threads from ~1,200 to ~95
// batches per second for seconds at a time (main thread 0.7 s/s in the kernel, RSS climbing to 1.4 GB).
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
        "-Dai.djl.offline=true", "-Xms2g", "-Xmx2g", "-XX:+AlwaysPreTouch"})
public class PeerBench {
    @Param({"lenet-conv1", "cifar-conv1", "vgg-64", "conv-128", "lenet-conv1-fb", "cifar-conv1-fb", "vgg-64-fb",
            "conv-128-fb", "maxpool", "linear-784-512", "linear-4096",
            "lenet5-train", "lenet5-infer", "resnet18-infer-1", "resnet18-infer-32", "mobilenet_v2-infer-1",
            "mobilenet_v2-infer-32", "resnet18-train"})
    public String workload;

    @Param({"vcnn", "pytorch"})
    public String engine;

    @Param({"1", "2"})
    public int threads;

    private Runner runner;

    @Setup(Level.Trial)
    public void setUp() {
        Workload w = Workload.of(workload);
        runner = switch (engine) {
            case "vcnn" -> new VcnnRunner(w, threads, Kernels.defaults(), false);
            case "pytorch" -> new TorchRunner(w, threads);
            default -> throw new IllegalArgumentException("PeerBench: engine must be vcnn or pytorch but was '" + engine + "'");
        };
        Check.against(w, engine, runner.output());
    }

    @Benchmark
    public Object run() {
        return runner.run();
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        runner.close();
    }
}
