package dev.vcnn.engine.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;

import dev.vcnn.engine.tensor.Shape;
import dev.vcnn.engine.tensor.SplitMix64;
import dev.vcnn.engine.tensor.Tensor;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.quicktheories.generators.Generate;
import org.quicktheories.generators.SourceDSL;

/** Safetensors round trips, other dtypes, every kind of corrupt header, and a mutation property. */
class SafeTensorsTest {
    @TempDir
    Path dir;

    private static Map<String, Tensor> sample() {
        Map<String, Tensor> m = new LinkedHashMap<>();
        m.put("features.0.weight", Tensor.uniform(new SplitMix64(1), -1, 1, 4, 3, 3, 3));
        m.put("features.0.bias", Tensor.of(new float[] {1, -2, 3.5f, Float.NaN}, 4));
        m.put("bn.num_batches_tracked", Tensor.full(7f));
        m.put("empty", Tensor.zeros(0, 5));
        return m;
    }

    @Test
    void roundTripKeepsNamesOrderShapesValuesAndMetadata() throws IOException {
        Path f = dir.resolve("m.safetensors");
        SafeTensors.write(f, sample(), Map.of("epoch", "3", "note", "quote \" and ü"));
        var back = SafeTensors.readContents(f);
        assertEquals(List.copyOf(sample().keySet()), List.copyOf(back.tensors().keySet()));
        sample().forEach((k, t) -> {
            assertEquals(t.shape(), back.tensors().get(k).shape(), k);
            assertArrayEquals(t.toArray(), back.tensors().get(k).toArray(), k);
        });
        assertEquals(Map.of("epoch", "3", "note", "quote \" and ü"), back.metadata());
        assertEquals(0, (Files.size(f) - 8 - 4 * (108 + 4 + 1)) % 8, "data starts 8-byte aligned");
    }

    /** A file from a header string and data bytes, as another writer would produce it. */
    private Path file(String name, String header, byte[] data) throws IOException {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + h.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(h.length).put(h).put(data);
        Path f = dir.resolve(name);
        Files.write(f, b.array());
        return f;
    }

    @Test
    void int64TensorsAreWrittenAsI64AfterTheFloatsAndChecksummed() throws IOException {
        Path f = dir.resolve("mixed.safetensors");
        Map<String, Tensor> floats = Map.of("y", Tensor.of(new float[] {0.5f, -2f}, 2));
        Map<String, SafeTensors.Int64> ints = new LinkedHashMap<>();
        ints.put("shape", new SafeTensors.Int64(new long[] {3, -1, 1L << 40}, new int[] {3}));
        ints.put("empty", new SafeTensors.Int64(new long[0], new int[] {0, 2}));
        SafeTensors.write(f, floats, ints, Map.of());
        byte[] bytes = Files.readAllBytes(f);
        long headerLength = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getLong();
        String header = new String(bytes, 8, (int) headerLength, StandardCharsets.UTF_8);
        assertTrue(header.contains("\"shape\":{\"dtype\":\"I64\",\"shape\":[3],\"data_offsets\":[8,32]}"), header);
        ByteBuffer data = ByteBuffer.wrap(bytes, (int) (8 + headerLength + 8), 24).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(3, data.getLong());
        assertEquals(-1, data.getLong());
        assertEquals(1L << 40, data.getLong());
        var read = SafeTensors.read(f);
        assertArrayEquals(new float[] {3, -1, (float) (1L << 40)}, read.get("shape").toArray());
        assertEquals(Shape.of(0, 2), read.get("empty").shape());

        bytes[(int) (8 + headerLength + 8 + 9)] ^= 1; // a bit of the second int64
        Files.write(f, bytes);
        var e = assertThrows(IllegalArgumentException.class, () -> SafeTensors.read(f));
        assertTrue(e.getMessage().contains("shape"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> SafeTensors.write(dir.resolve("twice"), floats,
                Map.of("y", new SafeTensors.Int64(new long[] {1}, new int[] {1})), Map.of()));
    }

    @Test
    void readsF16Bf16F64AndI64AsFloat() throws IOException {
        ByteBuffer d = ByteBuffer.allocate(2 + 2 + 8 + 8).order(ByteOrder.LITTLE_ENDIAN);
        d.putShort(Float.floatToFloat16(1.5f));
        d.putShort((short) (Float.floatToIntBits(-2.75f) >>> 16));
        d.putDouble(0.125);
        d.putLong(42);
        Path f = file("dtypes.safetensors", "{\"h\":{\"dtype\":\"F16\",\"shape\":[1],\"data_offsets\":[0,2]},"
                + "\"b\":{\"dtype\":\"BF16\",\"shape\":[1],\"data_offsets\":[2,4]},"
                + "\"d\":{\"dtype\":\"F64\",\"shape\":[],\"data_offsets\":[4,12]},"
                + "\"i\":{\"dtype\":\"I64\",\"shape\":[1,1],\"data_offsets\":[12,20]}}", d.array());
        var t = SafeTensors.read(f);
        assertEquals(1.5f, t.get("h").item());
        assertEquals(-2.75f, t.get("b").item());
        assertEquals(0.125f, t.get("d").item());
        assertEquals(42f, t.get("i").item());
        assertEquals(Shape.of(1, 1), t.get("i").shape());
    }

    private void assertRejected(String name, String header, int dataBytes, String... fragments) throws IOException {
        Path f = file(name, header, new byte[dataBytes]);
        var e = assertThrows(IllegalArgumentException.class, () -> SafeTensors.read(f));
        assertTrue(e.getMessage().startsWith("safetensors: "), e.getMessage());
        assertTrue(e.getMessage().contains("file=" + f), e.getMessage());
        for (String fragment : fragments) {
            assertTrue(e.getMessage().contains(fragment), "'" + fragment + "' missing from: " + e.getMessage());
        }
    }

    private static String one(String dtype, String shape, String offsets) {
        return "{\"w\":{\"dtype\":\"" + dtype + "\",\"shape\":" + shape + ",\"data_offsets\":" + offsets + "}}";
    }

    @Test
    void corruptFilesAreRejectedWithFileTensorAndOffset() throws IOException {
        Path tiny = dir.resolve("tiny");
        Files.write(tiny, new byte[] {1, 2, 3});
        var e = assertThrows(IllegalArgumentException.class, () -> SafeTensors.read(tiny));
        assertTrue(e.getMessage().contains("file size must be >= 8 bytes"), e.getMessage());

        ByteBuffer lying = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(1L << 40).putLong(0);
        Path liar = dir.resolve("liar");
        Files.write(liar, lying.array());
        var l = assertThrows(IllegalArgumentException.class, () -> SafeTensors.read(liar));
        assertTrue(l.getMessage().contains("header length must be in [2, min(104857600, file size − 8 = 8)] but was 1099511627776"),
                l.getMessage());

        assertRejected("json", "{\"w\":{\"dtype\":\"F32\",", 0, "header must be valid JSON", "byte offset=");
        assertRejected("notobject", "[1,2]", 0, "header must be a JSON object");
        assertRejected("dtype", one("Q8", "[2]", "[0,8]"), 8, "dtype must be one of F32", "tensor=w", "byte offset=9");
        assertRejected("size", one("F32", "[3]", "[0,8]"), 8, "byte size must be 3 elements × 4 bytes", "but was 8 bytes", "tensor=w");
        assertRejected("past end", one("F32", "[4]", "[0,16]"), 8, "data_offsets must be within the 8 data bytes", "tensor=w");
        assertRejected("negative", one("F32", "[2]", "[-8,0]"), 8, "data_offsets", "tensor=w");
        assertRejected("shape", one("F32", "[2,-1]", "[0,8]"), 8, "shape must be non-negative integers", "tensor=w");
        assertRejected("huge shape", one("F32", "[4294967296,4294967296,4294967296]", "[0,8]"), 8, "tensor=w");
        assertRejected("overlap", "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 12, "not overlapping", "tensor=b", "byte offset=");
        assertRejected("hole", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]}}", 12, "no hole", "tensor=b");
        assertRejected("trailing", one("F32", "[1]", "[0,4]"), 12, "data size must be 4 bytes", "but was 12 bytes");
        assertRejected("metadata", "{\"__metadata__\":{\"k\":1}}", 0, "__metadata__ value of k must be a string");
        assertRejected("duplicate", "{\"w\":{},\"w\":{}}", 0, "duplicate key");
        assertRejected("deep", "[".repeat(1000), 0, "nesting deeper than 64");
    }

    /** Each limit at its edge, and each error's byte offset exactly (header offsets count UTF-8 bytes). */
    @Test
    void limitsHoldAtTheirEdgesAndErrorsNameTheirExactOffsets() throws IOException {
        Path eight = dir.resolve("eight");
        Files.write(eight, ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(0).array());
        var e = assertThrows(IllegalArgumentException.class, () -> SafeTensors.read(eight));
        assertTrue(e.getMessage().contains("header length must be in [2,") && e.getMessage().contains("but was 0"), e.getMessage());
        assertEquals(Map.of(), SafeTensors.read(file("smallest", "{}", new byte[0])), "a 2-byte header that ends the file");
        assertRejected("one byte", "{", 0, "header length must be in [2,");
        assertRejected("json at", "{\"a\":x}", 0, "header must be valid JSON", "byte offset=13");
        assertRejected("json after utf8", "{\"é\":x}", 0, "header must be valid JSON", "byte offset=14");
        assertRejected("dtype after utf8", "{\"é\":0,\"w\":{\"dtype\":\"Q8\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8,
                "tensor=é", "byte offset=9");
        String second = "{\"a\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0,4]},"
                + "\"b\":{\"dtype\":\"Q8\",\"shape\":[2],\"data_offsets\":[4,12]}}";
        assertRejected("dtype of second", second, 12, "tensor=b", "byte offset=" + (8 + second.indexOf("\"b\"")));
        String overlap = "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}";
        assertRejected("overlap at", overlap, 12, "byte offset=" + (8 + overlap.length() + 4));
        String hole = "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]}}";
        assertRejected("hole at", hole, 12, "byte offset=" + (8 + hole.length() + 8));
        String trailing = one("F32", "[1]", "[0,4]");
        assertRejected("trailing at", trailing, 12, "byte offset=" + (8 + trailing.length() + 4));
        assertRejected("end of data", one("F32", "[2]", "[0,8]"), 8 - 1, "within the 7 data bytes");
        assertEquals(2, SafeTensors.read(file("exact end", one("F32", "[2]", "[0,8]"), new byte[8])).get("w").numel());
        String pastEnd = one("F32", "[0]", "[9,9]");
        assertRejected("begin past end", pastEnd, 8, "within the 8 data bytes", "byte offset=" + (8 + pastEnd.length() + 8));
        byte[] badUtf8 = {'{', '"', (byte) 0xC3, '"', ':', '0', '}'};
        Path utf8 = dir.resolve("utf8");
        Files.write(utf8, ByteBuffer.allocate(8 + badUtf8.length).order(ByteOrder.LITTLE_ENDIAN).putLong(badUtf8.length)
                .put(badUtf8).array());
        var u = assertThrows(IllegalArgumentException.class, () -> SafeTensors.read(utf8));
        assertTrue(u.getMessage().contains("header must be UTF-8") && u.getMessage().contains("byte offset=10"), u.getMessage());
    }

    /** Tensors larger than the reader's and writer's buffers (1 MiB, and 64 KiB for the checksum), in every dtype. */
    @Test
    void largeTensorsCrossTheBufferBoundariesIntact() throws IOException {
        Tensor big = Tensor.uniform(new SplitMix64(5), -1, 1, 300_001);
        Path f = dir.resolve("big.safetensors");
        SafeTensors.write(f, Map.of("big", big, "small", Tensor.ones(3)));
        var back = SafeTensors.read(f);
        assertArrayEquals(big.toArray(), back.get("big").toArray());
        assertArrayEquals(new float[] {1, 1, 1}, back.get("small").toArray());
        int n = 700_001; // F16: 1.4 MB, BF16 the same, F64 5.6 MB: several 1 MiB reads each, odd element counts
        for (String dtype : new String[] {"F16", "BF16", "F64"}) {
            int bytes = dtype.equals("F64") ? 8 : 2;
            ByteBuffer d = ByteBuffer.allocate(n * bytes).order(ByteOrder.LITTLE_ENDIAN);
            for (int i = 0; i < n; i++) {
                float v = (i % 501) - 250; // whole numbers that F16 and BF16 hold exactly
                switch (dtype) {
                    case "F16" -> d.putShort(Float.floatToFloat16(v));
                    case "BF16" -> d.putShort((short) (Float.floatToRawIntBits(v) >>> 16));
                    default -> d.putDouble(v);
                }
            }
            Path t = file(dtype, one(dtype, "[" + n + "]", "[0," + n * bytes + "]"), d.array());
            float[] got = SafeTensors.read(t).get("w").toArray();
            for (int i = 0; i < n; i += 9973) {
                assertEquals((i % 501) - 250, got[i], dtype + " element " + i);
            }
            assertEquals((n - 1) % 501 - 250, got[n - 1], dtype + " last element");
        }
    }

    @Test
    void aWriteThatFailsLeavesTheOldFileAndNoTemporaryFile() throws IOException {
        Path f = dir.resolve("keep.safetensors");
        SafeTensors.write(f, Map.of("a", Tensor.ones(2)));
        var e = assertThrows(IOException.class, () -> AtomicFile.write(f, ch -> {
            AtomicFile.writeFully(ch, ByteBuffer.wrap(new byte[] {1, 2, 3}));
            throw new IOException("disk full");
        }));
        assertEquals("disk full", e.getMessage());
        assertArrayEquals(new float[] {1, 1}, SafeTensors.read(f).get("a").toArray());
        try (var files = Files.list(dir)) {
            assertEquals(List.of(f), files.toList());
        }
    }

    @Test
    void writeReplacesAtomicallyAndLeavesNoTemporaryFile() throws IOException {
        Path f = dir.resolve("w.safetensors");
        SafeTensors.write(f, Map.of("a", Tensor.ones(3)));
        SafeTensors.write(f, Map.of("a", Tensor.full(2f, 3)));
        assertArrayEquals(new float[] {2, 2, 2}, SafeTensors.read(f).get("a").toArray());
        try (var files = Files.list(dir)) {
            assertEquals(List.of(f), files.toList());
        }
    }

    @Test
    void aFlippedDataBitFailsItsTensorsChecksumAndOtherWritersFilesLoadUnchecked() throws IOException {
        Path f = dir.resolve("m.safetensors");
        SafeTensors.write(f, sample(), Map.of("epoch", "3"));
        byte[] bytes = Files.readAllBytes(f);
        long headerLen = ByteBuffer.wrap(bytes, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        String header = new String(bytes, 8, (int) headerLen, StandardCharsets.UTF_8);
        assertTrue(header.contains(SafeTensors.CHECKSUMS), header);
        // The bias's bytes follow the weight's 108 floats: flip the lowest bit of its second value.
        int at = (int) (8 + headerLen + 4 * 108 + 4);
        bytes[at] ^= 1;
        Files.write(f, bytes);
        var e = assertThrows(IllegalArgumentException.class, () -> SafeTensors.read(f));
        assertTrue(e.getMessage().contains("CRC-32C") && e.getMessage().contains("tensor=features.0.bias")
                && e.getMessage().contains("byte offset=" + (8 + headerLen + 4 * 108)), e.getMessage());
        Path other = file("other.safetensors", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}",
                new byte[] {0, 0, (byte) 0x80, 0x3F});
        assertEquals(1f, SafeTensors.read(other).get("a").get(0));
        var own = assertThrows(IllegalArgumentException.class, () -> SafeTensors.write(f, sample(), Map.of(SafeTensors.CHECKSUMS, "x")));
        assertTrue(own.getMessage().contains(SafeTensors.CHECKSUMS), own.getMessage());
    }

    /**
     * Mutations of a valid file — truncation, bit flips anywhere in the header, a byte overwritten with
     * a JSON-significant character — either read as tensors whose sizes match their shapes, or fail
     * with IllegalArgumentException; never another exception and never an OutOfMemoryError.
     */
    @Test
    void mutatedFilesReadConsistentlyOrFailCleanly() throws IOException {
        Path valid = dir.resolve("valid.safetensors");
        SafeTensors.write(valid, sample(), Map.of("epoch", "1"));
        byte[] original = Files.readAllBytes(valid);
        byte[] significant = "{}[],:\"0123456789-.eE ".getBytes(StandardCharsets.US_ASCII);
        qt().withExamples(600).forAll(Generate.range(0, 2), SourceDSL.integers().between(0, original.length - 1),
                SourceDSL.integers().between(0, 255)).checkAssert((kind, at, value) -> {
            byte[] bytes = original.clone();
            int headerEnd = (int) Math.min(original.length, 8 + ByteBuffer.wrap(original, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong());
            int pos = kind == 0 ? at : Math.min(at % headerEnd, headerEnd - 1);
            if (kind == 0) {
                bytes = java.util.Arrays.copyOf(bytes, at);
            } else if (kind == 1) {
                bytes[pos] ^= (byte) (1 << (value % 8));
            } else {
                bytes[pos] = significant[value % significant.length];
            }
            Path f = dir.resolve("mutant.safetensors");
            try {
                Files.write(f, bytes);
                Map<String, Tensor> read = SafeTensors.read(f);
                read.values().forEach(t -> assertEquals(t.shape().numel(), t.numel()));
            } catch (IllegalArgumentException expected) {
                assertTrue(expected.getMessage().startsWith("safetensors: "), expected.getMessage());
            } catch (IOException io) {
                throw new AssertionError(io);
            }
        });
    }
}
