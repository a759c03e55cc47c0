package dev.vcnn.cli;

import dev.vcnn.engine.autograd.Autograd;
import dev.vcnn.engine.autograd.Functional;
import dev.vcnn.engine.autograd.Variable;
import dev.vcnn.engine.tensor.Tensor;
import dev.vcnn.models.train.TrainedRun;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code vcnn predict}: the top-5 classes of images under a trained run. */
@Command(name = "predict", mixinStandardHelpOptions = true, description = "Prints the top-5 classes of each image.")
final class PredictCommand implements Callable<Integer> {
    @Mixin
    RunOption run;

    @Parameters(arity = "1..*", paramLabel = "IMAGE", description = "PNG, JPEG, BMP or GIF files")
    List<Path> images;

    @Override
    public Integer call() throws Exception {
        TrainedRun r = run.open().requireClassifier("predict");
        for (Path image : images) {
            Tensor x = r.input(image);
            float[] p = Autograd.noGrad(() -> Functional.softmax(r.model().forward(Variable.constant(x)), 1)).value().toArray();
            Integer[] order = new Integer[p.length];
            for (int i = 0; i < p.length; i++) {
                order[i] = i;
            }
            java.util.Arrays.sort(order, (a, b) -> Float.compare(p[b], p[a]));
            System.out.println(image + ":");
            for (int k = 0; k < Math.min(5, p.length); k++) {
                System.out.printf("  %-14s %6.2f%%%n", r.classes().get(order[k]), 100 * p[order[k]]);
            }
        }
        return 0;
    }
}
