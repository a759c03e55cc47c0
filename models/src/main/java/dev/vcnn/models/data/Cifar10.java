package dev.vcnn.models.data;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * CIFAR-10's binary version: files of 3073-byte records, a label byte (0–9) then 32×32 red, green and
 * blue planes. {@code data_batch_1..5.bin} are the training set and {@code test_batch.bin} the test set,
 * found in the given folder or its {@code cifar-10-batches-bin} sub-folder.
 */
public final class Cifar10 {
    public static final List<String> CLASSES = List.of("airplane", "automobile", "bird", "cat", "deer", "dog", "frog",
            "horse", "ship", "truck");
    private static final int RECORD = 1 + 3 * 32 * 32;
    /** The most pixel bytes a set of record files may hold: 2³¹ − 2¹⁶, under Java's largest array. */
    public static final long MAX_BYTES = (1L << 31) - (1L << 16);

    private Cifar10() {}

    /** Training and test sets from a folder. */
    public static Dataset.Split read(Path dir) throws IOException {
        Path base = Files.isDirectory(dir.resolve("cifar-10-batches-bin")) ? dir.resolve("cifar-10-batches-bin") : dir;
        return new Dataset.Split(readFiles("cifar10 train", trainFiles(dir)),
                readFiles("cifar10 test", List.of(base.resolve("test_batch.bin"))));
    }

    /** The training set's record files in a folder (or its {@code cifar-10-batches-bin} sub-folder). */
    public static List<Path> trainFiles(Path dir) {
        Path base = Files.isDirectory(dir.resolve("cifar-10-batches-bin")) ? dir.resolve("cifar-10-batches-bin") : dir;
        List<Path> train = new ArrayList<>();
        for (int i = 1; i <= 5; i++) {
            train.add(base.resolve("data_batch_" + i + ".bin"));
        }
        return train;
    }

    /**
     * Concatenates record files into one dataset.
     *
     * @throws IllegalArgumentException naming the file and byte offset of a missing file, a size that is
     *     not a whole number of records, or a label outside 0–9
     */
    public static Dataset readFiles(String name, List<Path> files) throws IOException {
        return readFiles(name, files, 0, -1);
    }

    /** How many records the files hold, from their sizes (checked as {@link #readFiles(String, List)} does). */
    public static int count(List<Path> files) throws IOException {
        return (int) java.util.Arrays.stream(records(files)).sum();
    }

    /** Each file's record count, from its size; their pixels must fit {@link #MAX_BYTES}. */
    private static long[] records(List<Path> files) throws IOException {
        long[] records = new long[files.size()];
        long total = 0;
        for (int i = 0; i < records.length; i++) {
            Path f = files.get(i);
            if (!Files.isRegularFile(f)) {
                throw new IllegalArgumentException("cifar10: file must exist but was missing (file=" + f + ")");
            }
            long size = Files.size(f);
            if (size == 0 || size % RECORD != 0) {
                throw new IllegalArgumentException("cifar10: file size must be a positive multiple of " + RECORD
                        + " bytes but was " + size + " (file=" + f + ", byte offset=" + (size - size % RECORD) + ")");
            }
            records[i] = size / RECORD;
            total += records[i];
        }
        if (total * (RECORD - 1) > MAX_BYTES) {
            throw new IllegalArgumentException("cifar10: pixels must fit in " + MAX_BYTES + " bytes but " + total
                    + " records take " + total * (RECORD - 1) + " (files=" + files + ")");
        }
        return records;
    }

    /**
     * Records [from, to) of the files taken one after another ({@code to} = −1 for all), reading only
     * those.
     *
     * @throws IllegalArgumentException as {@link #readFiles(String, List)}, and for a range outside the records
     */
    public static Dataset readFiles(String name, List<Path> files, int from, int to) throws IOException {
        long[] records = records(files);
        int total = (int) java.util.Arrays.stream(records).sum();
        int end = to < 0 ? total : to;
        Datasets.checkRange("cifar10", from, end, total, "files=" + files);
        int n = end - from;
        byte[] pixels = new byte[n * (RECORD - 1)];
        int[] labels = new int[n];
        int at = 0;
        long first = 0; // the first record of file f, counted over all files
        for (int i = 0; i < files.size(); i++) {
            Path f = files.get(i);
            long inFile = records[i];
            long lo = Math.max(from, first);
            long hi = Math.min(end, first + inFile);
            if (lo < hi) {
                byte[] b = new byte[(int) ((hi - lo) * RECORD)];
                try (var ch = java.nio.channels.FileChannel.open(f)) {
                    var buf = java.nio.ByteBuffer.wrap(b);
                    long position = (lo - first) * RECORD;
                    while (buf.hasRemaining()) {
                        if (ch.read(buf, position + buf.position()) < 0) {
                            throw new IllegalArgumentException("cifar10: file must hold " + inFile + " records but ended at byte "
                                    + (position + buf.position()) + " (file=" + f + ")");
                        }
                    }
                }
                for (int r = 0; r < hi - lo; r++, at++) {
                    labels[at] = b[r * RECORD] & 0xFF;
                    if (labels[at] > 9) {
                        throw new IllegalArgumentException("cifar10: label must be in [0, 10) but was " + labels[at]
                                + " (file=" + f + ", byte offset=" + ((lo - first + r) * RECORD) + ")");
                    }
                    System.arraycopy(b, r * RECORD + 1, pixels, at * (RECORD - 1), RECORD - 1);
                }
            }
            first += inFile;
        }
        return new Dataset(name, pixels, labels, 3, 32, 32, CLASSES);
    }
}
