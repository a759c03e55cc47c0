package dev.vcnn.models.train;

import dev.vcnn.engine.nn.Module;
import java.io.IOException;
import java.nio.file.Path;

/**
 * A model format a run directory may hold instead of one of {@link dev.vcnn.models.Models}' architectures: a
 * run whose config names {@link #name()} as its model is opened by this format (found with
 * {@link java.util.ServiceLoader}), which builds the model from the files in the run directory. The ONNX module
 * provides one for {@code vcnn onnx import}'s runs.
 */
public interface ModelFormat {
    /** The model name in the run's config, e.g. {@code onnx}. */
    String name();

    /** The model of a run directory of this format, before its {@code model.safetensors} is loaded. */
    Module open(Path runDir, TrainConfig config) throws IOException;

    /**
     * The format named {@code name}.
     *
     * @throws IllegalArgumentException when no module on the path provides it
     */
    static ModelFormat named(String name) {
        for (ModelFormat f : java.util.ServiceLoader.load(ModelFormat.class)) {
            if (f.name().equals(name)) {
                return f;
            }
        }
        throw new IllegalArgumentException("run: model format '" + name + "' needs its module (vcnn-" + name
                + ") on the class path");
    }
}
