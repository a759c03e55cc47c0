package dev.vcnn.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.lists;
import static org.quicktheories.generators.SourceDSL.longs;
import static org.quicktheories.generators.SourceDSL.strings;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.quicktheories.core.Gen;

/** The protobuf wire format: the specification's own examples, round trips, and every kind of damage. */
class WireFormatTest {
    /** One field of a generated message: its number, kind and value. */
    private record Field(int number, int kind, long number64, String text, long[] packed) {
        static final int VARINT = 0;
        static final int FLOAT = 1;
        static final int DOUBLE = 2;
        static final int STRING = 3;
        static final int PACKED = 4;

        void writeTo(WireWriter w) {
            switch (kind) {
                case VARINT -> w.varint(number, number64);
                case FLOAT -> w.float32(number, Float.intBitsToFloat((int) number64));
                case DOUBLE -> w.float64(number, Double.longBitsToDouble(number64));
                case STRING -> w.string(number, text);
                default -> w.varints(number, packed);
            }
        }

        /** Reads this field's kind from the reader's current field and says whether it is this field's value. */
        boolean matches(WireReader r) {
            if (r.field() != number) {
                return false;
            }
            return switch (kind) {
                case VARINT -> r.varint() == number64;
                case FLOAT -> Float.floatToIntBits(r.float32()) == Float.floatToIntBits(Float.intBitsToFloat((int) number64));
                case DOUBLE -> Double.doubleToLongBits(r.float64()) == Double.doubleToLongBits(Double.longBitsToDouble(number64));
                case STRING -> r.string().equals(text);
                default -> Arrays.equals(r.varints(), packed);
            };
        }

        @Override
        public String toString() {
            return "field " + number + " kind " + kind + " = " + (kind == STRING ? text : kind == PACKED ? Arrays.toString(packed) : number64);
        }
    }

    private static Gen<Field> fields() {
        Gen<Integer> numbers = integers().between(1, 20).mix(integers().between(1, (1 << 29) - 1), 20);
        Gen<long[]> packed = lists().of(longs().all()).ofSizeBetween(0, 6)
                .map(l -> l.stream().mapToLong(Long::longValue).toArray());
        return numbers.zip(integers().between(0, 4), longs().all(), strings().betweenCodePoints(0x20, 0x2fff).ofLengthBetween(0, 12)
                        .zip(packed, (s, p) -> new Object[] {s, p}),
                (n, k, v, sp) -> new Field(n, k, v, (String) sp[0], (long[]) sp[1]));
    }

    private static byte[] encode(List<Field> message) {
        var w = new WireWriter();
        message.forEach(f -> f.writeTo(w));
        return w.toByteArray();
    }

    @Test
    void theSpecificationsExamplesEncodeAsItSays() {
        // "150 in field 1" and "testing in field 2", the encoding guide's two examples.
        assertArrayEquals(new byte[] {0x08, (byte) 0x96, 0x01}, new WireWriter().varint(1, 150).toByteArray());
        assertArrayEquals(new byte[] {0x12, 0x07, 't', 'e', 's', 't', 'i', 'n', 'g'},
                new WireWriter().string(2, "testing").toByteArray());
        var r = new WireReader("example", new byte[] {0x08, (byte) 0x96, 0x01});
        assertTrue(r.next());
        assertEquals(1, r.field());
        assertEquals(150, r.varint());
        assertFalse(r.next());
        // A negative int32 takes ten bytes, sign-extended.
        byte[] minusOne = new WireWriter().varint(1, -1).toByteArray();
        assertEquals(11, minusOne.length);
        var m = new WireReader("minus one", minusOne);
        m.next();
        assertEquals(-1, m.int32());
    }

    @Test
    void messagesReadBackAsWritten() {
        qt().withExamples(300).forAll(lists().of(fields()).ofSizeBetween(0, 12)).checkAssert(message -> {
            var r = new WireReader("generated", encode(message));
            for (Field f : message) {
                assertTrue(r.next(), () -> "message ended before " + f);
                assertTrue(f.matches(r), () -> "read back differently: " + f);
            }
            assertFalse(r.next());
        });
    }

    @Test
    void sub_messagesKeepTheOffsetsOfTheWholeInput() {
        byte[] inner = new WireWriter().varint(3, 7).bytes(4, new byte[] {1, 2}).toByteArray();
        byte[] outer = new WireWriter().varint(1, 1).bytes(2, inner).toByteArray();
        var r = new WireReader("nested", outer);
        r.next();
        r.skip();
        r.next();
        WireReader sub = r.message();
        sub.next();
        assertEquals(4, sub.fieldOffset()); // 2 bytes of field 1, tag and length of field 2
        assertEquals(7, sub.varint());
        sub.next();
        assertArrayEquals(new byte[] {1, 2}, sub.bytes());
        assertFalse(sub.next());
        assertFalse(r.next());
    }

    /** Every prefix of a valid message reads as some of its fields, or fails with an error naming a byte offset. */
    @Test
    void everyTruncationIsAClearErrorOrAShorterMessage() {
        qt().withExamples(100).forAll(lists().of(fields()).ofSizeBetween(1, 6)).checkAssert(message -> {
            byte[] all = encode(message);
            for (int cut = 0; cut < all.length; cut++) {
                byte[] prefix = Arrays.copyOf(all, cut);
                var r = new WireReader("cut", prefix);
                int read = 0;
                try {
                    while (r.next()) {
                        assertTrue(message.get(read).matches(r), "field " + read + " of a prefix of " + cut + " bytes");
                        read++;
                    }
                } catch (IllegalArgumentException e) {
                    assertTrue(e.getMessage().startsWith("protobuf: ") && e.getMessage().contains("(file=cut, byte "),
                            e.getMessage());
                }
            }
        });
    }

    @Test
    void aLyingLengthIsRefusedBeforeAnythingIsAllocated() {
        // Field 5, length-delimited, claiming 2^31 + 1 bytes with none behind it.
        byte[] lie = {0x2a, (byte) 0x81, (byte) 0x80, (byte) 0x80, (byte) 0x80, 0x08};
        var r = new WireReader("model.onnx", lie);
        r.next();
        var e = assertThrows(IllegalArgumentException.class, r::bytes);
        assertEquals("protobuf: field 5 claims 2147483649 bytes but 0 are left (file=model.onnx, byte 1)", e.getMessage());
    }

    @Test
    void malformedTagsAndVarintsAreRefusedWithTheirOffset() {
        assertRefused(new byte[] {0x00}, "field number must be 1 to 536870911 but was 0", 0);
        assertRefused(new byte[] {0x08, 0x01, 0x0b}, "wire type must be 0, 1, 2 or 5 but was 3 (field 1): groups are not used by ONNX", 2);
        assertRefused(new byte[] {0x0e}, "wire type must be 0, 1, 2 or 5 but was 6 (field 1)", 0);
        byte[] eleven = new byte[11];
        Arrays.fill(eleven, (byte) 0x80);
        assertRefused(eleven, "varint must be at most 10 bytes long", 0);
        var r = new WireReader("f", new byte[] {0x0d, 1, 2});
        r.next();
        var e = assertThrows(IllegalArgumentException.class, r::float32);
        assertEquals("protobuf: field 1 needs 4 bytes but 2 are left (file=f, byte 1)", e.getMessage());
        var s = new WireReader("s", new byte[] {0x0a, 0x01, (byte) 0xff});
        s.next();
        assertEquals("protobuf: field 1 must be UTF-8 text but is not (file=s, byte 2)",
                assertThrows(IllegalArgumentException.class, s::string).getMessage());
        var t = new WireReader("t", new byte[] {0x08, 0x01});
        t.next();
        assertEquals("protobuf: field 1 must have wire type 2 but has 0 (file=t, byte 0)",
                assertThrows(IllegalArgumentException.class, t::string).getMessage());
    }

    private static void assertRefused(byte[] input, String what, int offset) {
        var r = new WireReader("bad", input);
        var e = assertThrows(IllegalArgumentException.class, () -> {
            while (r.next()) {
                r.skip();
            }
        });
        assertEquals("protobuf: " + what + " (file=bad, byte " + offset + ")", e.getMessage());
    }

    @Test
    void packedFloatsAndUnpackedRepeatedValuesBothRead() {
        byte[] packed = new WireWriter().floats(7, 1.5f, -0f, Float.MIN_VALUE).toByteArray();
        var r = new WireReader("p", packed);
        r.next();
        assertArrayEquals(new float[] {1.5f, -0f, Float.MIN_VALUE}, r.floats());
        var u = new WireReader("u", new WireWriter().float32(7, 2f).varint(8, 9).toByteArray());
        u.next();
        assertArrayEquals(new float[] {2f}, u.floats());
        u.next();
        assertArrayEquals(new long[] {9}, u.varints());
        var odd = new WireReader("odd", new byte[] {0x3a, 0x03, 0, 0, 0});
        odd.next();
        assertEquals("protobuf: packed floats of field 7 must be a multiple of 4 bytes but were 3 (file=odd, byte 2)",
                assertThrows(IllegalArgumentException.class, odd::floats).getMessage());
    }

    /**
     * Any bytes, read as a message whose length-delimited fields are tried as sub-messages, give fields or an
     * IllegalArgumentException naming a byte offset — never another exception, an OutOfMemoryError or a hang.
     */
    @FuzzTest(maxDuration = "10s")
    void anyBytesReadOrFailClearly(byte[] input) {
        try {
            walk(new WireReader("fuzz", input), 0);
        } catch (IllegalArgumentException e) {
            if (!e.getMessage().startsWith("protobuf: ") || !e.getMessage().contains("(file=fuzz, byte ")) {
                throw e;
            }
        }
    }

    private static void walk(WireReader r, int depth) {
        while (r.next()) {
            if (r.wireType() == WireReader.LEN && depth < 8) {
                walk(r.message(), depth + 1);
            } else {
                r.skip();
            }
        }
    }
}
