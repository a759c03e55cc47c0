package dev.vcnn.bench.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vcnn.bench.report.Compare.Verdict;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class CompareTest {
    private static JmhResults.Row row(String name, double score, double error, String unit) {
        return new JmhResults.Row(name, Map.of("threads", "1"), new JmhResults.Score(score, score - error, score + error, unit), Map.of());
    }

    private static Verdict verdict(JmhResults.Row base, JmhResults.Row run) {
        List<Compare.Change> changes = Compare.compare(List.of(base), List.of(run), 25);
        assertEquals(1, changes.size());
        return changes.get(0).verdict();
    }

    @Test
    void aSlowdownBeyondThresholdWithIntervalsApartIsARegression() {
        assertEquals(Verdict.REGRESSION, verdict(row("B.x", 100, 5, "ops/s"), row("B.x", 60, 5, "ops/s")));
        // Time units: larger is slower.
        assertEquals(Verdict.REGRESSION, verdict(row("B.t", 10, 0.5, "ms/op"), row("B.t", 14, 0.5, "ms/op")));
    }

    @Test
    void overlappingIntervalsAreTheSameHoweverLargeTheChange() {
        assertEquals(Verdict.SAME, verdict(row("B.x", 100, 30, "ops/s"), row("B.x", 60, 15, "ops/s")));
    }

    @Test
    void aSlowdownWithinTheThresholdIsOnlySlower() {
        assertEquals(Verdict.SLOWER, verdict(row("B.x", 100, 1, "ops/s"), row("B.x", 80, 1, "ops/s")));
        assertEquals(Verdict.FASTER, verdict(row("B.t", 10, 0.1, "ms/op"), row("B.t", 5, 0.1, "ms/op")));
    }

    @Test
    void theRenderedSummaryCountsRegressionsAndListsMissingBenchmarks() {
        var base = List.of(row("B.x", 100, 5, "ops/s"), row("B.gone", 1, 0.1, "ops/s"));
        var run = List.of(row("B.x", 60, 5, "ops/s"), row("B.new", 1, 0.1, "ops/s"));
        String text = Compare.render(Compare.compare(base, run, 25), base, run, 25);
        assertTrue(text.contains("| B.x threads=1 | 100 ± 5.00 | 60.0 ± 5.00 ops/s | -40.0% | regression |"), text);
        assertTrue(text.contains("| B.gone threads=1 | | missing in run |"), text);
        assertTrue(text.contains("| B.new threads=1 | not in baseline |"), text);
        assertTrue(text.contains("1 compared, 1 regression(s)"), text);
    }

    @Test
    void differentUnitsForOneBenchmarkAreAnError() {
        var e = assertThrows(IllegalArgumentException.class,
                () -> Compare.compare(List.of(row("B.x", 1, 0, "ops/s")), List.of(row("B.x", 1, 0, "ms/op")), 25));
        assertTrue(e.getMessage().contains("B.x threads=1") && e.getMessage().contains("ms/op"), e.getMessage());
    }
}
