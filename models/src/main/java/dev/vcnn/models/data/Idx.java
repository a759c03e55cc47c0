package dev.vcnn.models.data;

import java.io.ByteArrayOutputStream;
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
 * (detected by their first bytes, whatever their name). Counts are checked against the bytes actually
 * present before anything is allocated from them.
 */
public final class Idx {
    private Idx() {}

    /** An IDX file's dimensions and data. */
    record Contents(int[] dims, byte[] data) {}

    /** Reads a file whole, decompressing gzip; the result is as large as the data, never as a header claims. */
    static byte[] readMaybeGzip(Path file) throws IOException {
        byte[] raw = Files.readAllBytes(file);
        if (raw.length >= 2 && (raw[0] & 0xFF) == 0x1F && (raw[1] & 0xFF) == 0x8B) {
            try (InputStream in = new GZIPInputStream(new java.io.ByteArrayInputStream(raw))) {
                var out = new ByteArrayOutputStream(raw.length * 4);
                in.transferTo(out);
                return out.toByteArray();
            } catch (EOFException e) {
                throw new IllegalArgumentException("idx: gzip data must be complete but was truncated (file=" + file + ")");
            } catch (ZipException e) {
                throw new IllegalArgumentException("idx: gzip data must be valid but was corrupt: " + e.getMessage()
                        + " (file=" + file + ")");
            }
        }
        return raw;
    }

    /**
     * Reads an IDX file of unsigned bytes with {@code expectedDims} dimensions.
     *
     * @throws IllegalArgumentException naming the file and byte offset for a wrong magic number, a
     *     wrong number of dimensions, or sizes that disagree with the data
     */
    static Contents read(Path file, int expectedDims) throws IOException {
        byte[] b = readMaybeGzip(file);
        if (b.length < 4) {
            throw new IllegalArgumentException("idx: file must hold at least the 4-byte magic number but had "
                    + b.length + " bytes (file=" + file + ", byte offset=0)");
        }
        ByteBuffer buf = ByteBuffer.wrap(b);
        int magic = buf.getInt();
        int want = 0x0800 | expectedDims;
        if (magic != want) {
            throw new IllegalArgumentException(String.format("idx: magic number must be 0x%08X (unsigned bytes, %d dimensions)"
                    + " but was 0x%08X (file=%s, byte offset=0)", want, expectedDims, magic, file));
        }
        if (b.length < 4 + 4 * expectedDims) {
            throw new IllegalArgumentException("idx: header must have " + expectedDims + " sizes but the file ends at byte "
                    + b.length + " (file=" + file + ", byte offset=4)");
        }
        int[] dims = new int[expectedDims];
        long count = 1;
        for (int i = 0; i < expectedDims; i++) {
            dims[i] = buf.getInt();
            if (dims[i] < 0) {
                throw new IllegalArgumentException("idx: size " + i + " must be >= 0 but was " + Integer.toUnsignedString(dims[i])
                        + " (file=" + file + ", byte offset=" + (4 + 4 * i) + ")");
            }
            count *= dims[i];
        }
        long present = b.length - (4L + 4L * expectedDims);
        if (count != present) {
            throw new IllegalArgumentException("idx: data size must be " + count + " bytes (sizes " + java.util.Arrays.toString(dims)
                    + ") but was " + present + " (file=" + file + ", byte offset=" + (4 + 4 * expectedDims) + ")");
        }
        byte[] data = java.util.Arrays.copyOfRange(b, 4 + 4 * expectedDims, b.length);
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
