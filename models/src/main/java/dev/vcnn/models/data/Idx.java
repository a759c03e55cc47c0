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
        try (InputStream in = open(file)) {
            return read(in, file, expectedDims);
        } catch (EOFException e) {
            throw new IllegalArgumentException("idx: gzip data must be complete but was truncated (file=" + file + ")");
        } catch (ZipException e) {
            throw new IllegalArgumentException("idx: gzip data must be valid but was corrupt: " + e.getMessage()
                    + " (file=" + file + ")");
        }
    }

    private static Contents read(InputStream in, Path file, int expectedDims) throws IOException {
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
        int dataAt = 4 + 4 * expectedDims;
        byte[] data = in.readNBytes((int) count); // grows with the bytes present, not with the claim
        if (data.length < count) {
            throw new IllegalArgumentException("idx: data size must be " + count + " bytes (sizes " + java.util.Arrays.toString(dims)
                    + ") but was " + data.length + " (file=" + file + ", byte offset=" + (dataAt + data.length) + ")");
        }
        if (in.read() != -1) {
            throw new IllegalArgumentException("idx: data size must be " + count + " bytes (sizes " + java.util.Arrays.toString(dims)
                    + ") but the data goes on (file=" + file + ", byte offset=" + (dataAt + count) + ")");
        }
        return new Contents(dims, data);
    }

    /**
     * An images file ([N, H, W]) and its labels file ([N]) as a 1-channel dataset.
     *
     * @throws IllegalArgumentException if either file is bad or their counts disagree
     */
    public static Dataset read(String name, Path images, Path labels, List<String> classes) throws IOException {
        Contents img = read(images, 3);
        Contents lab = read(labels, 1);
        if (img.dims()[0] != lab.dims()[0]) {
            throw new IllegalArgumentException("idx: label count must equal the image count " + img.dims()[0] + " but was "
                    + lab.dims()[0] + " (images=" + images + ", labels=" + labels + ")");
        }
        int[] y = new int[lab.dims()[0]];
        for (int i = 0; i < y.length; i++) {
            y[i] = lab.data()[i] & 0xFF;
            if (y[i] >= classes.size()) {
                throw new IllegalArgumentException("idx: label must be in [0, " + classes.size() + ") but was " + y[i]
                        + " (file=" + labels + ", byte offset=" + (8 + i) + ")");
            }
        }
        return new Dataset(name, img.data(), y, 1, img.dims()[1], img.dims()[2], classes);
    }
}
