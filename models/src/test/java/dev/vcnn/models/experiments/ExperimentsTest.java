package dev.vcnn.models.experiments;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Each experiment at toy scale: its runs exist, the report names every one, its pictures decode. */
class ExperimentsTest {
    @TempDir
    Path dir;

    private String run(String name, List<String> runs, int pictureWidth) throws Exception {
        return run(name, new Experiments.Options("synthetic", null, 1, 5, 400, 100, 2), dir.resolve(name), runs, pictureWidth);
    }

    private String run(String name, Experiments.Options options, Path out, List<String> runs, int pictureWidth)
            throws Exception {
        Path report = new Experiments(options, out, new PrintStream(new ByteArrayOutputStream())).run(name);
        String md = Files.readString(report);
        for (String r : runs) {
            assertTrue(md.contains("`runs/" + r + "/`"), name + " report names run " + r + ":\n" + md);
            assertTrue(Files.isRegularFile(out.resolve("runs").resolve(r).resolve("metrics.json")), r);
        }
        // Every picture the report shows exists and decodes.
        Matcher m = Pattern.compile("!\\[[^]]*]\\(([^)]+)\\)").matcher(md);
        int pictures = 0;
        while (m.find()) {
            var img = ImageIO.read(out.resolve(m.group(1)).toFile());
            assertTrue(img != null && img.getWidth() > 0, m.group(1));
            pictures++;
        }
        assertTrue(pictures >= 1, md);
        assertEquals(pictureWidth, ImageIO.read(out.resolve("loss.png").toFile()).getWidth());
        return md;
    }

    @Test
    void initCompareTrainsSixInitialisations() throws Exception {
        String md = run("init-compare", List.of("mlp-zeros", "mlp-constant", "mlp-uniform", "mlp-normal", "mlp-xavier",
                "mlp-kaiming"), 2 * 640);
        assertTrue(md.contains("| zeros |") && md.contains("| kaiming |"), md);
    }

    @Test
    void transferComparesAFrozenBackboneWithScratch() throws Exception {
        String md = run("transfer", List.of("pretrain-0-4", "frozen-backbone-5-9", "fine-tune-last-2-5-9", "scratch-5-9"), 640);
        assertTrue(md.contains("[5, 6, 7, 8, 9]"), md);
        // LeNet-5's head on 5 classes: 84·5 + 5; fine-tuning adds its last two linear layers, 400·120 + 120 and 120·84 + 84.
        Path runs = dir.resolve("transfer").resolve("runs");
        assertEquals(425, trainable(runs.resolve("frozen-backbone-5-9")));
        assertEquals(425 + 48_120 + 10_164, trainable(runs.resolve("fine-tune-last-2-5-9")));

        // The same experiment from a given backbone run: no pretraining, the target classes as asked.
        var options = new Experiments.Options("synthetic", null, 1, 5, 400, 100, 2, runs.resolve("pretrain-0-4").toString(),
                List.of(2, 3, 4));
        String again = run("transfer", options, dir.resolve("given"), List.of("frozen-backbone-2-4", "fine-tune-last-2-2-4",
                "scratch-2-4"), 640);
        assertTrue(!again.contains("`runs/pretrain-0-4/`") && again.contains("lenet5 model of the run `"), again);
    }

    private static long trainable(Path run) throws Exception {
        return dev.vcnn.models.train.JsonFiles.read(run.resolve("metrics.json")).get("trainable_parameters").getAsLong();
    }

    @Test
    void autoencoderReportsBothModels() throws Exception {
        String md = run("autoencoder", List.of("linear-ae", "conv-ae"), 640);
        assertTrue(md.contains("runs/conv-ae/reconstructions.png"), md);
        var e = assertThrows(IllegalArgumentException.class, () -> new Experiments(
                new Experiments.Options("synthetic", null, 1, 1, 10, 10, 1), dir, System.out).run("gan"));
        assertTrue(e.getMessage().contains("'gan'") && e.getMessage().contains("init-compare"), e.getMessage());
    }
}
