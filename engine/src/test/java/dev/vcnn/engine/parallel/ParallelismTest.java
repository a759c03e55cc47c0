package dev.vcnn.engine.parallel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;

class ParallelismTest {
    @Test
    void everyIndexIsVisitedExactlyOnceInChunksOfTheGrain() {
        try (var p = Parallelism.of(3)) {
            qt().withExamples(200).forAll(integers().between(0, 5000), integers().between(1, 700)).checkAssert((n, grain) -> {
                var visits = new AtomicIntegerArray(n);
                var chunkStarts = ConcurrentHashMap.<Integer>newKeySet();
                p.forRange(n, grain, (start, end) -> {
                    assertEquals(0, start % grain);
                    assertEquals(Math.min(n, start + grain), end);
                    chunkStarts.add(start);
                    for (int i = start; i < end; i++) {
                        visits.incrementAndGet(i);
                    }
                });
                for (int i = 0; i < n; i++) {
                    assertEquals(1, visits.get(i), "index " + i);
                }
                assertEquals((n + grain - 1) / grain, chunkStarts.size());
            });
        }
    }

    /** splitChunks counts the chunks of ranges cut over a pool, and nothing that ran on the caller alone. */
    @Test
    void splitChunksCountsOnlyRangesCutOverThePool() {
        try (var one = Parallelism.of(1); var two = Parallelism.of(2)) {
            one.forRange(100, 10, (s, e) -> {});
            two.forRange(100, 100, (s, e) -> {});
            two.forRange(0, 5, (s, e) -> {});
            assertEquals(0, one.splitChunks());
            assertEquals(0, two.splitChunks());
            two.forRange(100, 30, (s, e) -> {});
            assertEquals(4, two.splitChunks());
            two.forRange(10, 1, (s, e) -> {});
            assertEquals(14, two.splitChunks());
        }
    }

    @Test
    void workRunsOnTheCallerAndTheEnginesOwnThreadsNotTheCommonPool() {
        try (var p = Parallelism.of(2)) {
            var names = ConcurrentHashMap.<String>newKeySet();
            String caller = Thread.currentThread().getName();
            for (int round = 0; round < 20 && names.size() < 2; round++) {
                p.forRange(64, 1, (s, e) -> {
                    names.add(Thread.currentThread().getName());
                    busyWait();
                });
            }
            assertTrue(names.stream().allMatch(n -> n.equals(caller) || n.startsWith("vcnn-")), names.toString());
            assertTrue(names.stream().anyMatch(n -> n.startsWith("vcnn-")), "the pool's worker never ran a chunk: " + names);
        }
    }

    @Test
    void nestedCallsFromAWorkerComplete() {
        try (var p = Parallelism.of(2)) {
            int[] total = new int[8 * 100];
            p.forRange(8, 1, (s, e) -> p.forRange(100, 7, (s2, e2) -> {
                for (int i = s2; i < e2; i++) {
                    total[s * 100 + i]++;
                }
            }));
            int[] expected = new int[800];
            java.util.Arrays.fill(expected, 1);
            assertArrayEquals(expected, total);
        }
    }

    @RepeatedTest(20) // the wrapping depth depends on which worker joins which task
    void anExceptionInAChunkReachesTheCaller() {
        try (var p = Parallelism.of(2)) {
            var e = assertThrows(IllegalStateException.class, () -> p.forRange(100, 10, (s, end) -> {
                busyWait();
                if (s == 50) {
                    throw new IllegalStateException("chunk 5 failed");
                }
            }));
            assertEquals("chunk 5 failed", e.getMessage());
        }
    }

    @Test
    void badArgumentsAreNamed() {
        var threads = assertThrows(IllegalArgumentException.class, () -> Parallelism.of(0));
        assertEquals("parallelism: threads must be in [1, 4096] but was 0", threads.getMessage());
        var grain = assertThrows(IllegalArgumentException.class, () -> Parallelism.sequential().forRange(10, 0, (s, e) -> {}));
        assertEquals("parallelism: range must have n >= 0 and grain >= 1 but was n=10, grain=0", grain.getMessage());
    }

    @Test
    void threadPropertyIsParsedStrictly() {
        String saved = System.getProperty(Parallelism.THREADS);
        try {
            System.setProperty(Parallelism.THREADS, "3");
            assertEquals(3, Parallelism.defaultThreads());
            System.setProperty(Parallelism.THREADS, "many");
            var e = assertThrows(IllegalArgumentException.class, Parallelism::defaultThreads);
            assertEquals("parallelism: system property vcnn.threads must be an integer in [1, 4096] but was 'many'",
                    e.getMessage());
        } finally {
            if (saved == null) {
                System.clearProperty(Parallelism.THREADS);
            } else {
                System.setProperty(Parallelism.THREADS, saved);
            }
        }
    }

    private static void busyWait() {
        long end = System.nanoTime() + 200_000;
        while (System.nanoTime() < end) {
            Thread.onSpinWait();
        }
    }
}
