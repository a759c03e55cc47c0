package dev.vcnn.examples;

import dev.vcnn.engine.autograd.Variable;
import dev.vcnn.engine.loss.CrossEntropyLoss;
import dev.vcnn.engine.nn.*;
import dev.vcnn.engine.optim.Sgd;
import dev.vcnn.models.data.*;
import dev.vcnn.models.train.*;
import java.nio.file.*;
import java.util.List;
import java.util.Random;

/**
 * Transfer learning from a finished run: train LeNet-5 on five of the synthetic classes (as
 * {@code vcnn train --classes 0,1,2,3,4} would), then freeze it, put a new linear head on its
 * 84 features and train only the head on the other five classes.
 */
public class TransferLearning {
    public static void main(String[] args) throws Exception {
        Path run = args.length > 0 ? Path.of(args[0]) : Files.createTempDirectory("vcnn-run").resolve("backbone");
        var config = TrainConfig.recipe("lenet5", "synthetic").toBuilder()
                .synthetic(8000, 500).epochs(5).classSubset(List.of(0, 1, 2, 3, 4)).build();
        new Trainer(config, run, 2, System.out).run(false);     // writes run/model.safetensors, metrics.json, …

        var finished = TrainedRun.open(run);                    // the model, its classes and normalisation
        var layers = ((Sequential) finished.model()).layers();
        var backbone = new Sequential(layers.subList(0, layers.size() - 1)).freeze();
        var model = new Sequential(backbone, new Linear(84, 5, new Random(3)));
        var data = Synthetic.generate(11, 1, 28, 3000, 500);
        var keep = List.of(5, 6, 7, 8, 9);
        Dataset train = data.train().selectClasses(keep), test = data.test().selectClasses(keep);
        float[][] stats = {finished.mean(), finished.std()};    // the backbone's own input normalisation
        var sgd = new Sgd(model.parameters(), 0.05f, 0.9f, 0, 0, true); // frozen parameters are skipped
        var loss = new CrossEntropyLoss();
        try (var loader = new DataLoader(train, 64, true, 3, stats[0], stats[1], Augment.NONE)) {
            for (int epoch = 0; epoch < 3; epoch++) {
                model.train();
                for (var batches = loader.epoch(epoch); batches.hasNext(); ) {
                    var batch = batches.next();
                    sgd.zeroGrad();
                    loss.apply(model.forward(Variable.constant(batch.images())), batch.labels()).backward();
                    sgd.step();
                }
                System.out.printf("head epoch %d: accuracy on classes %s %.1f%%%n", epoch + 1,
                        test.classes(), 100 * Examples.accuracy(model, test, stats));
            }
        }
    }
}
