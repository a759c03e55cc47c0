package dev.vcnn.models.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import dev.vcnn.engine.io.Checkpoint;
import dev.vcnn.engine.io.SafeTensors;
import dev.vcnn.models.viz.Charts;
import dev.vcnn.models.viz.RunPictures;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The training loop learns, writes its files, and resumes exactly. */
class TrainerTest {
    private static TrainConfig small(int epochs) {
        return TrainConfig.recipe("lenet5", "synthetic").withEpochs(epochs).withSynthetic(4000, 400).withSeed(3);
    }

    private static Evaluation train(TrainConfig c, Path dir, boolean resume) throws Exception {
        return new Trainer(c, dir, 2, new PrintStream(new ByteArrayOutputStream())).run(resume);
    }

    @Test
    void learnsAndWritesItsRunFiles(@TempDir Path dir) throws Exception {
        Evaluation test = train(small(6), dir, false);
        assertTrue(test.accuracy() > 0.5, "test accuracy " + test.accuracy() + " (chance is 0.1)");
        for (String f : new String[] {Trainer.CONFIG, Trainer.METRICS, Trainer.MODEL, Trainer.CHECKPOINT}) {
            assertTrue(Files.isRegularFile(dir.resolve(f)), f);
        }
        JsonObject metrics = JsonFiles.read(dir.resolve(Trainer.METRICS));
        assertEquals(6, metrics.getAsJsonArray("epochs").size());
        assertEquals(test.accuracy(), metrics.get("test_accuracy").getAsDouble(), 1e-12);
        assertEquals(10, metrics.getAsJsonArray("test_confusion_matrix").size());
        try (var files = Files.list(dir)) {
            assertTrue(files.noneMatch(p -> p.getFileName().toString().endsWith(".tmp")), "no temporary files left");
        }
        var curves = javax.imageio.ImageIO.read(dir.resolve(RunPictures.CURVES).toFile());
        assertEquals(2 * Charts.WIDTH, curves.getWidth(), "loss and accuracy side by side");
        assertTrue(javax.imageio.ImageIO.read(dir.resolve(RunPictures.CONFUSION).toFile()).getWidth() > 0);
        // The loss curve: 20 points an epoch, images seen increasing to the whole training set six times.
        var steps = metrics.getAsJsonArray("steps");
        assertEquals(6 * Trainer.STEPS_PER_EPOCH, steps.size());
        long trainImages = 4000 - 400; // 10% held out for validation
        assertEquals(6 * trainImages, steps.get(steps.size() - 1).getAsJsonArray().get(0).getAsLong());
    }

    @Test
    void classSubsetsAreRelabelledAndInitSchemesApplied(@TempDir Path dir) throws Exception {
        TrainConfig c = TrainConfig.recipe("mlp", "synthetic").toBuilder().synthetic(1000, 200).epochs(1)
                .classSubset(java.util.List.of(7, 2)).init("zeros").build();
        Trainer.Data data = Trainer.data(c);
        assertEquals(java.util.List.of("ring", "triangle"), data.train().classes());
        assertTrue(java.util.Arrays.stream(data.test().labels()).allMatch(l -> l == 0 || l == 1));
        var model = Trainer.model(c, 2);
        assertTrue(model.parameters().stream().allMatch(v -> java.util.Arrays.equals(v.value().toArray(),
                new float[(int) v.value().shape().numel()])), "zeros everywhere");
        assertEquals(c, TrainConfig.fromJson(c.toJson(), "test"));
        Evaluation test = train(c, dir, false);
        assertEquals(2, test.confusion().length);
        var ae = TrainConfig.recipe("conv-ae", "synthetic").toBuilder().synthetic(300, 40).epochs(1).build();
        train(ae, dir.resolve("ae"), false);
        var rec = javax.imageio.ImageIO.read(dir.resolve("ae").resolve(RunPictures.RECONSTRUCTIONS).toFile());
        int f = dev.vcnn.models.viz.Images.factorFor(28, 28, 56);
        assertEquals(10 * (28 * f + dev.vcnn.models.viz.Grid.GAP) + dev.vcnn.models.viz.Grid.GAP, rec.getWidth(), "ten pairs");
    }

    /** cifar-cnn-bn (batch norm, dropout, a Winograd layer) with augmentation: 540 training images, 17 steps an epoch. */
    private static TrainConfig resumable() {
        return TrainConfig.recipe("cifar-cnn-bn", "synthetic").toBuilder().synthetic(600, 100).epochs(4).batchSize(32)
                .augment(true).seed(5).build();
    }

    private static Evaluation train(TrainConfig c, Path dir, int threads, boolean resume, long stopAfter) throws Exception {
        var trainer = new Trainer(c, dir, threads, new PrintStream(new ByteArrayOutputStream()))
                .checkpoints(new Trainer.Checkpoints(5, 3600));
        if (stopAfter > 0) {
            trainer.stopAfterStep(stopAfter);
            assertThrows(Trainer.Stopped.class, () -> trainer.run(resume));
            return null;
        }
        return trainer.run(resume);
    }

    @Test
    void aRunKilledInsideEpochsAndResumedEqualsTheStraightRunBitForBit(@TempDir Path dir) throws Exception {
        Path straight = dir.resolve("straight");
        Path killed = dir.resolve("killed");
        Evaluation a = train(resumable(), straight, 2, false, 0);
        // Killed after step 29 (epoch 2 of 4, batch 12 of 17; last checkpoint at step 25, inside the epoch), then
        // after step 34 (the last batch of epoch 2, before its end-of-epoch checkpoint; last checkpoint at step 30).
        train(resumable(), killed, 2, false, 29);
        assertEquals("25", Checkpoint.read(killed.resolve(Trainer.CHECKPOINT)).metadata().get("step"));
        train(resumable(), killed, 1, true, 34);
        assertEquals("30", Checkpoint.read(killed.resolve(Trainer.CHECKPOINT)).metadata().get("step"));
        Evaluation b = train(resumable(), killed, 2, true, 0);

        var wa = SafeTensors.read(straight.resolve(Trainer.MODEL));
        var wb = SafeTensors.read(killed.resolve(Trainer.MODEL));
        assertEquals(wa.keySet(), wb.keySet());
        assertTrue(wa.keySet().stream().anyMatch(k -> k.endsWith("running_var")), "the model has batch norm");
        wa.forEach((k, t) -> assertArrayEquals(t.toArray(), wb.get(k).toArray(), k));
        var ca = Checkpoint.read(straight.resolve(Trainer.CHECKPOINT));
        var cb = Checkpoint.read(killed.resolve(Trainer.CHECKPOINT));
        assertEquals(ca.optimizer().keySet(), cb.optimizer().keySet());
        ca.optimizer().forEach((k, t) -> assertArrayEquals(t.toArray(), cb.optimizer().get(k).toArray(), k));
        var dropouts = ca.metadata().keySet().stream().filter(k -> k.startsWith("dropout.")).toList();
        assertEquals(2, dropouts.size(), "the model has two dropout layers");
        dropouts.forEach(k -> assertEquals(ca.metadata().get(k), cb.metadata().get(k), k));
        assertEquals(a.loss(), b.loss());
        assertArrayEquals(a.confusion(), b.confusion());

        JsonObject ma = withoutTimes(JsonFiles.read(straight.resolve(Trainer.METRICS)));
        JsonObject mb = withoutTimes(JsonFiles.read(killed.resolve(Trainer.METRICS)));
        assertEquals(ma, mb);
        assertEquals(4, mb.getAsJsonArray("epochs").size());
        for (String picture : new String[] {RunPictures.CURVES, RunPictures.CONFUSION}) {
            assertArrayEquals(Files.readAllBytes(straight.resolve(picture)), Files.readAllBytes(killed.resolve(picture)), picture);
        }
    }

    /** Metrics without the wall-clock figures, which no two runs share. */
    private static JsonObject withoutTimes(JsonObject m) {
        JsonObject c = m.deepCopy();
        c.remove("wall_seconds");
        c.getAsJsonArray("epochs").forEach(e -> {
            e.getAsJsonObject().remove("seconds");
            e.getAsJsonObject().remove("images_per_second");
        });
        return c;
    }

    @Test
    void aResumeWithOtherSettingsOrAnIncompleteCheckpointIsRefusedByName(@TempDir Path dir) throws Exception {
        TrainConfig c = small(2).toBuilder().synthetic(400, 40).build();
        train(c, dir, 2, false, 7);
        var e = assertThrows(IllegalArgumentException.class, () -> train(c.withEpochs(3), dir, 2, true, 0));
        assertTrue(e.getMessage().contains("'epochs' must be 2"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> train(c.withOptimizer("sgd", 0.5f), dir, 2, true, 0));
        assertTrue(e.getMessage().contains("'lr'"), e.getMessage());

        Path file = dir.resolve(Trainer.CHECKPOINT);
        var ck = Checkpoint.read(file);
        for (String key : RunState.CHECKPOINT_KEYS) {
            var meta = new java.util.LinkedHashMap<>(ck.metadata());
            meta.remove(key);
            new Checkpoint(ck.model(), ck.optimizer(), meta).write(file);
            e = assertThrows(IllegalArgumentException.class, () -> train(c, dir, 2, true, 0));
            assertTrue(e.getMessage().contains("'" + key + "'"), key + ": " + e.getMessage());
        }
        var optimizer = new java.util.LinkedHashMap<>(ck.optimizer());
        optimizer.remove("0.momentum_buffer");
        new Checkpoint(ck.model(), optimizer, ck.metadata()).write(file);
        e = assertThrows(IllegalArgumentException.class, () -> train(c, dir, 2, true, 0));
        assertTrue(e.getMessage().contains("parameter 0"), e.getMessage());
    }

    @Test
    void adamWTakesTheConfiguredWeightDecayAndSwitchingToItTakesPyTorchsDefault() {
        var model = dev.vcnn.models.Models.build("mlp", 1, 28, 10, new dev.vcnn.engine.tensor.SplitMix64(1));
        TrainConfig none = TrainConfig.recipe("mlp", "synthetic").toBuilder().optimizer("adamw", 1e-3f).weightDecay(0f).build();
        assertEquals(0f, ((dev.vcnn.engine.optim.Adam) Trainer.optimizer(none, model)).weightDecay());
        TrainConfig switched = TrainConfig.recipe("lenet5", "synthetic").withOptimizer("adamw", 1e-3f);
        assertEquals(0.01f, switched.weightDecay());
        assertEquals(5e-4f, TrainConfig.recipe("lenet5", "synthetic").withOptimizer("sgd", 0.1f).weightDecay());
    }
}
