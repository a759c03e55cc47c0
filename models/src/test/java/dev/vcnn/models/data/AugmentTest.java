package dev.vcnn.models.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.longs;

import dev.vcnn.engine.tensor.SplitMix64;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Augmentation properties over random image shapes. */
class AugmentTest {
    private static float[] image(long seed, int n) {
        var rng = new SplitMix64(seed);
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = rng.nextFloat();
        }
        return x;
    }

    @Test
    void flippingTwiceIsTheIdentity() {
        qt().forAll(integers().between(1, 3), integers().between(1, 17), integers().between(1, 17), longs().all())
                .checkAssert((c, h, w, seed) -> {
                    float[] x = image(seed, c * h * w);
                    assertArrayEquals(x, Augment.horizontalFlip(Augment.horizontalFlip(x, c, h, w), c, h, w));
                });
    }

    @Test
    void cropKeepsTheShapeAndTheCentredCropIsTheIdentity() {
        qt().forAll(integers().between(1, 3), integers().between(2, 12), integers().between(1, 4), longs().all())
                .checkAssert((c, s, pad, seed) -> {
                    float[] x = image(seed, c * s * s);
                    assertArrayEquals(x, Augment.randomCrop(x, c, s, s, pad, pad, pad));
                    var rng = new SplitMix64(seed);
                    float[] y = Augment.randomCrop(x, c, s, s, pad, rng.nextInt(2 * pad + 1), rng.nextInt(2 * pad + 1));
                    assertEquals(x.length, y.length);
                    Set<Float> source = new HashSet<>();
                    for (float v : x) {
                        source.add(v);
                    }
                    for (float v : y) {
                        assertEquals(true, v == 0f || source.contains(v), "a crop only moves pixels or pads zeros");
                    }
                });
    }

    @Test
    void zeroAffineIsTheIdentityAndAShiftMovesPixels() {
        float[] x = image(3, 2 * 5 * 6);
        assertArrayEquals(x, Augment.affine(x, 2, 5, 6, 0, 0, 0), 1e-6f);
        float[] shifted = Augment.affine(x, 2, 5, 6, 0, 1, 0);
        assertEquals(x[0], shifted[1], 1e-6f);
        assertEquals(0f, shifted[0]);
    }

    @Test
    void applyIsAFunctionOfTheSeed() {
        var aug = new Augment(true, 2, 1.5, 10);
        float[] x = image(9, 3 * 8 * 8);
        assertArrayEquals(aug.apply(x, 3, 8, 8, new SplitMix64(5)), aug.apply(x, 3, 8, 8, new SplitMix64(5)));
    }
}
