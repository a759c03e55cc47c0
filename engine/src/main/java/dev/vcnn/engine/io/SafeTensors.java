package dev.vcnn.engine.io;

import dev.vcnn.engine.tensor.Checks;
import dev.vcnn.engine.tensor.Shape;
import dev.vcnn.engine.tensor.Tensor;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.CharBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The safetensors format (Hugging Face): an 8-byte little-endian header length N, N bytes of UTF-8
 * JSON mapping each tensor name to {@code {"dtype", "shape", "data_offsets": [begin, end]}} (offsets
 * into the data that follows the header) plus an optional {@code "__metadata__"} map of strings,
 * then the data, little-endian and row-major.
 *
 * <p>Reading accepts F32, and F16, BF16, F64 and I64 converted to float32 (I64 for buffers such as
 * batch norm's {@code num_batches_tracked}). The reader trusts nothing in a header: every length,
 * shape and offset is checked against the file's size before anything is allocated, and every
 * problem is an {@link IllegalArgumentException} naming the file, the tensor and the byte offset.
 * Writing produces F32 tensors in map order and replaces the target atomically, with a CRC-32C of each
 * tensor's bytes in the metadata key {@value #CHECKSUMS} (a JSON object of name → 8 hex digits); a file that
 * has the key is verified on reading, naming the tensor whose bytes changed. Files without it (other
 * writers' files) load unchecked. The key is not part of the metadata that reading returns.
 */
public final class SafeTensors {
    /** The largest header accepted (the reference implementation's limit). */
    public static final long MAX_HEADER = 100L << 20;
    private static final String METADATA = "__metadata__";
    /** The metadata key holding each tensor's CRC-32C. */
    public static final String CHECKSUMS = "vcnn.crc32c";

    private SafeTensors() {}

    /** Tensors in file order, and the header's metadata. */
    public record Contents(Map<String, Tensor> tensors, Map<String, String> metadata) {}

    private enum Dtype {
        F32(4), F16(2), BF16(2), F64(8), I64(8);

        final int bytes;

        Dtype(int bytes) {
            this.bytes = bytes;
        }
    }

    private record Entry(String name, Dtype dtype, Shape shape, long begin, long end) {}

    /** The tensors of a safetensors file, in file order. */
    public static Map<String, Tensor> read(Path file) throws IOException {
        return readContents(file).tensors();
    }

    /**
     * Tensors and metadata of a safetensors file.
     *
     * @throws IllegalArgumentException if the file is not valid safetensors, naming the file, tensor and byte offset
     * @throws IOException if the file cannot be read
     */
    public static Contents readContents(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size < 8) {
                throw error(file, "file size", ">= 8 bytes (the header length)", size + " bytes", null, 0);
            }
            ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            readFully(ch, lenBuf, 0, file);
            long headerLen = lenBuf.flip().getLong();
            if (headerLen < 2 || headerLen > MAX_HEADER || headerLen > size - 8) {
                throw error(file, "header length", "in [2, min(" + MAX_HEADER + ", file size − 8 = " + (size - 8) + ")]",
                        Long.toUnsignedString(headerLen), null, 0);
            }
            ByteBuffer headerBytes = ByteBuffer.allocate((int) headerLen);
            readFully(ch, headerBytes, 8, file);
            headerBytes.flip();
            String header = decodeUtf8(headerBytes, file);
            Object parsed;
            try {
                parsed = Json.parse(header);
            } catch (Json.SyntaxError e) {
                throw error(file, "header", "valid JSON", e.getMessage(), null, 8 + utf8Length(header, e.position));
            }
            if (!(parsed instanceof Map<?, ?> root)) {
                throw error(file, "header", "a JSON object", parsed == null ? "null" : parsed.getClass().getSimpleName(), null, 8);
            }
            long dataStart = 8 + headerLen;
            long dataSize = size - dataStart;
            Map<String, String> metadata = new LinkedHashMap<>();
            List<Entry> entries = new ArrayList<>();
            for (var e : root.entrySet()) {
                String name = (String) e.getKey();
                if (name.equals(METADATA)) {
                    metadata = metadata(file, e.getValue());
                } else {
                    entries.add(entry(file, name, e.getValue(), dataStart, dataSize, 8 + utf8Length(header, header.indexOf(Json.quote(name)))));
                }
            }
            entries.sort(Comparator.comparingLong(Entry::begin).thenComparingLong(Entry::end));
            long covered = 0;
            for (Entry en : entries) {
                if (en.begin() != covered) {
                    throw error(file, "data offsets", en.begin() < covered ? "not overlapping another tensor's bytes"
                                    : "contiguous with the previous tensor (no hole)", "[" + en.begin() + ", " + en.end() + ")",
                            en.name(), dataStart + en.begin());
                }
                covered = en.end();
            }
            if (covered != dataSize) {
                throw error(file, "data size", covered + " bytes (the end of the last tensor)", dataSize + " bytes",
                        null, dataStart + covered);
            }
            Map<String, Long> checksums = checksums(file, metadata.remove(CHECKSUMS), entries);
            Map<String, Tensor> tensors = new LinkedHashMap<>();
            for (Entry en : entries) {
                var crc = new java.util.zip.CRC32C();
                tensors.put(en.name(), load(ch, en, dataStart, file, crc));
                if (checksums != null && crc.getValue() != checksums.get(en.name())) {
                    throw error(file, "CRC-32C of the data", String.format("%08x as written", checksums.get(en.name())),
                            String.format("%08x: its bytes changed after writing", crc.getValue()), en.name(), dataStart + en.begin());
                }
            }
            return new Contents(tensors, metadata);
        }
    }

    private static Entry entry(Path file, String name, Object value, long dataStart, long dataSize, long at) {
        if (!(value instanceof Map<?, ?> m)) {
            throw error(file, "entry", "an object with dtype, shape and data_offsets", String.valueOf(value), name, at);
        }
        if (!(m.get("dtype") instanceof String dt)) {
            throw error(file, "dtype", "a string", String.valueOf(m.get("dtype")), name, at);
        }
        Dtype dtype;
        try {
            dtype = Dtype.valueOf(dt);
        } catch (IllegalArgumentException ex) {
            throw error(file, "dtype", "one of F32, F16, BF16, F64, I64", dt, name, at);
        }
        if (!(m.get("shape") instanceof List<?> dims)) {
            throw error(file, "shape", "an array of integers", String.valueOf(m.get("shape")), name, at);
        }
        int[] d = new int[dims.size()];
        long numel = 1;
        for (int i = 0; i < d.length; i++) {
            if (!(dims.get(i) instanceof Long dim) || dim < 0 || dim > Shape.MAX_ELEMENTS) {
                throw error(file, "shape", "non-negative integers", dims.toString(), name, at);
            }
            d[i] = (int) (long) dim;
            numel = numel > Long.MAX_VALUE / 16 / Math.max(1, dim) ? Long.MAX_VALUE / 16 : numel * dim; // saturates
        }
        if (!(m.get("data_offsets") instanceof List<?> offs) || offs.size() != 2
                || !(offs.get(0) instanceof Long begin) || !(offs.get(1) instanceof Long end)) {
            throw error(file, "data_offsets", "[begin, end] integers", String.valueOf(m.get("data_offsets")), name, at);
        }
        if (begin < 0 || end < begin || end > dataSize) {
            throw error(file, "data_offsets", "within the " + dataSize + " data bytes with begin <= end",
                    "[" + begin + ", " + end + "]", name, dataStart + Math.max(0, Math.min(begin, dataSize)));
        }
        if (java.util.Arrays.stream(d).anyMatch(x -> x == 0)) {
            numel = 0;
        }
        if (numel > Shape.MAX_ELEMENTS || numel * dtype.bytes != end - begin) {
            throw error(file, "byte size", numel + " elements × " + dtype.bytes + " bytes (" + dtype + " " + java.util.Arrays.toString(d) + ")",
                    (end - begin) + " bytes", name, dataStart + begin);
        }
        return new Entry(name, dtype, Shape.of(d), begin, end);
    }

    private static Map<String, String> metadata(Path file, Object value) {
        if (!(value instanceof Map<?, ?> m)) {
            throw error(file, METADATA, "an object of strings", String.valueOf(value), null, 8);
        }
        Map<String, String> out = new LinkedHashMap<>();
        for (var e : m.entrySet()) {
            if (!(e.getValue() instanceof String s)) {
                throw error(file, METADATA + " value of " + e.getKey(), "a string", String.valueOf(e.getValue()), null, 8);
            }
            out.put((String) e.getKey(), s);
        }
        return out;
    }

    /** The checksums the metadata holds, one per tensor; null for a file written without them. */
    private static Map<String, Long> checksums(Path file, String value, List<Entry> entries) {
        if (value == null) {
            return null;
        }
        Object parsed;
        try {
            parsed = Json.parse(value);
        } catch (Json.SyntaxError e) {
            throw error(file, METADATA + " value of " + CHECKSUMS, "a JSON object of 8-hex-digit strings", e.getMessage(), null, 8);
        }
        if (!(parsed instanceof Map<?, ?> m)) {
            throw error(file, METADATA + " value of " + CHECKSUMS, "a JSON object", value, null, 8);
        }
        Map<String, Long> out = new LinkedHashMap<>();
        for (Entry en : entries) {
            if (!(m.get(en.name()) instanceof String hex) || !hex.matches("[0-9a-f]{8}")) {
                throw error(file, CHECKSUMS + " entry", "8 hex digits", String.valueOf(m.get(en.name())), en.name(), 8);
            }
            out.put(en.name(), Long.parseLong(hex, 16));
        }
        return out;
    }

    private static Tensor load(FileChannel ch, Entry en, long dataStart, Path file, java.util.zip.Checksum crc) throws IOException {
        int n = en.shape().numel();
        float[] values = new float[n];
        ByteBuffer buf = ByteBuffer.allocate((int) Math.min(en.end() - en.begin(), 1 << 20)).order(ByteOrder.LITTLE_ENDIAN);
        long at = dataStart + en.begin();
        int i = 0;
        while (i < n) {
            buf.clear();
            int want = (int) Math.min(buf.capacity(), (long) (n - i) * en.dtype().bytes);
            buf.limit(want - want % en.dtype().bytes);
            readFully(ch, buf, at, file);
            at += buf.limit();
            buf.flip();
            crc.update(buf.duplicate());
            while (buf.hasRemaining()) {
                values[i++] = switch (en.dtype()) {
                    case F32 -> buf.getFloat();
                    case F16 -> Float.float16ToFloat(buf.getShort());
                    case BF16 -> Float.intBitsToFloat((buf.getShort() & 0xFFFF) << 16);
                    case F64 -> (float) buf.getDouble();
                    case I64 -> (float) buf.getLong();
                };
            }
        }
        return Tensor.wrap(values, 0, en.shape());
    }

    private static void readFully(FileChannel ch, ByteBuffer buf, long position, Path file) throws IOException {
        long at = position;
        while (buf.hasRemaining()) {
            int r = ch.read(buf, at);
            if (r < 0) {
                throw error(file, "file", "long enough", "truncated", null, at);
            }
            at += r;
        }
    }

    private static String decodeUtf8(ByteBuffer bytes, Path file) {
        var decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
        try {
            CharBuffer chars = decoder.decode(bytes);
            return chars.toString();
        } catch (CharacterCodingException e) {
            throw error(file, "header", "UTF-8", "malformed bytes", null, 8 + bytes.position());
        }
    }

    private static long utf8Length(String s, int chars) {
        if (chars < 0) {
            return 0;
        }
        return s.substring(0, Math.min(chars, s.length())).getBytes(StandardCharsets.UTF_8).length;
    }

    private static IllegalArgumentException error(Path file, String what, String expected, Object actual,
                                                  String tensor, long byteOffset) {
        return tensor == null
                ? Checks.mismatch("safetensors", what, expected, actual, "file", file, "byte offset", byteOffset)
                : Checks.mismatch("safetensors", what, expected, actual, "file", file, "tensor", tensor, "byte offset", byteOffset);
    }

    // ---- writing ----------------------------------------------------------------------------------

    /** An int64 tensor to write: row-major data and its shape. */
    public record Int64(long[] data, int[] shape) {
        public Int64 {
            if (Shape.of(shape).numel() != data.length) {
                throw new IllegalArgumentException("safetensors: int64 tensor of shape " + java.util.Arrays.toString(shape)
                        + " must hold " + Shape.of(shape).numel() + " values but holds " + data.length);
            }
        }
    }

    /** Writes tensors (as F32, in map order) with no metadata. */
    public static void write(Path file, Map<String, Tensor> tensors) throws IOException {
        write(file, tensors, Map.of());
    }

    /**
     * Writes tensors as F32 in map order, with string metadata, atomically: into a temporary file in
     * the same folder, forced to disk, then renamed over {@code file}, so a crash leaves either the old
     * file or the new one.
     */
    public static void write(Path file, Map<String, Tensor> tensors, Map<String, String> metadata) throws IOException {
        write(file, tensors, Map.of(), metadata);
    }

    /**
     * Writes float tensors as F32 and then int64 tensors as I64, each group in map order, atomically and
     * checksummed as {@link #write(Path, Map, Map)}. Reading converts I64 to float32.
     *
     * @throws IllegalArgumentException when a name is used twice or is the metadata key
     */
    public static void write(Path file, Map<String, Tensor> tensors, Map<String, Int64> ints, Map<String, String> metadata)
            throws IOException {
        for (String name : ints.keySet()) {
            if (tensors.containsKey(name)) {
                throw new IllegalArgumentException("safetensors: tensor name '" + name + "' is given twice (file=" + file + ")");
            }
        }
        if (metadata.containsKey(CHECKSUMS)) {
            throw new IllegalArgumentException("safetensors: metadata key must not be " + CHECKSUMS
                    + " (the writer's own) (file=" + file + ")");
        }
        for (String name : concatKeys(tensors, ints)) {
            if (name.equals(METADATA)) {
                throw new IllegalArgumentException("safetensors: tensor name must not be " + METADATA + " (file=" + file + ")");
            }
        }
        // Checksums are fixed-width, so the header's length is known before the data is: the data is
        // written (and checksummed) once, after a header-sized gap, and the header then filled in.
        long[] crcs = new long[tensors.size() + ints.size()];
        int padded = (header(tensors, ints, metadata, crcs).length + 7) / 8 * 8; // data 8-byte aligned, as the reference writer
        AtomicFile.write(file, ch -> {
            ch.position(8 + padded);
            ByteBuffer buf = ByteBuffer.allocate(1 << 20).order(ByteOrder.LITTLE_ENDIAN);
            int k = 0;
            for (Tensor t : tensors.values()) {
                var crc = new java.util.zip.CRC32C();
                float[] d = t.data();
                for (int i = 0, n = t.numel(); i < n; i++) {
                    if (!buf.hasRemaining()) {
                        writeChecksummed(ch, buf, crc);
                    }
                    buf.putFloat(d[t.offset() + i]);
                }
                writeChecksummed(ch, buf, crc);
                crcs[k++] = crc.getValue();
            }
            for (Int64 t : ints.values()) {
                var crc = new java.util.zip.CRC32C();
                for (long v : t.data()) {
                    if (buf.remaining() < 8) {
                        writeChecksummed(ch, buf, crc);
                    }
                    buf.putLong(v);
                }
                writeChecksummed(ch, buf, crc);
                crcs[k++] = crc.getValue();
            }
            byte[] headerBytes = header(tensors, ints, metadata, crcs);
            ByteBuffer head = ByteBuffer.allocate(8 + padded).order(ByteOrder.LITTLE_ENDIAN);
            head.putLong(padded).put(headerBytes);
            while (head.hasRemaining()) {
                head.put((byte) ' ');
            }
            head.flip();
            for (long at = 0; head.hasRemaining(); ) {
                at += ch.write(head, at);
            }
        });
    }

    /** Writes the buffer's bytes to the channel, adding them to the tensor's checksum, and empties it. */
    private static void writeChecksummed(FileChannel ch, ByteBuffer buf, java.util.zip.Checksum crc) throws IOException {
        buf.flip();
        crc.update(buf.duplicate());
        AtomicFile.writeFully(ch, buf);
        buf.clear();
    }

    private static List<String> concatKeys(Map<String, Tensor> tensors, Map<String, Int64> ints) {
        List<String> names = new ArrayList<>(tensors.keySet());
        names.addAll(ints.keySet());
        return names;
    }

    /** The UTF-8 header for F32 then I64 tensors in map order, the metadata and one CRC-32C per tensor. */
    private static byte[] header(Map<String, Tensor> tensors, Map<String, Int64> ints, Map<String, String> metadata,
                                 long[] crcs) {
        var sums = new StringBuilder("{");
        int k = 0;
        for (String name : concatKeys(tensors, ints)) {
            sums.append(k == 0 ? "" : ",").append(Json.quote(name)).append(':').append(Json.quote(String.format("%08x", crcs[k++])));
        }
        Map<String, String> all = new LinkedHashMap<>(metadata);
        all.put(CHECKSUMS, sums.append('}').toString());
        var header = new StringBuilder("{").append(Json.quote(METADATA)).append(":{");
        boolean first = true;
        for (var e : all.entrySet()) {
            header.append(first ? "" : ",").append(Json.quote(e.getKey())).append(':').append(Json.quote(e.getValue()));
            first = false;
        }
        header.append('}');
        long offset = 0;
        for (var e : tensors.entrySet()) {
            long bytes = 4L * e.getValue().numel();
            header.append(',').append(Json.quote(e.getKey()))
                    .append(":{\"dtype\":\"F32\",\"shape\":").append(java.util.Arrays.toString(e.getValue().shape().toArray()).replace(" ", ""))
                    .append(",\"data_offsets\":[").append(offset).append(',').append(offset + bytes).append("]}");
            offset += bytes;
        }
        for (var e : ints.entrySet()) {
            long bytes = 8L * e.getValue().data().length;
            header.append(',').append(Json.quote(e.getKey()))
                    .append(":{\"dtype\":\"I64\",\"shape\":").append(java.util.Arrays.toString(e.getValue().shape()).replace(" ", ""))
                    .append(",\"data_offsets\":[").append(offset).append(',').append(offset + bytes).append("]}");
            offset += bytes;
        }
        return header.append('}').toString().getBytes(StandardCharsets.UTF_8);
    }
}
