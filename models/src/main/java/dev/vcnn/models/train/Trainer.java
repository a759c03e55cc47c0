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
 * data), {@code metrics.json} (every epoch's figures, then the test results), {@code checkpoint.safetensors}
 * and {@code curves.png} after every epoch, {@code model.safetensors} and {@code confusion.png}
 * (classifiers) or {@code reconstructions.png} (autoencoders) at the end, each written atomically. A run resumes
 * from its checkpoint at the next epoch and continues exactly as if it had not stopped: data order,
 * augmentation and dropout are functions of (seed, epoch), and their positions are in the checkpoint.
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
        int start = 0;
        if (resume && Files.exists(runDir.resolve(CHECKPOINT))) {
            Checkpoint ck = Checkpoint.read(runDir.resolve(CHECKPOINT));
            model.loadStateDict(ck.model(), true);
            optimizer.loadStateDict(ck.optimizer());
            start = Integer.parseInt(ck.metadata().getOrDefault("epoch", "0"));
            int done = start;
            model.namedModules().forEach((path, m) -> {
                if (m instanceof Dropout d && ck.metadata().containsKey("dropout." + path)) {
                    d.calls(Long.parseLong(ck.metadata().get("dropout." + path)));
                }
            });
            if (Files.exists(runDir.resolve(METRICS))) {
                JsonObject old = readJson(runDir.resolve(METRICS));
                if (old.has("epochs")) {
                    old.getAsJsonArray("epochs").forEach(e -> {
                        if (e.getAsJsonObject().get("epoch").getAsInt() <= done) {
                            epochs.add(e);
                        }
                    });
                }
                long seenBefore = (long) done * data.train().size();
                if (old.has("steps")) {
                    old.getAsJsonArray("steps").forEach(e -> {
                        if (e.getAsJsonArray().get(0).getAsLong() <= seenBefore) {
                            steps.add(e);
                        }
                    });
                }
            }
            out.printf("resuming %s at epoch %d of %d from %s%n", config.model(), start + 1, config.epochs(), runDir.resolve(CHECKPOINT));
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

        try (var loader = new DataLoader(data.train(), config.batchSize(), true, config.seed(), data.mean(), data.std(), augment())) {
            for (int epoch = start; epoch < config.epochs(); epoch++) {
                float lr = schedule.lr(config.lr(), epoch);
                optimizer.lr(lr);
                model.train();
                long t0 = System.nanoTime();
                double lossSum = 0;
                long right = 0;
                long seen = 0;
                int batches = loader.batches();
                int batch = 0;
                double windowLoss = 0;
                int windowBatches = 0;
                try (Progress progress = Progress.of(String.format("epoch %d/%d", epoch + 1, config.epochs()),
                        data.train().size(), out)) {
                    for (Iterator<DataLoader.Batch> it = loader.epoch(epoch); it.hasNext(); ) {
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
                        lossSum += (double) l * b.size();
                        seen += b.size();
                        windowLoss += l;
                        windowBatches++;
                        batch++;
                        // A point where batch·STEPS/batches crosses an integer: min(STEPS, batches) even windows an
                        // epoch, the last ending with the epoch.
                        if ((long) batch * STEPS_PER_EPOCH / batches > (long) (batch - 1) * STEPS_PER_EPOCH / batches) {
                            var point = new JsonArray();
                            point.add((long) epoch * data.train().size() + seen);
                            point.add(windowLoss / windowBatches);
                            steps.add(point);
                            windowLoss = 0;
                            windowBatches = 0;
                        }
                        if (task == Models.Task.CLASSIFY) {
                            right += correct(y.value(), b.labels());
                        }
                        progress.step(b.size(), lossSum / seen, (double) right / seen);
                    }
                }
                double seconds = (System.nanoTime() - t0) / 1e9;
                var e = new JsonObject();
                e.addProperty("epoch", epoch + 1);
                e.addProperty("lr", lr);
                e.addProperty("train_loss", lossSum / seen);
                if (task == Models.Task.CLASSIFY) {
                    e.addProperty("train_accuracy", (double) right / seen);
                }
                e.addProperty("images_per_second", seen / seconds);
                e.addProperty("seconds", seconds);
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
                        lossSum / seen, task == Models.Task.CLASSIFY ? String.format(" acc %.2f%%", 100.0 * right / seen) : "",
                        valText, seen / seconds, seconds);
                metrics.add("epochs", epochs);
                metrics.add("steps", steps);
                writeJson(runDir.resolve(METRICS), metrics);
                Images.writePng(Charts.curves(title(), metrics), runDir.resolve(RunPictures.CURVES));
                Map<String, String> meta = new LinkedHashMap<>();
                meta.put("epoch", String.valueOf(epoch + 1));
                model.namedModules().forEach((path, m) -> {
                    if (m instanceof Dropout d) {
                        meta.put("dropout." + path, String.valueOf(d.calls()));
                    }
                });
                new Checkpoint(model.stateDict(), optimizer.stateDict(), meta).write(runDir.resolve(CHECKPOINT));
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

    private String title() {
        return config.model() + (config.backbone() == null ? "" : " (transfer)") + " on " + config.dataset();
    }

    private Optimizer optimizer(Module model) {
        var params = model.parameters().stream().filter(Variable::requiresGrad).toList(); // frozen backbones are not optimised
        return switch (config.optimizer()) {
            case "sgd" -> new Sgd(params, config.lr(), config.momentum(), 0f, config.weightDecay(), config.momentum() > 0);
            case "adam" -> Adam.adam(params, config.lr(), 0.9f, 0.999f, 1e-8f, config.weightDecay());
            case "adamw" -> Adam.adamW(params, config.lr(), 0.9f, 0.999f, 1e-8f, config.weightDecay() > 0 ? config.weightDecay() : 0.01f);
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

    /** Reads a JSON object file; a bad one is an error naming it. */
    public static JsonObject readJson(Path file) throws IOException {
        try {
            return JsonParser.parseString(Files.readString(file, StandardCharsets.UTF_8)).getAsJsonObject();
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
