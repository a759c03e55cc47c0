package dev.vcnn.onnx;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Writes one protobuf message field by field in the wire format {@link WireReader} reads: tags and varints in
 * base-128, fixed-width values little-endian, strings, bytes and sub-messages length-delimited, repeated numbers
 * packed.
 */
public final class WireWriter {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    /** A varint field (int32 values negative are written sign-extended to 10 bytes, as protobuf does). */
    public WireWriter varint(int field, long value) {
        tag(field, WireReader.VARINT);
        rawVarint(value);
        return this;
    }

    public WireWriter float32(int field, float value) {
        tag(field, WireReader.I32);
        fixed32(Float.floatToRawIntBits(value));
        return this;
    }

    public WireWriter float64(int field, double value) {
        tag(field, WireReader.I64);
        long bits = Double.doubleToRawLongBits(value);
        fixed32((int) bits);
        fixed32((int) (bits >>> 32));
        return this;
    }

    public WireWriter bytes(int field, byte[] value) {
        tag(field, WireReader.LEN);
        rawVarint(value.length);
        out.writeBytes(value);
        return this;
    }

    public WireWriter string(int field, String value) {
        return bytes(field, value.getBytes(StandardCharsets.UTF_8));
    }

    public WireWriter message(int field, WireWriter message) {
        return bytes(field, message.toByteArray());
    }

    /** A packed repeated varint field. */
    public WireWriter varints(int field, long... values) {
        var packed = new WireWriter();
        for (long v : values) {
            packed.rawVarint(v);
        }
        return bytes(field, packed.toByteArray());
    }

    /** A packed repeated float field. */
    public WireWriter floats(int field, float... values) {
        var packed = new WireWriter();
        for (float v : values) {
            packed.fixed32(Float.floatToRawIntBits(v));
        }
        return bytes(field, packed.toByteArray());
    }

    public byte[] toByteArray() {
        return out.toByteArray();
    }

    private void tag(int field, int wireType) {
        if (field < 1 || field > (1 << 29) - 1) {
            throw new IllegalArgumentException("protobuf: field number must be 1 to 536870911 but was " + field);
        }
        rawVarint((long) field << 3 | wireType);
    }

    private void rawVarint(long v) {
        while ((v & ~0x7fL) != 0) {
            out.write((int) (v & 0x7f) | 0x80);
            v >>>= 7;
        }
        out.write((int) v);
    }

    private void fixed32(int v) {
        out.write(v);
        out.write(v >>> 8);
        out.write(v >>> 16);
        out.write(v >>> 24);
    }
}
