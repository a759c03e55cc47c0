package dev.vcnn.models.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.Color;
import java.awt.image.BufferedImage;
import org.junit.jupiter.api.Test;

/**
 * Images for 224-pixel models are prepared as torchvision evaluates ImageNet (shorter side to 256, centre crop
 * 224): a band at the top of a tall image, outside the crop, is gone; smaller sizes keep the plain resize.
 */
class ImageNetPreprocessingTest {
    /** 224 wide, 448 tall: the top quarter green, the rest grey. */
    private static BufferedImage tall() {
        var img = new BufferedImage(224, 448, BufferedImage.TYPE_INT_RGB);
        var g = img.createGraphics();
        g.setColor(Color.GRAY);
        g.fillRect(0, 0, 224, 448);
        g.setColor(Color.GREEN);
        g.fillRect(0, 0, 224, 112);
        g.dispose();
        return img;
    }

    private static int greenRows(byte[] px, int size) {
        int rows = 0;
        for (int y = 0; y < size; y++) {
            int at = y * size + size / 2;
            if ((px[at + size * size] & 0xFF) > 200 && (px[at] & 0xFF) < 50) {
                rows++;
            }
        }
        return rows;
    }

    @Test
    void a224PixelInputIsResizedTo256AndCentreCropped() {
        byte[] px = new byte[3 * 224 * 224];
        ImageFolder.toPixels(tall(), 3, 224, 224, px, 0);
        // scaled to 256 x 512, rows 144..368 kept: the green rows 0..128 are all cropped away
        assertEquals(0, greenRows(px, 224));
        assertEquals(128, px[112 * 224 + 112] & 0xFF); // grey in the middle
    }

    @Test
    void smallerInputsAreResizedWhole() {
        byte[] px = new byte[3 * 32 * 32];
        ImageFolder.toPixels(tall(), 3, 32, 32, px, 0);
        int rows = greenRows(px, 32);
        assertTrue(rows >= 7 && rows <= 9, "a quarter of 32 rows is green: " + rows);
    }
}
