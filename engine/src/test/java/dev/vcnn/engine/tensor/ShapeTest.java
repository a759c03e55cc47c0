package dev.vcnn.engine.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;

import org.junit.jupiter.api.Test;

class ShapeTest {
    @Test
    void printsLikeATorchSize() {
        assertEquals("[64, 3, 32, 32]", Shape.of(64, 3, 32, 32).toString());
        assertEquals("[]", Shape.of().toString());
    }

    @Test
    void countsElementsAndStrides() {
        Shape s = Shape.of(2, 3, 4);
        assertEquals(24, s.numel());
        assertArrayEquals(new int[] {12, 4, 1}, s.strides());
        assertEquals(4, s.dim(-1));
        assertEquals(1, Shape.of().numel());
        assertEquals(0, Shape.of(3, 0, 5).numel());
    }

    @Test
    void rejectsNegativeDimensionsNamingThem() {
        var e = assertThrows(IllegalArgumentException.class, () -> Shape.of(2, -1, 3));
        assertEquals("shape: dimension 1 must be >= 0 but was -1 (dims=[2, -1, 3])", e.getMessage());
    }

    @Test
    void rejectsElementCountsThatOverflowAnArray() {
        var e = assertThrows(IllegalArgumentException.class, () -> Shape.of(65536, 65536));
        assertEquals("shape: element count must be <= 2147483639 but was larger (dims=[65536, 65536])", e.getMessage());
        // A huge product with a zero in it is empty, not an overflow.
        assertEquals(0, Shape.of(1 << 30, 1 << 30, 0).numel());
    }

    @Test
    void reshapeInfersOneDimensionAndKeepsTheCount() {
        qt().withExamples(200).forAll(integers().between(1, 7), integers().between(1, 7), integers().between(1, 7))
                .checkAssert((a, b, c) -> {
                    Shape s = Shape.of(a, b, c);
                    assertEquals(Shape.of(a * b, c), s.reshape(-1, c));
                    assertEquals(Shape.of(a, b * c), s.reshape(a, -1));
                    assertEquals(s.numel(), s.reshape(-1).numel());
                });
    }

    @Test
    void reshapeErrorsSayWhatWasAskedFor() {
        var e = assertThrows(IllegalArgumentException.class, () -> Shape.of(2, 3).reshape(4, 2));
        assertEquals("reshape: element count must be 6 but was 8 (shape=[2, 3], requested=[4, 2])", e.getMessage());
        var twoInferred = assertThrows(IllegalArgumentException.class, () -> Shape.of(2, 3).reshape(-1, -1));
        assertEquals("reshape: at most one dimension may be -1 but was [-1, -1] (shape=[2, 3])", twoInferred.getMessage());
        var notDivisible = assertThrows(IllegalArgumentException.class, () -> Shape.of(2, 3).reshape(4, -1));
        assertEquals("reshape: element count must be a multiple of 4 but was 6 (shape=[2, 3], requested=[4, -1])",
                notDivisible.getMessage());
    }

    @Test
    void axisOutOfRangeIsNamed() {
        var e = assertThrows(IllegalArgumentException.class, () -> Shape.of(2, 3).dim(2));
        assertEquals("shape: axis must be in [-2, 2) but was 2 (shape=[2, 3])", e.getMessage());
    }
}
