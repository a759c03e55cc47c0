package dev.vcnn.models.data;

import static dev.vcnn.models.data.TestFiles.gzip;
import static dev.vcnn.models.data.TestFiles.idx;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every reader on small files written here, and each kind of bad file. */
class ReadersTest {
    @TempDir
    Path dir;

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
        assertBad(lying, labels, "data size must be 47040000 bytes", "but was 10", "file=" + lying, "byte offset=26");
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
    void idxRejectsOverflowingClaimsGzipBombsAndTrailingData() throws IOException {
        Path labels = write("lab", idx(0x801, new int[] {2}, new byte[] {1, 2}));
        // 16 × 2^30 × 2^30 = 2^64 wraps to 0 in a long: it must not pass as an empty file.
        Path overflow = write("overflow", idx(0x803, new int[] {16, 1 << 30, 1 << 30}, new byte[0]));
        assertBad(overflow, labels, "data size must be at most " + Idx.MAX_BYTES, "file=" + overflow, "byte offset=8");
        // 64 MiB of zeros in ~64 KiB of gzip, behind a header that claims 16 bytes: read no further than the claim.
        byte[] raw = new byte[64 << 20];
        System.arraycopy(idx(0x803, new int[] {1, 4, 4}, new byte[0]), 0, raw, 0, 16);
        Path bomb = write("bomb.gz", gzip(raw));
        assertTrue(Files.size(bomb) < 1 << 20);
        assertBad(bomb, labels, "data size must be 16 bytes", "but the data goes on", "byte offset=32");
        // A claim over the cap is refused before any data is read.
        Path huge = write("huge.gz", gzip(idx(0x803, new int[] {1 << 11, 1 << 10, 1 << 10}, new byte[0])));
        assertBad(huge, labels, "at most " + Idx.MAX_BYTES, "file=" + huge);
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

    /** A PNG of just a signature and an IHDR chunk claiming width × height (no pixel data). */
    private static byte[] pngHeader(int width, int height) {
        ByteBuffer b = ByteBuffer.allocate(8 + 25);
        b.put(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'});
        b.putInt(13).put("IHDR".getBytes(java.nio.charset.StandardCharsets.US_ASCII)).putInt(width).putInt(height)
                .put(new byte[] {8, 2, 0, 0, 0});
        var crc = new java.util.zip.CRC32();
        crc.update(b.array(), 12, 17);
        return b.putInt((int) crc.getValue()).array();
    }

    @Test
    void imageSizesAreCheckedFromTheHeaderBeforeDecodingAndMissingTestClassesAreNamed() throws IOException {
        Path claim = write("claim.png", pngHeader(100_000, 100_000));
        var e = assertThrows(IllegalArgumentException.class, () -> ImageFolder.load(claim));
        assertTrue(e.getMessage().contains("must have 1 to " + ImageFolder.MAX_PIXELS + " pixels but its header claims 100000x100000")
                && e.getMessage().contains("file=" + claim), e.getMessage());
        Path small = write("small.png", pngHeader(4, 4));
        var s = assertThrows(IllegalArgumentException.class, () -> ImageFolder.load(small));
        assertTrue(s.getMessage().contains("did not decode") && s.getMessage().contains("file=" + small), s.getMessage());

        for (String split : List.of("train/cat", "train/dog", "test/cat")) {
            Files.createDirectories(dir.resolve("set").resolve(split));
            ImageIO.write(new BufferedImage(5, 5, BufferedImage.TYPE_INT_RGB), "png", dir.resolve("set").resolve(split).resolve("a.png").toFile());
        }
        var m = assertThrows(IllegalArgumentException.class, () -> Datasets.load("folder", dir.resolve("set"), 1, 8, 1, 0, 0));
        assertTrue(m.getMessage().contains("class 'dog'") && m.getMessage().contains("test"), m.getMessage());
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
