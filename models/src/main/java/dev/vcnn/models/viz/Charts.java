package dev.vcnn.models.viz;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.HeatMapChart;
import org.knowm.xchart.HeatMapChartBuilder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/** Plots drawn with XChart: training curves, confusion matrices and multi-run comparisons. */
public final class Charts {
    public static final int WIDTH = 640;
    public static final int HEIGHT = 420;

    private Charts() {}

    /** A named line: x and y of equal length. */
    public record Line(String name, double[] x, double[] y) {}

    /** A line chart of several series (NaN and infinite points are left out, so a diverged run stops). */
    public static BufferedImage lines(String title, String xTitle, String yTitle, List<Line> lines, boolean logY) {
        return lines(title, xTitle, yTitle, lines, logY, Styler.LegendPosition.InsideNE, null);
    }

    /**
     * As {@link #lines(String, String, String, List, boolean)} with the legend where the curves are not and,
     * when {@code yMax} is not null, the y axis cut at that value (a zoom on the interesting range).
     */
    public static BufferedImage lines(String title, String xTitle, String yTitle, List<Line> lines, boolean logY,
                                      Styler.LegendPosition legend, Double yMax) {
        XYChart chart = new XYChartBuilder().width(WIDTH).height(HEIGHT).title(title).xAxisTitle(xTitle).yAxisTitle(yTitle).build();
        Styler st = chart.getStyler();
        st.setLegendPosition(legend);
        st.setChartBackgroundColor(Color.WHITE);
        chart.getStyler().setYAxisLogarithmic(logY);
        chart.getStyler().setXAxisDecimalPattern("#.##");
        if (yMax != null) {
            chart.getStyler().setYAxisMax(yMax);
            chart.getStyler().setYAxisMin(0.0);
        }
        for (Line l : lines) {
            List<Double> xs = new ArrayList<>();
            List<Double> ys = new ArrayList<>();
            for (int i = 0; i < l.x().length; i++) {
                if (Double.isFinite(l.y()[i]) && (!logY || l.y()[i] > 0)) {
                    xs.add(l.x()[i]);
                    ys.add(l.y()[i]);
                }
            }
            if (xs.isEmpty()) {
                continue;
            }
            XYSeries s = chart.addSeries(l.name(), xs, ys);
            s.setMarker(xs.size() > 40 ? SeriesMarkers.NONE : SeriesMarkers.CIRCLE);
        }
        return BitmapEncoder.getBufferedImage(chart);
    }

    /**
     * The training curves of a run's {@code metrics.json}: loss per epoch (train and validation) and,
     * for classifiers, accuracy per epoch, side by side.
     */
    public static BufferedImage curves(String title, JsonObject metrics) {
        Map<String, double[]> cols = new LinkedHashMap<>();
        for (String key : List.of("epoch", "train_loss", "val_loss", "train_accuracy", "val_accuracy")) {
            double[] v = column(metrics, key);
            if (java.util.Arrays.stream(v).anyMatch(d -> !Double.isNaN(d))) {
                cols.put(key, v);
            }
        }
        double[] x = cols.getOrDefault("epoch", new double[0]);
        List<Line> loss = new ArrayList<>();
        List<Line> acc = new ArrayList<>();
        cols.forEach((k, v) -> {
            if (k.endsWith("_loss")) {
                loss.add(new Line(k.startsWith("train") ? "train" : "validation", x, v));
            } else if (k.endsWith("_accuracy")) {
                acc.add(new Line(k.startsWith("train") ? "train" : "validation", x, scale(v, 100)));
            }
        });
        List<BufferedImage> parts = new ArrayList<>();
        parts.add(lines(title + ": loss", "epoch", "loss", loss, false));
        if (!acc.isEmpty()) {
            parts.add(lines(title + ": accuracy", "epoch", "accuracy (%)", acc, false, Styler.LegendPosition.InsideSE, null));
        }
        return besideEachOther(parts);
    }

    /** One figure of every epoch in a run's metrics ("train_loss", "epoch"…), NaN where an epoch lacks it. */
    public static double[] column(JsonObject metrics, String key) {
        if (metrics.has("epochs") && !metrics.get("epochs").isJsonArray()) {
            throw new IllegalArgumentException("metrics: 'epochs' must be an array but was " + brief(metrics.get("epochs")));
        }
        JsonArray epochs = metrics.has("epochs") ? metrics.getAsJsonArray("epochs") : new JsonArray();
        double[] v = new double[epochs.size()];
        for (int i = 0; i < v.length; i++) {
            if (!epochs.get(i).isJsonObject()) {
                throw new IllegalArgumentException("metrics: epochs[" + i + "] must be an object but was " + brief(epochs.get(i)));
            }
            JsonObject e = epochs.get(i).getAsJsonObject();
            if (!e.has(key)) {
                v[i] = Double.NaN;
            } else if (e.get(key).isJsonPrimitive() && e.get(key).getAsJsonPrimitive().isNumber()) {
                v[i] = e.get(key).getAsDouble();
            } else {
                throw new IllegalArgumentException("metrics: epochs[" + i + "]." + key + " must be a number but was "
                        + brief(e.get(key)));
            }
        }
        return v;
    }

    private static String brief(com.google.gson.JsonElement e) {
        String s = String.valueOf(e);
        return s.length() > 40 ? s.substring(0, 40) + "…" : s;
    }

    /** A confusion matrix heat map: rows true class, columns predicted class, counts in the cells. */
    public static BufferedImage confusion(String title, int[][] counts, List<String> classes) {
        int k = classes.size();
        int size = Math.max(480, Math.min(1200, 80 + 48 * k));
        HeatMapChart chart = new HeatMapChartBuilder().width(size + 120).height(size).title(title)
                .xAxisTitle("predicted").yAxisTitle("true").build();
        chart.getStyler().setShowValue(true);
        chart.getStyler().setValueFont(new Font(Font.SANS_SERIF, Font.PLAIN, k > 12 ? 8 : 11));
        chart.getStyler().setHeatMapValueDecimalPattern("#");
        chart.getStyler().setChartBackgroundColor(Color.WHITE);
        chart.getStyler().setRangeColors(new Color[] {new Color(247, 251, 255), new Color(158, 202, 225), new Color(49, 130, 189)});
        chart.getStyler().setLegendVisible(true);
        chart.getStyler().setXAxisTickMarkSpacingHint(8); // every class name, not every other one
        chart.getStyler().setYAxisTickMarkSpacingHint(8);
        chart.getStyler().setXAxisLabelRotation(k > 6 ? 45 : 0);
        List<Number[]> cells = new ArrayList<>();
        for (int t = 0; t < k; t++) {
            for (int p = 0; p < k; p++) {
                cells.add(new Number[] {p, k - 1 - t, counts[t][p]}); // first class at the top, as usual
            }
        }
        List<String> reversed = new ArrayList<>(classes);
        java.util.Collections.reverse(reversed);
        chart.addSeries("count", classes, reversed, cells);
        return BitmapEncoder.getBufferedImage(chart);
    }

    /** Images side by side on a white background, top-aligned. */
    public static BufferedImage besideEachOther(List<BufferedImage> parts) {
        int w = parts.stream().mapToInt(BufferedImage::getWidth).sum();
        int h = parts.stream().mapToInt(BufferedImage::getHeight).max().orElse(1);
        var img = new BufferedImage(Math.max(1, w), h, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, img.getWidth(), h);
        int x = 0;
        for (BufferedImage p : parts) {
            g.drawImage(p, x, 0, null);
            x += p.getWidth();
        }
        g.dispose();
        return img;
    }

    private static double[] scale(double[] v, double f) {
        double[] o = new double[v.length];
        for (int i = 0; i < v.length; i++) {
            o[i] = v[i] * f;
        }
        return o;
    }
}
