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
}
