package dev.vcnn.spark;

import dev.vcnn.engine.autograd.Functional;
import dev.vcnn.engine.autograd.Context;
import dev.vcnn.engine.kernel.Losses.Reduction;
import dev.vcnn.engine.autograd.Variable;
import dev.vcnn.engine.kernel.Kernels;
import dev.vcnn.engine.nn.Dropout;
import dev.vcnn.engine.nn.Module;
import dev.vcnn.engine.parallel.Parallelism;
import dev.vcnn.engine.tensor.Tensor;
import dev.vcnn.models.data.DataLoader;
import dev.vcnn.models.train.TrainConfig;
import dev.vcnn.models.train.Trainer;
import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.stream.IntStream;
import org.apache.spark.api.java.function.Function2;
import org.apache.spark.broadcast.Broadcast;

/**
 * One partition's share of one training step, run on an executor: rows [p·B/P, (p+1)·B/P) of the step's global
 * batch, through a model holding the broadcast weights, on one vcnn thread. It returns the sum (not the mean) of the
 * per-sample gradients, so the driver's sum over partitions is the gradient of the whole batch's summed loss.
 *
 * <p>Everything it computes follows from the config, the step and the partition index: the batch rows (the data
 * loader's seeded order), the augmentation (seeded by epoch and sample), each dropout layer's mask (its stream
 * placed at step·P + p) and the weights. So a retried attempt, or the same partition on another executor or task
 * thread, returns the same bits.
 */
final class StepTask implements Function2<Integer, Iterator<Integer>, Iterator<StepTask.Part>> {
    private static final long serialVersionUID = 1L;

    /** A partition's result: its gradient sums (trainable parameters, in order), batch-norm buffers after it, loss sum. */
    record Part(int partition, int count, double lossSum, long correct, float[][] gradients, float[][] buffers)
            implements Serializable {}

    /**
     * Sharded data ({@code --shard-data}): the driver's per-channel statistics of the whole training set, with
     * which every shard normalises, since a shard's own records cannot give them.
     */
    record Shards(float[] mean, float[] std) implements Serializable {}

    /** A test's way into a task (through Spark's own task context); null in production. */
    interface Hook extends Serializable {
        void beforeStep(long step, int partition);
    }

    private final String config;
    private final int epoch;
    private final int batch;
    private final long step;
    private final int partitions;
    private final Broadcast<float[][]> state;
    private final Hook hook;
    private final Shards shards;

    StepTask(String config, int epoch, int batch, long step, int partitions, Broadcast<float[][]> state, Hook hook,
             Shards shards) {
        this.config = config;
        this.epoch = epoch;
        this.batch = batch;
        this.step = step;
        this.partitions = partitions;
        this.state = state;
        this.hook = hook;
        this.shards = shards;
    }

    @Override
    public Iterator<Part> call(Integer partition, Iterator<Integer> ignored) {
        if (hook != null) {
            hook.beforeStep(step, partition);
        }
        Worker w = Worker.of(config, partition, partitions, shards);
        Module model = w.models.poll();
        try {
            if (model == null) {
                model = w.newModel();
            }
            return List.of(run(w, model, partition)).iterator();
        } finally {
            if (model != null) {
                w.models.add(model);
            }
        }
    }

    private Part run(Worker w, Module model, int p) {
        Weights.load(model, state.value());
        model.train();
        placeDropout(model, step * partitions + p);
        List<Variable> trainable = model.parameters().stream().filter(Variable::requiresGrad).toList();
        trainable.forEach(Variable::zeroGrad);
        float[][] grads = new float[trainable.size()][];
        DataLoader.Batch b = w.rows(epoch, batch, p, partitions);
        if (b == null) {
            for (int i = 0; i < grads.length; i++) {
                grads[i] = new float[(int) trainable.get(i).value().numel()];
            }
            return new Part(p, 0, 0, 0, grads, Weights.buffers(model));
        }
        return oneThread().call(() -> {
            Variable y = model.forward(Variable.constant(b.images()));
            Variable loss = Functional.crossEntropy(y, b.labels(), Reduction.SUM, 0f);
            loss.backward();
            for (int i = 0; i < grads.length; i++) {
                Tensor g = trainable.get(i).grad();
                grads[i] = g == null ? new float[(int) trainable.get(i).value().numel()] : g.toArray();
            }
            int[] pred = Functional.argmax(y.value());
            long right = 0;
            for (int i = 0; i < pred.length; i++) {
                right += pred[i] == b.labels()[i] ? 1 : 0;
            }
            return new Part(p, b.size(), loss.item(), right, grads, Weights.buffers(model));
        });
    }

    /**
     * {@code --sync-every K}: a partition's K local optimizer steps from the broadcast weights and optimizer state,
     * each on its rows of one of K consecutive batches (mean loss over those rows); it returns its final weights,
     * buffers and optimizer state, which the driver averages.
     */
    static final class LocalSteps implements Function2<Integer, Iterator<Integer>, Iterator<Local>> {
        private static final long serialVersionUID = 1L;
        private final Shards shards;
        private final String config;
        private final int epoch;
        private final int firstBatch;
        private final int steps;
        private final long firstStep;
        private final int partitions;
        private final float lr;
        private final Broadcast<float[][]> state;
        private final Broadcast<Map<String, Weights.Flat>> optimizerState;
        private final Hook hook;

        LocalSteps(String config, int epoch, int firstBatch, int steps, long firstStep, int partitions, float lr,
                   Broadcast<float[][]> state, Broadcast<Map<String, Weights.Flat>> optimizerState, Hook hook,
                   Shards shards) {
            this.shards = shards;
            this.config = config;
            this.epoch = epoch;
            this.firstBatch = firstBatch;
            this.steps = steps;
            this.firstStep = firstStep;
            this.partitions = partitions;
            this.lr = lr;
            this.state = state;
            this.optimizerState = optimizerState;
            this.hook = hook;
        }

        @Override
        public Iterator<Local> call(Integer p, Iterator<Integer> ignored) {
            if (hook != null) {
                hook.beforeStep(firstStep, p);
            }
            Worker w = Worker.of(config, p, partitions, shards);
            Module model = w.models.poll();
            try {
                if (model == null) {
                    model = w.newModel();
                }
                Module m = model;
                Weights.load(m, state.value());
                m.train();
                var optimizer = Trainer.optimizer(w.config, m);
                Weights.load(optimizer, optimizerState.value());
                optimizer.lr(lr);
                return oneThread().call(() -> {
                    double lossSum = 0;
                    long right = 0;
                    int count = 0;
                    for (int s = 0; s < steps; s++) {
                        DataLoader.Batch b = w.rows(epoch, firstBatch + s, p, partitions);
                        if (b == null) {
                            continue;
                        }
                        placeDropout(m, (firstStep + s) * partitions + p);
                        optimizer.zeroGrad();
                        Variable y = m.forward(Variable.constant(b.images()));
                        Variable loss = Functional.crossEntropy(y, b.labels());
                        loss.backward();
                        optimizer.step();
                        lossSum += (double) loss.item() * b.size();
                        count += b.size();
                        int[] pred = Functional.argmax(y.value());
                        for (int i = 0; i < pred.length; i++) {
                            right += pred[i] == b.labels()[i] ? 1 : 0;
                        }
                    }
                    return List.of(new Local(p, count, lossSum, right, Weights.of(m), Weights.of(optimizer))).iterator();
                });
            } finally {
                if (model != null) {
                    w.models.add(model);
                }
            }
        }
    }

    /** A partition's result after its local steps: its weights and buffers, its optimizer's state, its loss sum. */
    record Local(int partition, int count, double lossSum, long correct, float[][] state, Map<String, Weights.Flat> optimizer)
            implements Serializable {}

    /**
     * The context a task runs vcnn on: one thread, and the spare gradient buffers of this executor thread, kept
     * from step to step (Spark reuses its task threads) rather than made anew for every task.
     */
    private static final ThreadLocal<Context> ONE_THREAD =
            ThreadLocal.withInitial(() -> new Context(Kernels.defaults(), Parallelism.sequential()));

    static Context oneThread() {
        return ONE_THREAD.get();
    }

    /** Places every dropout layer's random stream at {@code position} (step·P + partition): masks follow the step. */
    static void placeDropout(Module model, long position) {
        model.namedModules().values().forEach(m -> {
            if (m instanceof Dropout d) {
                d.calls(position);
            }
        });
    }

    /** What an executor JVM keeps between tasks of one run: the data, its loader, and a pool of models (one per task thread). */
    static final class Worker {
        private static final Map<String, Worker> BY_CONFIG = new ConcurrentHashMap<>();

        final TrainConfig config;
        final Trainer.Data data;
        final DataLoader loader;
        private final boolean sharded;
        final ConcurrentLinkedQueue<Module> models = new ConcurrentLinkedQueue<>();

        private Worker(String json, int partition, int partitions, Shards shards) {
            try {
                config = TrainConfig.fromJson(com.google.gson.JsonParser.parseString(json).getAsJsonObject(), "the driver's config");
                sharded = shards != null;
                // A shard reads only its records (Trainer.trainShard), and normalises with the driver's statistics.
                data = !sharded ? Trainer.data(config)
                        : new Trainer.Data(Trainer.trainShard(config, partition, partitions), null, null, shards.mean(),
                                shards.std());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            // A shard's batches are its share of the global batch, from its own seeded order.
            int batch = sharded ? config.batchSize() / partitions : config.batchSize();
            long seed = sharded ? dev.vcnn.engine.tensor.SplitMix64.mix(config.seed(), partition) : config.seed();
            loader = new DataLoader(data.train(), batch, true, seed, data.mean(), data.std(), Trainer.augment(config));
        }

        /** The worker of a run, holding its whole data (one per run in a JVM). */
        static Worker of(String json) {
            return of(json, -1, 0, null);
        }

        /** The worker of a run (one per JVM), or sharded, of partition p's shard (one per partition and run in a JVM). */
        static Worker of(String json, int p, int partitions, Shards shards) {
            return shards == null ? BY_CONFIG.computeIfAbsent(json, j -> new Worker(j, -1, 0, null))
                    : BY_CONFIG.computeIfAbsent(p + "/" + partitions + " " + json, k -> new Worker(json, p, partitions, shards));
        }

        /**
         * Partition p's images of a step: rows [p·B/P, (p+1)·B/P) of the global batch, or, sharded, batch
         * {@code batch} of its own range's order (whole batches only); null when it has none.
         */
        DataLoader.Batch rows(int epoch, int batch, int p, int partitions) {
            if (sharded) {
                return batch < fullBatches(data.train().size(), config.batchSize(), partitions)
                        ? loader.rows(epoch, batch, 0, config.batchSize() / partitions) : null;
            }
            int size = Math.min(config.batchSize(), data.train().size() - batch * config.batchSize());
            int lo = (int) ((long) p * size / partitions);
            int hi = (int) ((long) (p + 1) * size / partitions);
            return lo == hi ? null : loader.rows(epoch, batch, lo, hi);
        }

        Module newModel() {
            try {
                return Trainer.model(config, data.train().classes().size());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    /** Whole batches of B/P images that a range of {@code records} fills: a sharded epoch's steps for it. */
    static int fullBatches(int records, int batchSize, int partitions) {
        return records / (batchSize / partitions);
    }
}
