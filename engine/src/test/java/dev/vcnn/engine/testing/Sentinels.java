package dev.vcnn.engine.testing;

/**
 * Arrays filled with a value no kernel computes from the tests' inputs, and the check that a kernel left every
 * element outside its output range as it was: a whole-vector store that runs past a row or a range shows here.
 */
public final class Sentinels {
    /** The float every element starts as. */
    public static final float VALUE = -12345.5f;
    /** The int every element of an index array starts as. */
    public static final int INDEX = Integer.MIN_VALUE;

    private Sentinels() {}

    /** {@code length} floats of {@link #VALUE}. */
    public static float[] floats(int length) {
        float[] a = new float[length];
        java.util.Arrays.fill(a, VALUE);
        return a;
    }

    /** {@code length} ints of {@link #INDEX}. */
    public static int[] ints(int length) {
        int[] a = new int[length];
        java.util.Arrays.fill(a, INDEX);
        return a;
    }

    /** Fails unless every element of {@code a} outside [off, off + n) still holds {@link #VALUE}, bit for bit. */
    public static void assertUntouched(String what, float[] a, int off, int n, Object context) {
        for (int i = 0; i < a.length; i++) {
            if ((i < off || i >= off + n) && Float.floatToRawIntBits(a[i]) != Float.floatToRawIntBits(VALUE)) {
                throw new AssertionError(what + ": element " + i + " outside the output range [" + off + ", "
                        + (off + n) + ") changed to " + a[i] + ", for " + context);
            }
        }
    }

    /** Fails unless every element of {@code a} outside [off, off + n) still holds {@link #INDEX}. */
    public static void assertUntouched(String what, int[] a, int off, int n, Object context) {
        for (int i = 0; i < a.length; i++) {
            if ((i < off || i >= off + n) && a[i] != INDEX) {
                throw new AssertionError(what + ": element " + i + " outside the output range [" + off + ", "
                        + (off + n) + ") changed to " + a[i] + ", for " + context);
            }
        }
    }
}
