package dev.vcnn.engine.parallel;

import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinWorkerThread;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

/**
 * How many threads the engine's kernels may use, and the engine's own {@link ForkJoinPool} that
 * runs them. This package is the only one that touches ForkJoin; it never uses the common pool.
 *
 * <p>Work is split into chunks of a grain chosen by the caller from the problem size alone, so the
 * same problem is cut the same way on 1 or 64 threads; each chunk writes its own outputs, so
 * results are bit-identical for any thread count. The calling thread works too: an instance of
 * {@code threads} threads owns a pool of {@code threads - 1} workers.
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
    private final java.util.concurrent.atomic.LongAdder splitChunks = new java.util.concurrent.atomic.LongAdder();

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
            // The caller of forRange is one of the threads, so the pool holds the others.
            this.pool = new ForkJoinPool(threads - 1, factory, null, true);
        }
    }

    /**
     * A new instance: the calling thread plus a pool of {@code threads - 1} workers.
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

    /**
     * How many chunks this instance has handed to its threads: the chunks of every range that it cut in two
     * or more on a pool (ranges of one chunk, and every range of a one-thread instance, run on the caller
     * and count nothing). A thread-identity test reads it to show that its problem really split.
     */
    public long splitChunks() {
        return splitChunks.sum();
    }

    /** A body run over one chunk {@code [start, end)} of a range. */
    @FunctionalInterface
    public interface RangeBody {
        void run(int start, int end);
    }

    /**
     * Runs {@code body} over {@code [0, n)} cut into chunks {@code [k·grain, min(n, (k+1)·grain))},
     * in parallel, and returns when all are done. The cut depends only on {@code n} and
     * {@code grain}. An exception thrown by a chunk is rethrown here (the first one, if several).
     *
     * <p>The calling thread claims chunks too, starting at once; up to {@code threads - 1} pool
     * workers join in as they wake. So a small range costs about what a plain loop costs, instead of
     * a thread wake-up (tens of microseconds on a virtual machine). A worker that finishes spins for
     * {@link #LINGER_NANOS} waiting for the next range before it parks, so back-to-back ranges (the
     * layers of a training step) find it awake.
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
        splitChunks.add(chunks);
        var shared = new SharedRange(body, n, grain, chunks);
        // Workers still lingering after the previous range take this one from `offered` at once; the
        // pool wakes parked ones for the rest (tens of microseconds each).
        offered.set(shared);
        int helpers = Math.min(threads - 1, chunks - 1) - lingering.get();
        for (int h = 0; h < helpers; h++) {
            pool.execute(() -> help(shared));
        }
        shared.claimAll();
        shared.awaitCompletion();
        offered.compareAndSet(shared, null);
    }

    /**
     * How long a worker spins for the next range after finishing one, before it goes back to the pool
     * (and parks). A training step runs dozens of short ranges back to back, and waking a parked worker
     * took longer than many of them: LeNet-5 at batch 64 on 2 threads (Zen 4) left the worker idle ~70% of
     * the step, and lingering 100 µs made the step 5–10% faster (two interleaved runs, noisy machine).
     */
    private static final long LINGER_NANOS = 100_000;

    /** The range most recently started, for lingering workers to join; null when none is running. */
    private final AtomicReference<SharedRange> offered = new AtomicReference<>();
    /** Workers spinning in {@link #help} for a next range. */
    private final AtomicInteger lingering = new AtomicInteger();

    /** A worker's task: claim chunks of {@code range}, then of each range offered within the linger time. */
    private void help(SharedRange range) {
        for (SharedRange r = range; r != null; ) {
            r.claimAll();
            SharedRange done = r;
            r = null;
            lingering.incrementAndGet();
            try {
                long deadline = System.nanoTime() + LINGER_NANOS;
                while (System.nanoTime() < deadline) {
                    SharedRange o = offered.get();
                    if (o != null && o != done && o.hasUnclaimed()) {
                        r = o;
                        break;
                    }
                    Thread.onSpinWait();
                }
            } finally {
                lingering.decrementAndGet();
            }
        }
    }

    /**
     * Chunks handed out from one counter to whichever thread asks first. Which thread runs a chunk
     * varies; what a chunk computes does not, so results do not depend on it.
     */
    private static final class SharedRange {
        private final RangeBody body;
        private final int n;
        private final int grain;
        private final int chunks;
        private final AtomicInteger next = new AtomicInteger();
        private final AtomicInteger completed = new AtomicInteger();
        private final AtomicReference<Throwable> failure = new AtomicReference<>();
        private volatile Thread waiter;

        SharedRange(RangeBody body, int n, int grain, int chunks) {
            this.body = body;
            this.n = n;
            this.grain = grain;
            this.chunks = chunks;
        }

        boolean hasUnclaimed() {
            return next.get() < chunks;
        }

        void claimAll() {
            for (int k; (k = next.getAndIncrement()) < chunks; ) {
                try {
                    if (failure.get() == null) {
                        body.run(k * grain, (int) Math.min(n, (long) (k + 1) * grain));
                    }
                } catch (Throwable t) {
                    failure.compareAndSet(null, t);
                } finally {
                    if (completed.incrementAndGet() == chunks) {
                        Thread w = waiter;
                        if (w != null) {
                            LockSupport.unpark(w);
                        }
                    }
                }
            }
        }

        /** Waits for the chunks other threads still run, then rethrows the first failure. */
        void awaitCompletion() {
            waiter = Thread.currentThread();
            // Spin briefly (a chunk in flight usually ends within microseconds), then park.
            for (int spins = 0; completed.get() < chunks; spins++) {
                if (spins < 20_000) {
                    Thread.onSpinWait();
                } else {
                    LockSupport.parkNanos(this, 100_000);
                }
            }
            Throwable t = failure.get();
            if (t instanceof RuntimeException re) {
                throw re;
            }
            if (t instanceof Error e) {
                throw e;
            }
            if (t != null) {
                throw new IllegalStateException("parallelism: a chunk failed", t);
            }
        }
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

    private static final class Sequential {
        static final Parallelism INSTANCE = new Parallelism(1);
    }

    private static final class Default {
        static final Parallelism INSTANCE = new Parallelism(defaultThreads());
    }
}
