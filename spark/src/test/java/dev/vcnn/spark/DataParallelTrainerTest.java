package dev.vcnn.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import dev.vcnn.engine.io.SafeTensors;
import dev.vcnn.engine.tensor.Tensor;
import dev.vcnn.models.train.JsonFiles;
import dev.vcnn.models.train.TrainConfig;
import dev.vcnn.models.train.Trainer;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Data-parallel training on an embedded master: it learns; the weights depend on the partition count only, not on
 * the number of task threads nor on a failed and retried task; and the curve stays close to one JVM's at the same
 * global batch.
 */
class DataParallelTrainerTest {
    @TempDir
    Path dir;

    /** LeNet-5 on a small synthetic set, with Adam (which learns it in a few dozen steps). */
    private static final TrainConfig CONFIG = TrainConfig.recipe("lenet5", "synthetic").toBuilder()
            .synthetic(1536, 256).epochs(2).batchSize(64).optimizer("adam", 2e-3f).momentum(0f).weightDecay(0f)
            .schedule("none", 0).build();

    /** The perceptron, for its dropout layers: their masks must follow the step and partition, not the executor. */
    private static final TrainConfig DROPOUT = TrainConfig.recipe("mlp", "synthetic").toBuilder()
            .synthetic(1536, 256).epochs(1).batchSize(64).build();

    static final AtomicInteger INJECTED = new AtomicInteger();

    private DataParallelTrainer.Result train(String master, int partitions, Path out, StepTask.Hook hook) throws Exception {
        return train(CONFIG, master, partitions, out, hook);
    }

    private DataParallelTrainer.Result train(TrainConfig config, String master, int partitions, Path out, StepTask.Hook hook)
            throws Exception {
        return train(config, master, partitions, 1, out, hook);
    }

    private DataParallelTrainer.Result train(TrainConfig config, String master, int partitions, int syncEvery, Path out,
                                             StepTask.Hook hook) throws Exception {
        try (JavaSparkContext sc = LocalSpark.context(master, "vcnn-test")) {
            return new DataParallelTrainer(sc, config, partitions, out, new PrintStream(new ByteArrayOutputStream()))
                    .syncEvery(syncEvery).hook(hook).run();
        }
    }

    /**
     * Local steps: one partition synchronised every 3 steps is one JVM's run, bit for bit (the same batches, dropout
     * masks and optimizer steps; weights and Adam's state shipped and restored exactly). With 3 partitions it
     * learns, and gives the same bits on one or two task threads.
     */
    @Test
    void localStepsOfOnePartitionAreOneJvmsRunAndOfSeveralAreReproducible() throws Exception {
        Path spark = dir.resolve("local-steps-1");
        train(DROPOUT, "local[2]", 1, 3, spark, null);
        Path single = dir.resolve("single-mlp");
        new Trainer(DROPOUT, single, 1, new PrintStream(new ByteArrayOutputStream())).run(false);
        assertSameWeights(single, spark);

        Path two = dir.resolve("local-steps-3-two");
        train(DROPOUT, "local[2]", 3, 2, two, null);
        var curve = metrics(two).getAsJsonArray("steps");
        double start = curve.get(0).getAsJsonArray().get(1).getAsDouble();
        double end = curve.get(curve.size() - 1).getAsJsonArray().get(1).getAsDouble();
        double singleEnd = metrics(single).getAsJsonArray("steps").asList().getLast().getAsJsonArray().get(1).getAsDouble();
        assertTrue(end < 0.9 * start, "training loss " + start + " -> " + end + " (one JVM: " + singleEnd + ")");
        Path one = dir.resolve("local-steps-3-one");
        train(DROPOUT, "local[1]", 3, 2, one, null);
        assertSameWeights(two, one);
    }

    private static void assertSameWeights(Path a, Path b) throws Exception {
        Map<String, Tensor> x = SafeTensors.read(a.resolve(Trainer.MODEL));
        Map<String, Tensor> y = SafeTensors.read(b.resolve(Trainer.MODEL));
        assertEquals(x.keySet(), y.keySet());
        for (String k : x.keySet()) {
            assertArrayEquals(x.get(k).toArray(), y.get(k).toArray(), 0f, k);
        }
    }

    private static JsonObject metrics(Path run) throws Exception {
        return JsonFiles.read(run.resolve(Trainer.METRICS));
    }

    @Test
    void learnsAndGivesTheSameBitsOnAnyThreadCountAndAfterARetry() throws Exception {
        Path two = dir.resolve("two-threads");
        var r = train("local[2]", 2, two, null);
        long images = metrics(two).get("train_images").getAsLong(); // 1024 less the validation tenth
        assertEquals(2 * ((images + 63) / 64), r.steps());
        var epochs = metrics(two).getAsJsonArray("epochs");
        double first = epochs.get(0).getAsJsonObject().get("train_loss").getAsDouble();
        double last = epochs.get(1).getAsJsonObject().get("train_loss").getAsDouble();
        assertTrue(last < 0.8 * first, "training loss " + first + " -> " + last);
        assertTrue(r.test().accuracy() > 0.3, "test accuracy " + r.test().accuracy() + " (chance 0.1)");
        for (String f : new String[] {Trainer.CONFIG, "curves.png", "confusion.png"}) {
            assertTrue(Files.size(two.resolve(f)) > 0, f);
        }

        Path one = dir.resolve("one-thread");
        train("local[1]", 2, one, null);
        assertSameWeights(two, one);
        assertEquals(metrics(two).get("test_accuracy"), metrics(one).get("test_accuracy"));
    }

    @Test
    void dropoutMasksFollowTheStepNotTheExecutorThreadOrAttempt() throws Exception {
        Path two = dir.resolve("mlp-two-threads");
        train(DROPOUT, "local[2]", 3, two, null);
        Path one = dir.resolve("mlp-one-thread");
        train(DROPOUT, "local[1]", 3, one, null);
        assertSameWeights(two, one);

        // Attempt 0 of partition 1 at step 5 fails; Spark retries it and the run goes on.
        INJECTED.set(0);
        Path retried = dir.resolve("retried");
        train(DROPOUT, "local[2,2]", 3, retried, (step, partition) -> {
            if (step == 5 && partition == 1 && TaskContext.get().attemptNumber() == 0) {
                INJECTED.incrementAndGet();
                throw new IllegalStateException("a task attempt made to fail by the test");
            }
        });
        assertEquals(1, INJECTED.get(), "the failure was injected once");
        assertSameWeights(two, retried);
    }

    /**
     * P partitions of b images against one JVM at batch P·b: the same batches, but summed per partition and then
     * across partitions, so the float results differ in rounding only. The per-epoch training losses agree to 1e-3
     * (relative); they are not bit-identical, since one JVM averages inside the loss and sums in another order.
     */
    @Test
    void followsOneJvmAtTheSameGlobalBatch() throws Exception {
        Path spark = dir.resolve("spark");
        train("local[2]", 4, spark, null);
        Path single = dir.resolve("single");
        new Trainer(CONFIG, single, 1, new PrintStream(new ByteArrayOutputStream())).run(false);
        var a = metrics(spark).getAsJsonArray("epochs");
        var b = metrics(single).getAsJsonArray("epochs");
        for (int e = 0; e < a.size(); e++) {
            double x = a.get(e).getAsJsonObject().get("train_loss").getAsDouble();
            double y = b.get(e).getAsJsonObject().get("train_loss").getAsDouble();
            assertEquals(y, x, 1e-3 * Math.abs(y), "epoch " + (e + 1) + " training loss");
        }
    }

    /**
     * A run killed inside its second epoch of three (after step 30; checkpoints every 4 steps, so the last is at step
     * 28) and resumed finishes with the straight run's weights and metrics, bit for bit, for the dropout MLP.
     */
    @Test
    void aKilledRunResumesToTheSameBits() throws Exception {
        TrainConfig three = DROPOUT.withEpochs(3);
        Path straight = dir.resolve("straight");
        try (JavaSparkContext sc = LocalSpark.context("local[2]", "vcnn-test")) {
            new DataParallelTrainer(sc, three, 2, straight, new PrintStream(new ByteArrayOutputStream())).run();
            Path killed = dir.resolve("killed");
            var policy = new Trainer.Checkpoints(4, 3600);
            var stopped = org.junit.jupiter.api.Assertions.assertThrows(DataParallelTrainer.Stopped.class, () ->
                    new DataParallelTrainer(sc, three, 2, killed, new PrintStream(new ByteArrayOutputStream()))
                            .checkpoints(policy).stopAfterStep(30).run());
            assertTrue(stopped.getMessage().contains("30"), stopped.getMessage());
            var e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () ->
                    new DataParallelTrainer(sc, three, 3, killed, new PrintStream(new ByteArrayOutputStream())).run(true));
            assertTrue(e.getMessage().contains("--partitions must be 2 as in the checkpoint but was 3"), e.getMessage());
            var out = new ByteArrayOutputStream();
            new DataParallelTrainer(sc, three, 2, killed, new PrintStream(out)).checkpoints(policy).run(true);
            assertTrue(out.toString().contains("resuming at epoch 2 of 3, batch"), out.toString());
            assertSameWeights(straight, killed);
            var a = metrics(straight);
            var b = metrics(killed);
            assertEquals(a.get("steps"), b.get("steps"));
            assertEquals(a.get("test_accuracy"), b.get("test_accuracy"));
            for (int i = 0; i < 3; i++) {
                assertEquals(a.getAsJsonArray("epochs").get(i).getAsJsonObject().get("train_loss"),
                        b.getAsJsonArray("epochs").get(i).getAsJsonObject().get("train_loss"));
            }
        }
    }

    /**
     * Sharded data: a worker holds only its partition's shard of the training set, normalised with the driver's
     * statistics; three shards learn, and give the same bits on one or two task threads.
     */
    @Test
    void shardsHoldTheirRangeAndGiveTheSameBitsOnAnyThreadCount() throws Exception {
        TrainConfig c = CONFIG.toBuilder().batchSize(63).build();
        String json = c.toJson().toString();
        var data = Trainer.data(c);
        var shards = new StepTask.Shards(data.mean(), data.std());
        int[] sizes = Trainer.trainShardSizes(c, data, 3);
        int held = 0;
        for (int p = 0; p < 3; p++) {
            var w = StepTask.Worker.of(json, p, 3, shards);
            assertEquals(sizes[p], w.data.train().size(), "partition " + p);
            assertArrayEquals(Trainer.trainShard(c, p, 3).labels(), w.data.train().labels());
            assertArrayEquals(data.mean(), w.data.mean());
            held += sizes[p];
        }
        assertEquals(data.train().size(), held);
        int smallest = java.util.Arrays.stream(sizes).min().orElseThrow();
        Path two = dir.resolve("shards-two");
        Path one = dir.resolve("shards-one");
        long steps = -1;
        for (Path out : new Path[] {two, one}) {
            try (JavaSparkContext sc = LocalSpark.context(out == two ? "local[2]" : "local[1]", "vcnn-test")) {
                steps = new DataParallelTrainer(sc, c, 3, out, new PrintStream(new ByteArrayOutputStream())).sharded(true)
                        .run().steps();
            }
        }
        // The smallest shard fills whole batches of 63 / 3 = 21 images; the rest is dropped.
        assertEquals(2L * (smallest / 21), steps);
        assertSameWeights(two, one);
        var epochs = metrics(two).getAsJsonArray("epochs");
        double first = epochs.get(0).getAsJsonObject().get("train_loss").getAsDouble();
        double last = epochs.get(1).getAsJsonObject().get("train_loss").getAsDouble();
        assertTrue(last < 0.8 * first, "training loss " + first + " -> " + last);
    }
}
