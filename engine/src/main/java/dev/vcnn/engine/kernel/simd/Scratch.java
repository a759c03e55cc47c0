package dev.vcnn.engine.kernel.simd;

import java.util.ArrayDeque;

/**
 * Reusable float buffers for packing, one free list per thread and purpose. Buffers are taken and
 * given back around each use, so a thread that runs a second GEMM while it waits inside the first
 * (ForkJoin work stealing) gets a buffer of its own rather than one still in use.
 *
 * <p>Memory is bounded by the largest request per purpose times the nesting depth per thread.
 */
public final class Scratch {
    private final ThreadLocal<ArrayDeque<float[]>> free = ThreadLocal.withInitial(ArrayDeque::new);

    /** A buffer of at least {@code size} floats, with unspecified contents. */
    public float[] take(int size) {
        float[] buf = free.get().pollFirst();
        return buf != null && buf.length >= size ? buf : new float[size];
    }

    /** Hands a buffer from {@link #take} back for reuse by this thread. */
    public void give(float[] buf) {
        free.get().addFirst(buf);
    }
}
