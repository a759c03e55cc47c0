package dev.vcnn.models.train;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.vcnn.engine.autograd.Context;
import dev.vcnn.engine.autograd.Functional;
import dev.vcnn.engine.autograd.Variable;
import dev.vcnn.engine.io.SafeTensors;
import dev.vcnn.engine.kernel.Kernels;
import dev.vcnn.engine.kernel.Losses.Reduction;
import dev.vcnn.engine.nn.Module;
import dev.vcnn.engine.optim.Adam;
import dev.vcnn.engine.optim.LrSchedule;
import dev.vcnn.engine.optim.Optimizer;
import dev.vcnn.engine.optim.Sgd;
import dev.vcnn.engine.parallel.Parallelism;
import dev.vcnn.engine.tensor.SplitMix64;
import dev.vcnn.engine.tensor.Tensor;
import dev.vcnn.models.Models;
import dev.vcnn.models.data.Augment;
import dev.vcnn.models.data.DataLoader;
import dev.vcnn.models.data.Dataset;
import dev.vcnn.models.data.Datasets;
import dev.vcnn.models.data.Splits;
import dev.vcnn.models.viz.Charts;
import dev.vcnn.models.viz.Images;
import dev.vcnn.models.viz.RunPictures;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.Map;

/**
 * Trains a model on a dataset into a run directory: {@code config.json} (enough to rebuild model and
 * data), {@code metrics.json} (every epoch's figures, then the test results), {@code curves.png} after every
 * epoch, {@code checkpoint.safetensors} after every epoch and inside epochs as {@link Checkpoints} says,
 * {@code model.safetensors} and {@code confusion.png} (classifiers) or {@code reconstructions.png}
 * (autoencoders) at the end, each written atomically. A run killed anywhere resumes from its last checkpoint
 * and finishes with the same weights, metrics and pictures, bit for bit, as if it had not stopped: data order
 * and augmentation are functions of (seed, epoch, index), and the checkpoint holds the data position, every
 * dropout layer's random position, the epoch's running sums, the metrics so far and the settings, which a
 * resume must repeat.
 */
public final class Trainer {
    public static final String CONFIG = "config.json";
    public static final String METRICS = "metrics.json";
    public static final String MODEL = "model.safetensors";
    public static final String CHECKPOINT = "checkpoint.safetensors";
    /** This many points of the training-loss curve per epoch (fewer if there are fewer batches) go into metrics.json's "steps". */
    public static final int STEPS_PER_EPOCH = 20;

    private final TrainConfig config;
    private final Path runDir;
    private final PrintStream out;
    private final int threads;
    private Checkpoints checkpoints = Checkpoints.DEFAULT;
    private long stopAfterStep = -1;
    /** When the last checkpoint was written (System.nanoTime()), for {@link Checkpoints#everySeconds}. */
    private long lastCheckpoint;

    public Trainer(TrainConfig config, Path runDir, int threads, PrintStream out) {
        this.config = config;
        this.runDir = runDir;
        this.threads = threads;
        this.out = out;
    }

    /** The data and statistics a run trains on, rebuilt identically by eval and predict. */
    public record Data(Dataset train, Dataset validation, Dataset test, float[] mean, float[] std) {}

    /** Loads the run's dataset, holds out the validation share (seeded) and measures channel statistics. */
    public static Data data(TrainConfig c) throws IOException {
        Dataset.Split split = Datasets.load(c.dataset(), c.dataDir() == null ? null : Path.of(c.dataDir()), c.channels(),
                c.size(), c.seed(), c.syntheticTrain(), c.syntheticTest());
        if (c.classSubset() != null) {
            split = new Dataset.Split(split.train().selectClasses(c.classSubset()), split.test().selectClasses(c.classSubset()));
        }
        checkImages(c, split.train());
        Dataset.Split tv = c.valFraction() > 0 ? Splits.split(split.train(), c.valFraction(), c.seed(), "train", "validation")
                : new Dataset.Split(split.train(), null);
        float[][] stats = DataLoader.channelStats(tv.train());
        return new Data(tv.train(), tv.test(), split.test(), stats[0], stats[1]);
    }

    /**
     * The training records of {@link #data} a shard holds: shard p of P takes the records
     * [p·N/P, (p+1)·N/P) of the dataset's N (in file order) and leaves out those the validation split
     * holds (known from N and the seed). Only that range is read where the format allows it (see
     * {@link Datasets#trainRecords}); with a class subset the whole set is read first, since its records'
     * positions depend on the labels of all. The shards together hold {@code data(c).train()}'s images.
     */
    public static Dataset trainShard(TrainConfig c, int p, int parts) throws IOException {
        Datasets.TrainRecords records = trainRecords(c);
        int n = records.count();
        int from = (int) ((long) p * n / parts);
        int to = (int) ((long) (p + 1) * n / parts);
        Dataset range = records.range(from, to);
        checkImages(c, range);
        int[] keep = shardIndices(heldOut(c, n), from, to);
        return range.subset(range.name() + " shard " + p + " of " + parts, keep);
    }

    /**
     * How many training images each of P shards ({@link #trainShard}) of {@code data} holds, from its sizes
     * alone: the dataset's N records are its training and validation images.
     */
    public static int[] trainShardSizes(TrainConfig c, Data data, int parts) {
        int n = data.train().size() + (data.validation() == null ? 0 : data.validation().size());
        boolean[] held = heldOut(c, n);
        int[] sizes = new int[parts];
        for (int p = 0; p < parts; p++) {
            sizes[p] = shardIndices(held, (int) ((long) p * n / parts), (int) ((long) (p + 1) * n / parts)).length;
        }
        return sizes;
    }

    private static Datasets.TrainRecords trainRecords(TrainConfig c) throws IOException {
        if (c.classSubset() != null) {
            return Datasets.inMemory(Datasets.load(c.dataset(), c.dataDir() == null ? null : Path.of(c.dataDir()), c.channels(),
                    c.size(), c.seed(), c.syntheticTrain(), c.syntheticTest()).train().selectClasses(c.classSubset()));
        }
        return Datasets.trainRecords(c.dataset(), c.dataDir() == null ? null : Path.of(c.dataDir()), c.channels(), c.size(),
                c.seed(), c.syntheticTrain(), c.syntheticTest());
    }

    private static void checkImages(TrainConfig c, Dataset d) {
        if (d.channels() != c.channels() || d.height() != c.size() || d.width() != c.size()) {
            throw new IllegalArgumentException("train: model " + c.model() + " expects " + c.channels() + "x" + c.size() + "x"
                    + c.size() + " images but dataset " + c.dataset() + " has " + d.channels() + "x" + d.height() + "x" + d.width());
        }
    }

    /** Which of the dataset's n records the validation split holds. */
    private static boolean[] heldOut(TrainConfig c, int n) {
        return c.valFraction() > 0 ? Splits.inSecond(n, c.valFraction(), c.seed()) : new boolean[n];
    }

    /** Positions within [from, to) of the records that are not held out. */
    private static int[] shardIndices(boolean[] held, int from, int to) {
        return java.util.stream.IntStream.range(from, to).filter(i -> !held[i]).map(i -> i - from).toArray();
    }

    /**
     * Builds the model the config names, with seeded initial weights; with a backbone run, that run's
     * trained model, frozen, under a new seeded head for {@code classes} classes.
     */
    public static Module model(TrainConfig c, int classes) throws IOException {
        if (c.backbone() == null) {
            var rng = new SplitMix64(c.seed());
            Module m = Models.build(c.model(), c.channels(), c.size(), classes, rng);
            Models.initialize(m, c.init(), rng);
            return m;
        }
        Module trained = TrainedRun.open(Path.of(c.backbone())).model();
        return new dev.vcnn.models.TransferModel(trained, classes, c.unfreeze(), new SplitMix64(c.seed()));
    }

    private Augment augment() {
        return augment(config);
    }

    /** The config's augmentation of training images (none when it is off). */
    public static Augment augment(TrainConfig config) {
        if (!config.augment()) {
            return Augment.NONE;
        }
        // torchvision's usual choices: flip + padded crop for natural colour images, small affine for digits.
        return config.channels() == 3 ? new Augment(true, 4, 0, 0) : new Augment(false, 0, 2, 10);
    }

    /** Runs the training (resuming if a checkpoint exists and {@code resume}) and returns the test evaluation. */
    public Evaluation run(boolean resume) throws IOException {
        try (Parallelism parallelism = Parallelism.of(threads)) {
            Context ctx = new Context(Kernels.defaults(), parallelism);
            try {
                return ctx.call(() -> {
                    try {
                        return train(resume);
                    } catch (IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                });
            } catch (java.io.UncheckedIOException e) {
                throw e.getCause();
            }
        }
    }

    private Evaluation train(boolean resume) throws IOException {
        long wallStart = System.nanoTime();
        Files.createDirectories(runDir);
        Data data = data(config);
        Models.Task task = Models.spec(config.model()).task();
        Module model = model(config, data.train().classes().size());
        Optimizer optimizer = optimizer(config, model);
        LrSchedule schedule = schedule();
        JsonArray epochs = new JsonArray();
        JsonArray steps = new JsonArray(); // [images seen, mean training loss of the window]: the fine-grained curve
        RunState at = resume && Files.exists(runDir.resolve(CHECKPOINT))
                ? resumed(data, model, optimizer, epochs, steps) : new RunState();
        writeConfig(data, model);
        lastCheckpoint = System.nanoTime();
        try (var loader = new DataLoader(data.train(), config.batchSize(), true, config.seed(), data.mean(), data.std(), augment())) {
            while (at.epoch < config.epochs()) {
                float lr = schedule.lr(config.lr(), at.epoch);
                optimizer.lr(lr);
                trainEpoch(loader, data, task, model, optimizer, lr, at, epochs, steps);
                endEpoch(data, task, model, optimizer, lr, at, epochs, steps);
            }
        }
        return finish(data, task, model, epochs, steps, wallStart);
    }

    /** Restores the run's checkpoint and says where it resumes. */
    private RunState resumed(Data data, Module model, Optimizer optimizer, JsonArray epochs, JsonArray steps)
            throws IOException {
        Path file = runDir.resolve(CHECKPOINT);
        RunState at = RunState.restore(file, config, model, optimizer, epochs, steps);
        if (at.epoch == config.epochs()) {
            out.printf("resuming %s: it finished all %d epochs (%s); testing it again%n", config.model(), config.epochs(), file);
        } else {
            out.printf("resuming %s at epoch %d of %d, batch %d of %d, from %s%n", config.model(), at.epoch + 1,
                    config.epochs(), at.batch + 1, (data.train().size() + config.batchSize() - 1) / config.batchSize(), file);
        }
        return at;
    }

    /** config.json (the config, the normalisation and the class names: enough to rebuild model and data) and the run's first line. */
    private void writeConfig(Data data, Module model) throws IOException {
        writeConfig(runDir, config, data);
        out.printf("%s%s on %s: %d train, %d validation, %d test images of %dx%dx%d; %,d parameters; %d threads%n",
                config.model(), config.backbone() == null ? "" : " (frozen" + (config.unfreeze() > 0 ? " but its last " + config.unfreeze()
                        + " weight layers" : "") + ", from " + config.backbone() + ") + new head",
                config.dataset(), data.train().size(), data.validation() == null ? 0 : data.validation().size(),
                data.test().size(), config.channels(), config.size(), config.size(), model.parameterCount(), threads);
    }

    /** Writes a run directory's config.json: the config with the data's normalisation and class names. */
    public static void writeConfig(Path runDir, TrainConfig config, Data data) throws IOException {
        JsonObject cfg = config.toJson();
        var norm = new JsonObject();
        norm.add("mean", floats(data.mean()));
        norm.add("std", floats(data.std()));
        cfg.add("normalize", norm);
        var cls = new JsonArray();
        data.train().classes().forEach(cls::add);
        cfg.add("classes", cls);
        JsonFiles.write(runDir.resolve(CONFIG), cfg);
    }

    /**
     * The rest of epoch {@code at.epoch}'s batches: a step each, the loss curve's points, the progress bar, and the
     * checkpoints inside the epoch that {@link #checkpoints} asks for.
     */
    private void trainEpoch(DataLoader loader, Data data, Models.Task task, Module model, Optimizer optimizer, float lr,
                            RunState at, JsonArray epochs, JsonArray steps) throws IOException {
        int epoch = at.epoch;
        int batches = loader.batches();
        model.train();
        long t0 = System.nanoTime();
        try (Progress progress = Progress.of(String.format("epoch %d/%d", epoch + 1, config.epochs()),
                data.train().size() - at.seen, out)) {
            for (Iterator<DataLoader.Batch> it = loader.epoch(epoch, at.batch); it.hasNext(); ) {
                DataLoader.Batch b = it.next();
                optimizer.zeroGrad();
                Variable x = Variable.constant(b.images());
                Variable y = model.forward(x);
                Variable loss = task == Models.Task.CLASSIFY ? Functional.crossEntropy(y, b.labels())
                        : Functional.mseLoss(y, Variable.constant(Evaluation.unnormalized(b.images(), data.mean(), data.std())), Reduction.MEAN);
                float l = loss.item();
                if (!Float.isFinite(l)) {
                    throw new IllegalStateException("train: loss became " + l + " at epoch " + (epoch + 1)
                            + "; lower --lr (was " + lr + ")");
                }
                loss.backward();
                optimizer.step();
                at.lossSum += (double) l * b.size();
                at.seen += b.size();
                at.windowLoss += l;
                at.windowBatches++;
                at.batch++;
                at.step++;
                // A point where batch·STEPS/batches crosses an integer: min(STEPS, batches) even windows an
                // epoch, the last ending with the epoch.
                if ((long) at.batch * STEPS_PER_EPOCH / batches > (long) (at.batch - 1) * STEPS_PER_EPOCH / batches) {
                    var point = new JsonArray();
                    point.add((long) epoch * data.train().size() + at.seen);
                    point.add(at.windowLoss / at.windowBatches);
                    steps.add(point);
                    at.windowLoss = 0;
                    at.windowBatches = 0;
                }
                if (task == Models.Task.CLASSIFY) {
                    at.right += correct(y.value(), b.labels());
                }
                progress.step(b.size(), at.lossSum / at.seen, (double) at.right / at.seen);
                long now = System.nanoTime();
                if (at.batch < batches && checkpoints.due(at.step, now - lastCheckpoint)) {
                    at.seconds += (now - t0) / 1e9;
                    t0 = now;
                    at.write(runDir.resolve(CHECKPOINT), config, model, optimizer, epochs, steps);
                    lastCheckpoint = System.nanoTime();
                }
                if (at.step == stopAfterStep) {
                    throw new Stopped(at.step);
                }
            }
        }
        at.seconds += (System.nanoTime() - t0) / 1e9;
    }

    /** The epoch's figures (and validation) into metrics.json and the curves, then the epoch-end checkpoint. */
    private void endEpoch(Data data, Models.Task task, Module model, Optimizer optimizer, float lr, RunState at,
                          JsonArray epochs, JsonArray steps) throws IOException {
        int epoch = at.epoch;
        var e = new JsonObject();
        e.addProperty("epoch", epoch + 1);
        e.addProperty("lr", lr);
        e.addProperty("train_loss", at.lossSum / at.seen);
        if (task == Models.Task.CLASSIFY) {
            e.addProperty("train_accuracy", (double) at.right / at.seen);
        }
        e.addProperty("images_per_second", at.seen / at.seconds);
        e.addProperty("seconds", at.seconds);
        String valText = "";
        if (data.validation() != null) {
            Evaluation val = Evaluation.of(model, data.validation(), data.mean(), data.std(), task, config.batchSize());
            e.addProperty("val_loss", val.loss());
            if (task == Models.Task.CLASSIFY) {
                e.addProperty("val_accuracy", val.accuracy());
                valText = String.format(", val loss %.4f acc %.2f%%", val.loss(), 100 * val.accuracy());
            } else {
                valText = String.format(", val loss %.5f", val.loss());
            }
        }
        epochs.add(e);
        out.printf("epoch %d/%d: lr %.4g, train loss %.4f%s%s, %.0f img/s, %.1f s%n", epoch + 1, config.epochs(), lr,
                at.lossSum / at.seen, task == Models.Task.CLASSIFY ? String.format(" acc %.2f%%", 100.0 * at.right / at.seen) : "",
                valText, at.seen / at.seconds, at.seconds);
        JsonObject metrics = new JsonObject();
        metrics.add("epochs", epochs);
        metrics.add("steps", steps);
        JsonFiles.write(runDir.resolve(METRICS), metrics);
        Images.writePng(Charts.curves(title(), metrics), runDir.resolve(RunPictures.CURVES));
        at.nextEpoch();
        at.write(runDir.resolve(CHECKPOINT), config, model, optimizer, epochs, steps);
        lastCheckpoint = System.nanoTime();
    }

    /** The test evaluation into metrics.json, the model, and the confusion matrix or reconstructions. */
    private Evaluation finish(Data data, Models.Task task, Module model, JsonArray epochs, JsonArray steps, long wallStart)
            throws IOException {
        Evaluation test = Evaluation.of(model, data.test(), data.mean(), data.std(), task, config.batchSize());
        JsonObject metrics = new JsonObject();
        metrics.add("epochs", epochs);
        metrics.add("steps", steps);
        if (task == Models.Task.CLASSIFY) {
            test.addTo(metrics, "test_");
        } else {
            metrics.addProperty("test_loss", test.loss());
        }
        metrics.addProperty("wall_seconds", (System.nanoTime() - wallStart) / 1e9);
        metrics.addProperty("train_images", data.train().size());
        metrics.addProperty("parameters", model.parameterCount());
        metrics.addProperty("trainable_parameters",
                model.parameters().stream().filter(Variable::requiresGrad).mapToLong(v -> v.value().shape().numel()).sum());
        SafeTensors.write(runDir.resolve(MODEL), model.stateDict(), Map.of("model", config.model()));
        JsonFiles.write(runDir.resolve(METRICS), metrics);
        if (task == Models.Task.CLASSIFY) {
            Images.writePng(Charts.confusion(String.format("%s: test confusion (accuracy %.2f%%)", title(), 100 * test.accuracy()),
                    test.confusion(), test.classes()), runDir.resolve(RunPictures.CONFUSION));
        } else {
            Images.writePng(RunPictures.reconstructions(model, data.test(), 10, data.mean(), data.std()),
                    runDir.resolve(RunPictures.RECONSTRUCTIONS));
        }
        return test;
    }

    /**
     * When a run writes a checkpoint inside an epoch (it always writes one at each epoch's end): every
     * {@code everySteps} optimizer steps (0: never), and after {@code everySeconds} of wall time since the last one.
     */
    public record Checkpoints(int everySteps, double everySeconds) {
        /** Every 1000 steps and every 5 minutes: a killed run loses at most that much work. */
        public static final Checkpoints DEFAULT = new Checkpoints(1000, 300);

        public Checkpoints {
            if (everySteps < 0 || !(everySeconds > 0)) {
                throw new IllegalArgumentException("checkpoints: steps must be >= 0 and seconds > 0 but were " + everySteps
                        + " and " + everySeconds);
            }
        }

        public boolean due(long step, long nanosSinceLast) {
            return (everySteps > 0 && step % everySteps == 0) || nanosSinceLast >= everySeconds * 1e9;
        }
    }

    /** Thrown by a run told to stop after a given step, as if it had been killed there. */
    static final class Stopped extends RuntimeException {
        Stopped(long step) {
            super("stopped after step " + step);
        }
    }

    /** Sets when this trainer writes checkpoints inside an epoch; returns this. */
    public Trainer checkpoints(Checkpoints policy) {
        this.checkpoints = policy;
        return this;
    }

    /** Makes {@link #run} throw {@link Stopped} right after optimizer step {@code step} (1-based), as a kill would. */
    Trainer stopAfterStep(long step) {
        this.stopAfterStep = step;
        return this;
    }

    private String title() {
        return config.model() + (config.backbone() == null ? "" : " (transfer)") + " on " + config.dataset();
    }

    /** The config's optimizer over the model's trainable parameters, with the config's weight decay as it is. */
    public static Optimizer optimizer(TrainConfig config, Module model) {
        var params = model.parameters().stream().filter(Variable::requiresGrad).toList(); // frozen backbones are not optimised
        return switch (config.optimizer()) {
            case "sgd" -> new Sgd(params, config.lr(), config.momentum(), 0f, config.weightDecay(), config.momentum() > 0);
            case "adam" -> Adam.adam(params, config.lr(), 0.9f, 0.999f, 1e-8f, config.weightDecay());
            case "adamw" -> Adam.adamW(params, config.lr(), 0.9f, 0.999f, 1e-8f, config.weightDecay());
            default -> throw new IllegalArgumentException("optimizer must be one of [sgd, adam, adamw] but was '" + config.optimizer() + "'");
        };
    }

    private LrSchedule schedule() {
        return schedule(config);
    }

    /** The config's learning-rate schedule by epoch: its warm-up, then none, step or cosine over the rest. */
    public static LrSchedule schedule(TrainConfig config) {
        int after = Math.max(1, config.epochs() - config.warmupEpochs());
        LrSchedule base = switch (config.schedule()) {
            case "none" -> LrSchedule.constant();
            case "cosine" -> LrSchedule.cosine(after, 0f);
            case "step" -> LrSchedule.step(Math.max(1, after / 3), 0.1f);
            default -> throw new IllegalArgumentException("schedule must be one of [none, step, cosine] but was '" + config.schedule() + "'");
        };
        return config.warmupEpochs() > 0 ? base.withWarmup(config.warmupEpochs(), 0.1f) : base;
    }

    private static long correct(Tensor scores, int[] labels) {
        int[] pred = Functional.argmax(scores);
        long right = 0;
        for (int i = 0; i < pred.length; i++) {
            right += pred[i] == labels[i] ? 1 : 0;
        }
        return right;
    }

    private static JsonArray floats(float[] v) {
        var a = new JsonArray();
        for (float f : v) {
            a.add(f);
        }
        return a;
    }
}
