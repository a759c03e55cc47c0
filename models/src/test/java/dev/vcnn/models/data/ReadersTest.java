package dev.vcnn.models.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.zip.GZIPOutputStream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every reader on small files written here, and each kind of bad file. */
class ReadersTest {
    @TempDir
    Path dir;

    private static byte[] idx(int magic, int[] dims, byte[] data) {
        ByteBuffer b = ByteBuffer.allocate(4 + 4 * dims.length + data.length);
        b.putInt(magic);
        for (int d : dims) {
            b.putInt(d);
        }
        return b.put(data).array();
    }

    private static byte[] gzip(byte[] raw) throws IOException {
        var out = new ByteArrayOutputStream();
        try (var gz = new GZIPOutputStream(out)) {
            gz.write(raw);
        }
        return out.toByteArray();
    }

    private Path write(String name, byte[] bytes) throws IOException {
        Path p = dir.resolve(name);
        Files.write(p, bytes);
        return p;
    }

    private static byte[] ramp(int n) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) (i * 7);
        }
        return b;
    }

    @Test
    void idxReadsRawAndGzipFiles() throws IOException {
        byte[] pixels = ramp(3 * 4 * 5);
        Path images = write("img.gz", gzip(idx(0x803, new int[] {3, 4, 5}, pixels)));
        Path labels = write("lab", idx(0x801, new int[] {3}, new byte[] {2, 0, 9}));
        Dataset d = Idx.read("t", images, labels, Datasets.DIGITS);
        assertEquals(3, d.size());
        assertEquals(4, d.height());
        assertEquals(5, d.width());
        assertArrayEquals(pixels, d.pixels());
        assertArrayEquals(new int[] {2, 0, 9}, d.labels());
    }

    private void assertBad(Path images, Path labels, String... fragments) {
        var e = assertThrows(IllegalArgumentException.class, () -> Idx.read("t", images, labels, Datasets.DIGITS));
        for (String f : fragments) {
            assertTrue(e.getMessage().contains(f), "'" + f + "' missing from: " + e.getMessage());
        }
    }

    @Test
    void idxRejectsBadFilesByName() throws IOException {
        Path labels = write("lab", idx(0x801, new int[] {2}, new byte[] {1, 2}));
        Path wrongMagic = write("magic", idx(0x802, new int[] {2, 2, 2}, new byte[8]));
        assertBad(wrongMagic, labels, "magic number must be 0x00000803", "but was 0x00000802", "file=" + wrongMagic, "byte offset=0");
        Path lying = write("lying", idx(0x803, new int[] {60000, 28, 28}, new byte[10]));
        assertBad(lying, labels, "data size must be 47040000 bytes", "but was 10", "file=" + lying, "byte offset=16");
        byte[] gz = gzip(idx(0x803, new int[] {2, 2, 2}, new byte[8]));
        Path truncated = write("trunc.gz", java.util.Arrays.copyOf(gz, gz.length - 12));
        assertBad(truncated, labels, "truncated", "file=" + truncated);
        Path shortHeader = write("short", new byte[] {0, 0, 8, 3, 0, 0});
        assertBad(shortHeader, labels, "header must have 3 sizes", "file=" + shortHeader);
        Path images = write("img", idx(0x803, new int[] {3, 2, 2}, new byte[12]));
        assertBad(images, labels, "label count must equal the image count 3 but was 2");
        Path badLabel = write("badlab", idx(0x801, new int[] {3}, new byte[] {1, 10, 2}));
        assertBad(images, badLabel, "label must be in [0, 10) but was 10", "byte offset=9");
    }

    @Test
    void cifarReadsRecordsAndRejectsBadSizesAndLabels() throws IOException {
        byte[] rec = new byte[2 * 3073];
        rec[0] = 3;
        rec[1] = (byte) 200;
        rec[3073] = 9;
        rec[3073 + 3072] = 17;
        Path f = write("b.bin", rec);
        Dataset d = Cifar10.readFiles("c", List.of(f));
        assertArrayEquals(new int[] {3, 9}, d.labels());
        assertEquals((byte) 200, d.pixels()[0]);
        assertEquals(17, d.pixels()[2 * 3072 - 1]);
        Path ragged = write("r.bin", new byte[3073 + 5]);
        var e = assertThrows(IllegalArgumentException.class, () -> Cifar10.readFiles("c", List.of(ragged)));
        assertTrue(e.getMessage().contains("multiple of 3073 bytes but was 3078") && e.getMessage().contains("byte offset=3073"), e.getMessage());
        byte[] bad = new byte[3073];
        bad[0] = 12;
        Path badLabel = write("l.bin", bad);
        var l = assertThrows(IllegalArgumentException.class, () -> Cifar10.readFiles("c", List.of(badLabel)));
        assertTrue(l.getMessage().contains("label must be in [0, 10) but was 12"), l.getMessage());
        var m = assertThrows(IllegalArgumentException.class, () -> Cifar10.read(dir.resolve("nowhere")));
        assertTrue(m.getMessage().contains("data_batch_1.bin"), m.getMessage());
    }

    @Test
    void imageFolderResizesAndLabelsBySortedClassName() throws IOException {
        for (String cls : List.of("zebra", "apple")) {
            Files.createDirectories(dir.resolve(cls));
            var img = new BufferedImage(10, 6, BufferedImage.TYPE_INT_RGB);
            int colour = cls.equals("apple") ? 0xFF0000 : 0x0000FF;
            for (int y = 0; y < 6; y++) {
                for (int x = 0; x < 10; x++) {
                    img.setRGB(x, y, colour);
                }
            }
            ImageIO.write(img, "png", dir.resolve(cls).resolve("a.png").toFile());
        }
        Dataset d = ImageFolder.read("f", dir, 3, 4, 4);
        assertEquals(List.of("apple", "zebra"), d.classes());
        assertArrayEquals(new int[] {0, 1}, d.labels());
        assertEquals(255, d.pixels()[0] & 0xFF, "apple is red");
        assertEquals(0, d.pixels()[2 * 16] & 0xFF, "apple has no blue");
        assertEquals(255, d.pixels()[48 + 2 * 16] & 0xFF, "zebra is blue");
        Files.write(dir.resolve("apple").resolve("broken.png"), new byte[] {1, 2, 3});
        var e = assertThrows(IllegalArgumentException.class, () -> ImageFolder.read("f", dir, 3, 4, 4));
        assertTrue(e.getMessage().contains("broken.png"), e.getMessage());
    }

    @Test
    void syntheticIsDeterministicPerIndexAndCoversEveryClass() {
        Dataset whole = Synthetic.generate("s", 42, 0, 300, 1, 28);
        Dataset part = Synthetic.generate("s", 42, 100, 50, 1, 28);
        assertArrayEquals(java.util.Arrays.copyOfRange(whole.pixels(), 100 * 784, 150 * 784), part.pixels());
        assertArrayEquals(java.util.Arrays.copyOfRange(whole.labels(), 100, 150), part.labels());
        assertArrayEquals(whole.pixels(), Synthetic.generate("s", 42, 0, 300, 1, 28).pixels());
        assertTrue(!java.util.Arrays.equals(whole.pixels(), Synthetic.generate("s", 43, 0, 300, 1, 28).pixels()));
        long classes = java.util.Arrays.stream(whole.labels()).distinct().count();
        assertEquals(10, classes);
        assertEquals(3 * 32 * 32, Synthetic.generate("c", 1, 0, 2, 3, 32).imageSize());
    }
}
