package dev.vcnn.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vcnn.models.train.JsonFiles;
import dev.vcnn.models.train.TrainedRun;
import dev.vcnn.models.train.Trainer;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code vcnn spark train} writes a run directory that the rest of vcnn opens; bad options name themselves. */
class SparkMainTest {
    @TempDir
    Path dir;

    private static int run(StringWriter err, String... args) {
        var cl = new CommandLine(new SparkMain());
        cl.setErr(new PrintWriter(err, true));
        return cl.execute(args);
    }

    @Test
    void trainsIntoARunDirectoryTheOtherCommandsOpen() throws Exception {
        Path out = dir.resolve("run");
        var err = new StringWriter();
        assertEquals(0, run(err, "train", "--epochs", "1", "--synthetic-size", "640,128", "--partitions", "2",
                "--sync-every", "2", "--out", out.toString()), err.toString());
        assertEquals(2, JsonFiles.read(out.resolve(Trainer.METRICS)).get("partitions").getAsInt());
        var run = TrainedRun.open(out);
        assertEquals(61_706, run.model().parameterCount(), "lenet5 for 10 classes");

        // --resume continues from the run's checkpoint with its own settings; run-defining options are refused.
        err = new StringWriter();
        assertEquals(2, run(err, "train", "--resume", "--epochs", "3", "--out", out.toString()));
        assertTrue(err.toString().contains("--epochs may not be given with --resume"), err.toString());
        err = new StringWriter();
        assertEquals(1, run(err, "train", "--resume", "--partitions", "3", "--sync-every", "2", "--out", out.toString()));
        assertTrue(err.toString().contains("--partitions must be 2 as in the checkpoint but was 3"), err.toString());
        assertEquals(0, run(err, "train", "--resume", "--partitions", "2", "--sync-every", "2", "--out", out.toString()),
                err.toString());
        assertEquals(0, run(err, "train", "--resume", "--out", out.toString()), "the run's own partitions and sync-every: "
                + err);
    }

    @Test
    void refusesOptionsThatCannotWork() {
        var err = new StringWriter();
        assertEquals(2, run(err, "train", "--partitions", "0"));
        assertTrue(err.toString().contains("--partitions must be >= 1 but was 0"), err.toString());
        err = new StringWriter();
        assertEquals(2, run(err, "train", "--batch-size", "2", "--partitions", "4"));
        assertTrue(err.toString().contains("--batch-size must be >= --partitions (4) but was 2"), err.toString());
        err = new StringWriter();
        assertEquals(2, run(err, "train", "--model", "nope"));
        assertTrue(err.toString().contains("nope"), err.toString());
    }

    /**
     * Featurize-once transfer: with a backbone trained on classes 0-4, a head on 5-9 follows what vcnn train
     * --backbone does in one JVM (the same batches; the epoch losses agree to 1e-3, relative), keeps the backbone's
     * weights, and gives the same bits on one or two task threads.
     */
    @Test
    void featurizeOnceTrainsAHeadOnAFrozenBackbone() throws Exception {
        Path backbone = dir.resolve("backbone");
        var err = new StringWriter();
        assertEquals(0, run(err, "train", "--epochs", "2", "--synthetic-size", "1500,200", "--classes", "0,1,2,3,4",
                "--optimizer", "adam", "--lr", "0.002", "--out", backbone.toString()), err.toString());
        Path[] heads = {dir.resolve("head-2"), dir.resolve("head-1")};
        String[] masters = {"local[2]", "local[1]"};
        for (int i = 0; i < 2; i++) {
            assertEquals(0, run(err, "train", "--backbone", backbone.toString(), "--classes", "5,6,7,8,9", "--epochs", "3",
                    "--synthetic-size", "1500,200", "--partitions", "2", "--master", masters[i], "--out", heads[i].toString()),
                    err.toString());
        }
        var m = JsonFiles.read(heads[0].resolve(Trainer.METRICS));
        assertEquals(84 * 5 + 5, m.get("trainable_parameters").getAsLong());
        var config = dev.vcnn.models.train.TrainConfig.fromJson(JsonFiles.read(heads[0].resolve(Trainer.CONFIG)), "head");
        Path single = dir.resolve("single");
        new Trainer(config, single, 1, new java.io.PrintStream(new java.io.ByteArrayOutputStream())).run(false);
        var spark = m.getAsJsonArray("epochs");
        var one = JsonFiles.read(single.resolve(Trainer.METRICS)).getAsJsonArray("epochs");
        for (int e = 0; e < 3; e++) {
            double x = spark.get(e).getAsJsonObject().get("train_loss").getAsDouble();
            double y = one.get(e).getAsJsonObject().get("train_loss").getAsDouble();
            assertEquals(y, x, 1e-3 * y, "epoch " + (e + 1) + " training loss");
        }
        double first = spark.get(0).getAsJsonObject().get("train_loss").getAsDouble();
        double last = spark.get(2).getAsJsonObject().get("train_loss").getAsDouble();
        assertTrue(last < 0.95 * first, "training loss " + first + " -> " + last); // a weak backbone: 2 epochs, 675 images
        var a = dev.vcnn.engine.io.SafeTensors.read(heads[0].resolve(Trainer.MODEL));
        var b = dev.vcnn.engine.io.SafeTensors.read(heads[1].resolve(Trainer.MODEL));
        var before = dev.vcnn.engine.io.SafeTensors.read(backbone.resolve(Trainer.MODEL));
        org.junit.jupiter.api.Assertions.assertArrayEquals(before.get("0.weight").toArray(), a.get("backbone.0.weight").toArray());
        for (String k : a.keySet()) {
            org.junit.jupiter.api.Assertions.assertArrayEquals(a.get(k).toArray(), b.get(k).toArray(), 0f, k);
        }
        assertEquals(5, TrainedRun.open(heads[0]).classes().size());
    }
}
