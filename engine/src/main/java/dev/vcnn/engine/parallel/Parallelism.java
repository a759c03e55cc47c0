package dev.vcnn.engine.parallel;

import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinTask;
import java.util.concurrent.ForkJoinWorkerThread;
import java.util.concurrent.RecursiveAction;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * How many threads the engine's kernels may use, and the engine's own {@link ForkJoinPool} that
 * runs them. This package is the only one that touches ForkJoin; it never uses the common pool.
 *
 * <p>Work is split into chunks of a grain chosen by the caller from the problem size alone, so the
 * same problem is cut the same way on 1 or 64 threads; each chunk writes its own outputs, so
 * results are bit-identical for any thread count.
 *
 * <p>{@link #defaults()} has {@code vcnn.threads} threads, or one per available processor. Instances
 * from {@link #of(int)} own their pool: close them when done.
 */
public final class Parallelism implements AutoCloseable {
    /** System property for the default thread count. */
    public static final String THREADS = "vcnn.threads";
    /** The most threads one instance may have. */
    public static final int MAX_THREADS = 4096;

    private static final AtomicInteger POOL_IDS = new AtomicInteger();

    private final int threads;
    private final ForkJoinPool pool; // null when threads == 1: everything runs on the caller

    private Parallelism(int threads) {
        this.threads = threads;
        if (threads == 1) {
            this.pool = null;
        } else {
            int id = POOL_IDS.incrementAndGet();
            ForkJoinPool.ForkJoinWorkerThreadFactory factory = p -> {
                ForkJoinWorkerThread t = ForkJoinPool.defaultForkJoinWorkerThreadFactory.newThread(p);
                t.setName("vcnn-" + id + "-worker-" + t.getPoolIndex());
                t.setDaemon(true);
                return t;
            };
            this.pool = new ForkJoinPool(threads, factory, null, false);
        }
    }

    /**
     * A new instance with its own pool of {@code threads} workers (none for 1).
     *
     * @throws IllegalArgumentException if {@code threads} is not in {@code [1, MAX_THREADS]}
     */
    public static Parallelism of(int threads) {
        if (threads < 1 || threads > MAX_THREADS) {
            throw new IllegalArgumentException("parallelism: threads must be in [1, " + MAX_THREADS + "] but was " + threads);
        }
        return new Parallelism(threads);
    }

    /** Runs everything on the calling thread. */
    public static Parallelism sequential() {
        return Sequential.INSTANCE;
    }

    /**
     * The shared default: {@code vcnn.threads} threads, else {@link Runtime#availableProcessors()}.
     *
     * @throws IllegalArgumentException if {@code vcnn.threads} is set but not an integer in range
     */
    public static Parallelism defaults() {
        return Default.INSTANCE;
    }

    static int defaultThreads() {
        String v = System.getProperty(THREADS);
        if (v == null || v.isBlank()) {
            return Runtime.getRuntime().availableProcessors();
        }
        try {
            int t = Integer.parseInt(v.strip());
            if (t >= 1 && t <= MAX_THREADS) {
                return t;
            }
        } catch (NumberFormatException ignored) {
            // reported below with the allowed range
        }
        throw new IllegalArgumentException("parallelism: system property " + THREADS
                + " must be an integer in [1, " + MAX_THREADS + "] but was '" + v + "'");
    }

    /** The number of threads work may run on. */
    public int threads() {
        return threads;
    }

    /** A body run over one chunk {@code [start, end)} of a range. */
    @FunctionalInterface
    public interface RangeBody {
        void run(int start, int end);
    }

    /**
     * Runs {@code body} over {@code [0, n)} cut into chunks {@code [k·grain, min(n, (k+1)·grain))},
     * in parallel, and returns when all are done. The cut depends only on {@code n} and
     * {@code grain}. An exception thrown by a chunk is rethrown here.
     *
     * @throws IllegalArgumentException if {@code n < 0} or {@code grain < 1}
     */
    public void forRange(int n, int grain, RangeBody body) {
        if (n < 0 || grain < 1) {
            throw new IllegalArgumentException("parallelism: range must have n >= 0 and grain >= 1 but was n="
                    + n + ", grain=" + grain);
        }
        int chunks = (int) (((long) n + grain - 1) / grain);
        if (chunks == 0) {
            return;
        }
        if (pool == null || chunks == 1) {
            for (int k = 0; k < chunks; k++) {
                body.run(k * grain, (int) Math.min(n, (long) (k + 1) * grain));
            }
            return;
        }
        var task = new Chunks(body, n, grain, 0, chunks);
        try {
            if (ForkJoinTask.getPool() == pool) {
                task.invoke(); // nested call from one of our own workers: run in place
            } else {
                pool.invoke(task);
            }
        } catch (RuntimeException e) {
            throw unwrap(e);
        } catch (Error e) {
            throw unwrap(e);
        }
    }

    /**
     * ForkJoin rethrows a worker's exception as a copy of the same type whose cause is the original
     * (once per level of joining); hand the caller the original, with the outermost copy (and its
     * stack) attached as suppressed.
     */
    private static <T extends Throwable> T unwrap(T e) {
        Throwable original = e;
        while (original.getCause() != null && original.getCause().getClass() == original.getClass()
                && isForkJoinCopy(original, original.getCause())) {
            original = original.getCause();
        }
        if (original == e) {
            return e;
        }
        original.addSuppressed(e);
        @SuppressWarnings("unchecked")
        T same = (T) original;
        return same;
    }

    private static boolean isForkJoinCopy(Throwable copy, Throwable cause) {
        String m = copy.getMessage();
        return m == null || m.equals(cause.toString()) || m.equals(cause.getMessage());
    }

    /** Stops the pool's threads; the shared defaults cannot be closed and ignore this. */
    @Override
    public void close() {
        if (pool != null && this != Default.INSTANCE) {
            pool.shutdown();
        }
    }

    @Override
    public String toString() {
        return "Parallelism[threads=" + threads + "]";
    }

    /** Binary splitting over chunk indices; leaves run exactly one chunk. */
    private static final class Chunks extends RecursiveAction {
        private final RangeBody body;
        private final int n;
        private final int grain;
        private final int lo;
        private final int hi;

        Chunks(RangeBody body, int n, int grain, int lo, int hi) {
            this.body = body;
            this.n = n;
            this.grain = grain;
            this.lo = lo;
            this.hi = hi;
        }

        @Override
        protected void compute() {
            if (hi - lo == 1) {
                body.run(lo * grain, (int) Math.min(n, (long) (lo + 1) * grain));
                return;
            }
            int mid = (lo + hi) >>> 1;
            invokeAll(new Chunks(body, n, grain, lo, mid), new Chunks(body, n, grain, mid, hi));
        }
    }

    private static final class Sequential {
        static final Parallelism INSTANCE = new Parallelism(1);
    }

    private static final class Default {
        static final Parallelism INSTANCE = new Parallelism(defaultThreads());
    }
}
