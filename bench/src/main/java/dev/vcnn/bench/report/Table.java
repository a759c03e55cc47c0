package dev.vcnn.bench.report;

import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Prints a JMH JSON result as one table: benchmark, parameters, score ± error, GFLOP/s or images/s,
 * and the share of the same run's {@code FmaPeakBench} at the same thread count (for {@code PeakShareBench}, of
 * the peak it measured beside the layer).
 * Usage: {@code java -cp benchmarks.jar dev.vcnn.bench.report.Table results.json}.
 */
public final class Table {
    private Table() {}

    public static void main(String[] args) throws Exception {
        JmhResults.printReport(args, "Table", Table::render);
    }

    /** The table as Markdown. */
    public static String render(List<JmhResults.Row> rows) {
        Map<String, Double> peak = new HashMap<>();
        for (JmhResults.Row r : rows) {
            if (r.benchmark().startsWith("FmaPeakBench") && r.secondary().containsKey("flop")) {
                peak.put(r.params().getOrDefault("threads", "1"), r.secondary().get("flop").score());
            }
        }
        var sb = new StringBuilder();
        sb.append("| benchmark | parameters | score | GFLOP/s | images/s | % of FMA peak |\n|---|---|---|---|---|---|\n");
        for (JmhResults.Row r : rows) {
            JmhResults.Score p = r.primary();
            JmhResults.Score images = r.secondary().get("images");
            Double gflops = r.secondary().containsKey("flop") ? Double.valueOf(r.secondary().get("flop").score()) : null;
            Double share = null;
            if (gflops != null) {
                Double pk = peak.get(r.params().getOrDefault("threads", "1"));
                share = pk == null ? null : gflops / pk;
            } else if (r.secondary().containsKey("layerNanos")) { // PeakShareBench: the peak measured beside the layer
                gflops = rate(r, "layerFlop", "layerNanos");
                share = gflops / rate(r, "peakFlop", "peakNanos");
            }
            sb.append(String.format(Locale.ROOT, "| %s | %s | %s ± %s %s | %s | %s | %s |%n", r.benchmark(), r.paramText(),
                    num(p.score()), num(p.error()), p.unit(), gflops == null ? "" : String.format(Locale.ROOT, "%.1f", gflops),
                    images == null ? "" : String.format(Locale.ROOT, "%,.0f", images.score()),
                    share == null ? "" : String.format(Locale.ROOT, "%.1f%%", 100 * share)));
        }
        return sb.toString();
    }

    /** GFLOP/s from a PeakShareBench row's summed FLOP and nanosecond counters. */
    private static double rate(JmhResults.Row r, String flop, String nanos) {
        return r.secondary().get(flop).score() / r.secondary().get(nanos).score();
    }

    /** Three significant digits, whatever the magnitude. */
    static String num(double v) {
        if (v == 0 || !Double.isFinite(v)) {
            return String.valueOf(v);
        }
        double a = Math.abs(v);
        return a >= 100 ? String.format(Locale.ROOT, "%.0f", v) : a >= 1 ? String.format(Locale.ROOT, "%.3g", v)
                : String.format(Locale.ROOT, "%.3g", v);
    }
}
