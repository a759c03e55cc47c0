package dev.vcnn.models.viz;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vcnn.engine.tensor.SplitMix64;
import dev.vcnn.engine.tensor.Tensor;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class Filter2dTest {
    @TempDir
    Path dir;

    /** A 7×8 image, 10 left of column 4 and 50 from it on: a vertical step edge. */
    private static Tensor step() {
        float[] v = new float[7 * 8];
        for (int y = 0; y < 7; y++) {
            for (int x = 0; x < 8; x++) {
                v[y * 8 + x] = x < 4 ? 10 : 50;
            }
        }
        return Tensor.of(v, 1, 1, 7, 8);
    }

    @Test
    void sobelXOnAVerticalStepEdgeRespondsExactlyBesideTheEdge() {
        Tensor r = Filter2d.apply(step(), Filter2d.named("sobel-x"));
        assertEquals(step().shape(), r.shape());
        // (1 + 2 + 1)·(50 − 10) = 160 in the two columns whose neighbours straddle the edge, 0 elsewhere,
        // on every row (the reflected border repeats the rows, and the columns at the image edge see no change).
        for (int y = 0; y < 7; y++) {
            for (int x = 0; x < 8; x++) {
                float expected = x == 3 || x == 4 ? 160f : 0f;
                assertEquals(expected, r.data()[r.offset() + y * 8 + x], "y=" + y + " x=" + x);
            }
        }
    }

    @Test
    void sobelYSeesNoVerticalEdgeAndTheMagnitudeIsTheXResponse() {
        Tensor gx = Filter2d.apply(step(), Filter2d.named("sobel-x"));
        Tensor gy = Filter2d.apply(step(), Filter2d.named("sobel-y"));
        for (float v : gy.toArray()) {
            assertEquals(0f, v);
        }
        assertArrayEquals(gx.toArray(), Filter2d.magnitude(gx, gy).toArray());
        Tensor m = Filter2d.magnitude(Tensor.of(new float[] {3, -6}, 1, 1, 1, 2), Tensor.of(new float[] {4, 8}, 1, 1, 1, 2));
        assertArrayEquals(new float[] {5, 10}, m.toArray());
    }

    @Test
    void identityKernelFromAFileReturnsTheImage() throws Exception {
        var rng = new SplitMix64(4);
        Tensor img = Tensor.uniform(rng, 0, 255, 1, 3, 9, 13);
        Path k3 = dir.resolve("identity3.txt");
        Files.writeString(k3, "# identity\n0 0 0\n0, 1, 0\n0 0 0\n");
        assertArrayEquals(img.toArray(), Filter2d.apply(img, Filter2d.read(k3)).toArray());
        Path k5 = dir.resolve("identity5.txt");
        Files.writeString(k5, "0 0 0 0 0\n0 0 0 0 0\n0 0 1 0 0\n0 0 0 0 0\n0 0 0 0 0\n");
        assertArrayEquals(img.toArray(), Filter2d.apply(img, Filter2d.read(k5)).toArray());
    }

    @Test
    void borderIsReflectedWithoutRepeatingTheEdgePixel() {
        Tensor row = Tensor.of(new float[] {1, 2, 3, 4}, 1, 1, 1, 4);
        // OpenCV BORDER_REFLECT_101 on one row: gfedcb|abcdefgh|gfedcba; rows reflect the same way (one row: itself).
        Tensor p = Filter2d.reflect101(row, 2);
        assertArrayEquals(new float[] {3, 2, 1, 2, 3, 4, 3, 2}, java.util.Arrays.copyOfRange(p.toArray(), 16, 24));
    }

    @Test
    void blurAveragesANeighbourhood() {
        float[] v = new float[25];
        v[12] = 9; // one bright pixel in the middle of 5×5
        Tensor r = Filter2d.apply(Tensor.of(v, 1, 1, 5, 5), Filter2d.named("blur"));
        assertEquals(1f, r.toArray()[6], 1e-6f);
        assertEquals(0f, r.toArray()[0], 1e-6f);
        assertTrue(Filter2d.named("sobel-x").derivative() && Filter2d.named("laplacian").derivative());
        assertTrue(!Filter2d.named("blur").derivative() && !Filter2d.named("sharpen").derivative());
    }

    @Test
    void badKernelFilesNameTheFileAndLine() throws Exception {
        Path text = dir.resolve("bad.txt");
        Files.writeString(text, "1 0 -1\n2 x -2\n1 0 -1\n");
        var e = assertThrows(IllegalArgumentException.class, () -> Filter2d.read(text));
        assertTrue(e.getMessage().contains("'x'") && e.getMessage().contains("line 2") && e.getMessage().contains("bad.txt"),
                e.getMessage());
        Path even = dir.resolve("even.txt");
        Files.writeString(even, "1 1\n1 1\n");
        e = assertThrows(IllegalArgumentException.class, () -> Filter2d.read(even));
        assertTrue(e.getMessage().contains("odd side") && e.getMessage().contains("2 rows"), e.getMessage());
        Path ragged = dir.resolve("ragged.txt");
        Files.writeString(ragged, "1 1 1\n1 1\n1 1 1\n");
        e = assertThrows(IllegalArgumentException.class, () -> Filter2d.read(ragged));
        assertTrue(e.getMessage().contains("line 2 has 2"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Filter2d.named("emboss"));
        assertTrue(e.getMessage().contains("sobel-x") && e.getMessage().contains("'emboss'"), e.getMessage());
    }
}
