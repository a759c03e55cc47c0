package dev.vcnn.models.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import dev.vcnn.engine.io.SafeTensors;
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
