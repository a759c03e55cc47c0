package dev.vcnn.models.train;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.vcnn.engine.autograd.Autograd;
import dev.vcnn.engine.autograd.Functional;
import dev.vcnn.engine.autograd.Variable;
import dev.vcnn.engine.kernel.Losses.Reduction;
import dev.vcnn.engine.nn.Module;
import dev.vcnn.engine.tensor.Tensor;
import dev.vcnn.models.Models;
import dev.vcnn.models.data.Augment;
import dev.vcnn.models.data.DataLoader;
import dev.vcnn.models.data.Dataset;
import java.util.Iterator;
import java.util.List;

/**
 * Results over a labelled set: mean loss, accuracy, per-class accuracy and the confusion matrix
 * (rows: true class, columns: predicted class).
 */
public record Evaluation(double loss, int[][] confusion, List<String> classes) {
    /**
     * Loss and confusion of a model over a dataset normalised by the per-channel {@code mean} and {@code std} it was
     * trained with, in eval mode without recording.
     */
    public static Evaluation of(Module model, Dataset set, float[] mean, float[] std, Models.Task task, int batchSize) {
        model.eval();
        int k = set.classes().size();
        int[][] confusion = new int[k][k];
        double lossSum = 0;
        try (var loader = new DataLoader(set, batchSize, false, 0, mean, std, Augment.NONE)) {
            for (Iterator<DataLoader.Batch> it = loader.epoch(0); it.hasNext(); ) {
                DataLoader.Batch b = it.next();
                double batchLoss = Autograd.noGrad(() -> {
                    Variable y = model.forward(Variable.constant(b.images()));
                    if (task == Models.Task.CLASSIFY) {
                        int[] pred = Functional.argmax(y.value());
                        for (int i = 0; i < pred.length; i++) {
                            confusion[b.labels()[i]][pred[i]]++;
                        }
                        return (double) Functional.crossEntropy(y, b.labels()).item();
                    }
                    return (double) Functional.mseLoss(y, Variable.constant(unnormalized(b.images(), mean, std)), Reduction.MEAN).item();
                });
                lossSum += batchLoss * b.size();
            }
        }
        return new Evaluation(lossSum / Math.max(1, set.size()), confusion, set.classes());
    }

    /** Undoes normalisation: the [0, 1] pixels an autoencoder reconstructs. */
    static Tensor unnormalized(Tensor x, float[] mean, float[] std) {
        Tensor y = x.copy();
        int c = x.dim(1);
        int plane = x.dim(2) * x.dim(3);
        for (int i = 0; i < x.dim(0); i++) {
            for (int ch = 0; ch < c; ch++) {
                int base = (i * c + ch) * plane;
                for (int j = 0; j < plane; j++) {
                    y.data()[base + j] = y.data()[base + j] * std[ch] + mean[ch];
                }
            }
        }
        return y;
    }

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
