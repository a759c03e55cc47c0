package dev.vcnn.models.train;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.util.List;

/**
 * Results over a labelled set: mean loss, accuracy, per-class accuracy and the confusion matrix
 * (rows: true class, columns: predicted class).
 */
public record Evaluation(double loss, int[][] confusion, List<String> classes) {
    public int count() {
        int n = 0;
        for (int[] row : confusion) {
            for (int v : row) {
                n += v;
            }
        }
        return n;
    }

    public double accuracy() {
        int right = 0;
        for (int i = 0; i < confusion.length; i++) {
            right += confusion[i][i];
        }
        return count() == 0 ? 0 : (double) right / count();
    }

    /** Accuracy among images of class c (NaN when there are none). */
    public double classAccuracy(int c) {
        int total = 0;
        for (int v : confusion[c]) {
            total += v;
        }
        return total == 0 ? Double.NaN : (double) confusion[c][c] / total;
    }

    /** A fixed-width table: per-class accuracy and the confusion matrix. */
    public String report() {
        var sb = new StringBuilder();
        int w = Math.max(5, classes.stream().mapToInt(String::length).max().orElse(5));
        sb.append(String.format("%-" + w + "s  %8s  confusion (rows: true, columns: predicted)%n", "class", "accuracy"));
        for (int c = 0; c < confusion.length; c++) {
            sb.append(String.format("%-" + w + "s  %7.2f%%  ", classes.get(c), 100 * classAccuracy(c)));
            for (int v : confusion[c]) {
                sb.append(String.format("%6d", v));
            }
            sb.append('\n');
        }
        return sb.toString();
    }

    /** Per-class accuracy and the matrix as JSON fields. */
    public void addTo(JsonObject o, String prefix) {
        o.addProperty(prefix + "accuracy", accuracy());
        o.addProperty(prefix + "loss", loss);
        var perClass = new JsonObject();
        for (int c = 0; c < confusion.length; c++) {
            double a = classAccuracy(c);
            if (!Double.isNaN(a)) {
                perClass.addProperty(classes.get(c), a);
            }
        }
        o.add(prefix + "per_class_accuracy", perClass);
        var matrix = new JsonArray();
        for (int[] row : confusion) {
            var r = new JsonArray();
            for (int v : row) {
                r.add(v);
            }
            matrix.add(r);
        }
        o.add(prefix + "confusion_matrix", matrix);
    }
}
