package dev.vcnn.spark;

import com.google.gson.JsonArray;
import dev.vcnn.engine.autograd.Variable;
import dev.vcnn.engine.nn.Module;
import dev.vcnn.engine.optim.LrSchedule;
import dev.vcnn.engine.optim.Optimizer;
import dev.vcnn.engine.tensor.Tensor;
import dev.vcnn.models.Models;
import dev.vcnn.models.train.Evaluation;
import dev.vcnn.models.train.RunState;
import dev.vcnn.models.train.TrainConfig;
import dev.vcnn.models.train.Trainer;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;

/**
 * Synchronous data-parallel training on Spark. The driver owns the model, the optimizer and the schedule. Each step
 * it broadcasts the weights; each of P partitions computes the gradient sum and sample count of its share of the
 * global batch ({@link StepTask}); the driver adds the partitions' sums in partition order, divides by the batch's
 * sample count and steps the optimizer. The result therefore depends on the config (seed included) and P only, never on
 * how many executors or task threads ran the partitions, nor on which task attempts failed and were retried.
 *
 * <p>Batch norm uses each partition's own batch statistics in training, as PyTorch's DistributedDataParallel does
 * by default; the running statistics the driver keeps are the mean over partitions (in partition order) of what each
 * partition's forward pass left, so with P > 1 they differ slightly from a single JVM's at batch P·b.
 *
 * <p>The run directory holds what {@code vcnn train} writes ({@code config.json}, {@code metrics.json},
 * {@code model.safetensors}, {@code curves.png}, {@code confusion.png}), so {@code vcnn eval}, {@code predict} and
 * {@code visualize} take it. Validation and the test evaluation run on the driver.
 */
public final class DataParallelTrainer {
    private final JavaSparkContext sc;
    private final TrainConfig config;
    private final int partitions;
    private final Path runDir;
    private final PrintStream out;
    private StepTask.Hook hook;
    private int syncEvery = 1;
    private boolean sharded;
    private Trainer.Checkpoints checkpoints = Trainer.Checkpoints.DEFAULT;
    private long stopAfterStep = -1;

    /** Thrown by a run told to stop after a step (tests of resume). */
    static final class Stopped extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Stopped(long step) {
            super("stopped after step " + step);
        }
    }

    /** What one run measured, besides the run directory's files. */
    public record Result(Evaluation test, long steps, long bytesBroadcastPerStep, long bytesCollectedPerStep,
                         double trainSeconds, double imagesPerSecond, Timing timing) {}

    /**
     * Where the synchronisations of this JVM's steps went, in seconds: making the weights' broadcast, the Spark job
     * (shipping, the partitions' work, returning their results) and the driver's part (adding, averaging, the
     * optimizer step, freeing the broadcast).
     */
    public record Timing(long syncs, double broadcast, double job, double driver) {
        static final Timing NONE = new Timing(0, 0, 0, 0);

        /** Milliseconds a synchronisation, as text. */
        public String perSync() {
            return syncs == 0 ? "no synchronisations" : String.format(java.util.Locale.ROOT,
                    "a synchronisation: %.1f ms broadcast, %.1f ms job, %.1f ms driver", 1e3 * broadcast / syncs,
                    1e3 * job / syncs, 1e3 * driver / syncs);
        }
    }

    public DataParallelTrainer(JavaSparkContext sc, TrainConfig config, int partitions, Path runDir, PrintStream out) {
        if (partitions < 1) {
            throw new IllegalArgumentException("spark: partitions must be >= 1 but was " + partitions);
        }
        if (partitions > config.batchSize()) {
            throw new IllegalArgumentException("spark: partitions (" + partitions + ") must not exceed the batch size ("
                    + config.batchSize() + "): each partition takes a share of every batch");
        }
        if (Models.spec(config.model()).task() != Models.Task.CLASSIFY) {
            throw new IllegalArgumentException("spark: data-parallel training takes classifiers; " + config.model()
                    + " is an autoencoder (train it with vcnn train)");
        }
        this.sc = sc;
        this.config = config;
        this.partitions = partitions;
        this.runDir = runDir;
        this.out = out;
    }

    /**
     * Local steps between synchronisations. 1 (the default): every step adds the partitions' gradients, as one JVM
     * at the global batch would. K &gt; 1: each partition takes K optimizer steps of its own on its share of K
     * consecutive batches, then the driver averages the partitions' weights, buffers and optimizer state (local SGD,
     * "model averaging"). It ships the weights K times less often, at the price of a result that is no longer one
     * JVM's: the partitions' models drift apart between averages, which costs accuracy as K and P grow.
     */
    public DataParallelTrainer syncEvery(int k) {
        if (k < 1) {
            throw new IllegalArgumentException("spark: --sync-every must be >= 1 but was " + k);
        }
        this.syncEvery = k;
        return this;
    }

    /**
     * Sharded data: partition p trains on the training images among records [p·N/P, (p+1)·N/P) of the dataset's N,
     * as PyTorch's DistributedSampler shards a dataset, and its executor reads only those records where the format
     * allows it ({@link Trainer#trainShard}), normalising with the driver's statistics. Each epoch every
     * partition shuffles its range (seeded by the seed, the epoch and p) and each step takes B/P images from it; an
     * epoch is as many steps as the smallest range fills with whole batches. Unsharded (the default), every
     * partition takes its rows of one JVM's global batches, so the run follows one JVM's.
     *
     * @throws IllegalArgumentException when the batch size is not a multiple of the partition count
     */
    public DataParallelTrainer sharded(boolean on) {
        if (on && config.batchSize() % partitions != 0) {
            throw new IllegalArgumentException("spark: with sharded data the batch size (" + config.batchSize()
                    + ") must be a multiple of the partitions (" + partitions + ")");
        }
        this.sharded = on;
        return this;
    }

    /** When to checkpoint inside an epoch (it always does at epoch ends), as {@code vcnn train}. */
    public DataParallelTrainer checkpoints(Trainer.Checkpoints policy) {
        this.checkpoints = policy;
        return this;
    }

    /** Stops the run (throwing {@link Stopped}) once this many steps are done: a kill point for tests. */
    DataParallelTrainer stopAfterStep(long step) {
        this.stopAfterStep = step;
        return this;
    }

    /** A hook every task calls before its step: tests make an attempt fail through it. */
    DataParallelTrainer hook(StepTask.Hook h) {
        this.hook = h;
        return this;
    }

    /** Runs the training from the start. */
    public Result run() throws IOException {
        return run(false);
    }

    /**
     * Runs the training; with {@code resume}, from the run directory's checkpoint when there is one. A resumed run
     * finishes with the weights and metrics of a run never stopped, bit for bit.
     *
     * @throws IllegalArgumentException when the checkpoint belongs to other settings (config, partitions, sync-every)
     */
    public Result run(boolean resume) throws IOException {
        long wallStart = System.nanoTime();
        Files.createDirectories(runDir);
        Trainer.Data data = Trainer.data(config);
        Module model = Trainer.model(config, data.train().classes().size());
        Optimizer optimizer = Trainer.optimizer(config, model);
        LrSchedule schedule = Trainer.schedule(config);
        List<Variable> trainable = model.parameters().stream().filter(Variable::requiresGrad).toList();
        List<Tensor> buffers = List.copyOf(model.namedBuffers().values());
        String json = config.toJson().toString();
        List<Integer> indices = IntStream.range(0, partitions).boxed().toList();
        int size = data.train().size();
        StepTask.Shards shards = sharded ? new StepTask.Shards(data.mean(), data.std()) : null;
        int batches = sharded ? java.util.Arrays.stream(Trainer.trainShardSizes(config, data, partitions))
                .map(n -> StepTask.fullBatches(n, config.batchSize(), partitions)).min().orElse(0)
                : (size + config.batchSize() - 1) / config.batchSize();
        if (batches == 0) {
            throw new IllegalArgumentException("spark: each partition's share of the " + size + " training images must "
                    + "fill a batch of " + config.batchSize() / partitions + " but does not; use fewer partitions");
        }
        long stateBytes = 4L * model.stateDict().values().stream().mapToLong(Tensor::numel).sum();
        long gradBytes = 4L * (trainable.stream().mapToLong(v -> v.value().numel()).sum()
                + buffers.stream().mapToLong(Tensor::numel).sum());
        JsonArray epochs = new JsonArray();
        JsonArray steps = new JsonArray();
        Path checkpoint = runDir.resolve(Trainer.CHECKPOINT);
        Map<String, String> identity = Map.of("spark_partitions", String.valueOf(partitions),
                "spark_sync_every", String.valueOf(syncEvery), "spark_sharded", String.valueOf(sharded));
        RunState at = new RunState();
        if (resume && Files.exists(checkpoint)) {
            Map<String, String> meta = dev.vcnn.engine.io.Checkpoint.read(checkpoint).metadata();
            for (var e : identity.entrySet()) {
                if (!e.getValue().equals(meta.get(e.getKey()))) {
                    throw new IllegalArgumentException("resume: " + (e.getKey().equals("spark_sharded") ? "--shard-data"
                            : e.getKey().replace("spark_", "--").replace('_', '-'))
                            + " must be " + meta.get(e.getKey()) + " as in the checkpoint but was " + e.getValue()
                            + " (file=" + checkpoint + ")");
                }
            }
            at = RunState.restore(checkpoint, config, model, optimizer, epochs, steps);
            out.printf("resuming at epoch %d of %d, batch %d of %d, from %s%n", at.epoch + 1, config.epochs(), at.batch + 1,
                    batches, checkpoint);
        }
        Trainer.writeConfig(runDir, config, data);
        var files = new RunFiles(config, data, runDir, out, config.model() + " on " + config.dataset() + " (Spark, "
                + partitions + " partitions)");
        out.printf("%s on %s, data-parallel over %d partitions: %d train images, batch %d (%d a partition), %,d parameters; "
                        + "%,d bytes broadcast and %,d collected a step%n", config.model(), config.dataset(), partitions, size,
                config.batchSize(), config.batchSize() / partitions, model.parameterCount(), stateBytes, gradBytes * partitions);
        long lastCheckpoint = System.nanoTime();
        double trainSeconds = 0;
        long stepsRun = 0;
        long[] nanos = new long[4]; // syncs, broadcast, job, driver
        while (at.epoch < config.epochs()) {
            int epoch = at.epoch;
            float lr = schedule.lr(config.lr(), epoch);
            optimizer.lr(lr);
            long t0 = System.nanoTime();
            while (at.batch < batches) { // one step, or K local steps
                int b = at.batch;
                int k = syncEvery > 1 ? Math.min(syncEvery, batches - b) : 1;
                long count;
                double loss;
                if (syncEvery > 1) {
                    List<StepTask.Local> locals = localSteps(json, epoch, b, k, at.step, lr, model, optimizer, indices, shards, nanos);
                    count = locals.stream().mapToLong(StepTask.Local::count).sum();
                    loss = locals.stream().mapToDouble(StepTask.Local::lossSum).sum();
                    at.right += locals.stream().mapToLong(StepTask.Local::correct).sum();
                } else {
                    long n0 = System.nanoTime();
                    Broadcast<float[][]> state = sc.broadcast(Weights.of(model));
                    long n1 = System.nanoTime();
                    List<StepTask.Part> parts;
                    long n2;
                    try {
                        parts = new ArrayList<>(sc.parallelize(indices, partitions)
                                .mapPartitionsWithIndex(new StepTask(json, epoch, b, at.step, partitions, state, hook, shards), true)
                                .collect());
                        n2 = System.nanoTime();
                    } finally {
                        state.destroy();
                    }
                    parts.sort(Comparator.comparingInt(StepTask.Part::partition));
                    count = parts.stream().mapToLong(StepTask.Part::count).sum();
                    loss = parts.stream().mapToDouble(StepTask.Part::lossSum).sum();
                    at.right += parts.stream().mapToLong(StepTask.Part::correct).sum();
                    if (Double.isFinite(loss)) {
                        applyGradients(trainable, parts, count);
                        averageBuffers(buffers, parts);
                        optimizer.step();
                    }
                    long n3 = System.nanoTime();
                    nanos[0]++;
                    nanos[1] += n1 - n0;
                    nanos[2] += n2 - n1;
                    nanos[3] += n3 - n2;
                }
                if (!Double.isFinite(loss)) {
                    throw new IllegalStateException("spark train: loss became " + loss + " at epoch " + (epoch + 1)
                            + "; lower --lr (was " + lr + ")");
                }
                at.lossSum += loss;
                at.seen += count;
                at.windowLoss += loss / count * k;
                at.windowBatches += k;
                boolean point = false; // a curve point falls inside these steps: record it after them
                for (int i = 0; i < k; i++) {
                    point |= (long) (b + i + 1) * Trainer.STEPS_PER_EPOCH / batches > (long) (b + i) * Trainer.STEPS_PER_EPOCH / batches;
                }
                if (point) {
                    var p = new JsonArray();
                    p.add((long) epoch * size + at.seen);
                    p.add(at.windowLoss / at.windowBatches);
                    steps.add(p);
                    at.windowLoss = 0;
                    at.windowBatches = 0;
                }
                at.batch += k;
                at.step += k;
                stepsRun += k;
                long now = System.nanoTime();
                if (at.batch < batches && checkpoints.due(at.step, now - lastCheckpoint)) {
                    at.seconds += (now - t0) / 1e9;
                    trainSeconds += (now - t0) / 1e9;
                    t0 = now;
                    at.write(checkpoint, config, model, optimizer, epochs, steps, identity);
                    lastCheckpoint = System.nanoTime();
                }
                if (stopAfterStep >= 0 && at.step >= stopAfterStep) {
                    throw new Stopped(at.step);
                }
            }
            double seconds = (System.nanoTime() - t0) / 1e9;
            at.seconds += seconds;
            trainSeconds += seconds;
            files.endEpoch(model, epoch, lr, at.lossSum, at.right, at.seen, at.seconds, epochs, steps);
            at.nextEpoch();
            at.write(checkpoint, config, model, optimizer, epochs, steps, identity);
            lastCheckpoint = System.nanoTime();
        }
        Evaluation test = files.finish(model, epochs, steps, wallStart, Map.of("partitions", partitions));
        double imagesPerSecond = stepsRun == 0 ? 0 : stepsRun * (double) config.batchSize() / trainSeconds;
        return new Result(test, at.step, stateBytes, gradBytes * partitions, trainSeconds, imagesPerSecond,
                new Timing(nanos[0], nanos[1] / 1e9, nanos[2] / 1e9, nanos[3] / 1e9));
    }

    /** One round of local steps; the driver's model and optimizer take the partitions' averages. */
    private List<StepTask.Local> localSteps(String json, int epoch, int firstBatch, int k, long firstStep, float lr,
                                            Module model, Optimizer optimizer, List<Integer> indices,
                                            StepTask.Shards shards, long[] nanos) {
        long n0 = System.nanoTime();
        Broadcast<float[][]> state = sc.broadcast(Weights.of(model));
        Broadcast<Map<String, Weights.Flat>> opt = sc.broadcast(Weights.of(optimizer));
        long n1 = System.nanoTime();
        List<StepTask.Local> locals;
        long n2;
        try {
            locals = new ArrayList<>(sc.parallelize(indices, partitions)
                    .mapPartitionsWithIndex(new StepTask.LocalSteps(json, epoch, firstBatch, k, firstStep, partitions, lr,
                            state, opt, hook, shards), true)
                    .collect());
            n2 = System.nanoTime();
        } finally {
            state.destroy();
            opt.destroy();
        }
        locals.sort(Comparator.comparingInt(StepTask.Local::partition));
        float[][] mean = average(locals.stream().map(StepTask.Local::state).toList());
        Weights.load(model, mean);
        Map<String, Weights.Flat> first = locals.getFirst().optimizer();
        Map<String, Weights.Flat> averaged = new java.util.LinkedHashMap<>();
        for (String key : first.keySet()) {
            float[][] m = average(locals.stream().map(l -> new float[][] {l.optimizer().get(key).values()}).toList());
            averaged.put(key, new Weights.Flat(m[0], first.get(key).dims()));
        }
        Weights.load(optimizer, averaged);
        nanos[0]++;
        nanos[1] += n1 - n0;
        nanos[2] += n2 - n1;
        nanos[3] += System.nanoTime() - n2;
        return locals;
    }

    /** Element-wise means, in double and in list order, of equally shaped lists of arrays. */
    private static float[][] average(List<float[][]> parts) {
        float[][] out = new float[parts.getFirst().length][];
        for (int i = 0; i < out.length; i++) {
            out[i] = new float[parts.getFirst()[i].length];
            for (int j = 0; j < out[i].length; j++) {
                double s = 0;
                for (float[][] p : parts) {
                    s += p[i][j];
                }
                out[i][j] = (float) (s / parts.size());
            }
        }
        return out;
    }

    /** Each trainable parameter's gradient: the partitions' sums added in partition order, over the batch's count. */
    private static void applyGradients(List<Variable> trainable, List<StepTask.Part> parts, long count) {
        for (int i = 0; i < trainable.size(); i++) {
            int index = i;
            Variable v = trainable.get(i);
            v.grad(Tensor.of(RunFiles.sumInOrder(parts.stream().map(p -> p.gradients()[index]).toList(), 1f / count),
                    v.shape().toArray()));
        }
    }

    /** Each buffer: the mean, in double and in partition order, of what the partitions' forward passes left. */
    private static void averageBuffers(List<Tensor> buffers, List<StepTask.Part> parts) {
        for (int i = 0; i < buffers.size(); i++) {
            Tensor t = buffers.get(i);
            float[] d = t.data();
            int off = t.offset();
            for (int j = 0; j < t.numel(); j++) {
                double s = 0;
                for (StepTask.Part p : parts) {
                    s += p.buffers()[i][j];
                }
                d[off + j] = (float) (s / parts.size());
            }
        }
    }
}
