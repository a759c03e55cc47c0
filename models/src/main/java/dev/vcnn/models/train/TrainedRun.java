package dev.vcnn.models.train;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.vcnn.engine.io.SafeTensors;
import dev.vcnn.engine.nn.Module;
import dev.vcnn.engine.tensor.Tensor;
import dev.vcnn.models.Models;
import dev.vcnn.models.data.DataLoader;
import dev.vcnn.models.data.Dataset;
import dev.vcnn.models.data.ImageFolder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A finished run directory read back: its config, class names, the normalisation it trained with and
 * its trained model (in eval mode). What {@code eval}, {@code predict} and transfer learning start from.
 */
public record TrainedRun(Path dir, TrainConfig config, List<String> classes, float[] mean, float[] std, Module model) {

    /**
     * The config of a run directory.
     *
     * @throws IllegalArgumentException naming the file if it is missing or malformed
     */
    public static TrainConfig config(Path dir) throws IOException {
        Path file = require(dir.resolve(Trainer.CONFIG));
        return TrainConfig.fromJson(JsonFiles.read(file), file.toString());
    }

    /**
     * Reads a run directory written by {@link Trainer}.
     *
     * @throws IllegalArgumentException naming the file that is missing or does not fit
     */
    public static TrainedRun open(Path dir) throws IOException {
        Path configFile = require(dir.resolve(Trainer.CONFIG));
        Path weights = require(dir.resolve(Trainer.MODEL));
        JsonObject json = JsonFiles.read(configFile);
        TrainConfig config = TrainConfig.fromJson(json, configFile.toString());
        List<String> classes = new ArrayList<>();
        float[] mean;
        float[] std;
        try {
            json.getAsJsonArray("classes").forEach(e -> classes.add(e.getAsString()));
            JsonObject norm = json.getAsJsonObject("normalize");
            mean = floats(norm.getAsJsonArray("mean"));
            std = floats(norm.getAsJsonArray("std"));
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("run: config must hold classes and normalize but " + e + " (file=" + configFile + ")");
        }
        Module model = config.backbone() == null && Models.IMPORTED.equals(config.model())
                ? ModelFormat.named(config.model()).open(dir, config) : Trainer.model(config, classes.size());
        model.loadStateDict(SafeTensors.read(weights), true);
        model.eval();
        return new TrainedRun(dir, config, classes, mean, std, model);
    }

    /**
     * An image file as the model's input [1, C, H, W]: resized to the run's size (bilinear), grey or RGB
     * as the run's channels, scaled to [0, 1] and normalised with the run's statistics by the loader's own
     * conversion.
     */
    public Tensor input(Path image) throws IOException {
        int c = config.channels();
        int s = config.size();
        byte[] px = new byte[c * s * s];
        ImageFolder.toPixels(ImageFolder.load(image), c, s, s, px, 0);
        return DataLoader.all(new Dataset(image.toString(), px, new int[] {0}, c, s, s, classes), mean, std);
    }

    /** Images as one batch, each resized and normalised as {@link #input(Path)} does. */
    public Tensor inputs(List<java.awt.image.BufferedImage> images) {
        int c = config.channels();
        int s = config.size();
        byte[] px = new byte[images.size() * c * s * s];
        for (int i = 0; i < images.size(); i++) {
            ImageFolder.toPixels(images.get(i), c, s, s, px, i * c * s * s);
        }
        return DataLoader.all(new Dataset("images", px, new int[images.size()], c, s, s, classes), mean, std);
    }

    /** A class and the probability the model gives it. */
    public record Prediction(String label, float probability) {}

    /** The {@code k} most probable classes of each image of a batch, most probable first (ties: lower index first). */
    public List<List<Prediction>> top(Tensor batch, int k) {
        Tensor p = dev.vcnn.engine.autograd.Autograd.noGrad(() -> dev.vcnn.engine.autograd.Functional.softmax(
                model.forward(dev.vcnn.engine.autograd.Variable.constant(batch)), 1)).value();
        int n = p.shape().dim(0);
        int classCount = p.shape().dim(1);
        float[] v = p.toArray();
        List<List<Prediction>> out = new java.util.ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            int row = i * classCount;
            Integer[] order = new Integer[classCount];
            for (int j = 0; j < classCount; j++) {
                order[j] = j;
            }
            java.util.Arrays.sort(order, (a, b) -> Float.compare(v[row + b], v[row + a]));
            List<Prediction> best = new java.util.ArrayList<>();
            for (int j = 0; j < Math.min(k, classCount); j++) {
                best.add(new Prediction(classes.get(order[j]), v[row + order[j]]));
            }
            out.add(List.copyOf(best));
        }
        return out;
    }

    /** One JSON line: {@code {"path": …, "top": [{"label": …, "probability": …}, …]}}. */
    public static String jsonLine(String path, List<Prediction> top) {
        var o = new com.google.gson.JsonObject();
        o.addProperty("path", path);
        var a = new com.google.gson.JsonArray();
        for (Prediction p : top) {
            var e = new com.google.gson.JsonObject();
            e.addProperty("label", p.label());
            e.addProperty("probability", p.probability());
            a.add(e);
        }
        o.add("top", a);
        return o.toString();
    }

    /**
     * This run, if its model is a classifier.
     *
     * @throws IllegalArgumentException naming the command and the model when it reconstructs its input instead
     */
    public TrainedRun requireClassifier(String command) {
        if (dev.vcnn.models.Models.spec(config.model()).task() != dev.vcnn.models.Models.Task.CLASSIFY) {
            throw new IllegalArgumentException(command + ": the run's model must be a classifier but " + config.model()
                    + " reconstructs its input (its " + dev.vcnn.models.viz.RunPictures.RECONSTRUCTIONS + " shows what it learned)");
        }
        return this;
    }

    private static Path require(Path file) {
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("run: file must exist (a finished 'vcnn train' run) but was missing (file=" + file + ")");
        }
        return file;
    }

    private static float[] floats(JsonArray a) {
        float[] v = new float[a.size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = a.get(i).getAsFloat();
        }
        return v;
    }
}
