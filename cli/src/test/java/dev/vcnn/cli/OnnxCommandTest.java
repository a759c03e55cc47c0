package dev.vcnn.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vcnn.engine.io.SafeTensors;
import dev.vcnn.engine.tensor.Tensor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The ONNX path of the command line: a trained run exported, described, imported back (predicting exactly what
 * the run predicts, class names and normalisation carried in the file), used as a frozen backbone for a new head,
 * exported again, and run on named tensors.
 */
class OnnxCommandTest {
    @TempDir
    Path dir;

    private static CliRun ok(String... args) {
        CliRun r = CliRun.of(args);
        assertEquals(0, r.exit(), String.join(" ", args) + ":\n" + r.err() + r.out());
        return r;
    }

    @Test
    void exportImportPredictFineTuneAndRun() throws Exception {
        Path run = dir.resolve("run");
        ok("train", "--model", "lenet5", "--epochs", "2", "--synthetic-size", "2000,400", "--threads", "2",
                "--classes", "0,1,2,3,4", "--out", run.toString());
        Path onnx = dir.resolve("lenet5.onnx");
        CliRun export = ok("onnx", "export", "--run", run.toString(), "--out", onnx.toString());
        assertTrue(export.out().contains("opset 17"), export.out());

        CliRun info = ok("onnx", "info", onnx.toString());
        assertTrue(info.out().contains("input: float[N, 1, 28, 28]"), info.out());
        assertTrue(info.out().contains("output: float[N, 5]"), info.out());
        assertTrue(info.out().matches("(?s).*Conv\\s+2\\n.*"), info.out());
        assertTrue(info.out().contains("vcnn runs it"), info.out());

        Path imported = dir.resolve("imported");
        ok("onnx", "import", onnx.toString(), "--out", imported.toString());
        Path png = CliRun.syntheticPng(dir.resolve("shape.png"), 3);
        String original = ok("predict", "--run", run.toString(), png.toString()).out();
        assertEquals(original, ok("predict", "--run", imported.toString(), png.toString()).out(),
                "the imported run predicts what the run predicts, with its class names");

        Path head = dir.resolve("head");
        CliRun tune = ok("train", "--backbone", imported.toString(), "--classes", "5,6,7,8,9", "--epochs", "2",
                "--synthetic-size", "2000,400", "--threads", "2", "--out", head.toString());
        assertTrue(tune.out().contains("(frozen, from " + imported + ") + new head"), tune.out());
        var before = SafeTensors.read(imported.resolve("model.safetensors"));
        var after = SafeTensors.read(head.resolve("model.safetensors"));
        String conv = before.keySet().stream().filter(k -> k.endsWith("weight")).findFirst().orElseThrow();
        assertArrayEquals(before.get(conv).toArray(), after.get("backbone." + conv).toArray(), "the backbone is frozen");

        // Fine-tuning the imported graph's last weight layer (LeNet-5's 120→84 linear layer) with the head.
        Path last = dir.resolve("last");
        CliRun unfrozen = ok("train", "--backbone", imported.toString(), "--unfreeze", "1", "--classes", "5,6,7,8,9",
                "--epochs", "1", "--synthetic-size", "2000,400", "--threads", "2", "--out", last.toString());
        assertTrue(unfrozen.out().contains("(frozen but its last 1 weight layers, from "), unfrozen.out());
        var tunedLast = SafeTensors.read(last.resolve("model.safetensors"));
        var moved = before.keySet().stream().filter(k -> tunedLast.containsKey("backbone." + k))
                .filter(k -> !java.util.Arrays.equals(before.get(k).toArray(),
                tunedLast.get("backbone." + k).toArray())).sorted().toList();
        assertEquals(2, moved.size(), "the last layer's weight and bias move, nothing else: " + moved);
        assertTrue(before.get(moved.get(0)).shape().numel() + before.get(moved.get(1)).shape().numel() == 120 * 84 + 84,
                moved.toString());
        CliRun tooMany = CliRun.of("train", "--backbone", imported.toString(), "--unfreeze", "5", "--synthetic-size",
                "200,100", "--out", dir.resolve("too-many").toString());
        assertEquals(1, tooMany.exit());
        assertTrue(tooMany.err().contains("backbone's 4 weight layers but was 5"), tooMany.err());
        CliRun alone = CliRun.of("train", "--unfreeze", "1", "--out", dir.resolve("alone").toString());
        assertTrue(alone.exit() != 0 && alone.err().contains("--unfreeze needs --backbone"), alone.err());
        Path tuned = dir.resolve("tuned.onnx");
        ok("onnx", "export", "--run", head.toString(), "--out", tuned.toString());
        Path again = dir.resolve("again");
        ok("onnx", "import", tuned.toString(), "--out", again.toString());
        assertEquals(ok("predict", "--run", head.toString(), png.toString()).out(),
                ok("predict", "--run", again.toString(), png.toString()).out());

        Path in = dir.resolve("in.safetensors");
        SafeTensors.write(in, Map.of("input", Tensor.ones(3, 1, 28, 28)));
        Path out = dir.resolve("out.safetensors");
        CliRun ran = ok("onnx", "run", tuned.toString(), "--inputs", in.toString(), "--out", out.toString(), "--bench", "0.2",
                "--threads", "1");
        assertTrue(ran.out().contains("output: float[3, 5]"), ran.out());
        assertTrue(ran.out().matches("(?s).*runs on 1 thread\\(s\\): median [0-9.]+ ms, p10 [0-9.]+ ms.*"), ran.out());
        assertEquals(java.util.List.of(3, 5), java.util.Arrays.stream(SafeTensors.read(out).get("output").shape().toArray())
                .boxed().toList());

        CliRun missing = CliRun.of("onnx", "run", tuned.toString(), "--inputs", out.toString(), "--out", out.toString());
        assertEquals(1, missing.exit());
        assertTrue(missing.err().contains("must hold graph input 'input' but holds [output]"), missing.err());
        assertTrue(Files.size(out) > 0, "a failed run leaves the old output");
    }
}
