package dev.vcnn.engine.kernel.simd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/** {@link Scratch} hands a buffer back out once it is given back, to the same thread, and never one in use. */
class ScratchTest {
    @Test
    void aGivenBackBufferIsReusedWhenLargeEnough() {
        var scratch = new Scratch();
        float[] a = scratch.take(100);
        assertTrue(a.length >= 100);
        scratch.give(a);
        assertSame(a, scratch.take(100), "the same size again");
        scratch.give(a);
        assertSame(a, scratch.take(a.length), "exactly its length");
        scratch.give(a);
        assertSame(a, scratch.take(10), "a smaller request");
        scratch.give(a);
        float[] b = scratch.take(a.length + 1);
        assertNotSame(a, b, "a larger request gets a new buffer");
        assertEquals(a.length + 1, b.length);
    }

    @Test
    void nestedTakesGetBuffersOfTheirOwn() {
        var scratch = new Scratch();
        float[] outer = scratch.take(8);
        float[] inner = scratch.take(8);
        assertNotSame(outer, inner);
        scratch.give(inner);
        scratch.give(outer);
        assertSame(outer, scratch.take(8), "the last given back first");
        assertSame(inner, scratch.take(8));
    }

    @Test
    void eachThreadHasItsOwnFreeList() throws Exception {
        var scratch = new Scratch();
        float[] mine = scratch.take(16);
        scratch.give(mine);
        float[] theirs = CompletableFuture.supplyAsync(() -> scratch.take(16)).get();
        assertNotSame(mine, theirs);
        assertSame(mine, scratch.take(16));
    }
}
