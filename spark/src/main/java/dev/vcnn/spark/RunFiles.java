package dev.vcnn.spark;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.vcnn.engine.autograd.Variable;
import dev.vcnn.engine.io.SafeTensors;
import dev.vcnn.engine.nn.Module;
import dev.vcnn.models.Models;
import dev.vcnn.models.train.Evaluation;
import dev.vcnn.models.train.JsonFiles;
import dev.vcnn.models.train.TrainConfig;
import dev.vcnn.models.train.Trainer;
import dev.vcnn.models.viz.Charts;
import dev.vcnn.models.viz.Images;
import dev.vcnn.models.viz.RunPictures;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * What the Spark trainers write into a run directory, as {@code vcnn train} does: an epoch's figures (with
 * validation) into {@code metrics.json} and the curves, and at the end the test evaluation, the model and the
 * confusion matrix. Both trainers keep the driver's model, so both write from there.
 */
final class RunFiles {
    private final TrainConfig config;
    private final Trainer.Data data;
    private final Path runDir;
    private final PrintStream out;
    private final String title;

    RunFiles(TrainConfig config, Trainer.Data data, Path runDir, PrintStream out, String title) {
        this.config = config;
        this.data = data;
        this.runDir = runDir;
        this.out = out;
        this.title = title;
    }

    /** Epoch {@code epoch}'s figures and validation appended to {@code epochs}, printed, and written with the curves. */
    void endEpoch(Module model, int epoch, float lr, double lossSum, long right, long seen, double seconds, JsonArray epochs,
                  JsonArray steps) throws IOException {
        var e = new JsonObject();
        e.addProperty("epoch", epoch + 1);
        e.addProperty("lr", lr);
        e.addProperty("train_loss", lossSum / seen);
        e.addProperty("train_accuracy", (double) right / seen);
        e.addProperty("images_per_second", seen / seconds);
        e.addProperty("seconds", seconds);
        String val = "";
        if (data.validation() != null) {
            Evaluation v = Evaluation.of(model, data.validation(), data.mean(), data.std(), Models.Task.CLASSIFY,
                    config.batchSize());
            e.addProperty("val_loss", v.loss());
            e.addProperty("val_accuracy", v.accuracy());
            val = String.format(", val loss %.4f acc %.2f%%", v.loss(), 100 * v.accuracy());
        }
        epochs.add(e);
        out.printf("epoch %d/%d: lr %.4g, train loss %.4f acc %.2f%%%s, %.0f img/s, %.1f s%n", epoch + 1, config.epochs(),
                lr, lossSum / seen, 100.0 * right / seen, val, seen / seconds, seconds);
        JsonObject metrics = new JsonObject();
        metrics.add("epochs", epochs);
        metrics.add("steps", steps);
        JsonFiles.write(runDir.resolve(Trainer.METRICS), metrics);
        Images.writePng(Charts.curves(title, metrics), runDir.resolve(RunPictures.CURVES));
    }

    /** The test evaluation, metrics.json with {@code extra} figures, the model and the confusion matrix. */
    Evaluation finish(Module model, JsonArray epochs, JsonArray steps, long wallStart, Map<String, Number> extra)
            throws IOException {
        Evaluation test = Evaluation.of(model, data.test(), data.mean(), data.std(), Models.Task.CLASSIFY, config.batchSize());
        JsonObject metrics = new JsonObject();
        metrics.add("epochs", epochs);
        metrics.add("steps", steps);
        test.addTo(metrics, "test_");
        metrics.addProperty("wall_seconds", (System.nanoTime() - wallStart) / 1e9);
        metrics.addProperty("train_images", data.train().size());
        metrics.addProperty("parameters", model.parameterCount());
        metrics.addProperty("trainable_parameters",
                model.parameters().stream().filter(Variable::requiresGrad).mapToLong(v -> v.value().numel()).sum());
        extra.forEach(metrics::addProperty);
        SafeTensors.write(runDir.resolve(Trainer.MODEL), model.stateDict(), Map.of("model", config.model()));
        JsonFiles.write(runDir.resolve(Trainer.METRICS), metrics);
        Images.writePng(Charts.confusion(String.format("%s: test confusion (accuracy %.2f%%)", title, 100 * test.accuracy()),
                test.confusion(), test.classes()), runDir.resolve(RunPictures.CONFUSION));
        return test;
    }

    /** The element-wise sum of equally long arrays, added in list order, times {@code scale}. */
    static float[] sumInOrder(List<float[]> parts, float scale) {
        float[] sum = parts.getFirst().clone();
        for (int p = 1; p < parts.size(); p++) {
            float[] g = parts.get(p);
            for (int j = 0; j < sum.length; j++) {
                sum[j] += g[j];
            }
        }
        for (int j = 0; j < sum.length; j++) {
            sum[j] *= scale;
        }
        return sum;
    }
}
