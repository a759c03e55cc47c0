package dev.vcnn.engine.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.vcnn.engine.tensor.Shape;
import org.junit.jupiter.api.Test;

/** Output sizes as PyTorch's MaxPool2d/AvgPool2d compute them, and errors that name the numbers. */
class Pool2dGeometryTest {
    private static int rows(int h, int k, int s, int pad, boolean ceil) {
        return new Pool2dGeometry(1, 1, h, h, k, k, s, s, pad, pad, 1, 1, ceil).outHeight();
    }

    @Test
    void floorAndCeilModesMatchPyTorch() {
        assertEquals(16, rows(32, 2, 2, 0, false));
        assertEquals(2, rows(5, 2, 2, 0, false));
        assertEquals(3, rows(5, 2, 2, 0, true));
        assertEquals(2, rows(6, 3, 2, 0, false));
        assertEquals(3, rows(6, 3, 2, 0, true));
        // ceil would give 3, but the last window would start in the bottom padding: PyTorch drops it.
        assertEquals(2, rows(3, 2, 2, 1, true));
        assertEquals(3, rows(4, 2, 2, 1, true));
    }

    @Test
    void badGeometriesAreNamed() {
        var pad = assertThrows(IllegalArgumentException.class, () -> Pool2dGeometry.of(Shape.of(1, 1, 8, 8), 2, 2, 2));
        assertEquals("pool2d: padding height must be in [0, kernel height / 2 = 1] but was 2", pad.getMessage());
        var empty = assertThrows(IllegalArgumentException.class, () -> Pool2dGeometry.of(Shape.of(1, 1, 2, 2), 3, 1, 0));
        assertEquals("pool2d: output size must be >= 1x1 but was 0x0 (input=2x2, kernel=3x3, dilation=1x1, padding=0x0)",
                empty.getMessage());
        var stride = assertThrows(IllegalArgumentException.class, () -> Pool2dGeometry.of(Shape.of(1, 1, 8, 8), 2, 0, 0));
        assertEquals("pool2d: stride height must be >= 1 but was 0", stride.getMessage());
    }
}
