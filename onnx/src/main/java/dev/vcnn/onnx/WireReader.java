package dev.vcnn.onnx;

import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.ByteBuffer;

/**
 * Reads one protobuf message from a window of a byte array, field by field, as the wire format defines it: each
 * field is a varint tag, (field number &lt;&lt; 3) | wire type, then its value — a varint (type 0), 8 little-endian
 * bytes (1), a varint length and that many bytes (2: strings, bytes, sub-messages, packed repeated numbers) or 4
 * little-endian bytes (5). Groups (3, 4) are not part of ONNX and are refused.
 *
 * <p>Every length is checked against the bytes left in the window before anything is allocated or read, so a
 * lying length is an error naming its byte offset, never an OutOfMemoryError or a read past the window; a varint
 * longer than 10 bytes, a field number 0, a wire type the format does not have and a window cut inside a field
 * are errors the same way. Offsets in messages count from the start of the whole file.
 *
 * <p>Usage: {@code while (r.next()) switch (r.field()) { case 1 -> name = r.string(); ... default -> r.skip(); }}.
 */
public final class WireReader {
    public static final int VARINT = 0;
    public static final int I64 = 1;
    public static final int LEN = 2;
    public static final int I32 = 5;

    private final String source;
    private final byte[] bytes;
    private final int end;
    private int at;
    private int field;
    private int wireType = -1;
    private int fieldAt;

    /** A reader over all of {@code bytes}; {@code source} names them in errors (a file name). */
    public WireReader(String source, byte[] bytes) {
        this(source, bytes, 0, bytes.length);
    }

    private WireReader(String source, byte[] bytes, int from, int to) {
        this.source = source;
        this.bytes = bytes;
        this.at = from;
        this.end = to;
    }

    /** Moves to the next field; false at the end of the window. The previous field's value must have been read or skipped. */
    public boolean next() {
        if (wireType >= 0) {
            throw new IllegalStateException("wire reader: field " + field + " at byte " + fieldAt + " was neither read nor skipped");
        }
        if (at == end) {
            return false;
        }
        fieldAt = at;
        long tag = readVarint();
        int type = (int) (tag & 7);
        long number = tag >>> 3;
        if (number == 0 || number > (1 << 29) - 1) {
            throw error(fieldAt, "field number must be 1 to 536870911 but was " + number);
        }
        if (type != VARINT && type != I64 && type != LEN && type != I32) {
            throw error(fieldAt, "wire type must be 0, 1, 2 or 5 but was " + type + " (field " + number + ")"
                    + (type == 3 || type == 4 ? ": groups are not used by ONNX" : ""));
        }
        field = (int) number;
        wireType = type;
        return true;
    }

    /** The current field's number. */
    public int field() {
        return field;
    }

    /** The current field's wire type: {@link #VARINT}, {@link #I64}, {@link #LEN} or {@link #I32}. */
    public int wireType() {
        return wireType;
    }

    /** Byte offset of the current field's tag in the whole input. */
    public int fieldOffset() {
        return fieldAt;
    }

    /** The current field's varint value (int64, uint64, bool and enum fields; int32 values sign-extended). */
    public long varint() {
        expect(VARINT);
        wireType = -1;
        return readVarint();
    }

    /** The current varint field as an int: an int32 or enum field, whose negative values are sign-extended. */
    public int int32() {
        long v = varint();
        if (v != (int) v) {
            throw error(fieldAt, "field " + field + " must be a 32-bit integer but was " + v);
        }
        return (int) v;
    }

    /** The current field's 4 little-endian bytes as a float. */
    public float float32() {
        expect(I32);
        wireType = -1;
        return Float.intBitsToFloat(readFixed32());
    }

    /** The current field's 8 little-endian bytes as a double. */
    public double float64() {
        expect(I64);
        wireType = -1;
        return Double.longBitsToDouble(readFixed64());
    }

    /** The current length-delimited field as a reader of its bytes (a sub-message); offsets stay those of the input. */
    public WireReader message() {
        int[] span = span();
        return new WireReader(source, bytes, span[0], span[1]);
    }

    /** The current length-delimited field's bytes, copied. */
    public byte[] bytes() {
        int[] span = span();
        return java.util.Arrays.copyOfRange(bytes, span[0], span[1]);
    }

    /** The current length-delimited field as UTF-8 text; malformed UTF-8 is an error naming its offset. */
    public String string() {
        int[] span = span();
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes, span[0], span[1] - span[0])).toString();
        } catch (CharacterCodingException e) {
            throw error(span[0], "field " + field + " must be UTF-8 text but is not");
        }
    }

    /**
     * A repeated varint field's values, packed (one length-delimited field) or not (the current value alone), as
     * protobuf lets a reader accept either.
     */
    public long[] varints() {
        if (wireType == VARINT) {
            return new long[] {varint()};
        }
        WireReader packed = message();
        long[] out = new long[8];
        int n = 0;
        while (packed.at < packed.end) {
            if (n == out.length) {
                out = java.util.Arrays.copyOf(out, 2 * n);
            }
            out[n++] = packed.readVarint();
        }
        return java.util.Arrays.copyOf(out, n);
    }

    /** A repeated float field's values, packed or not. */
    public float[] floats() {
        if (wireType == I32) {
            return new float[] {float32()};
        }
        int[] span = span();
        if ((span[1] - span[0]) % 4 != 0) {
            throw error(span[0], "packed floats of field " + field + " must be a multiple of 4 bytes but were "
                    + (span[1] - span[0]));
        }
        return littleEndianFloats(bytes, span[0], span[1]);
    }

    /** bytes[from, to) as little-endian floats, as protobuf packs them and ONNX's raw_data holds them. */
    static float[] littleEndianFloats(byte[] bytes, int from, int to) {
        float[] out = new float[(to - from) / 4];
        ByteBuffer.wrap(bytes, from, to - from).order(java.nio.ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(out);
        return out;
    }

    /** Skips the current field's value. */
    public void skip() {
        switch (wireType) {
            case VARINT -> varint();
            case I64 -> float64();
            case I32 -> float32();
            case LEN -> span();
            default -> throw new IllegalStateException("wire reader: no current field to skip");
        }
    }

    /** [from, to) of the current length-delimited value, after checking its length against the bytes left. */
    private int[] span() {
        expect(LEN);
        wireType = -1;
        int lengthAt = at;
        long length = readVarint();
        if (length < 0 || length > end - at) {
            throw error(lengthAt, "field " + field + " claims " + length + " bytes but " + (end - at) + " are left");
        }
        int from = at;
        at += (int) length;
        return new int[] {from, at};
    }

    private void expect(int type) {
        if (wireType != type) {
            throw error(fieldAt, "field " + field + " must have wire type " + type + " but has " + wireType);
        }
    }

    private long readVarint() {
        int start = at;
        long v = 0;
        for (int shift = 0; shift < 70; shift += 7) {
            if (at == end) {
                throw error(start, "varint runs past the end (" + (end - start) + " bytes left)");
            }
            byte b = bytes[at++];
            v |= (long) (b & 0x7f) << shift;
            if (b >= 0) {
                return v;
            }
        }
        throw error(start, "varint must be at most 10 bytes long");
    }

    private int readFixed32() {
        if (end - at < 4) {
            throw error(at, "field " + field + " needs 4 bytes but " + (end - at) + " are left");
        }
        int v = (bytes[at] & 0xff) | (bytes[at + 1] & 0xff) << 8 | (bytes[at + 2] & 0xff) << 16 | (bytes[at + 3] & 0xff) << 24;
        at += 4;
        return v;
    }

    private long readFixed64() {
        if (end - at < 8) {
            throw error(at, "field " + field + " needs 8 bytes but " + (end - at) + " are left");
        }
        long lo = readFixed32() & 0xffffffffL;
        long hi = readFixed32() & 0xffffffffL;
        return lo | hi << 32;
    }

    private IllegalArgumentException error(int offset, String what) {
        return new IllegalArgumentException("protobuf: " + what + " (file=" + source + ", byte " + offset + ")");
    }
}
