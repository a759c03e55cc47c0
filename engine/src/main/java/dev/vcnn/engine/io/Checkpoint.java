package dev.vcnn.engine.io;

import dev.vcnn.engine.tensor.Tensor;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A training checkpoint: the model's state dict, the optimizer's state and string metadata (epoch,
 * step, random-generator states, anything a trainer needs to resume). One safetensors file, model keys
 * under {@code model/}, optimizer keys under {@code optimizer/}, written atomically (see
 * {@link SafeTensors#write(Path, Map, Map)}): a crash mid-write leaves the previous checkpoint intact.
 *
 * @param model the model's state dict
 * @param optimizer the optimizer's state dict
 * @param metadata everything else, as strings
 */
public record Checkpoint(Map<String, Tensor> model, Map<String, Tensor> optimizer, Map<String, String> metadata) {
    private static final String MODEL = "model/";
    private static final String OPTIMIZER = "optimizer/";

    /** Writes this checkpoint to {@code file}, replacing it atomically. */
    public void write(Path file) throws IOException {
        Map<String, Tensor> all = new LinkedHashMap<>();
        model.forEach((k, t) -> all.put(MODEL + k, t));
        optimizer.forEach((k, t) -> all.put(OPTIMIZER + k, t));
        SafeTensors.write(file, all, metadata);
    }

    /**
     * Reads a checkpoint written by {@link #write}.
     *
     * @throws IllegalArgumentException if the file is not valid safetensors or holds a key outside
     *     {@code model/} and {@code optimizer/}, naming the file and key
     */
    public static Checkpoint read(Path file) throws IOException {
        var contents = SafeTensors.readContents(file);
        Map<String, Tensor> model = new LinkedHashMap<>();
        Map<String, Tensor> optimizer = new LinkedHashMap<>();
        contents.tensors().forEach((k, t) -> {
            if (k.startsWith(MODEL)) {
                model.put(k.substring(MODEL.length()), t);
            } else if (k.startsWith(OPTIMIZER)) {
                optimizer.put(k.substring(OPTIMIZER.length()), t);
            } else {
                throw new IllegalArgumentException("checkpoint: key must start with model/ or optimizer/ but was " + k
                        + " (file=" + file + ")");
            }
        });
        return new Checkpoint(model, optimizer, contents.metadata());
    }
}
