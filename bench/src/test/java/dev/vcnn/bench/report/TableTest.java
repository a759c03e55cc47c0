package dev.vcnn.bench.report;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TableTest {
    private static JmhResults.Score score(double v, String unit) {
        return new JmhResults.Score(v, v, v, unit);
    }

    private static JmhResults.Row row(String name, String threads, Map<String, JmhResults.Score> secondary) {
        return new JmhResults.Row(name, Map.of("threads", threads), score(1, "ops/ns"), secondary);
    }

    @Test
    void aFlopRowReadsAgainstTheSameRunsPeakAtItsThreadCount() {
        String table = Table.render(List.of(
                row("FmaPeakBench.fma", "1", Map.of("flop", score(100, "#"))),
                row("FmaPeakBench.fma", "2", Map.of("flop", score(200, "#"))),
                row("ConvBench.forward", "2", Map.of("flop", score(170, "#")))));
        assertTrue(table.contains("| ConvBench.forward | threads=2 | 1.00 ± 0.0 ops/ns | 170.0 |  | 85.0% |"), table);
    }

    @Test
    void aPeakShareRowReadsAgainstThePeakMeasuredBesideIt() {
        // Layer 900 FLOP in 10 ns (90 GFLOP/s), probe 1000 in 8 ns (125): 72%, whatever FmaPeakBench read.
        String table = Table.render(List.of(
                row("FmaPeakBench.fma", "1", Map.of("flop", score(100, "#"))),
                row("PeakShareBench.interleaved", "1", Map.of("layerFlop", score(900, "#"), "layerNanos", score(10, "#"),
                        "peakFlop", score(1000, "#"), "peakNanos", score(8, "#")))));
        assertTrue(table.contains("| PeakShareBench.interleaved | threads=1 | 1.00 ± 0.0 ops/ns | 90.0 |  | 72.0% |"), table);
    }
}
