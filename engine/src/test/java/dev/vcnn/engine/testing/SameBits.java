package dev.vcnn.engine.testing;

/** The check that two paths of one computation agree bit for bit, element by element (NaN payloads included). */
public final class SameBits {
    private SameBits() {}

    /**
     * Fails at the first element of {@code actual} whose bits differ from {@code expected}'s, naming what gave the
     * expected values and {@code context}.
     */
    public static void assertSameBits(String reference, float[] expected, float[] actual, Object context) {
        if (expected.length != actual.length) {
            throw new AssertionError(actual.length + " elements, " + reference + " gives " + expected.length + " ("
                    + context + ")");
        }
        for (int i = 0; i < actual.length; i++) {
            if (Float.floatToRawIntBits(actual[i]) != Float.floatToRawIntBits(expected[i])) {
                throw new AssertionError("element " + i + " = " + actual[i] + ", " + reference + " gives "
                        + expected[i] + " (" + context + ")");
            }
        }
    }
}
