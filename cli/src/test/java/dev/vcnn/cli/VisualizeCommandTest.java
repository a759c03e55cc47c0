package dev.vcnn.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code vcnn visualize} and {@code vcnn experiment} end to end on a small synthetic run. */
class VisualizeCommandTest {
    @TempDir
    static Path dir;

    static Path run;
    static Path image;

    @BeforeAll
    static void train() throws Exception {
        run = dir.resolve("run");
        CliRun r = CliRun.of("train", "--model", "lenet5", "--epochs", "1", "--synthetic-size", "600,100", "--threads", "2",
                "--out", run.toString());
        assertEquals(0, r.exit(), r.err() + r.out());
        image = CliRun.syntheticPng(dir.resolve("shape.png"), 2);
    }

    private static BufferedImage png(Path file) throws Exception {
        assertTrue(Files.isRegularFile(file), file + " written");
        BufferedImage img = ImageIO.read(file.toFile());
        assertTrue(img != null && img.getWidth() > 0, file + " decodes");
        return img;
    }

    @Test
    void trainingWroteCurvesAndConfusion() throws Exception {
        png(run.resolve("curves.png"));
        png(run.resolve("confusion.png"));
    }

    @Test
    void kernelsWriteEveryFilteredImageAtTheInputsSize() throws Exception {
        Path out = dir.resolve("kernels");
        CliRun r = CliRun.of("visualize", "kernels", "--image", image.toString(), "--out", out.toString());
        assertEquals(0, r.exit(), r.err());
        for (String k : List.of("sobel-x", "sobel-y", "scharr-x", "scharr-y", "laplacian", "sharpen", "blur", "sobel-magnitude",
                "scharr-magnitude")) {
            BufferedImage img = png(out.resolve(k + ".png"));
            assertEquals(28, img.getWidth(), k);
            assertEquals(28, img.getHeight(), k);
        }
        png(out.resolve("overview.png"));
        Path kernel = dir.resolve("emboss.txt");
        Files.writeString(kernel, "-2 -1 0\n-1 1 1\n0 1 2\n");
        CliRun custom = CliRun.of("visualize", "kernels", "--image", image.toString(), "--kernel", kernel.toString(),
                "--out", dir.resolve("custom").toString());
        assertEquals(0, custom.exit(), custom.err());
        png(dir.resolve("custom").resolve("emboss.txt.png"));
        CliRun missing = CliRun.of("visualize", "kernels", "--image", dir.resolve("nope.png").toString());
        assertEquals(1, missing.exit());
        assertTrue(missing.err().contains("nope.png"), missing.err());
    }

    @Test
    void featureMapsFiltersAndPredictions() throws Exception {
        Path maps = dir.resolve("maps");
        CliRun r = CliRun.of("visualize", "feature-maps", "--run", run.toString(), "--image", image.toString(), "--out",
                maps.toString());
        assertEquals(0, r.exit(), r.err());
        try (var files = Files.list(maps)) {
            assertEquals(List.of("01-0-conv2d.png", "02-1-relu.png", "03-2-maxpool2d.png", "04-3-conv2d.png", "05-4-relu.png",
                    "06-5-maxpool2d.png"), files.map(p -> p.getFileName().toString()).sorted().toList());
        }
        assertEquals(0, CliRun.of("visualize", "filters", "--run", run.toString()).exit());
        png(run.resolve("filters.png"));
        CliRun p = CliRun.of("visualize", "predictions", "--run", run.toString(), "--count", "12");
        assertEquals(0, p.exit(), p.err());
        png(run.resolve("predictions.png"));
        CliRun bad = CliRun.of("visualize", "predictions", "--run", run.toString(), "--dataset", "imagenet");
        assertEquals(1, bad.exit());
        assertTrue(bad.err().contains("'imagenet'"), bad.err());
    }

    @Test
    void experimentWritesAReport() throws Exception {
        Path out = dir.resolve("exp");
        CliRun r = CliRun.of("experiment", "autoencoder", "--epochs", "1", "--synthetic-size", "300,60", "--threads", "1",
                "--out", out.toString());
        assertEquals(0, r.exit(), r.err() + r.out());
        assertTrue(Files.readString(out.resolve("report.md")).contains("runs/linear-ae/"));
        CliRun unknown = CliRun.of("experiment", "gan");
        assertEquals(2, unknown.exit());
        assertTrue(unknown.err().contains("'gan'"), unknown.err());
    }
}
