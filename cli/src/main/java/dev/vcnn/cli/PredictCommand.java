package dev.vcnn.cli;

import dev.vcnn.models.data.ImageFolder;
import dev.vcnn.models.train.TrainedRun;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code vcnn predict}: the top-5 classes of images under a trained run. */
@Command(name = "predict", mixinStandardHelpOptions = true, description = "Prints the most probable classes of each image (five by default).")
final class PredictCommand implements Callable<Integer> {
    @Mixin
    RunOption run;

    @Parameters(arity = "1..*", paramLabel = "IMAGE", description = "PNG, JPEG, BMP or GIF files")
    List<Path> images;

    @Option(names = "--json", description = "one JSON line per image: {\"path\": ..., \"top\": [{\"label\": ..., "
            + "\"probability\": ...}, ...]}")
    boolean json;

    @Option(names = "--batch-size", defaultValue = "32", description = "images per forward pass (default: ${DEFAULT-VALUE})")
    int batchSize;

    @Option(names = "--top", defaultValue = "5", description = "classes per image (default: ${DEFAULT-VALUE})")
    int top;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        Usage.require(spec, batchSize >= 1, "--batch-size must be >= 1 but was " + batchSize);
        Usage.require(spec, top >= 1, "--top must be >= 1 but was " + top);
        TrainedRun r = run.open().requireClassifier("predict");
        for (int from = 0; from < images.size(); from += batchSize) {
            List<Path> chunk = images.subList(from, Math.min(images.size(), from + batchSize));
            List<java.awt.image.BufferedImage> decoded = new java.util.ArrayList<>();
            for (Path image : chunk) {
                decoded.add(ImageFolder.load(image));
            }
            List<List<TrainedRun.Prediction>> best = r.top(r.inputs(decoded), top);
            for (int i = 0; i < chunk.size(); i++) {
                if (json) {
                    System.out.println(TrainedRun.jsonLine(chunk.get(i).toString(), best.get(i)));
                    continue;
                }
                System.out.println(chunk.get(i) + ":");
                for (TrainedRun.Prediction p : best.get(i)) {
                    System.out.printf("  %-14s %6.2f%%%n", p.label(), 100 * p.probability());
                }
            }
        }
        return 0;
    }
}
