package dev.vcnn.models.viz;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vcnn.engine.nn.Conv2d;
import dev.vcnn.engine.nn.Module;
import dev.vcnn.engine.tensor.SplitMix64;
import dev.vcnn.engine.tensor.Tensor;
import dev.vcnn.models.Models;
import dev.vcnn.models.TransferModel;
import java.awt.image.BufferedImage;
import java.util.List;
import org.junit.jupiter.api.Test;

class FeatureMapsTest {
    private static int grey(BufferedImage img, int x, int y) {
        int rgb = img.getRGB(x, y);
        int r = (rgb >> 16) & 0xFF;
        assertEquals(r, rgb & 0xFF, "not grey at " + x + "," + y);
        return r;
    }

    @Test
    void lenetLayersHaveTheirShapesAndGridsTheirSize() {
        Module lenet = Models.build("lenet5", 1, 28, 10, new SplitMix64(1));
        Tensor image = Tensor.uniform(new SplitMix64(2), -1, 1, 1, 1, 28, 28);
        List<FeatureMaps.Layer> layers = FeatureMaps.trace(lenet, image);
        assertEquals(List.of("0", "1", "2", "3", "4", "5"), layers.stream().map(FeatureMaps.Layer::path).toList());
        int[][] chw = {{6, 28}, {6, 28}, {6, 14}, {16, 10}, {16, 10}, {16, 5}};
        for (int i = 0; i < layers.size(); i++) {
            FeatureMaps.Layer l = layers.get(i);
            assertEquals(chw[i][0], l.channels(), l.path());
            assertEquals(chw[i][1], l.height(), l.path());
            assertEquals(chw[i][1], l.width(), l.path());
            // Tiles enlarged by the smallest factor reaching 56 px; a near-square grid of C tiles.
            int f = (56 + chw[i][1] - 1) / chw[i][1];
            int cols = (int) Math.ceil(Math.sqrt(chw[i][0]));
            int rows = (chw[i][0] + cols - 1) / cols;
            BufferedImage img = FeatureMaps.render(l);
            assertEquals(Math.max(cols * (chw[i][1] * f + Grid.GAP) + Grid.GAP, Grid.TITLE_WIDTH), img.getWidth(), l.path());
            assertEquals(2 * Grid.TITLE + 6 + rows * (chw[i][1] * f + Grid.CAPTION + Grid.GAP) + Grid.GAP, img.getHeight(), l.path());
        }
        assertTrue(layers.get(0).layer().startsWith("Conv2d(1, 6"), layers.get(0).layer());
    }

    @Test
    void pixelsAreTheChannelsActivationsOnTheirOwnMinMaxScale() {
        Module lenet = Models.build("lenet5", 1, 28, 10, new SplitMix64(3));
        FeatureMaps.Layer conv2 = FeatureMaps.trace(lenet, Tensor.uniform(new SplitMix64(4), -1, 1, 1, 1, 28, 28)).get(3);
        Grid grid = FeatureMaps.grid(conv2);
        BufferedImage img = FeatureMaps.render(conv2);
        int f = grid.tileW() / conv2.width();
        float[] a = conv2.activation().toArray();
        int plane = conv2.height() * conv2.width();
        for (int c : new int[] {0, 7, 15}) {
            float lo = Float.POSITIVE_INFINITY;
            float hi = Float.NEGATIVE_INFINITY;
            for (int i = 0; i < plane; i++) {
                lo = Math.min(lo, a[c * plane + i]);
                hi = Math.max(hi, a[c * plane + i]);
            }
            boolean sawBlack = false;
            boolean sawWhite = false;
            for (int y = 0; y < conv2.height(); y++) {
                for (int x = 0; x < conv2.width(); x++) {
                    float v = a[c * plane + y * conv2.width() + x];
                    int expected = (int) Math.round(255.0 * (v - lo) / (hi - lo));
                    // Every screen pixel of the enlarged block shows the same level.
                    assertEquals(expected, grey(img, grid.x(c) + x * f, grid.y(c) + y * f), "c=" + c + " y=" + y + " x=" + x);
                    assertEquals(expected, grey(img, grid.x(c) + x * f + f - 1, grid.y(c) + y * f + f - 1));
                    sawBlack |= expected == 0;
                    sawWhite |= expected == 255;
                }
            }
            assertTrue(sawBlack && sawWhite, "channel " + c + " spans the full range");
        }
    }

    @Test
    void vggAndTransferModelsAreWalkedByTheirStateDictPaths() throws Exception {
        Module vgg = Models.build("vgg11", 3, 32, 10, new SplitMix64(5));
        List<FeatureMaps.Layer> layers = FeatureMaps.trace(vgg, Tensor.uniform(new SplitMix64(6), -1, 1, 1, 3, 32, 32));
        assertEquals("features.0", layers.getFirst().path());
        assertEquals("avgpool", layers.getLast().path());
        assertTrue(vgg.namedModules().keySet().containsAll(layers.stream().map(FeatureMaps.Layer::path).toList()));
        var transfer = new TransferModel(Models.build("lenet5", 1, 28, 10, new SplitMix64(7)), 3, new SplitMix64(8));
        List<FeatureMaps.Layer> t = FeatureMaps.trace(transfer, Tensor.zeros(1, 1, 28, 28));
        assertEquals("backbone.0", t.getFirst().path());
        assertEquals(6, t.size());
    }

    @Test
    void filtersAreDrawnFromTheFirstConvolutionsWeights() {
        Module cnn = Models.build("cifar-cnn", 3, 32, 10, new SplitMix64(9));
        var first = FeatureMaps.firstConv(cnn);
        assertEquals("0", first.getKey());
        Conv2d conv = first.getValue();
        BufferedImage img = FeatureMaps.renderFilters(first.getKey(), conv);
        int f = Images.factorFor(3, 3, 64);
        Grid grid = Grid.of(16, 3 * f, 3 * f, 0, 2);
        assertEquals(grid.width(), img.getWidth());
        assertEquals(grid.height(), img.getHeight());
        // Filter 5, kernel position (1, 2): its R, G, B weights on the filter's shared min–max scale.
        float[] w = conv.weight().value().toArray();
        int base = 5 * 27;
        float[] r = Images.range(w, base, 27);
        int rgb = img.getRGB(grid.x(5) + 2 * f, grid.y(5) + f);
        assertEquals(Images.level(w[base + 5], r[0], r[1]), (rgb >> 16) & 0xFF);
        assertEquals(Images.level(w[base + 9 + 5], r[0], r[1]), (rgb >> 8) & 0xFF);
        assertEquals(Images.level(w[base + 18 + 5], r[0], r[1]), rgb & 0xFF);
        var e = assertThrows(IllegalArgumentException.class,
                () -> FeatureMaps.firstConv(Models.build("mlp", 1, 28, 10, new SplitMix64(1))));
        assertTrue(e.getMessage().contains("no filters"), e.getMessage());
    }
}
