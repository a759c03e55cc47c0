package dev.vcnn.spark;

import com.google.gson.JsonArray;
import dev.vcnn.engine.autograd.Autograd;
import dev.vcnn.engine.autograd.Functional;
import dev.vcnn.engine.autograd.Variable;
import dev.vcnn.engine.kernel.Losses.Reduction;
import dev.vcnn.engine.nn.Linear;
import dev.vcnn.engine.nn.Module;
import dev.vcnn.engine.optim.LrSchedule;
import dev.vcnn.engine.optim.Optimizer;
import dev.vcnn.engine.tensor.Tensor;
import dev.vcnn.models.TransferModel;
import dev.vcnn.models.data.DataLoader;
import dev.vcnn.models.data.Dataset;
import dev.vcnn.models.train.Evaluation;
import dev.vcnn.models.train.TrainConfig;
import dev.vcnn.models.train.Trainer;
import java.io.IOException;
import java.io.PrintStream;
import java.io.Serializable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.storage.StorageLevel;

/**
 * Featurize-once transfer learning on Spark: the frozen backbone's features of every training image are computed in
 * one distributed pass (partition p takes the record range [p·n/P, (p+1)·n/P)) and cached on the executors; then
 * only the new linear head trains. Each step broadcasts the head, each cached block returns the head's gradient sum
 * over the batch's images it holds, and the driver adds them in partition order: the result depends on P and the
 * seed, not on executors or retries. Images are featurized without augmentation (the features are fixed).
 */
public final class FeaturizedTransfer {
    private final JavaSparkContext sc;
    private final TrainConfig config;
    private final int partitions;
    private final Path runDir;
    private final PrintStream out;

    public FeaturizedTransfer(JavaSparkContext sc, TrainConfig config, int partitions, Path runDir, PrintStream out) {
        if (config.backbone() == null) {
            throw new IllegalArgumentException("spark: featurize-once training needs a backbone run");
        }
        if (config.unfreeze() != 0) {
            throw new IllegalArgumentException("spark: featurize-once training trains the head alone, but unfreeze was "
                    + config.unfreeze() + " (train with vcnn train --backbone --unfreeze instead)");
        }
        if (partitions < 1) {
            throw new IllegalArgumentException("spark: partitions must be >= 1 but was " + partitions);
        }
        this.sc = sc;
        this.config = config;
        this.partitions = partitions;
        this.runDir = runDir;
        this.out = out;
    }

    /** One partition's cached features: images [from, to) of the training set, {@code width} values each. */
    record Block(int partition, int from, int to, int width, float[] features, int[] labels) implements Serializable {}

    /** A block's share of one step: the head's gradient sums over the batch's images it holds. */
    record Share(int partition, int count, double lossSum, long correct, float[] weightGrad, float[] biasGrad)
            implements Serializable {}

    public DataParallelTrainer.Result run() throws IOException {
        long wallStart = System.nanoTime();
        Files.createDirectories(runDir);
        Trainer.Data data = Trainer.data(config);
        int classes = data.train().classes().size();
        TransferModel model = (TransferModel) Trainer.model(config, classes);
        Linear head = model.head();
        Optimizer optimizer = Trainer.optimizer(config, model);
        LrSchedule schedule = Trainer.schedule(config);
        Trainer.writeConfig(runDir, config, data);
        var files = new RunFiles(config, data, runDir, out, config.model() + " (transfer) on " + config.dataset() + " (Spark)");
        String json = config.toJson().toString();
        int n = data.train().size();

        long f0 = System.nanoTime();
        int parts = partitions; // the closures must not capture this
        JavaRDD<Block> blocks = sc.parallelize(IntStream.range(0, parts).boxed().toList(), parts)
                .map(p -> featurize(json, p, parts)).persist(StorageLevel.MEMORY_ONLY());
        long cached = blocks.count();
        double featurizeSeconds = (System.nanoTime() - f0) / 1e9;
        out.printf("%s (frozen, from %s) + new head on %s, featurized once over %d partitions in %.1f s: %d train images, "
                + "%d features each%n", config.model(), config.backbone(), config.dataset(), cached, featurizeSeconds, n,
                head.weight().shape().dim(1));

        var loader = new DataLoader(data.train(), config.batchSize(), true, config.seed(), data.mean(), data.std(),
                dev.vcnn.models.data.Augment.NONE);
        int batches = loader.batches();
        JsonArray epochs = new JsonArray();
        JsonArray steps = new JsonArray();
        long step = 0;
        double trainSeconds = 0;
        try {
            for (int epoch = 0; epoch < config.epochs(); epoch++) {
                float lr = schedule.lr(config.lr(), epoch);
                optimizer.lr(lr);
                long t0 = System.nanoTime();
                double lossSum = 0;
                long right = 0;
                long seen = 0;
                double windowLoss = 0;
                int windowBatches = 0;
                for (int b = 0; b < batches; b++, step++) {
                    int[] batch = loader.indices(epoch, b);
                    Broadcast<float[][]> weights = sc.broadcast(new float[][] {head.weight().value().toArray(),
                            head.bias().value().toArray()});
                    List<Share> shares;
                    try {
                        shares = new ArrayList<>(blocks.map(k -> share(k, batch, weights.value(), classes)).collect());
                    } finally {
                        weights.destroy();
                    }
                    shares.sort(Comparator.comparingInt(Share::partition));
                    long count = shares.stream().mapToLong(Share::count).sum();
                    double batchLoss = shares.stream().mapToDouble(Share::lossSum).sum();
                    right += shares.stream().mapToLong(Share::correct).sum();
                    head.weight().grad(sum(shares.stream().map(Share::weightGrad).toList(), count, head.weight().shape().toArray()));
                    head.bias().grad(sum(shares.stream().map(Share::biasGrad).toList(), count, head.bias().shape().toArray()));
                    optimizer.step();
                    lossSum += batchLoss;
                    seen += count;
                    windowLoss += batchLoss / count;
                    windowBatches++;
                    if ((long) (b + 1) * Trainer.STEPS_PER_EPOCH / batches > (long) b * Trainer.STEPS_PER_EPOCH / batches) {
                        var point = new JsonArray();
                        point.add((long) epoch * n + seen);
                        point.add(windowLoss / windowBatches);
                        steps.add(point);
                        windowLoss = 0;
                        windowBatches = 0;
                    }
                }
                double seconds = (System.nanoTime() - t0) / 1e9;
                trainSeconds += seconds;
                files.endEpoch(model, epoch, lr, lossSum, right, seen, seconds, epochs, steps);
            }
        } finally {
            blocks.unpersist(false);
        }
        Evaluation test = files.finish(model, epochs, steps, wallStart, Map.of("featurize_seconds", featurizeSeconds,
                "partitions", partitions));
        long bytes = 4L * (head.weight().value().numel() + head.bias().value().numel());
        return new DataParallelTrainer.Result(test, step, bytes, bytes * partitions, trainSeconds,
                (double) n * config.epochs() / trainSeconds, DataParallelTrainer.Timing.NONE);
    }

    /** The gradient sums of all shares (partition order), over the batch's count, as a tensor. */
    private static Tensor sum(List<float[]> parts, long count, int[] dims) {
        return Tensor.of(RunFiles.sumInOrder(parts, 1f / count), dims);
    }

    /** On an executor: the backbone's features of this partition's record range, computed in eval mode. */
    private static Block featurize(String json, int p, int partitions) {
        StepTask.Worker w = StepTask.Worker.of(json);
        Dataset train = w.data.train();
        int n = train.size();
        int from = (int) ((long) p * n / partitions);
        int to = (int) ((long) (p + 1) * n / partitions);
        TransferModel t = (TransferModel) w.newModel();
        Module backbone = t.backbone();
        backbone.eval();
        int width = t.head().weight().shape().dim(1);
        float[] features = new float[(to - from) * width];
        int[] labels = java.util.Arrays.copyOfRange(train.labels(), from, to);
        var loader = new DataLoader(train, w.config.batchSize(), false, 0, w.data.mean(), w.data.std(),
                dev.vcnn.models.data.Augment.NONE);
        try (loader) {
            StepTask.oneThread().run(() -> {
                int b0 = w.config.batchSize();
                for (int at = from; at < to; ) {
                    int batch = at / b0;
                    int lo = at - batch * b0;
                    int hi = Math.min(Math.min(b0, n - batch * b0), to - batch * b0);
                    Tensor x = loader.rows(0, batch, lo, hi).images();
                    float[] f = Autograd.noGrad(() -> Functional.flatten(backbone.forward(Variable.constant(x)))).value().toArray();
                    System.arraycopy(f, 0, features, (at - from) * width, f.length);
                    at += hi - lo;
                }
            });
        }
        return new Block(p, from, to, width, features, labels);
    }

    /** On an executor: the head's loss and gradient sums over the batch's images in this block. */
    private static Share share(Block k, int[] batch, float[][] weights, int classes) {
        List<Integer> rows = new ArrayList<>();
        for (int i : batch) {
            if (i >= k.from() && i < k.to()) {
                rows.add(i);
            }
        }
        int width = k.width();
        if (rows.isEmpty()) {
            return new Share(k.partition(), 0, 0, 0, new float[weights[0].length], new float[weights[1].length]);
        }
        float[] x = new float[rows.size() * width];
        int[] y = new int[rows.size()];
        for (int r = 0; r < rows.size(); r++) {
            int local = rows.get(r) - k.from();
            System.arraycopy(k.features(), local * width, x, r * width, width);
            y[r] = k.labels()[local];
        }
        return StepTask.oneThread().call(() -> {
            Variable w = Variable.parameter(Tensor.of(weights[0].clone(), classes, width));
            Variable b = Variable.parameter(Tensor.of(weights[1].clone(), classes));
            Variable logits = Functional.linear(Variable.constant(Tensor.of(x, rows.size(), width)), w, b);
            Variable loss = Functional.crossEntropy(logits, y, Reduction.SUM, 0f);
            loss.backward();
            int[] pred = Functional.argmax(logits.value());
            long right = 0;
            for (int i = 0; i < pred.length; i++) {
                right += pred[i] == y[i] ? 1 : 0;
            }
            return new Share(k.partition(), rows.size(), loss.item(), right, w.grad().toArray(), b.grad().toArray());
        });
    }
}
