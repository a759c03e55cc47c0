package dev.vcnn.engine.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;

import dev.vcnn.engine.tensor.Shape;
import org.junit.jupiter.api.Test;

class Conv2dGeometryTest {
    @Test
    void outputSizeFollowsTheFormula() {
        var g = Conv2dGeometry.of(Shape.of(64, 1, 28, 28), Shape.of(6, 1, 5, 5), 1, 0, 1, 1);
        assertEquals(Shape.of(64, 6, 24, 24), g.outputShape());
        var strided = Conv2dGeometry.of(Shape.of(2, 3, 32, 31), Shape.of(8, 3, 3, 3), 2, 1, 2, 1);
        // floor((32 + 2 - 2·2 - 1) / 2) + 1 = 15; floor((31 + 2 - 5) / 2) + 1 = 15
        assertEquals(Shape.of(2, 8, 15, 15), strided.outputShape());
        assertEquals(64L * 6 * 24 * 24 * 25, g.forwardMacs());
    }

    @Test
    void samePaddingKeepsCeilOfSizeOverStride() {
        qt().withExamples(200).forAll(integers().between(1, 40), integers().between(1, 7), integers().between(1, 3),
                integers().between(1, 2)).checkAssert((size, kernel, stride, dilation) -> {
                    int span = dilation * (kernel - 1) + 1;
                    var g = Conv2dGeometry.same(Shape.of(1, 2, size, size + 1), Shape.of(4, 2, kernel, kernel), stride, dilation, 1);
                    assertEquals((size + stride - 1) / stride, g.outHeight(), g::toString);
                    assertEquals((size + stride) / stride, g.outWidth(), g::toString);
                    // The odd extra row of padding goes to the bottom, as in TensorFlow's "SAME".
                    assertEquals(true, g.padBottom() - g.padTop() == 0 || g.padBottom() - g.padTop() == 1, g::toString);
                    assertEquals(true, span <= size + g.padTop() + g.padBottom(), g::toString);
                });
    }

    @Test
    void validPaddingUsesNone() {
        var g = Conv2dGeometry.valid(Shape.of(1, 3, 10, 12), Shape.of(4, 3, 3, 5), 1, 1, 1);
        assertEquals(Shape.of(1, 4, 8, 8), g.outputShape());
    }

    @Test
    void mismatchedChannelsAreNamedWithBothShapes() {
        var e = assertThrows(IllegalArgumentException.class,
                () -> Conv2dGeometry.of(Shape.of(64, 1, 28, 28), Shape.of(32, 3, 3, 3), 1, 0, 1, 1));
        assertEquals("conv2d: input channels must be 3 but was 1 (input=[64, 1, 28, 28], weight=[32, 3, 3, 3], groups=1)",
                e.getMessage());
    }

    @Test
    void kernelsLargerThanThePaddedInputAreNamed() {
        var e = assertThrows(IllegalArgumentException.class,
                () -> Conv2dGeometry.of(Shape.of(1, 1, 4, 4), Shape.of(1, 1, 3, 3), 1, 0, 2, 1));
        assertEquals("conv2d: dilated kernel must be no larger than the padded input but was 5x5 "
                + "(padded input=4x4, kernel=3x3, dilation=2x2)", e.getMessage());
    }

    @Test
    void groupsMustDivideBothChannelCounts() {
        var e = assertThrows(IllegalArgumentException.class,
                () -> new Conv2dGeometry(1, 4, 8, 8, 6, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 4));
        assertEquals("conv2d: output channels must be divisible by groups=4 but was 6", e.getMessage());
        var stride = assertThrows(IllegalArgumentException.class,
                () -> new Conv2dGeometry(1, 4, 8, 8, 4, 3, 3, 0, 1, 1, 1, 1, 1, 1, 1, 1));
        assertEquals("conv2d: stride height must be >= 1 but was 0", stride.getMessage());
        var rank = assertThrows(IllegalArgumentException.class,
                () -> Conv2dGeometry.of(Shape.of(1, 28, 28), Shape.of(6, 1, 5, 5), 1, 0, 1, 1));
        assertEquals("conv2d: input rank must be 4 but was 3 (input=[1, 28, 28], weight=[6, 1, 5, 5])", rank.getMessage());
    }
}
