package dev.vcnn.cli;

import com.google.gson.JsonObject;
import dev.vcnn.engine.io.SafeTensors;
import dev.vcnn.engine.nn.Module;
import dev.vcnn.models.train.TrainConfig;
import dev.vcnn.models.train.Trainer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** A finished run directory: its config, classes, normalisation and trained model. */
record Run(Path dir, TrainConfig config, List<String> classes, float[] mean, float[] std, Module model) {
    static Run open(Path dir) throws IOException {
        Path configFile = dir.resolve(Trainer.CONFIG);
        Path weights = dir.resolve(Trainer.MODEL);
        for (Path p : List.of(configFile, weights)) {
            if (!Files.isRegularFile(p)) {
                throw new IllegalArgumentException("run: file must exist (a finished 'vcnn train' run) but was missing (file=" + p + ")");
            }
        }
        JsonObject json = Trainer.readJson(configFile);
        TrainConfig config = TrainConfig.fromJson(json, configFile.toString());
        List<String> classes = new ArrayList<>();
        float[] mean;
        float[] std;
        try {
            json.getAsJsonArray("classes").forEach(e -> classes.add(e.getAsString()));
            var norm = json.getAsJsonObject("normalize");
            mean = floats(norm.getAsJsonArray("mean"));
            std = floats(norm.getAsJsonArray("std"));
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("run: classes and normalize must be present in " + configFile + " but " + e);
        }
        Module model = Trainer.model(config, classes.size());
        model.loadStateDict(SafeTensors.read(weights), true);
        model.eval();
        return new Run(dir, config, classes, mean, std, model);
    }

    private static float[] floats(com.google.gson.JsonArray a) {
        float[] v = new float[a.size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = a.get(i).getAsFloat();
        }
        return v;
    }
}
