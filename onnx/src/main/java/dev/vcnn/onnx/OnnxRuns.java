package dev.vcnn.onnx;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.vcnn.engine.io.SafeTensors;
import dev.vcnn.engine.nn.Module;
import dev.vcnn.engine.tensor.Shape;
import dev.vcnn.models.Models;
import dev.vcnn.models.train.JsonFiles;
import dev.vcnn.models.train.ModelFormat;
import dev.vcnn.models.train.TrainConfig;
import dev.vcnn.models.train.Trainer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Run directories of imported models: {@link #importModel} turns an ONNX classifier into a directory that
 * {@code vcnn predict}, {@code eval}, {@code visualize} and {@code train --backbone} open like a trained run
 * ({@code config.json} naming model {@value Models#IMPORTED}, {@code model.onnx} with every weight inline, and
 * {@code model.safetensors} holding the weights under their ONNX names, which fine-tuning updates), and as a
 * {@link ModelFormat} it opens them again.
 */
public final class OnnxRuns implements ModelFormat {
    /** The graph file in an imported run directory. */
    public static final String GRAPH = "model.onnx";

    /** Metadata keys of an exported classifier: class names (one per line) and input normalisation (commas). */
    public static final String CLASSES = "vcnn.classes";
    public static final String MEAN = "vcnn.normalize.mean";
    public static final String STD = "vcnn.normalize.std";

    /** The metadata {@code vcnn onnx export} writes for a run, so that importing the file restores it. */
    public static Map<String, String> metadata(List<String> classes, float[] mean, float[] std) {
        return Map.of(CLASSES, String.join("\n", classes), MEAN, join(mean), STD, join(std));
    }

    private static String join(float[] v) {
        var sb = new StringBuilder();
        for (float x : v) {
            sb.append(sb.isEmpty() ? "" : ",").append(x);
        }
        return sb.toString();
    }

    private static float[] floats(Map<String, String> metadata, String key, Path file) {
        String v = metadata.get(key);
        if (v == null) {
            return null;
        }
        try {
            String[] parts = v.split(",");
            float[] out = new float[parts.length];
            for (int i = 0; i < out.length; i++) {
                out[i] = Float.parseFloat(parts[i].strip());
            }
            return out;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("onnx import: metadata '" + key + "' must be comma-separated numbers but is '"
                    + v + "' (file=" + file + ")");
        }
    }

    /** ImageNet's channel statistics, which torchvision's models are trained with. */
    public static final float[] IMAGENET_MEAN = {0.485f, 0.456f, 0.406f};
    public static final float[] IMAGENET_STD = {0.229f, 0.224f, 0.225f};

    @Override
    public String name() {
        return Models.IMPORTED;
    }

    @Override
    public Module open(Path runDir, TrainConfig config) throws IOException {
        Path file = runDir.resolve(GRAPH);
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("run: an imported run must hold " + GRAPH + " but " + file + " is missing");
        }
        return OnnxGraph.read(file);
    }

    /** What {@link #importModel} wrote: the graph, its input geometry and its classes. */
    public record Imported(OnnxGraph graph, int channels, int size, List<String> classes) {}

    /**
     * Writes a run directory for an ONNX classifier of one [N, C, H, W] float input (H = W) and one [N, K] output.
     *
     * @param classes class names, one per output, or null for the file's {@link #CLASSES} metadata, else "0" … "K−1"
     * @param imageSize the input size when the graph's is symbolic, or null to take the graph's
     * @param mean per-channel normalisation, or null for the file's {@link #MEAN} metadata, else ImageNet's
     *     (3 channels) or 0
     * @param std per-channel normalisation, or null for the file's {@link #STD}, else ImageNet's (3 channels) or 1
     * @throws IllegalArgumentException naming what does not fit: the graph's inputs, its output, the class count
     */
    public static Imported importModel(Path onnx, Path runDir, List<String> classes, Integer imageSize, float[] mean,
                                       float[] std) throws IOException {
        OnnxGraph g = OnnxGraph.read(onnx);
        if (g.inputs().size() != 1 || g.outputNames().size() != 1) {
            throw new IllegalArgumentException("onnx import: the model must have one input and one output but has inputs "
                    + g.inputs().stream().map(OnnxModel.ValueInfo::name).toList() + " and outputs " + g.outputNames()
                    + " (file=" + onnx + ")");
        }
        long[] d = g.inputs().get(0).dims();
        if (d.length != 4) {
            throw new IllegalArgumentException("onnx import: the input must be images [N, C, H, W] but has dims "
                    + java.util.Arrays.toString(d) + " (file=" + onnx + ")");
        }
        if (d[1] < 1) {
            throw new IllegalArgumentException("onnx import: the input's channel count must be fixed but is symbolic"
                    + " (file=" + onnx + ")");
        }
        int channels = (int) d[1];
        int size;
        if (imageSize != null) {
            size = imageSize;
            if (d[2] >= 0 && d[2] != size || d[3] >= 0 && d[3] != size) {
                throw new IllegalArgumentException("onnx import: --image-size " + size + " does not fit the input's fixed "
                        + d[2] + "x" + d[3] + " (file=" + onnx + ")");
            }
        } else if (d[2] >= 1 && d[2] == d[3]) {
            size = (int) d[2];
        } else {
            throw new IllegalArgumentException("onnx import: the input's size is " + (d[2] < 0 ? "symbolic" : d[2] + "x" + d[3])
                    + "; give --image-size N (file=" + onnx + ")");
        }
        g.eval();
        Shape out = g.outputShape(Shape.of(1, channels, size, size));
        if (out.rank() != 2) {
            throw new IllegalArgumentException("onnx import: the output must be class scores [N, K] but is " + out
                    + " (file=" + onnx + ")");
        }
        int k = out.dim(1);
        Map<String, String> meta = g.model().metadata();
        List<String> names = classes != null ? classes
                : meta.containsKey(CLASSES) ? List.of(meta.get(CLASSES).split("\n", -1)) : null;
        mean = mean != null ? mean : floats(meta, MEAN, onnx);
        std = std != null ? std : floats(meta, STD, onnx);
        if (names == null) {
            names = new ArrayList<>();
            for (int i = 0; i < k; i++) {
                names.add(String.valueOf(i));
            }
        } else if (names.size() != k) {
            throw new IllegalArgumentException("onnx import: the model scores " + k + " classes but " + names.size()
                    + " class names were given");
        }
        float[] m = mean != null ? mean : channels == 3 ? IMAGENET_MEAN : new float[channels];
        float[] s = std;
        if (s == null) {
            s = channels == 3 ? IMAGENET_STD : new float[channels];
            if (channels != 3) {
                java.util.Arrays.fill(s, 1f);
            }
        }
        if (m.length != channels || s.length != channels) {
            throw new IllegalArgumentException("onnx import: --mean and --std need " + channels + " values each");
        }
        Files.createDirectories(runDir);
        OnnxModel model = g.model();
        OnnxWriter.write(model, runDir.resolve(GRAPH));
        SafeTensors.write(runDir.resolve(Trainer.MODEL), g.stateDict(), Map.of("model", Models.IMPORTED,
                "source", onnx.getFileName().toString()));
        TrainConfig c = new TrainConfig.Builder(Models.IMPORTED, "synthetic", channels, size).epochs(0).build();
        JsonObject json = c.toJson();
        var norm = new JsonObject();
        norm.add("mean", array(m));
        norm.add("std", array(s));
        json.add("normalize", norm);
        var cls = new JsonArray();
        names.forEach(cls::add);
        json.add("classes", cls);
        json.addProperty("imported_from", onnx.toAbsolutePath().toString());
        JsonFiles.write(runDir.resolve(Trainer.CONFIG), json);
        return new Imported(g, channels, size, List.copyOf(names));
    }

    private static JsonArray array(float[] v) {
        var a = new JsonArray();
        for (float x : v) {
            a.add(x);
        }
        return a;
    }
}
