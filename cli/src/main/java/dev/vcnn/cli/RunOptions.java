package dev.vcnn.cli;

import dev.vcnn.models.train.TrainConfig;
import dev.vcnn.models.train.TrainedRun;
import java.nio.file.Path;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/**
 * The options that define a training run, shared by {@code vcnn train} and {@code vcnn spark train} (a picocli
 * mixin), and the config they describe.
 */
public final class RunOptions {
    @CommandLine.Spec(CommandLine.Spec.Target.MIXEE)
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--model", defaultValue = "lenet5",
            description = "mlp, lenet5, cifar-cnn, cifar-cnn-bn, vgg11, vgg11-bn, vgg16, vgg16-bn, linear-ae, conv-ae (default: ${DEFAULT-VALUE})")
    String model;

    @Option(names = "--dataset", defaultValue = "synthetic",
            description = "synthetic, mnist, fashion-mnist, cifar10, folder (default: ${DEFAULT-VALUE})")
    String dataset;

    @Option(names = "--data-dir", description = "folder with the dataset's files (not needed for synthetic); on Spark a "
            + "path every executor can read")
    Path dataDir;

    @Option(names = "--epochs", description = "epochs (default: the model's recipe)")
    Integer epochs;

    @Option(names = "--batch-size", description = "images per step; on Spark the global batch, shared by the partitions "
            + "(default: the model's recipe)")
    Integer batchSize;

    @Option(names = "--lr", description = "base learning rate (default: the model's recipe)")
    Float lr;

    @Option(names = "--optimizer", description = "sgd, adam or adamw (default: the model's recipe)")
    String optimizer;

    @Option(names = "--augment", negatable = true, description = "random flip/crop or shift/rotation (default: the recipe's)")
    Boolean augment;

    @Option(names = "--seed", defaultValue = "1", description = "seed for weights, data order, augmentation, dropout (default: ${DEFAULT-VALUE})")
    long seed;

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

    /** The options that decide a run's result, and the setting each one sets. */
    public static final java.util.Map<String, java.util.function.Function<TrainConfig, Object>> RESULT_OPTIONS =
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

    /**
     * The config these options describe: the recipe of --model (or, with --backbone, the head's recipe on that
     * run's model) with each given option applied.
     *
     * @throws CommandLine.ParameterException naming the option whose value cannot be used
     */
    public TrainConfig config() {
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

    /** --model as given. */
    public String model() {
        return model;
    }

    /** --dataset as given. */
    public String dataset() {
        return dataset;
    }

    /** --data-dir, or null. */
    public Path dataDir() {
        return dataDir;
    }

    /** --backbone, or null. */
    public Path backbone() {
        return backbone;
    }
}
