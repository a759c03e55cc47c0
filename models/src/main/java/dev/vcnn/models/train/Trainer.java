package dev.vcnn.models.train;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.vcnn.engine.autograd.Autograd;
import dev.vcnn.engine.autograd.Context;
import dev.vcnn.engine.autograd.Functional;
import dev.vcnn.engine.autograd.Variable;
import dev.vcnn.engine.io.AtomicFile;
import dev.vcnn.engine.io.Checkpoint;
import dev.vcnn.engine.io.SafeTensors;
import dev.vcnn.engine.kernel.Kernels;
import dev.vcnn.engine.kernel.Losses.Reduction;
import dev.vcnn.engine.nn.Dropout;
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
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.LinkedHashMap;
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
        if (split.train().channels() != c.channels() || split.train().height() != c.size() || split.train().width() != c.size()) {
            throw new IllegalArgumentException("train: model " + c.model() + " expects " + c.channels() + "x" + c.size() + "x" + c.size()
                    + " images but dataset " + c.dataset() + " has " + split.train().channels() + "x" + split.train().height()
                    + "x" + split.train().width());
        }
        Dataset.Split tv = c.valFraction() > 0 ? Splits.split(split.train(), c.valFraction(), c.seed(), "train", "validation")
                : new Dataset.Split(split.train(), null);
        float[][] stats = DataLoader.channelStats(tv.train());
        return new Data(tv.train(), tv.test(), split.test(), stats[0], stats[1]);
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
        return new dev.vcnn.models.TransferModel(trained, classes, new SplitMix64(c.seed()));
    }

    private Augment augment() {
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
        int classes = data.train().classes().size();
        Module model = model(config, classes);
        Optimizer optimizer = optimizer(model);
        LrSchedule schedule = schedule();
        JsonObject metrics = new JsonObject();
        JsonArray epochs = new JsonArray();
        JsonArray steps = new JsonArray(); // [images seen, mean training loss of the window]: the fine-grained curve
        Position at = new Position();
        if (resume && Files.exists(runDir.resolve(CHECKPOINT))) {
            at = restore(runDir.resolve(CHECKPOINT), model, optimizer, epochs, steps);
            if (at.epoch == config.epochs()) {
                out.printf("resuming %s: it finished all %d epochs (%s); testing it again%n", config.model(), config.epochs(),
                        runDir.resolve(CHECKPOINT));
            } else {
                out.printf("resuming %s at epoch %d of %d, batch %d of %d, from %s%n", config.model(), at.epoch + 1,
                        config.epochs(), at.batch + 1, (data.train().size() + config.batchSize() - 1) / config.batchSize(),
                        runDir.resolve(CHECKPOINT));
            }
        }
        JsonObject cfg = config.toJson();
        var norm = new JsonObject();
        norm.add("mean", floats(data.mean()));
        norm.add("std", floats(data.std()));
        cfg.add("normalize", norm);
        var cls = new JsonArray();
        data.train().classes().forEach(cls::add);
        cfg.add("classes", cls);
        writeJson(runDir.resolve(CONFIG), cfg);
        out.printf("%s%s on %s: %d train, %d validation, %d test images of %dx%dx%d; %,d parameters; %d threads%n",
                config.model(), config.backbone() == null ? "" : " (frozen, from " + config.backbone() + ") + new head",
                config.dataset(), data.train().size(), data.validation() == null ? 0 : data.validation().size(),
                data.test().size(), config.channels(), config.size(), config.size(), model.parameterCount(), threads);

        long lastCheckpoint = System.nanoTime();
        try (var loader = new DataLoader(data.train(), config.batchSize(), true, config.seed(), data.mean(), data.std(), augment())) {
            int batches = loader.batches();
            while (at.epoch < config.epochs()) {
                int epoch = at.epoch;
                float lr = schedule.lr(config.lr(), epoch);
                optimizer.lr(lr);
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
                                : Functional.mseLoss(y, Variable.constant(unnormalized(b.images(), data)), Reduction.MEAN);
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
                            writeCheckpoint(model, optimizer, at, epochs, steps);
                            lastCheckpoint = System.nanoTime();
                        }
                        if (at.step == stopAfterStep) {
                            throw new Stopped(at.step);
                        }
                    }
                }
                at.seconds += (System.nanoTime() - t0) / 1e9;
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
                    Evaluation val = evaluate(model, data.validation(), data, task, config.batchSize());
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
                metrics.add("epochs", epochs);
                metrics.add("steps", steps);
                writeJson(runDir.resolve(METRICS), metrics);
                Images.writePng(Charts.curves(title(), metrics), runDir.resolve(RunPictures.CURVES));
                at.nextEpoch();
                writeCheckpoint(model, optimizer, at, epochs, steps);
                lastCheckpoint = System.nanoTime();
            }
        }
        Evaluation test = evaluate(model, data.test(), data, task, config.batchSize());
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
        writeJson(runDir.resolve(METRICS), metrics);
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
     * Where a run stands: completed epochs, the batches and steps done, and the running sums of the epoch in
     * progress. A checkpoint holds all of it, so a resumed run repeats nothing and skips nothing.
     */
    private static final class Position {
        int epoch;
        int batch;
        long step;
        double lossSum;
        long right;
        long seen;
        double windowLoss;
        int windowBatches;
        double seconds;

        void nextEpoch() {
            epoch++;
            batch = 0;
            lossSum = 0;
            right = 0;
            seen = 0;
            windowLoss = 0;
            windowBatches = 0;
            seconds = 0;
        }
    }

    /** Keys a checkpoint's metadata must hold, besides one {@code dropout.<path>} per dropout layer. */
    static final java.util.List<String> CHECKPOINT_KEYS = java.util.List.of("config", "epoch", "batch", "step",
            "epoch_loss_sum", "epoch_correct", "epoch_seen", "window_loss", "window_batches", "epoch_seconds",
            "metrics_epochs", "metrics_steps");

    private void writeCheckpoint(Module model, Optimizer optimizer, Position at, JsonArray epochs, JsonArray steps)
            throws IOException {
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("config", resumeIdentity(config).toString());
        meta.put("epoch", String.valueOf(at.epoch));
        meta.put("batch", String.valueOf(at.batch));
        meta.put("step", String.valueOf(at.step));
        // Doubles as their bits, so the resumed sums continue exactly.
        meta.put("epoch_loss_sum", Long.toHexString(Double.doubleToRawLongBits(at.lossSum)));
        meta.put("epoch_correct", String.valueOf(at.right));
        meta.put("epoch_seen", String.valueOf(at.seen));
        meta.put("window_loss", Long.toHexString(Double.doubleToRawLongBits(at.windowLoss)));
        meta.put("window_batches", String.valueOf(at.windowBatches));
        meta.put("epoch_seconds", Long.toHexString(Double.doubleToRawLongBits(at.seconds)));
        meta.put("metrics_epochs", epochs.toString());
        meta.put("metrics_steps", steps.toString());
        model.namedModules().forEach((path, m) -> {
            if (m instanceof Dropout d) {
                meta.put("dropout." + path, String.valueOf(d.calls()));
            }
        });
        new Checkpoint(model.stateDict(), optimizer.stateDict(), meta).write(runDir.resolve(CHECKPOINT));
    }

    /** The settings that decide a run's result: the config without where its data lies (which may move). */
    private static JsonObject resumeIdentity(TrainConfig c) {
        JsonObject o = c.toJson();
        o.remove("data_dir");
        return o;
    }

    /** Loads a checkpoint into the model and optimizer and the metrics so far; returns where the run stands. */
    private Position restore(Path file, Module model, Optimizer optimizer, JsonArray epochs, JsonArray steps) throws IOException {
        Checkpoint ck = Checkpoint.read(file);
        Map<String, String> meta = ck.metadata();
        for (String key : CHECKPOINT_KEYS) {
            if (!meta.containsKey(key)) {
                throw new IllegalArgumentException("resume: checkpoint must hold '" + key + "' but does not (file=" + file
                        + "); it was written by an older vcnn or by something else: start the run again");
            }
        }
        JsonObject saved = parseMeta(meta, "config", file, true).getAsJsonObject();
        // Through text, as the saved one was: numbers compare as they are written.
        JsonObject now = JsonParser.parseString(resumeIdentity(config).toString()).getAsJsonObject();
        for (String key : union(saved.keySet(), now.keySet())) {
            if (!java.util.Objects.equals(saved.get(key), now.get(key))) {
                throw new IllegalArgumentException("resume: setting '" + key + "' must be " + saved.get(key)
                        + " as in the checkpoint but was " + now.get(key) + " (file=" + file
                        + "); a resumed run continues with the settings it started with");
            }
        }
        model.loadStateDict(ck.model(), true);
        long stepsDone = longMeta(meta, "step", file);
        optimizer.loadStateDict(ck.optimizer());
        if (stepsDone > 0) {
            optimizer.requireStateForEveryParameter("checkpoint " + file);
        }
        Position at = new Position();
        at.epoch = (int) longMeta(meta, "epoch", file);
        at.batch = (int) longMeta(meta, "batch", file);
        at.step = stepsDone;
        at.lossSum = doubleBitsMeta(meta, "epoch_loss_sum", file);
        at.right = longMeta(meta, "epoch_correct", file);
        at.seen = longMeta(meta, "epoch_seen", file);
        at.windowLoss = doubleBitsMeta(meta, "window_loss", file);
        at.windowBatches = (int) longMeta(meta, "window_batches", file);
        at.seconds = doubleBitsMeta(meta, "epoch_seconds", file);
        if (at.epoch > config.epochs()) {
            throw new IllegalArgumentException("resume: checkpoint's epoch must be at most " + config.epochs() + " but was "
                    + at.epoch + " (file=" + file + ")");
        }
        for (var entry : model.namedModules().entrySet()) {
            if (entry.getValue() instanceof Dropout d) {
                String key = "dropout." + entry.getKey();
                if (!meta.containsKey(key)) {
                    throw new IllegalArgumentException("resume: checkpoint must hold '" + key + "' (the dropout layer's "
                            + "random position) but does not (file=" + file + ")");
                }
                d.calls(longMeta(meta, key, file));
            }
        }
        parseMeta(meta, "metrics_epochs", file, false).getAsJsonArray().forEach(epochs::add);
        parseMeta(meta, "metrics_steps", file, false).getAsJsonArray().forEach(steps::add);
        return at;
    }

    private static java.util.Set<String> union(java.util.Set<String> a, java.util.Set<String> b) {
        var all = new java.util.TreeSet<>(a);
        all.addAll(b);
        return all;
    }

    private static long longMeta(Map<String, String> meta, String key, Path file) {
        try {
            long v = Long.parseLong(meta.get(key));
            if (v < 0) {
                throw new NumberFormatException();
            }
            return v;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("resume: checkpoint's '" + key + "' must be a non-negative integer but was '"
                    + meta.get(key) + "' (file=" + file + ")");
        }
    }

    private static double doubleBitsMeta(Map<String, String> meta, String key, Path file) {
        try {
            return Double.longBitsToDouble(Long.parseUnsignedLong(meta.get(key), 16));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("resume: checkpoint's '" + key + "' must be a double's bits in hex but was '"
                    + meta.get(key) + "' (file=" + file + ")");
        }
    }

    /** A metadata value that must be a JSON object ({@code object}) or array. */
    private static com.google.gson.JsonElement parseMeta(Map<String, String> meta, String key, Path file, boolean object) {
        com.google.gson.JsonElement e;
        try {
            e = JsonParser.parseString(meta.get(key));
        } catch (RuntimeException ex) {
            e = null;
        }
        if (e == null || (object ? !e.isJsonObject() : !e.isJsonArray())) {
            throw new IllegalArgumentException("resume: checkpoint's '" + key + "' must be a JSON " + (object ? "object" : "array")
                    + " but was not (file=" + file + ")");
        }
        return e;
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

        boolean due(long step, long nanosSinceLast) {
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

    private Optimizer optimizer(Module model) {
        return optimizer(config, model);
    }

    /** The config's optimizer over the model's trainable parameters, with the config's weight decay as it is. */
    static Optimizer optimizer(TrainConfig config, Module model) {
        var params = model.parameters().stream().filter(Variable::requiresGrad).toList(); // frozen backbones are not optimised
        return switch (config.optimizer()) {
            case "sgd" -> new Sgd(params, config.lr(), config.momentum(), 0f, config.weightDecay(), config.momentum() > 0);
            case "adam" -> Adam.adam(params, config.lr(), 0.9f, 0.999f, 1e-8f, config.weightDecay());
            case "adamw" -> Adam.adamW(params, config.lr(), 0.9f, 0.999f, 1e-8f, config.weightDecay());
            default -> throw new IllegalArgumentException("optimizer must be one of [sgd, adam, adamw] but was '" + config.optimizer() + "'");
        };
    }

    private LrSchedule schedule() {
        int after = Math.max(1, config.epochs() - config.warmupEpochs());
        LrSchedule base = switch (config.schedule()) {
            case "none" -> LrSchedule.constant();
            case "cosine" -> LrSchedule.cosine(after, 0f);
            case "step" -> LrSchedule.step(Math.max(1, after / 3), 0.1f);
            default -> throw new IllegalArgumentException("schedule must be one of [none, step, cosine] but was '" + config.schedule() + "'");
        };
        return config.warmupEpochs() > 0 ? base.withWarmup(config.warmupEpochs(), 0.1f) : base;
    }

    /** Loss and confusion of a model over a dataset, in eval mode without recording. */
    public static Evaluation evaluate(Module model, Dataset set, Data data, Models.Task task, int batchSize) {
        model.eval();
        int k = set.classes().size();
        int[][] confusion = new int[k][k];
        double lossSum = 0;
        try (var loader = new DataLoader(set, batchSize, false, 0, data.mean(), data.std(), Augment.NONE)) {
            for (Iterator<DataLoader.Batch> it = loader.epoch(0); it.hasNext(); ) {
                DataLoader.Batch b = it.next();
                double batchLoss = Autograd.noGrad(() -> {
                    Variable y = model.forward(Variable.constant(b.images()));
                    if (task == Models.Task.CLASSIFY) {
                        int[] pred = argmax(y.value());
                        for (int i = 0; i < pred.length; i++) {
                            confusion[b.labels()[i]][pred[i]]++;
                        }
                        return (double) Functional.crossEntropy(y, b.labels()).item();
                    }
                    return (double) Functional.mseLoss(y, Variable.constant(unnormalized(b.images(), data)), Reduction.MEAN).item();
                });
                lossSum += batchLoss * b.size();
            }
        }
        return new Evaluation(lossSum / Math.max(1, set.size()), confusion, set.classes());
    }

    /** Undoes normalisation: the [0, 1] pixels an autoencoder reconstructs. */
    static Tensor unnormalized(Tensor x, Data data) {
        Tensor y = x.copy();
        int c = x.dim(1);
        int plane = x.dim(2) * x.dim(3);
        for (int i = 0; i < x.dim(0); i++) {
            for (int ch = 0; ch < c; ch++) {
                int base = (i * c + ch) * plane;
                for (int j = 0; j < plane; j++) {
                    y.data()[base + j] = y.data()[base + j] * data.std()[ch] + data.mean()[ch];
                }
            }
        }
        return y;
    }

    /** Index of the largest score in each row of [N, K]. */
    public static int[] argmax(Tensor scores) {
        int n = scores.dim(0);
        int k = scores.dim(1);
        int[] out = new int[n];
        var blas = Context.current().kernels().blas1();
        for (int i = 0; i < n; i++) {
            out[i] = blas.argmax(scores.data(), scores.offset() + i * k, k);
        }
        return out;
    }

    private static long correct(Tensor scores, int[] labels) {
        int[] pred = argmax(scores);
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

    /** The largest config or metrics file read: 64 MiB (a run's metrics.json is a few hundred KiB). */
    public static final long MAX_JSON_BYTES = 64L << 20;

    /** Reads a JSON object file; a bad one (not UTF-8, not a JSON object, over 64 MiB) is an error naming it. */
    public static JsonObject readJson(Path file) throws IOException {
        long size = Files.size(file);
        if (size > MAX_JSON_BYTES) {
            throw new IllegalArgumentException("json: file must be at most " + MAX_JSON_BYTES + " bytes but was " + size
                    + " (file=" + file + ")");
        }
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (java.nio.charset.CharacterCodingException e) {
            throw new IllegalArgumentException("json: file must be UTF-8 text but was not (file=" + file + ")");
        }
        try {
            return JsonParser.parseString(text).getAsJsonObject();
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("json: file must hold a JSON object but did not parse: " + e.getMessage()
                    + " (file=" + file + ")");
        }
    }

    /** Writes pretty JSON atomically (see {@link AtomicFile}). */
    public static void writeJson(Path file, JsonObject value) throws IOException {
        byte[] bytes = new GsonBuilder().setPrettyPrinting().create().toJson(value).getBytes(StandardCharsets.UTF_8);
        AtomicFile.write(file, ch -> AtomicFile.writeFully(ch, java.nio.ByteBuffer.wrap(bytes)));
    }
}
