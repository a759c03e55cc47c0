package dev.vcnn.peers;

import dev.vcnn.bench.report.JmhResults;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Prints a {@link PeerBench} JSON result as the side-by-side table: per workload and thread count,
 * each engine's speed (GFLOP/s for convolution and linear, images/s for training, milliseconds for
 * pooling) with its 99.9% interval, and vcnn's throughput divided by PyTorch's (above 1: vcnn is
 * faster). Usage: {@code PeerTable RESULTS.json}.
 */
public final class PeerTable {
    private PeerTable() {}

    public static void main(String[] args) throws Exception {
        JmhResults.printReport(args, "PeerTable", PeerTable::render);
    }

    /** The table as Markdown; a workload that ran on one engine only shows an empty ratio. */
    public static String render(List<JmhResults.Row> rows) {
        Map<String, JmhResults.Score> byKey = new HashMap<>();
        for (JmhResults.Row r : rows) {
            if (r.benchmark().startsWith("PeerBench")) {
                byKey.put(key(r.params().get("workload"), r.params().get("engine"), r.params().get("threads")), r.primary());
            }
        }
        var sb = new StringBuilder("| workload | threads | vcnn | PyTorch | vcnn / PyTorch |\n|---|---|---|---|---|\n");
        for (Workload w : Workload.ALL) {
            for (String t : List.of("1", "2")) {
                JmhResults.Score v = byKey.get(key(w.name(), "vcnn", t));
                JmhResults.Score p = byKey.get(key(w.name(), "pytorch", t));
                if (v == null && p == null) {
                    continue;
                }
                sb.append(String.format(Locale.ROOT, "| %s | %s | %s | %s | %s |%n", w.name(), t, speed(w, v), speed(w, p),
                        v == null || p == null ? "" : String.format(Locale.ROOT, "%.2f", v.score() / p.score())));
            }
        }
        return sb.toString();
    }

    private static String key(String workload, String engine, String threads) {
        return workload + "/" + engine + "/" + threads;
    }

    /** A throughput (ops/s) in the workload's natural unit, with its interval's half-width. */
    private static String speed(Workload w, JmhResults.Score s) {
        if (s == null) {
            return "";
        }
        if (w.kind() == Workload.Kind.MAX_POOL) { // time per op: the interval maps through 1/x
            return String.format(Locale.ROOT, "%.3f ms (%.3f–%.3f)", 1e3 / s.score(), 1e3 / s.hi(), 1e3 / s.lo());
        }
        double per = w.kind().isNetwork() ? w.batch() : w.flop() / 1e9;
        String unit = w.kind().isNetwork() ? "img/s" : "GFLOP/s";
        return String.format(Locale.ROOT, "%,.1f ± %,.1f %s", s.score() * per, s.error() * per, unit);
    }
}
