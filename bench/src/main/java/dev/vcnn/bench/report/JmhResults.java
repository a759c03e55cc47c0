package dev.vcnn.bench.report;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** The rows of a JMH JSON result file ({@code -rf json}), reduced to what the table and the gate need. */
public final class JmhResults {
    private JmhResults() {}

    /**
     * A score with its 99.9% confidence interval.
     *
     * @param score mean
     * @param lo lower end of the interval
     * @param hi upper end
     * @param unit JMH's unit ("ops/ns", "ms/op")
     */
    public record Score(double score, double lo, double hi, String unit) {
        /** Whether a larger value is better: throughput units (ops/…) yes, time units (…/op) no. */
        public boolean higherIsBetter() {
            return unit.startsWith("ops/");
        }

        public double error() {
            return (hi - lo) / 2;
        }
    }

    /**
     * One benchmark with one parameter set.
     *
     * @param benchmark class and method, without the package ("GemmBench.sgemm")
     * @param params parameters, sorted by name
     * @param primary the benchmark's own score
     * @param secondary auxiliary counters by name ("flop", "images")
     */
    public record Row(String benchmark, Map<String, String> params, Score primary, Map<String, Score> secondary) {
        /** "benchmark k=v k=v": the key a run and a baseline are matched on. */
        public String key() {
            return benchmark + (params.isEmpty() ? "" : " " + paramText());
        }

        public String paramText() {
            var sb = new StringBuilder();
            params.forEach((k, v) -> sb.append(sb.isEmpty() ? "" : " ").append(k).append('=').append(v));
            return sb.toString();
        }
    }

    /**
     * The main method of a report that renders one JMH JSON file: usage error (exit 2) unless there is
     * exactly one argument, the rendered text on standard output, a bad file as one line naming it (exit 1).
     */
    public static void printReport(String[] args, String tool, java.util.function.Function<List<Row>, String> render)
            throws IOException {
        if (args.length != 1) {
            System.err.println("usage: " + tool + " RESULTS.json");
            System.exit(2);
        }
        try {
            System.out.print(render.apply(read(Path.of(args[0]))));
        } catch (IllegalArgumentException e) {
            System.err.println(tool.toLowerCase(java.util.Locale.ROOT) + ": " + e.getMessage());
            System.exit(1);
        }
    }

    /**
     * Reads a JMH JSON file.
     *
     * @throws IllegalArgumentException naming the file and the entry that is not a JMH result
     */
    public static List<Row> read(Path file) throws IOException {
        JsonElement root;
        try {
            root = JsonParser.parseString(Files.readString(file, StandardCharsets.UTF_8));
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("jmh results: file must be JSON but did not parse: " + e.getMessage() + " (file=" + file + ")");
        }
        if (!root.isJsonArray()) {
            throw new IllegalArgumentException("jmh results: file must hold a JSON array (JMH -rf json) but does not (file=" + file + ")");
        }
        List<Row> rows = new ArrayList<>();
        JsonArray a = root.getAsJsonArray();
        for (int i = 0; i < a.size(); i++) {
            try {
                JsonObject o = a.get(i).getAsJsonObject();
                String full = o.get("benchmark").getAsString();
                String[] parts = full.split("\\.");
                String name = parts.length >= 2 ? parts[parts.length - 2] + "." + parts[parts.length - 1] : full;
                Map<String, String> params = new TreeMap<>();
                if (o.has("params")) {
                    o.getAsJsonObject("params").entrySet().forEach(e -> params.put(e.getKey(), e.getValue().getAsString()));
                }
                Map<String, Score> secondary = new TreeMap<>();
                if (o.has("secondaryMetrics")) {
                    o.getAsJsonObject("secondaryMetrics").entrySet().forEach(e -> secondary.put(e.getKey(), score(e.getValue().getAsJsonObject())));
                }
                rows.add(new Row(name, params, score(o.getAsJsonObject("primaryMetric")), secondary));
            } catch (RuntimeException e) {
                throw new IllegalArgumentException("jmh results: entry " + i + " must be a JMH result with benchmark, params and "
                        + "primaryMetric but " + e + " (file=" + file + ")");
            }
        }
        return rows;
    }

    private static Score score(JsonObject m) {
        double s = m.get("score").getAsDouble();
        double lo = s;
        double hi = s;
        if (m.has("scoreConfidence")) {
            JsonArray c = m.getAsJsonArray("scoreConfidence");
            lo = c.get(0).getAsDouble();
            hi = c.get(1).getAsDouble();
        }
        if (Double.isNaN(lo) || Double.isNaN(hi)) { // one iteration: JMH has no interval
            lo = s;
            hi = s;
        }
        return new Score(s, lo, hi, m.get("scoreUnit").getAsString());
    }
}
