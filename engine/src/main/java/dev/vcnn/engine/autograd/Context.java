package dev.vcnn.engine.autograd;

import dev.vcnn.engine.kernel.Kernels;
import dev.vcnn.engine.kernel.Losses;
import dev.vcnn.engine.parallel.Parallelism;
import java.util.function.Supplier;

/**
 * The kernels and threads that autograd ops, layers and optimizers run on, and the spare gradient
 * buffers their backward passes reuse. The current one is
 * {@link #defaults()} unless a caller binds another for the extent of a call with {@link #call}
 * (a {@link ScopedValue}: no mutable static, and each thread sees its own binding).
 *
 * @param kernels the kernel set
 * @param parallelism the threads kernels may use
 * @param gradBuffers the spare gradient buffers of backward passes run on this context
 */
public record Context(Kernels kernels, Parallelism parallelism, GradBuffers gradBuffers) {
    private static final ScopedValue<Context> CURRENT = ScopedValue.newInstance();

    /** Checks every component is given. */
    public Context {
        if (kernels == null || parallelism == null || gradBuffers == null) {
            throw new IllegalArgumentException("Context: kernels, parallelism and gradBuffers must all be given, got "
                    + kernels + ", " + parallelism + ", " + gradBuffers);
        }
    }

    /** A context with its own {@link GradBuffers} of the default capacity. */
    public Context(Kernels kernels, Parallelism parallelism) {
        this(kernels, parallelism, new GradBuffers());
    }

    /** {@link Kernels#defaults()} on {@link Parallelism#defaults()}. */
    public static Context defaults() {
        return Default.INSTANCE;
    }

    /** The context bound by the innermost enclosing {@link #call}, else {@link #defaults()}. */
    public static Context current() {
        return CURRENT.isBound() ? CURRENT.get() : Default.INSTANCE;
    }

    /** Runs {@code body} with this context current and returns its result. */
    public <T> T call(Supplier<T> body) {
        return ScopedValue.where(CURRENT, this).call(body::get);
    }

    /** Runs {@code body} with this context current. */
    public void run(Runnable body) {
        ScopedValue.where(CURRENT, this).run(body);
    }

    /** The losses on this context's activations. */
    public Losses losses() {
        return new Losses(kernels.activations());
    }

    private static final class Default {
        static final Context INSTANCE = new Context(Kernels.defaults(), Parallelism.defaults());
    }
}
