package dev.vcnn.models.data;

import static dev.vcnn.models.data.TestFiles.gzip;
import static dev.vcnn.models.data.TestFiles.idx;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vcnn.models.train.TrainConfig;
import dev.vcnn.models.train.Trainer;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Reading a range of a training set's records: the same records as a whole read, and only those decoded. */
class RecordRangesTest {
    @TempDir
    Path dir;

    private static byte[] ramp(int n, int step) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) (i * step + 1);
        }
        return b;
    }

    private static int[][] ranges(int n) {
        return new int[][] {{0, 0}, {0, n}, {2, 5}, {n - 1, n}, {n, n}, {1, 2}};
    }

    @Test
    void idxRangesAreTheWholeFilesRecordsInRawAndGzipFiles() throws IOException {
        int n = 7;
        byte[] pixels = ramp(n * 2 * 3, 7);
        byte[] labels = {3, 1, 4, 1, 5, 9, 2};
        for (boolean gz : new boolean[] {false, true}) {
            byte[] img = idx(0x803, new int[] {n, 2, 3}, pixels);
            byte[] lab = idx(0x801, new int[] {n}, labels);
            Path images = Files.write(dir.resolve("img" + gz), gz ? gzip(img) : img);
            Path labelFile = Files.write(dir.resolve("lab" + gz), gz ? gzip(lab) : lab);
            assertEquals(n, Idx.count(images));
            Dataset all = Idx.read("t", images, labelFile, Datasets.DIGITS);
            for (int[] r : ranges(n)) {
                Dataset part = Idx.read("t", images, labelFile, Datasets.DIGITS, r[0], r[1]);
                String where = "range " + Arrays.toString(r) + ", gzip " + gz;
                assertArrayEquals(Arrays.copyOfRange(all.pixels(), r[0] * 6, r[1] * 6), part.pixels(), where);
                assertArrayEquals(Arrays.copyOfRange(all.labels(), r[0], r[1]), part.labels(), where);
            }
            for (int[] bad : new int[][] {{5, 8}, {-1, 2}, {4, 3}}) {
                var e = assertThrows(IllegalArgumentException.class,
                        () -> Idx.read("t", images, labelFile, Datasets.DIGITS, bad[0], bad[1]));
                assertTrue(e.getMessage().contains("record range must lie in [0, 7]") && e.getMessage().contains("file=" + images),
                        e.getMessage());
            }
        }
        // A file that ends early is refused by a range at its front too, naming where the data ends.
        Path shortFile = Files.write(dir.resolve("short"), Arrays.copyOf(idx(0x803, new int[] {n, 2, 3}, pixels), 16 + 40));
        Path labelFile = Files.write(dir.resolve("lab"), idx(0x801, new int[] {n}, labels));
        var e = assertThrows(IllegalArgumentException.class, () -> Idx.read("t", shortFile, labelFile, Datasets.DIGITS, 0, 1));
        assertTrue(e.getMessage().contains("data size must be 42 bytes") && e.getMessage().contains("but was 40")
                && e.getMessage().contains("byte offset=56"), e.getMessage());
    }

    @Test
    void cifarRangesCrossFileBoundaries() throws IOException {
        List<Path> files = new ArrayList<>();
        int record = 0;
        for (int count : new int[] {3, 2}) {
            byte[] b = new byte[count * 3073];
            for (int r = 0; r < count; r++, record++) {
                b[r * 3073] = (byte) record;
                b[r * 3073 + 1] = (byte) (10 * record + 1);
                b[r * 3073 + 3072] = (byte) (10 * record + 2);
            }
            files.add(Files.write(dir.resolve("b" + count + ".bin"), b));
        }
        assertEquals(5, Cifar10.count(files));
        Dataset all = Cifar10.readFiles("c", files);
        for (int[] r : ranges(5)) {
            Dataset part = Cifar10.readFiles("c", files, r[0], r[1]);
            assertArrayEquals(Arrays.copyOfRange(all.pixels(), r[0] * 3072, r[1] * 3072), part.pixels(), Arrays.toString(r));
            assertArrayEquals(Arrays.copyOfRange(all.labels(), r[0], r[1]), part.labels(), Arrays.toString(r));
        }
        var e = assertThrows(IllegalArgumentException.class, () -> Cifar10.readFiles("c", files, 2, 6));
        assertTrue(e.getMessage().contains("record range must lie in [0, 5] but was [2, 6)"), e.getMessage());
    }

    @Test
    void anImageFolderRangeDecodesOnlyItsImages() throws IOException {
        Path train = dir.resolve("train");
        for (String cls : List.of("a", "b")) {
            Files.createDirectories(train.resolve(cls));
            for (int i = 0; i < 3; i++) {
                var img = new BufferedImage(4, 4, BufferedImage.TYPE_INT_RGB);
                img.setRGB(0, 0, (cls.equals("a") ? 40 : 140) + i);
                ImageIO.write(img, "png", train.resolve(cls).resolve(i + ".png").toFile());
            }
        }
        Files.write(train.resolve("b").resolve("9.png"), new byte[] {1, 2, 3}); // the last image: does not decode
        Files.createDirectories(dir.resolve("test"));
        var records = Datasets.trainRecords("folder", dir, 1, 4, 7, 0, 0);
        assertEquals(7, records.count());
        Dataset part = records.range(1, 6);
        assertArrayEquals(new int[] {0, 0, 1, 1, 1}, part.labels());
        assertEquals(List.of("a", "b"), part.classes());
        var e = assertThrows(IllegalArgumentException.class, () -> records.range(5, 7));
        assertTrue(e.getMessage().contains("9.png"), e.getMessage());
    }

    /** The shards of a training set hold its records in their file ranges, less the validation split, and all of data(c).train(). */
    @Test
    void shardsHoldTheirFileRangesLessTheValidationImages() throws IOException {
        int n = 50;
        byte[] pixels = new byte[n * 28 * 28];
        byte[] labels = new byte[n];
        for (int i = 0; i < n; i++) {
            pixels[i * 784] = (byte) i; // each image's first pixel names it
            labels[i] = (byte) (i % 10);
        }
        Files.write(dir.resolve("train-images-idx3-ubyte.gz"), gzip(idx(0x803, new int[] {n, 28, 28}, pixels)));
        Files.write(dir.resolve("train-labels-idx1-ubyte"), idx(0x801, new int[] {n}, labels));
        Files.write(dir.resolve("t10k-images-idx3-ubyte"), idx(0x803, new int[] {2, 28, 28}, new byte[2 * 784]));
        Files.write(dir.resolve("t10k-labels-idx1-ubyte"), idx(0x801, new int[] {2}, new byte[2]));
        TrainConfig c = new TrainConfig.Builder("lenet5", "mnist", 1, 28).dataDir(dir.toString()).valFraction(0.2).seed(11)
                .build();
        boolean[] held = Splits.inSecond(n, 0.2, 11);
        List<Integer> union = new ArrayList<>();
        Trainer.Data data = Trainer.data(c);
        int[] sizes = Trainer.trainShardSizes(c, data, 3);
        for (int p = 0; p < 3; p++) {
            Dataset shard = Trainer.trainShard(c, p, 3);
            List<Integer> want = new ArrayList<>();
            for (int i = p * n / 3; i < (p + 1) * n / 3; i++) {
                if (!held[i]) {
                    want.add(i);
                }
            }
            List<Integer> got = new ArrayList<>();
            for (int i = 0; i < shard.size(); i++) {
                got.add((int) shard.pixels()[i * 784]);
                assertEquals(shard.pixels()[i * 784] % 10, shard.labels()[i]);
            }
            assertEquals(want, got, "shard " + p);
            assertEquals(want.size(), sizes[p], "size of shard " + p);
            union.addAll(got);
        }
        Dataset train = data.train();
        List<Integer> trainImages = new ArrayList<>();
        for (int i = 0; i < train.size(); i++) {
            trainImages.add((int) train.pixels()[i * 784]);
        }
        trainImages.sort(null);
        assertEquals(trainImages, union);
        assertEquals(40, union.size());
    }
}
