package dev.vcnn.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The command line end to end on the synthetic dataset: train → eval → predict, resume, and errors. */
class TrainEvalPredictTest {
    @TempDir
    Path dir;

    private static double percent(String text, String label) {
        Matcher m = Pattern.compile(label + " ([0-9.]+)%").matcher(text);
        assertTrue(m.find(), "no '" + label + "' in: " + text);
        return Double.parseDouble(m.group(1));
    }

    @Test
    void trainThenEvalThenPredict() throws Exception {
        Path runDir = dir.resolve("run");
        CliRun train = CliRun.of("train", "--model", "lenet5", "--epochs", "5", "--synthetic-size", "4000,400", "--threads", "2",
                "--out", runDir.toString());
        assertEquals(0, train.exit(), train.err() + train.out());
        double trained = percent(train.out(), "test accuracy");
        assertTrue(trained > 50, "accuracy " + trained + "% (chance is 10%)");
        for (String f : new String[] {"config.json", "metrics.json", "model.safetensors", "checkpoint.safetensors"}) {
            assertTrue(Files.isRegularFile(runDir.resolve(f)), f);
        }

        CliRun eval = CliRun.of("eval", "--run", runDir.toString());
        assertEquals(0, eval.exit(), eval.err());
        assertEquals(trained, percent(eval.out(), "accuracy"), 1e-9, "eval reproduces the run's test accuracy");

        // A synthetic test image saved as PNG, predicted through the same model.
        Path png = CliRun.syntheticPng(dir.resolve("shape.png"), 1);
        CliRun predict = CliRun.of("predict", "--run", runDir.toString(), png.toString());
        assertEquals(0, predict.exit(), predict.err());
        String[] lines = predict.out().strip().split("\n");
        assertEquals(6, lines.length, predict.out());
        for (int i = 1; i < 6; i++) {
            assertTrue(lines[i].matches("\\s+\\S+\\s+[0-9.]+%"), lines[i]);
        }

        // --json: one line per image, batched two at a time, the same top class as one image at a time.
        Path[] pngs = {png, CliRun.syntheticPng(dir.resolve("b.png"), 2), CliRun.syntheticPng(dir.resolve("c.png"), 3)};
        CliRun json = CliRun.of("predict", "--run", runDir.toString(), "--json", "--batch-size", "2", "--top", "3",
                pngs[0].toString(), pngs[1].toString(), pngs[2].toString());
        assertEquals(0, json.exit(), json.err());
        String[] jl = json.out().strip().split("\n");
        assertEquals(3, jl.length, json.out());
        for (int i = 0; i < 3; i++) {
            var o = com.google.gson.JsonParser.parseString(jl[i]).getAsJsonObject();
            assertEquals(pngs[i].toString(), o.get("path").getAsString());
            var top = o.getAsJsonArray("top");
            assertEquals(3, top.size());
            assertTrue(top.get(0).getAsJsonObject().get("probability").getAsFloat()
                    >= top.get(1).getAsJsonObject().get("probability").getAsFloat(), jl[i]);
            String alone = CliRun.of("predict", "--run", runDir.toString(), pngs[i].toString()).out().split("\n")[1].strip();
            assertEquals(alone.split("\\s+")[0], top.get(0).getAsJsonObject().get("label").getAsString(), jl[i]);
        }

        CliRun again = CliRun.of("train", "--epochs", "1", "--out", runDir.toString());
        assertEquals(2, again.exit());
        assertTrue(again.err().contains("exists and is not empty: pass --resume to continue it or --overwrite"), again.err());

        Path transfer = dir.resolve("transfer");
        CliRun head = CliRun.of("train", "--backbone", runDir.toString(), "--epochs", "2", "--synthetic-size", "2000,400",
                "--seed", "7", "--out", transfer.toString(), "--threads", "2");
        assertEquals(0, head.exit(), head.err() + head.out());
        assertTrue(percent(head.out(), "test accuracy") > 50, head.out());
        var before = dev.vcnn.engine.io.SafeTensors.read(runDir.resolve("model.safetensors"));
        var after = dev.vcnn.engine.io.SafeTensors.read(transfer.resolve("model.safetensors"));
        org.junit.jupiter.api.Assertions.assertArrayEquals(before.get("3.weight").toArray(), after.get("backbone.3.weight").toArray(),
                "the frozen backbone is unchanged");
        assertTrue(after.containsKey("head.weight") && !after.containsKey("backbone.11.weight"), after.keySet().toString());
        CliRun evalTransfer = CliRun.of("eval", "--run", transfer.toString());
        assertEquals(0, evalTransfer.exit(), evalTransfer.err());

        CliRun longer = CliRun.of("train", "--resume", "--epochs", "6", "--out", runDir.toString());
        assertEquals(2, longer.exit(), longer.out());
        assertTrue(longer.err().contains("--epochs must be 5 as in"), longer.err());
        CliRun resumed = CliRun.of("train", "--resume", "--epochs", "5", "--model", "lenet5", "--out", runDir.toString(),
                "--threads", "1");
        assertEquals(0, resumed.exit(), resumed.err());
        assertTrue(resumed.out().contains("resuming lenet5: it finished all 5 epochs"), resumed.out());
        assertTrue(!resumed.out().contains("epoch 1/5:"), "resumed run skips finished epochs");
        assertEquals(trained, percent(resumed.out(), "test accuracy"), 1e-9);
    }

    @Test
    void badArgumentsAndBadDataAreReportedInOneLine() throws Exception {
        CliRun model = CliRun.of("train", "--model", "resnet");
        assertEquals(2, model.exit());
        assertTrue(model.err().contains("model must be one of [mlp, lenet5"), model.err());
        CliRun epochs = CliRun.of("train", "--epochs", "0");
        assertEquals(2, epochs.exit());
        assertTrue(epochs.err().contains("--epochs must be >= 1 but was 0"), epochs.err());

        Path mnist = dir.resolve("mnist");
        Files.createDirectories(mnist);
        Files.write(mnist.resolve("train-images-idx3-ubyte"), new byte[] {0, 0, 8, 1, 0, 0, 0, 0});
        Files.write(mnist.resolve("train-labels-idx1-ubyte"), new byte[] {0, 0, 8, 1, 0, 0, 0, 0});
        CliRun bad = CliRun.of("train", "--dataset", "mnist", "--data-dir", mnist.toString(), "--out", dir.resolve("r").toString());
        assertEquals(1, bad.exit());
        assertEquals(1, bad.err().strip().lines().count(), bad.err());
        assertTrue(bad.err().contains("magic number must be 0x00000803") && bad.err().contains("train-images-idx3-ubyte"), bad.err());

        CliRun info = CliRun.of("info", "--model", "lenet5");
        assertEquals(0, info.exit(), info.err());
        assertTrue(info.out().contains("parameters: 61,706"), info.out());
        assertTrue(info.out().contains("FLOPs per image (forward, 2 per multiply-add): 833,040"), info.out());
        // Each convolution's plan at the recipe's batch, as the kernels of this JVM choose it.
        var conv = dev.vcnn.engine.kernel.Kernels.defaults().conv2d();
        var conv1 = new dev.vcnn.engine.kernel.Conv2dGeometry(64, 1, 28, 28, 6, 5, 5, 1, 1, 2, 2, 2, 2, 1, 1, 1);
        assertTrue(info.out().contains("convolution paths at batch 64"), info.out());
        assertTrue(info.out().contains("  0                " + conv.plan(conv1).orElseThrow()), info.out());
        CliRun badBatch = CliRun.of("info", "--model", "lenet5", "--batch", "0");
        assertEquals(1, badBatch.exit());
        assertTrue(badBatch.err().contains("--batch must be at least 1 but was 0"), badBatch.err());
    }
}
