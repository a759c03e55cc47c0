package dev.vcnn.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vcnn.models.data.Synthetic;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The command line end to end on the synthetic dataset: train → eval → predict, resume, and errors. */
class TrainEvalPredictTest {
    @TempDir
    Path dir;

    private record Result(int exit, String out, String err) {}

    private static Result run(String... args) {
        var err = new StringWriter();
        var captured = new ByteArrayOutputStream();
        PrintStream original = System.out;
        var cl = Main.commandLine();
        cl.setErr(new PrintWriter(err, true));
        cl.setOut(new PrintWriter(new java.io.OutputStreamWriter(captured, StandardCharsets.UTF_8), true));
        System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            int exit = cl.execute(args);
            return new Result(exit, captured.toString(StandardCharsets.UTF_8), err.toString());
        } finally {
            System.setOut(original);
        }
    }

    private static double percent(String text, String label) {
        Matcher m = Pattern.compile(label + " ([0-9.]+)%").matcher(text);
        assertTrue(m.find(), "no '" + label + "' in: " + text);
        return Double.parseDouble(m.group(1));
    }

    @Test
    void trainThenEvalThenPredict() throws Exception {
        Path runDir = dir.resolve("run");
        Result train = run("train", "--model", "lenet5", "--epochs", "5", "--synthetic-size", "4000,400", "--threads", "2",
                "--out", runDir.toString());
        assertEquals(0, train.exit(), train.err() + train.out());
        double trained = percent(train.out(), "test accuracy");
        assertTrue(trained > 50, "accuracy " + trained + "% (chance is 10%)");
        for (String f : new String[] {"config.json", "metrics.json", "model.safetensors", "checkpoint.safetensors"}) {
            assertTrue(Files.isRegularFile(runDir.resolve(f)), f);
        }

        Result eval = run("eval", "--run", runDir.toString());
        assertEquals(0, eval.exit(), eval.err());
        assertEquals(trained, percent(eval.out(), "accuracy"), 1e-9, "eval reproduces the run's test accuracy");

        // A synthetic test image saved as PNG, predicted through the same model.
        var d = Synthetic.generate("p", 1, 4000, 1, 1, 28);
        var img = new BufferedImage(28, 28, BufferedImage.TYPE_BYTE_GRAY);
        for (int i = 0; i < 784; i++) {
            int v = d.pixels()[i] & 0xFF;
            img.setRGB(i % 28, i / 28, 0xFF000000 | v << 16 | v << 8 | v);
        }
        Path png = dir.resolve("shape.png");
        ImageIO.write(img, "png", png.toFile());
        Result predict = run("predict", "--run", runDir.toString(), png.toString());
        assertEquals(0, predict.exit(), predict.err());
        String[] lines = predict.out().strip().split("\n");
        assertEquals(6, lines.length, predict.out());
        for (int i = 1; i < 6; i++) {
            assertTrue(lines[i].matches("\\s+\\S+\\s+[0-9.]+%"), lines[i]);
        }

        Result again = run("train", "--epochs", "1", "--out", runDir.toString());
        assertEquals(2, again.exit());
        assertTrue(again.err().contains("exists and is not empty: pass --resume to continue it or --overwrite"), again.err());

        Path transfer = dir.resolve("transfer");
        Result head = run("train", "--backbone", runDir.toString(), "--epochs", "2", "--synthetic-size", "2000,400",
                "--seed", "7", "--out", transfer.toString(), "--threads", "2");
        assertEquals(0, head.exit(), head.err() + head.out());
        assertTrue(percent(head.out(), "test accuracy") > 50, head.out());
        var before = dev.vcnn.engine.io.SafeTensors.read(runDir.resolve("model.safetensors"));
        var after = dev.vcnn.engine.io.SafeTensors.read(transfer.resolve("model.safetensors"));
        org.junit.jupiter.api.Assertions.assertArrayEquals(before.get("3.weight").toArray(), after.get("backbone.3.weight").toArray(),
                "the frozen backbone is unchanged");
        assertTrue(after.containsKey("head.weight") && !after.containsKey("backbone.11.weight"), after.keySet().toString());
        Result evalTransfer = run("eval", "--run", transfer.toString());
        assertEquals(0, evalTransfer.exit(), evalTransfer.err());

        Result resumed = run("train", "--resume", "--epochs", "6", "--out", runDir.toString(), "--threads", "2");
        assertEquals(0, resumed.exit(), resumed.err());
        assertTrue(resumed.out().contains("resuming lenet5 at epoch 6 of 6"), resumed.out());
        assertTrue(!resumed.out().contains("epoch 1/6:"), "resumed run skips finished epochs");
    }

    @Test
    void badArgumentsAndBadDataAreReportedInOneLine() throws Exception {
        Result model = run("train", "--model", "resnet");
        assertEquals(2, model.exit());
        assertTrue(model.err().contains("model must be one of [mlp, lenet5"), model.err());
        Result epochs = run("train", "--epochs", "0");
        assertEquals(2, epochs.exit());
        assertTrue(epochs.err().contains("--epochs must be >= 1 but was 0"), epochs.err());

        Path mnist = dir.resolve("mnist");
        Files.createDirectories(mnist);
        Files.write(mnist.resolve("train-images-idx3-ubyte"), new byte[] {0, 0, 8, 1, 0, 0, 0, 0});
        Files.write(mnist.resolve("train-labels-idx1-ubyte"), new byte[] {0, 0, 8, 1, 0, 0, 0, 0});
        Result bad = run("train", "--dataset", "mnist", "--data-dir", mnist.toString(), "--out", dir.resolve("r").toString());
        assertEquals(1, bad.exit());
        assertEquals(1, bad.err().strip().lines().count(), bad.err());
        assertTrue(bad.err().contains("magic number must be 0x00000803") && bad.err().contains("train-images-idx3-ubyte"), bad.err());

        Result info = run("info", "--model", "lenet5");
        assertEquals(0, info.exit(), info.err());
        assertTrue(info.out().contains("parameters: 61,706"), info.out());
        assertTrue(info.out().contains("FLOPs per image (forward, 2 per multiply-add): 833,040"), info.out());
    }
}
