package dev.vcnn.models.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
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
        JsonObject metrics = Trainer.readJson(dir.resolve(Trainer.METRICS));
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

    @Test
    void resumingContinuesAsIfNeverStopped(@TempDir Path dir) throws Exception {
        Path straight = dir.resolve("straight");
        Path stopped = dir.resolve("stopped");
        train(small(3), straight, false);
        train(small(2), stopped, false);
        train(small(3), stopped, true);
        var a = SafeTensors.read(straight.resolve(Trainer.MODEL));
        var b = SafeTensors.read(stopped.resolve(Trainer.MODEL));
        assertEquals(a.keySet(), b.keySet());
        a.forEach((k, t) -> assertArrayEquals(t.toArray(), b.get(k).toArray(), k));
        var ea = Trainer.readJson(straight.resolve(Trainer.METRICS)).getAsJsonArray("epochs");
        var eb = Trainer.readJson(stopped.resolve(Trainer.METRICS)).getAsJsonArray("epochs");
        assertEquals(3, eb.size());
        assertEquals(ea.get(2).getAsJsonObject().get("train_loss"), eb.get(2).getAsJsonObject().get("train_loss"));
    }
}
