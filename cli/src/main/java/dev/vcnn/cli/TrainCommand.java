package dev.vcnn.cli;

import com.google.gson.JsonObject;
import dev.vcnn.models.train.Evaluation;
import dev.vcnn.models.train.TrainConfig;
import dev.vcnn.models.train.TrainedRun;
import dev.vcnn.models.train.JsonFiles;
import dev.vcnn.models.train.Trainer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code vcnn train}: trains a model into a run directory. */
@Command(name = "train", mixinStandardHelpOptions = true,
        description = {"Trains a model and prints its test accuracy.",
                "With no options: lenet5 on the built-in synthetic dataset (no download)."})
final class TrainCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--model", defaultValue = "lenet5",
            description = "mlp, lenet5, cifar-cnn, cifar-cnn-bn, vgg11, vgg11-bn, vgg16, vgg16-bn, linear-ae, conv-ae (default: ${DEFAULT-VALUE})")
    String model;

    @Option(names = "--dataset", defaultValue = "synthetic",
            description = "synthetic, mnist, fashion-mnist, cifar10, folder (default: ${DEFAULT-VALUE})")
    String dataset;

    @Option(names = "--data-dir", description = "folder with the dataset's files (not needed for synthetic)")
    Path dataDir;

    @Option(names = "--epochs", description = "epochs (default: the model's recipe)")
    Integer epochs;

    @Option(names = "--batch-size", description = "images per step (default: the model's recipe)")
    Integer batchSize;

    @Option(names = "--lr", description = "base learning rate (default: the model's recipe)")
    Float lr;

    @Option(names = "--optimizer", description = "sgd, adam or adamw (default: the model's recipe)")
    String optimizer;

    @Option(names = "--augment", negatable = true, description = "random flip/crop or shift/rotation (default: the recipe's)")
    Boolean augment;

    @Option(names = "--seed", defaultValue = "1", description = "seed for weights, data order, augmentation, dropout (default: ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--threads", description = "threads (default: all cores)")
    Integer threads;

    @Option(names = "--out", description = "run directory (default: runs/<model>-<dataset>-<time>)")
    Path out;

    @Option(names = "--resume", description = {"continue the run in --out from its last checkpoint, with the settings it "
            + "started with (its config.json): it finishes with the same weights and metrics as a run never stopped.",
            "Options that would change the result (--model, --epochs, --lr, ...) are refused unless they repeat the saved "
            + "value; --threads, --data-dir and the checkpoint options may differ."})
    boolean resume;

    @Option(names = "--checkpoint-every", paramLabel = "STEPS", defaultValue = "1000",
            description = "also checkpoint inside an epoch every STEPS optimizer steps; 0: only at epoch ends and by time "
                    + "(default: ${DEFAULT-VALUE})")
    int checkpointEvery;

    @Option(names = "--checkpoint-minutes", paramLabel = "MINUTES", defaultValue = "5",
            description = "also checkpoint once this much time has passed since the last checkpoint (default: ${DEFAULT-VALUE})")
    double checkpointMinutes;

    @Option(names = "--overwrite", description = "train into an existing --out, replacing its files")
    boolean overwrite;

    @Option(names = "--backbone", paramLabel = "RUN_DIR",
            description = "transfer learning: freeze the model of this finished run and train a new linear head on --dataset")
    Path backbone;

    @Option(names = "--unfreeze", paramLabel = "N", description = "with --backbone: also fine-tune the backbone's last N "
            + "weight layers (convolution, batch norm or linear layers; in an imported ONNX graph, the nodes that take "
            + "weights), counted back from the head. Batch norm keeps its running statistics. (default: 0, the head alone)")
    Integer unfreeze;

    @Option(names = "--init", description = "weight initialisation: default (PyTorch's per layer), zeros, constant, uniform, "
            + "normal, xavier or kaiming")
    String init;

    @Option(names = "--classes", split = ",", paramLabel = "I,J,...",
            description = "train and test on these class indices only, relabelled 0..k-1 in this order")
    java.util.List<Integer> classes;

    @Option(names = "--synthetic-size", split = ",", paramLabel = "TRAIN,TEST",
            description = "synthetic dataset sizes (default: 12000,2000)")
    int[] syntheticSize;

    @Override
    public Integer call() throws Exception {
        int t = Usage.threads(spec, threads);
        Path dir = out != null ? out : Path.of("runs", model + "-" + dataset + "-"
                + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
        TrainConfig config;
        if (resume) {
            if (out == null || !Files.exists(dir.resolve(Trainer.CONFIG))) {
                throw new CommandLine.ParameterException(spec.commandLine(),
                        "--resume needs --out naming an earlier run directory with " + Trainer.CONFIG + " (was " + dir + ")");
            }
            JsonObject saved = JsonFiles.read(dir.resolve(Trainer.CONFIG));
            config = TrainConfig.fromJson(saved, dir.resolve(Trainer.CONFIG).toString());
            refuseChangesOnResume(config, dir.resolve(Trainer.CONFIG));
            if (dataDir != null) {
                config = config.withDataDir(dataDir.toString());
            }
        } else {
            if (Files.isDirectory(dir) && !overwrite) {
                try (var entries = Files.list(dir)) {
                    if (entries.findAny().isPresent()) {
                        throw new CommandLine.ParameterException(spec.commandLine(), "run directory " + dir
                                + " exists and is not empty: pass --resume to continue it or --overwrite to replace it");
                    }
                }
            }
            config = configFromOptions();
        }
        require(checkpointEvery >= 0, "--checkpoint-every must be >= 0 but was " + checkpointEvery);
        require(checkpointMinutes > 0, "--checkpoint-minutes must be > 0 but was " + checkpointMinutes);
        Evaluation test = new Trainer(config, dir, t, System.out)
                .checkpoints(new Trainer.Checkpoints(checkpointEvery, checkpointMinutes * 60)).run(resume);
        if (dev.vcnn.models.Models.spec(config.model()).task() == dev.vcnn.models.Models.Task.CLASSIFY) {
            System.out.printf("test accuracy %.2f%% (%d images), test loss %.4f%n", 100 * test.accuracy(), test.count(), test.loss());
            System.out.print(test.report());
        } else {
            System.out.printf("test reconstruction loss (MSE) %.5f%n", test.loss());
        }
        System.out.println("run directory: " + dir);
        return 0;
    }

    /** The options that decide a run's result, and the setting each one sets. */
    private static final java.util.Map<String, java.util.function.Function<TrainConfig, Object>> RESULT_OPTIONS =
            java.util.Map.ofEntries(
                    java.util.Map.entry("--model", TrainConfig::model),
                    java.util.Map.entry("--dataset", TrainConfig::dataset),
                    java.util.Map.entry("--epochs", TrainConfig::epochs),
                    java.util.Map.entry("--batch-size", TrainConfig::batchSize),
                    java.util.Map.entry("--lr", TrainConfig::lr),
                    java.util.Map.entry("--optimizer", TrainConfig::optimizer),
                    java.util.Map.entry("--augment", TrainConfig::augment),
                    java.util.Map.entry("--seed", TrainConfig::seed),
                    java.util.Map.entry("--backbone", TrainConfig::backbone),
                    java.util.Map.entry("--unfreeze", TrainConfig::unfreeze),
                    java.util.Map.entry("--init", TrainConfig::init),
                    java.util.Map.entry("--classes", TrainConfig::classSubset),
                    java.util.Map.entry("--synthetic-size", c -> c.syntheticTrain() + "," + c.syntheticTest()));

    /** A resumed run keeps its settings: an option given with --resume must repeat the saved value. */
    private void refuseChangesOnResume(TrainConfig saved, Path file) {
        var parsed = spec.commandLine().getParseResult();
        if (RESULT_OPTIONS.keySet().stream().noneMatch(parsed::hasMatchedOption)) {
            return;
        }
        TrainConfig given = configFromOptions();
        for (var e : new java.util.TreeMap<>(RESULT_OPTIONS).entrySet()) {
            Object was = e.getValue().apply(saved);
            Object now = e.getValue().apply(given);
            if (parsed.hasMatchedOption(e.getKey()) && !java.util.Objects.equals(was, now)) {
                throw new CommandLine.ParameterException(spec.commandLine(), e.getKey() + " must be " + was
                        + " as in " + file + " but was " + now + ": --resume continues a run with the settings it started "
                        + "with; start a new run (another --out) to change them");
            }
        }
    }

    private TrainConfig configFromOptions() {
        Usage.dataset(spec, dataset);
        TrainConfig c;
        try {
            if (backbone != null) {
                TrainConfig b = TrainedRun.config(backbone);
                // The head's recipe: Adam, a few epochs, no augmentation (the features are fixed).
                c = TrainConfig.recipe(b.model(), dataset).withOptimizer("adam", 1e-3f).withEpochs(5).withAugment(false)
                        .withBackbone(backbone.toString(), b.model(), b.channels(), b.size());
            } else {
                c = TrainConfig.recipe(model, dataset);
            }
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--" + e.getMessage());
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        c = c.withSeed(seed).withDataDir(dataDir == null ? null : dataDir.toString());
        if (epochs != null) {
            require(epochs >= 1, "--epochs must be >= 1 but was " + epochs);
            c = c.withEpochs(epochs);
        }
        if (batchSize != null) {
            require(batchSize >= 1, "--batch-size must be >= 1 but was " + batchSize);
            c = c.withBatchSize(batchSize);
        }
        if (optimizer != null || lr != null) {
            String o = optimizer != null ? optimizer : c.optimizer();
            require(o.equals("sgd") || o.equals("adam") || o.equals("adamw"), "--optimizer must be sgd, adam or adamw but was '" + o + "'");
            float rate = lr != null ? lr : o.equals(c.optimizer()) ? c.lr() : o.equals("sgd") ? 0.05f : 1e-3f;
            require(rate > 0 && Float.isFinite(rate), "--lr must be a positive number but was " + rate);
            c = c.withOptimizer(o, rate);
        }
        if (augment != null) {
            c = c.withAugment(augment);
        }
        if (init != null) {
            require(dev.vcnn.models.Models.INITS.contains(init), "--init must be one of " + dev.vcnn.models.Models.INITS
                    + " but was '" + init + "'");
            c = c.toBuilder().init(init).build();
        }
        if (classes != null) {
            require(classes.size() >= 2, "--classes must name at least two classes but named " + classes);
            c = c.toBuilder().classSubset(classes).build();
        }
        if (syntheticSize != null) {
            Usage.syntheticSize(spec, syntheticSize);
            c = c.withSynthetic(syntheticSize[0], syntheticSize[1]);
        }
        if (unfreeze != null) {
            require(backbone != null, "--unfreeze needs --backbone (it fine-tunes the backbone's last layers)");
            require(unfreeze >= 0, "--unfreeze must be >= 0 but was " + unfreeze);
            c = c.toBuilder().unfreeze(unfreeze).build();
        }
        return c;
    }

    private void require(boolean ok, String message) {
        Usage.require(spec, ok, message);
    }
}
