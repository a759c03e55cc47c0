package dev.vcnn.engine.tensor;

/**
 * Argument checks for public entry points, with the project's one message template:
 * {@code <op>: <what> must be <expected> but was <actual> (<name>=<value>, …)}, e.g.
 * {@code conv2d: input channels must be 3 but was 1 (input=[64, 1, 28, 28], weight=[32, 3, 3, 3])}.
 */
public final class Checks {
    private Checks() {}

    /**
     * The template's exception. {@code context} alternates names and values; values are printed
     * with {@code toString} ({@link Shape}s print as {@code [N, C, H, W]}).
     */
    public static IllegalArgumentException mismatch(String op, String what, Object expected, Object actual,
                                                    Object... context) {
        return new IllegalArgumentException(message(op, what, expected, actual, context));
    }

    /** The template's text, for callers that throw another exception type. */
    public static String message(String op, String what, Object expected, Object actual, Object... context) {
        if (context.length % 2 != 0) {
            throw new IllegalArgumentException("Checks.message: context must be name/value pairs but had "
                    + context.length + " entries");
        }
        var sb = new StringBuilder().append(op).append(": ").append(what)
                .append(" must be ").append(expected).append(" but was ").append(actual);
        if (context.length > 0) {
            sb.append(" (");
            for (int i = 0; i < context.length; i += 2) {
                if (i > 0) {
                    sb.append(", ");
                }
                sb.append(context[i]).append('=').append(context[i + 1]);
            }
            sb.append(')');
        }
        return sb.toString();
    }

    /**
     * Checks that {@code [offset, offset + length)} lies inside an array of {@code arrayLength}.
     *
     * @throws IllegalArgumentException naming {@code op} and {@code name} otherwise
     */
    public static void range(String op, String name, int arrayLength, int offset, long length) {
        if (offset < 0) {
            throw mismatch(op, name + " offset", ">= 0", offset);
        }
        if (length < 0) {
            throw mismatch(op, name + " length", ">= 0", length);
        }
        if (offset + length > arrayLength) {
            throw mismatch(op, name + " array length", ">= " + (offset + length), arrayLength,
                    name + " offset", offset, "elements needed", length);
        }
    }

    /** Checks {@code value >= 0}. */
    public static void nonNegative(String op, String name, long value) {
        if (value < 0) {
            throw mismatch(op, name, ">= 0", value);
        }
    }
}
