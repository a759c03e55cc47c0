package dev.vcnn.models.viz;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonParser;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ChartsTest {
    @TempDir
    Path dir;

    private BufferedImage roundTrip(BufferedImage img, String name) throws Exception {
        Path file = dir.resolve(name);
        Images.writePng(img, file);
        byte[] head = java.util.Arrays.copyOf(Files.readAllBytes(file), 8);
        assertEquals("\u0089PNG\r\n\u001a\n", new String(head, java.nio.charset.StandardCharsets.ISO_8859_1));
        BufferedImage back = ImageIO.read(file.toFile());
        assertEquals(img.getWidth(), back.getWidth());
        assertEquals(img.getHeight(), back.getHeight());
        return back;
    }

    @Test
    void curvesShowLossAndAccuracySideBySideOrLossAlone() throws Exception {
        var classifier = JsonParser.parseString("""
                {"epochs": [{"epoch": 1, "train_loss": 2.0, "val_loss": 1.5, "train_accuracy": 0.4, "val_accuracy": 0.5},
                            {"epoch": 2, "train_loss": 1.0, "val_loss": 0.9, "train_accuracy": 0.7, "val_accuracy": 0.72}]}
                """).getAsJsonObject();
        BufferedImage c = roundTrip(Charts.curves("t", classifier), "curves.png");
        assertEquals(2 * Charts.WIDTH, c.getWidth());
        assertEquals(Charts.HEIGHT, c.getHeight());
        var autoencoder = JsonParser.parseString("""
                {"epochs": [{"epoch": 1, "train_loss": 0.2, "val_loss": 0.1}]}
                """).getAsJsonObject();
        assertEquals(Charts.WIDTH, roundTrip(Charts.curves("t", autoencoder), "ae.png").getWidth());
    }

    @Test
    void confusionIsAHeatMapSizedByTheClassCount() throws Exception {
        int[][] counts = {{5, 1, 0}, {0, 7, 2}, {1, 0, 9}};
        BufferedImage img = roundTrip(Charts.confusion("c", counts, List.of("cat", "dog", "bird")), "confusion.png");
        assertEquals(480 + 120, img.getWidth());
        assertEquals(480, img.getHeight());
        BufferedImage big = Charts.confusion("c", new int[20][20], java.util.Collections.nCopies(20, "x"));
        assertEquals(80 + 48 * 20, big.getHeight());
    }

    @Test
    void linesSkipNonFiniteValuesAndGridsKeepTheirLayout() throws Exception {
        BufferedImage img = Charts.lines("l", "x", "y", List.of(new Charts.Line("a", new double[] {1, 2, 3},
                new double[] {1, Double.NaN, Double.POSITIVE_INFINITY}), new Charts.Line("all bad", new double[] {1},
                new double[] {Double.NaN})), true);
        assertEquals(Charts.WIDTH, roundTrip(img, "lines.png").getWidth());
        var grid = new Grid(5, 3, 10, 8, 4, 14, 0);
        assertEquals(2, grid.rows());
        assertEquals(3 * 14 + 4, grid.width());
        assertEquals(2 * (8 + 14 + 4) + 4, grid.height());
        assertEquals(4 + 14, grid.x(4));
        assertEquals(4 + 26, grid.y(4));
        assertTrue(Images.level(5f, 0f, 10f) == 128 && Images.level(-1f, 0f, 10f) == 0 && Images.level(3f, 3f, 3f) == 0);
    }
}
