package dev.vcnn.models.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.vcnn.models.train.TrainConfig;
import dev.vcnn.models.train.JsonFiles;
import dev.vcnn.models.train.Trainer;
import dev.vcnn.models.viz.Charts;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Coverage-guided fuzzing (Jazzer) of the dataset and run-file readers: whatever the bytes, a reader
 * returns a consistent result or throws its own {@link IllegalArgumentException}; any other exception,
 * an OutOfMemoryError or a hang is a finding. A plain test run replays the committed corpus under
 * {@code src/test/resources/dev/vcnn/models/data/ReaderFuzzTestInputs/}; {@code docs/testing.md} gives
 * the command that fuzzes.
 */
class ReaderFuzzTest {
    private static final Path DIR;

    static {
        try {
            DIR = Files.createTempDirectory("vcnn-fuzz");
            DIR.toFile().deleteOnExit();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Path file(String name, byte[] data) throws IOException {
        Path f = DIR.resolve(name);
        Files.write(f, data);
        f.toFile().deleteOnExit();
        return f;
    }

    private static void expectOwnError(IllegalArgumentException e, String... prefixes) {
        String m = String.valueOf(e.getMessage());
        assertTrue(List.of(prefixes).stream().anyMatch(m::startsWith), m);
    }

    /** An IDX images file, raw or gzip (the first bytes decide), beside a fixed labels file. */
    @FuzzTest(maxDuration = "2m")
    void idx(byte[] data) throws IOException {
        Path labels = DIR.resolve("labels");
        if (!Files.exists(labels)) {
            Files.write(labels, new byte[] {0, 0, 8, 1, 0, 0, 0, 2, 1, 2});
        }
        try {
            Dataset d = Idx.read("fuzz", file("images", data), labels, Datasets.DIGITS);
            assertEquals((long) d.size() * d.height() * d.width(), d.pixels().length);
        } catch (IllegalArgumentException e) {
            expectOwnError(e, "idx: ");
        }
    }

    @FuzzTest(maxDuration = "2m")
    void cifar(byte[] data) throws IOException {
        try {
            Dataset d = Cifar10.readFiles("fuzz", List.of(file("batch.bin", data)));
            assertEquals((long) d.size() * 3072, d.pixels().length);
        } catch (IllegalArgumentException e) {
            expectOwnError(e, "cifar10: ");
        }
    }

    /** One image as an image folder decodes it, with a small pixel cap so that claims are cheap to refuse. */
    @FuzzTest(maxDuration = "2m")
    void image(byte[] data) throws IOException {
        try {
            var img = ImageFolder.load(file("image", data), 1 << 16);
            byte[] out = new byte[3 * 8 * 8];
            ImageFolder.toPixels(img, 3, 8, 8, out, 0);
        } catch (IllegalArgumentException e) {
            expectOwnError(e, "image: ");
        }
    }

    /** A run's config.json, as eval, predict and --resume read it. */
    @FuzzTest(maxDuration = "2m")
    void config(byte[] data) throws IOException {
        try {
            TrainConfig.fromJson(JsonFiles.read(file("config.json", data)), "config.json");
        } catch (IllegalArgumentException e) {
            expectOwnError(e, "json: ", "config: ", "init must be", "model must be");
        }
    }

    /** A run's metrics.json, as the curves and experiment reports read it. */
    @FuzzTest(maxDuration = "2m")
    void metrics(byte[] data) throws IOException {
        try {
            var metrics = JsonFiles.read(file("metrics.json", data));
            for (String key : List.of("epoch", "train_loss", "val_accuracy")) {
                Charts.column(metrics, key);
            }
        } catch (IllegalArgumentException e) {
            expectOwnError(e, "json: ", "metrics: ");
        }
    }
}
