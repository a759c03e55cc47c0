package dev.vcnn.examples;

import dev.vcnn.engine.io.SafeTensors;
import dev.vcnn.engine.tensor.Tensor;
import dev.vcnn.models.Models;
import java.nio.file.*;
import java.util.*;

/**
 * Weights from PyTorch by their key names. A PyTorch LeNet-5 written as a class with attributes
 * {@code conv1, conv2, fc1, fc2, fc3} saves {@code conv1.weight, conv1.bias, …} with
 * {@code safetensors.torch.save_file(model.state_dict(), path)}; vcnn's {@code Sequential} LeNet-5 has
 * the keys an {@code nn.Sequential} would ({@code 0.weight, 0.bias, 3.weight, …}), with the same shapes
 * and layouts (OIHW filters, out × in linear weights). So a rename is all it takes.
 */
public class PyTorchWeights {
    /** PyTorch attribute name → index of the layer in vcnn's (and nn.Sequential's) LeNet-5. */
    static final Map<String, String> RENAME = Map.of("conv1", "0", "conv2", "3", "fc1", "7", "fc2", "9", "fc3", "11");

    public static void main(String[] args) throws Exception {
        Path file = args.length > 0 ? Path.of(args[0]) : pretendPyTorchSavedIt();
        Map<String, Tensor> renamed = new LinkedHashMap<>();
        SafeTensors.read(file).forEach((key, t) -> {
            String layer = key.substring(0, key.indexOf('.'));
            renamed.put(RENAME.getOrDefault(layer, layer) + key.substring(key.indexOf('.')), t);
        });
        var model = Models.lenet5(1, 10, new Random(0));
        model.loadStateDict(renamed, true); // strict: every key present, none left over, every shape right
        System.out.println("loaded " + renamed.keySet() + " into\n" + model);
        try {
            var colour = new LinkedHashMap<>(renamed);
            colour.put("0.weight", Tensor.zeros(6, 3, 5, 5));
            model.loadStateDict(colour, true);
        } catch (IllegalArgumentException e) {
            System.out.println("a file for 3-channel input is refused: " + e.getMessage());
        }
    }

    /** Writes what the PyTorch side would: LeNet-5's tensors under the class attributes' names. */
    static Path pretendPyTorchSavedIt() throws Exception {
        var rng = new Random(5);
        Map<String, Tensor> state = new LinkedHashMap<>();
        int[][] shapes = {{6, 1, 5, 5}, {6}, {16, 6, 5, 5}, {16}, {120, 400}, {120}, {84, 120}, {84}, {10, 84}, {10}};
        String[] names = {"conv1", "conv2", "fc1", "fc2", "fc3"};
        for (int i = 0; i < shapes.length; i++) {
            state.put(names[i / 2] + (i % 2 == 0 ? ".weight" : ".bias"), Tensor.uniform(rng, -0.1f, 0.1f, shapes[i]));
        }
        Path file = Files.createTempDirectory("vcnn").resolve("lenet5-pytorch.safetensors");
        SafeTensors.write(file, state);
        return file;
    }
}
