package dev.vcnn.bench.report;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The performance-regression gate: compares a JMH JSON run with a baseline, benchmark by benchmark,
 * and exits 1 when any benchmark is slower beyond the noise. "Beyond the noise" means both: the two
 * 99.9% confidence intervals do not overlap, and the slowdown exceeds the threshold (default
 * {@value #DEFAULT_THRESHOLD_PERCENT}%, from the run-to-run spread measured on the baseline machine; see
 * bench/baselines/README.md). Benchmarks missing on either side are listed, not failed.
 * Usage: {@code java -cp benchmarks.jar dev.vcnn.bench.report.Compare BASELINE.json RUN.json [THRESHOLD_PERCENT]}.
 */
public final class Compare {
    public static final double DEFAULT_THRESHOLD_PERCENT = 25;

    private Compare() {}

    /** The verdict of one benchmark. */
    public enum Verdict { SAME, FASTER, SLOWER, REGRESSION }

    /** One compared benchmark: change in percent (positive = faster), and the verdict. */
    public record Change(String key, JmhResults.Score base, JmhResults.Score run, double percent, boolean overlap, Verdict verdict) {}

    public static void main(String[] args) throws Exception {
        if (args.length < 2 || args.length > 3) {
            System.err.println("usage: Compare BASELINE.json RUN.json [THRESHOLD_PERCENT]");
            System.exit(2);
        }
        try {
            double threshold = args.length == 3 ? Double.parseDouble(args[2]) : DEFAULT_THRESHOLD_PERCENT;
            var base = JmhResults.read(Path.of(args[0]));
            var run = JmhResults.read(Path.of(args[1]));
            List<Change> changes = compare(base, run, threshold);
            System.out.print(render(changes, base, run, threshold));
            System.exit(changes.stream().anyMatch(c -> c.verdict() == Verdict.REGRESSION) ? 1 : 0);
        } catch (IllegalArgumentException e) {
            System.err.println("compare: " + e.getMessage());
            System.exit(2);
        }
    }

    /** Every benchmark present in both, in the run's order. */
    public static List<Change> compare(List<JmhResults.Row> base, List<JmhResults.Row> run, double thresholdPercent) {
        Map<String, JmhResults.Row> b = index(base);
        return run.stream().filter(r -> b.containsKey(r.key())).map(r -> {
            JmhResults.Score s0 = b.get(r.key()).primary();
            JmhResults.Score s1 = r.primary();
            if (!s0.unit().equals(s1.unit())) {
                throw new IllegalArgumentException("compare: " + r.key() + " must have one unit in both files but has "
                        + s0.unit() + " and " + s1.unit());
            }
            // Positive = faster, whatever the unit's direction.
            double percent = s0.higherIsBetter() ? 100 * (s1.score() / s0.score() - 1) : 100 * (s0.score() / s1.score() - 1);
            boolean overlap = s1.lo() <= s0.hi() && s0.lo() <= s1.hi();
            double slowdown = s0.higherIsBetter() ? 100 * (1 - s1.score() / s0.score()) : 100 * (s1.score() / s0.score() - 1);
            Verdict v = overlap ? Verdict.SAME
                    : percent > 0 ? Verdict.FASTER
                    : slowdown > thresholdPercent ? Verdict.REGRESSION : Verdict.SLOWER;
            return new Change(r.key(), s0, s1, percent, overlap, v);
        }).toList();
    }

    private static Map<String, JmhResults.Row> index(List<JmhResults.Row> rows) {
        Map<String, JmhResults.Row> m = new LinkedHashMap<>();
        rows.forEach(r -> m.put(r.key(), r));
        return m;
    }

    /** The comparison as Markdown, with the missing benchmarks and a one-line summary. */
    public static String render(List<Change> changes, List<JmhResults.Row> base, List<JmhResults.Row> run, double threshold) {
        var sb = new StringBuilder("| benchmark | baseline | run | change | verdict |\n|---|---|---|---|---|\n");
        for (Change c : changes) {
            sb.append(String.format(Locale.ROOT, "| %s | %s ± %s | %s ± %s %s | %+.1f%% | %s |%n", c.key(), Table.num(c.base().score()),
                    Table.num(c.base().error()), Table.num(c.run().score()), Table.num(c.run().error()), c.run().unit(), c.percent(),
                    c.verdict() == Verdict.SAME ? "same (intervals overlap)" : c.verdict().name().toLowerCase(Locale.ROOT)));
        }
        var inRun = index(run);
        var inBase = index(base);
        inBase.keySet().stream().filter(k -> !inRun.containsKey(k)).forEach(k -> sb.append("| ").append(k).append(" | | missing in run | | |\n"));
        inRun.keySet().stream().filter(k -> !inBase.containsKey(k)).forEach(k -> sb.append("| ").append(k).append(" | not in baseline | | | |\n"));
        long regressions = changes.stream().filter(c -> c.verdict() == Verdict.REGRESSION).count();
        sb.append(String.format(Locale.ROOT, "%n%d compared, %d regression(s) (slower by more than %.0f%% with intervals apart), "
                + "%d slower within the threshold, %d faster.%n", changes.size(), regressions, threshold,
                changes.stream().filter(c -> c.verdict() == Verdict.SLOWER).count(),
                changes.stream().filter(c -> c.verdict() == Verdict.FASTER).count()));
        return sb.toString();
    }
}
