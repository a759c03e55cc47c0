package dev.vcnn.cli;

import dev.vcnn.engine.kernel.Kernels;
import dev.vcnn.engine.nn.Conv2d;
import dev.vcnn.engine.nn.Module;
import dev.vcnn.engine.nn.Sequential;
import dev.vcnn.engine.tensor.Shape;
import dev.vcnn.engine.tensor.SplitMix64;
import dev.vcnn.models.Models;
import dev.vcnn.models.Vgg;
import dev.vcnn.models.train.TrainConfig;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code vcnn info}: a model's layers, output shapes, parameters, FLOPs per image and convolution paths. */
@Command(name = "info", mixinStandardHelpOptions = true, description = "Describes a model: layers, shapes, parameters, FLOPs, and the kernel path of each convolution pass.")
final class InfoCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, description = "model name")
    String model;

    @Option(names = "--dataset", defaultValue = "synthetic", description = "sets the input shape (default: ${DEFAULT-VALUE})")
    String dataset;

    @Option(names = "--classes", defaultValue = "10", description = "output classes (default: ${DEFAULT-VALUE})")
    int classes;

    @Option(names = "--image-size", description = "input height = width (default: the recipe's; 224 for ImageNet VGG)")
    Integer imageSize;

    @Option(names = "--batch", description = "batch size the convolution plans are for (default: the recipe's)")
    Integer batch;

    @Override
    public Integer call() {
        TrainConfig c = TrainConfig.recipe(model, dataset);
        int size = imageSize != null ? imageSize : c.size();
        Module m = Models.build(model, c.channels(), size, classes, new SplitMix64(0));
        Shape in = Shape.of(1, c.channels(), size, size);
        System.out.println(m);
        System.out.printf("%n%-4s %-58s %-18s %12s%n", "#", "layer", "output", "parameters");
        Shape s = in;
        int[] row = {0};
        if (m instanceof Vgg v) {
            s = table(v.features(), "features.", s, row);
            Shape pooled = v.children().get("avgpool").outputShape(s);
            print(row, "avgpool " + v.children().get("avgpool"), pooled, 0);
            s = table(v.classifier(), "classifier.", Shape.of(1, pooled.numel()), row);
        } else if (m instanceof Sequential q) {
            s = table(q, "", s, row);
        }
        long macs = m.forwardMacs(in);
        System.out.printf("%ninput %s -> output %s%nparameters: %,d%nFLOPs per image (forward, 2 per multiply-add): %,d%n",
                in, m.outputShape(in), m.parameterCount(), 2 * macs);
        int n = batch != null ? batch : c.batchSize();
        if (n < 1) {
            throw new IllegalArgumentException("--batch must be at least 1 but was " + n);
        }
        dev.vcnn.engine.kernel.Conv2d conv = Kernels.defaults().conv2d();
        System.out.printf("%nconvolution paths at batch %d (%s kernels):%n", n, Kernels.defaults().name());
        plans(m, Shape.of(n, c.channels(), size, size), "", conv);
        return 0;
    }

    /** Prints the plan of every convolution reached from {@code m} for input {@code s}; returns the output shape. */
    private static Shape plans(Module m, Shape s, String name, dev.vcnn.engine.kernel.Conv2d conv) {
        if (m instanceof Conv2d layer) {
            var g = layer.geometry(s);
            System.out.printf("  %-16s %s%n", name, conv.plan(g).map(Object::toString).orElse("the scalar reference"));
            return layer.outputShape(s);
        }
        if (m instanceof Sequential q) {
            for (int i = 0; i < q.size(); i++) {
                s = plans(q.get(i), s, name.isEmpty() ? String.valueOf(i) : name + "." + i, conv);
            }
            return s;
        }
        if (m instanceof Vgg v) {
            plans(v.features(), s, "features", conv);
            return v.outputShape(s);
        }
        return m.outputShape(s);
    }

    private static Shape table(Sequential q, String prefix, Shape s, int[] row) {
        for (int i = 0; i < q.size(); i++) {
            Module layer = q.get(i);
            s = layer.outputShape(s);
            print(row, prefix + i + " " + layer, s, layer.parameterCount());
        }
        return s;
    }

    private static void print(int[] row, String layer, Shape s, long params) {
        String text = layer.length() > 58 ? layer.substring(0, 55) + "..." : layer;
        System.out.printf("%-4d %-58s %-18s %,12d%n", row[0]++, text, s, params);
    }
}
