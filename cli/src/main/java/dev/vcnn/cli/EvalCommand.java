package dev.vcnn.cli;

import dev.vcnn.models.Models;
import dev.vcnn.models.data.Dataset;
import dev.vcnn.models.train.Evaluation;
import dev.vcnn.models.train.TrainConfig;
import dev.vcnn.models.train.TrainedRun;
import dev.vcnn.models.train.Trainer;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code vcnn eval}: a trained run's accuracy on a dataset's test set. */
@Command(name = "eval", mixinStandardHelpOptions = true, description = "Evaluates a trained run on a test set.")
final class EvalCommand implements Callable<Integer> {
    @Mixin
    RunOption run;

    @Option(names = "--dataset", description = "dataset to evaluate on (default: the one trained on)")
    String dataset;

    @Option(names = "--data-dir", description = "folder with the dataset's files")
    Path dataDir;

    @Override
    public Integer call() throws Exception {
        TrainedRun r = run.open();
        TrainConfig c = r.config();
        if (dataset != null || dataDir != null) {
            var j = c.toJson();
            if (dataset != null) {
                j.addProperty("dataset", dataset);
            }
            if (dataDir != null) {
                j.addProperty("data_dir", dataDir.toString());
            }
            c = TrainConfig.fromJson(j, "command line");
        }
        Trainer.Data data = Trainer.data(c);
        Dataset test = data.test();
        if (test.classes().size() != r.classes().size()) {
            throw new IllegalArgumentException("eval: dataset " + c.dataset() + " must have the " + r.classes().size()
                    + " classes the run was trained on but has " + test.classes().size());
        }
        Models.Task task = Models.spec(c.model()).task();
        Evaluation e = Evaluation.of(r.model(), test, r.mean(), r.std(), task, 256);
        if (task == Models.Task.CLASSIFY) {
            System.out.printf("%s on %s test: accuracy %.2f%% (%d images), loss %.4f%n", c.model(), c.dataset(),
                    100 * e.accuracy(), e.count(), e.loss());
            System.out.print(e.report());
        } else {
            System.out.printf("%s on %s test: reconstruction loss (MSE) %.5f%n", c.model(), c.dataset(), e.loss());
        }
        return 0;
    }
}
