package dev.vcnn.models.data;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;

/**
 * The IDX format of MNIST and Fashion-MNIST (LeCun et al.): a big-endian magic {@code 0x0000 08 D}
 * (unsigned bytes, D dimensions), D big-endian int32 sizes, then the bytes. Files may be gzip-compressed
 * (detected by their first bytes, whatever their name). The data is read as a stream: its size is the
 * product of the sizes (checked for overflow and against {@link #MAX_BYTES}), and memory grows only with
 * the bytes actually present, so neither a lying header nor a gzip bomb can exhaust the heap.
 */
public final class Idx {
    /** The largest data an IDX file may hold: 1 GiB (MNIST's training images are 47 MB). */
    public static final long MAX_BYTES = 1L << 30;

    private Idx() {}

    /** An IDX file's dimensions and data. */
    record Contents(int[] dims, byte[] data) {}

    /** The file's bytes, decompressed when they start with gzip's magic number. */
    private static InputStream open(Path file) throws IOException {
        var in = new java.io.BufferedInputStream(Files.newInputStream(file));
        in.mark(2);
        int b0 = in.read();
        int b1 = in.read();
        in.reset();
        return b0 == 0x1F && b1 == 0x8B ? new GZIPInputStream(in, 1 << 16) : in;
    }

    /**
     * Reads an IDX file of unsigned bytes with {@code expectedDims} dimensions.
     *
     * @throws IllegalArgumentException naming the file and byte offset (in the decompressed data) for a
     *     wrong magic number, a wrong number of dimensions, sizes that overflow, exceed {@link #MAX_BYTES}
     *     or disagree with the data, and corrupt or truncated gzip data
     */
    static Contents read(Path file, int expectedDims) throws IOException {
        return read(file, expectedDims, 0, -1);
    }

    /**
     * Records [from, to) of an IDX file (a record is one index of the first dimension; {@code to} = −1 for
     * all): the bytes before them are read past, those after them read and dropped to check the file's
     * size, so memory holds only the range. The returned dims are the file's.
     *
     * @throws IllegalArgumentException as {@link #read(Path, int)}, and for a range outside [0, N]
     */
    static Contents read(Path file, int expectedDims, long from, long to) throws IOException {
        try (InputStream in = open(file)) {
            return read(in, file, expectedDims, from, to);
        } catch (EOFException e) {
            throw new IllegalArgumentException("idx: gzip data must be complete but was truncated (file=" + file + ")");
        } catch (ZipException e) {
            throw new IllegalArgumentException("idx: gzip data must be valid but was corrupt: " + e.getMessage()
                    + " (file=" + file + ")");
        }
    }

    /** The sizes in an IDX file's header, without reading its data. */
    static int[] dims(Path file, int expectedDims) throws IOException {
        try (InputStream in = open(file)) {
            return header(in, file, expectedDims);
        } catch (EOFException e) {
            throw new IllegalArgumentException("idx: gzip data must be complete but was truncated (file=" + file + ")");
        } catch (ZipException e) {
            throw new IllegalArgumentException("idx: gzip data must be valid but was corrupt: " + e.getMessage()
                    + " (file=" + file + ")");
        }
    }

    private static int[] header(InputStream in, Path file, int expectedDims) throws IOException {
        byte[] head = in.readNBytes(4);
        if (head.length < 4) {
            throw new IllegalArgumentException("idx: file must hold at least the 4-byte magic number but had "
                    + head.length + " bytes (file=" + file + ", byte offset=0)");
        }
        int magic = ByteBuffer.wrap(head).getInt();
        int want = 0x0800 | expectedDims;
        if (magic != want) {
            throw new IllegalArgumentException(String.format("idx: magic number must be 0x%08X (unsigned bytes, %d dimensions)"
                    + " but was 0x%08X (file=%s, byte offset=0)", want, expectedDims, magic, file));
        }
        byte[] sizes = in.readNBytes(4 * expectedDims);
        if (sizes.length < 4 * expectedDims) {
            throw new IllegalArgumentException("idx: header must have " + expectedDims + " sizes but the data ends at byte "
                    + (4 + sizes.length) + " (file=" + file + ", byte offset=4)");
        }
        ByteBuffer buf = ByteBuffer.wrap(sizes);
        int[] dims = new int[expectedDims];
        long count = 1;
        for (int i = 0; i < expectedDims; i++) {
            dims[i] = buf.getInt();
            if (dims[i] < 0) {
                throw new IllegalArgumentException("idx: size " + i + " must be >= 0 but was " + Integer.toUnsignedString(dims[i])
                        + " (file=" + file + ", byte offset=" + (4 + 4 * i) + ")");
            }
            // Each size is below 2^31 and the running product at most MAX_BYTES (2^30): no overflow.
            count *= dims[i];
            if (count > MAX_BYTES) {
                throw new IllegalArgumentException("idx: data size must be at most " + MAX_BYTES + " bytes but the sizes "
                        + java.util.Arrays.toString(java.util.Arrays.copyOf(dims, i + 1)) + " claim more (file=" + file
                        + ", byte offset=" + (4 + 4 * i) + ")");
            }
        }
        return dims;
    }

    private static Contents read(InputStream in, Path file, int expectedDims, long from, long to) throws IOException {
        int[] dims = header(in, file, expectedDims);
        long count = 1;
        for (int d : dims) {
            count *= d;
        }
        long records = dims[0];
        long end = to < 0 ? records : to;
        Datasets.checkRange("idx", from, end, records, "file=" + file);
        long record = records == 0 ? 0 : count / records;
        int dataAt = 4 + 4 * expectedDims;
        long before = skip(in, from * record);
        // Grows with the bytes present, not with the claim.
        byte[] data = before < from * record ? new byte[0] : in.readNBytes((int) ((end - from) * record));
        long present = before + data.length;
        if (data.length == (end - from) * record) {
            present += skip(in, (records - end) * record);
        }
        if (present < count) {
            throw new IllegalArgumentException("idx: data size must be " + count + " bytes (sizes " + java.util.Arrays.toString(dims)
                    + ") but was " + present + " (file=" + file + ", byte offset=" + (dataAt + present) + ")");
        }
        if (in.read() != -1) {
            throw new IllegalArgumentException("idx: data size must be " + count + " bytes (sizes " + java.util.Arrays.toString(dims)
                    + ") but the data goes on (file=" + file + ", byte offset=" + (dataAt + count) + ")");
        }
        return new Contents(dims, data);
    }

    /** Reads past up to n bytes, returning how many there were. */
    private static long skip(InputStream in, long n) throws IOException {
        byte[] scratch = new byte[(int) Math.min(n, 1 << 16)];
        long done = 0;
        while (done < n) {
            int got = in.read(scratch, 0, (int) Math.min(scratch.length, n - done));
            if (got < 0) {
                break;
            }
            done += got;
        }
        return done;
    }

    /**
     * An images file ([N, H, W]) and its labels file ([N]) as a 1-channel dataset.
     *
     * @throws IllegalArgumentException if either file is bad or their counts disagree
     */
    public static Dataset read(String name, Path images, Path labels, List<String> classes) throws IOException {
        return read(name, images, labels, classes, 0, -1);
    }

    /**
     * Images [from, to) of an images file and its labels file ({@code to} = −1 for all), reading only
     * those into memory (see {@link #read(Path, int, long, long)}).
     *
     * @throws IllegalArgumentException if either file is bad, their counts disagree or the range is outside them
     */
    public static Dataset read(String name, Path images, Path labels, List<String> classes, int from, int to)
            throws IOException {
        Contents img = read(images, 3, from, to);
        int labelCount = dims(labels, 1)[0];
        if (img.dims()[0] != labelCount) {
            throw new IllegalArgumentException("idx: label count must equal the image count " + img.dims()[0] + " but was "
                    + labelCount + " (images=" + images + ", labels=" + labels + ")");
        }
        Contents lab = read(labels, 1, from, to);
        int[] y = new int[lab.data().length];
        for (int i = 0; i < y.length; i++) {
            y[i] = lab.data()[i] & 0xFF;
            if (y[i] >= classes.size()) {
                throw new IllegalArgumentException("idx: label must be in [0, " + classes.size() + ") but was " + y[i]
                        + " (file=" + labels + ", byte offset=" + (8L + from + i) + ")");
            }
        }
        return new Dataset(name, img.data(), y, 1, img.dims()[1], img.dims()[2], classes);
    }

    /** How many images an images file holds, from its header alone. */
    public static int count(Path images) throws IOException {
        return dims(images, 3)[0];
    }
}
