package dev.vcnn.engine.autograd;

import java.util.function.Supplier;

/**
 * Whether ops record a graph. Recording is on unless a caller is inside {@link #noGrad}, a
 * {@link ScopedValue} binding: it ends when the call returns, even by an exception, and other
 * threads are unaffected.
 */
public final class Autograd {
    private static final ScopedValue<Boolean> ENABLED = ScopedValue.newInstance();

    private Autograd() {}

    /** True unless inside {@link #noGrad}. */
    public static boolean isEnabled() {
        return !ENABLED.isBound() || ENABLED.get();
    }

    /** Runs {@code body} without recording a graph (inference, optimizer updates) and returns its result. */
    public static <T> T noGrad(Supplier<T> body) {
        return ScopedValue.where(ENABLED, false).call(body::get);
    }

    /** Runs {@code body} without recording a graph. */
    public static void noGrad(Runnable body) {
        ScopedValue.where(ENABLED, false).run(body);
    }
}
