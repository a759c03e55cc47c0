package dev.vcnn.peers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vcnn.bench.report.JmhResults;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PeerTableTest {
    private static JmhResults.Row row(String workload, String engine, String threads, double opsPerSecond) {
        return new JmhResults.Row("PeerBench.run", Map.of("workload", workload, "engine", engine, "threads", threads),
                new JmhResults.Score(opsPerSecond, opsPerSecond * 0.9, opsPerSecond * 1.1, "ops/s"), Map.of());
    }

    @Test
    void ratioIsVcnnThroughputOverPyTorchs() {
        String table = PeerTable.render(List.of(row("vgg-64", "vcnn", "1", 30), row("vgg-64", "pytorch", "1", 20)));
        // vgg-64 is 2·8·64·56²·64·9 FLOP a run: 30 runs/s is 55.5 GFLOP/s.
        double gflop = Workload.of("vgg-64").flop() / 1e9;
        assertTrue(table.contains(String.format(java.util.Locale.ROOT, "%,.1f", 30 * gflop) + " ±"), table);
        assertTrue(table.contains("| vgg-64 | 1 |"), table);
        assertTrue(table.trim().endsWith("| 1.50 |"), table);
    }

    @Test
    void forwardBackwardCountsTheBackwardAsTwiceTheForward() {
        // vgg-64: 2·8·64·56²·64·9 FLOP forward (1.85 GFLOP), three times that with the backward.
        assertEquals(2.0 * 8 * 64 * 56 * 56 * 64 * 9, Workload.of("vgg-64").flop());
        assertEquals(3 * Workload.of("vgg-64").flop(), Workload.of("vgg-64-fb").flop());
        assertEquals(Workload.of("vgg-64").weightShape().length, Workload.of("vgg-64-fb").weightShape().length);
        assertEquals(56, Workload.of("vgg-64-fb").outSize());
    }

    @Test
    void poolingIsShownInMillisecondsAndTrainingInImages() {
        String table = PeerTable.render(List.of(row("maxpool", "vcnn", "2", 500), row("lenet5-train", "pytorch", "1", 100)));
        assertTrue(table.contains("| maxpool | 2 | 2.000 ms (1.818–2.222) |  |  |"), table);
        assertTrue(table.contains("| lenet5-train | 1 |  | 6,400.0 ± 640.0 img/s |  |"), table);
        assertEquals(4, table.lines().count(), table);
    }

    @Test
    void networksAreShownInImagesPerSecond() {
        String table = PeerTable.render(List.of(row("resnet18-infer-32", "vcnn", "2", 2), row("resnet18-infer-32", "pytorch", "2", 1)));
        assertTrue(table.contains("| resnet18-infer-32 | 2 | 64.0 ± 6.4 img/s | 32.0 ± 3.2 img/s | 2.00 |"), table);
    }

    /** The benchmark's workload parameter lists every workload of the table, in its order. */
    @Test
    void theBenchmarkRunsEveryWorkload() throws Exception {
        String[] names = PeerBench.class.getField("workload").getAnnotation(org.openjdk.jmh.annotations.Param.class).value();
        assertEquals(Workload.ALL.stream().map(Workload::name).toList(), List.of(names));
    }

    /** Every workload sets up on vcnn (the reference kernels: no timing here). */
    @Test
    void everyWorkloadSetsUpOnVcnn() {
        for (Workload w : Workload.ALL) {
            try (var r = new VcnnRunner(w, 1, dev.vcnn.engine.kernel.Kernels.scalar(), false)) {
                assertTrue(r != null, w.name());
            }
        }
    }

    @Test
    void unknownWorkloadNamesTheKnownOnes() {
        var e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> Workload.of("vgg"));
        assertTrue(e.getMessage().contains("lenet-conv1") && e.getMessage().contains("'vgg'"), e.getMessage());
    }
}
