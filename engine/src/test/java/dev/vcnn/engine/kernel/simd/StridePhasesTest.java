package dev.vcnn.engine.kernel.simd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;

import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.quicktheories.core.Gen;

/**
 * {@link StridePhases} holds every padded value at a place of its own, and every whole-vector read a kernel makes
 * (L outputs at stride sw from any column offset up to the one it declared) stays inside one row of one phase:
 * a layout one float too narrow would let a read run into the next row, which the results of the kernels that use
 * it show only for some widths.
 */
class StridePhasesTest {
    record Layout(int height, int inWidth, int padTop, int padBottom, int padLeft, int padRight, int sw, int outWidth,
                  int maxOffset, int lanes) {
        StridePhases phases() {
            return StridePhases.of(height, inWidth, padTop, padBottom, padLeft, padRight, sw, outWidth, maxOffset, lanes);
        }
    }

    private static Gen<Layout> layouts() {
        return integers().between(1, 9).zip(integers().between(1, 70), integers().between(0, 3), integers().between(0, 3),
                (h, w, pt, pb) -> new int[] {h, w, pt, pb}).zip(
                integers().between(0, 3).zip(integers().between(0, 3), integers().between(1, 4), integers().between(0, 12),
                        (pl, pr, sw, off) -> new int[] {pl, pr, sw, off}),
                integers().between(0, 2), integers().between(1, 40), (a, b, lanePower, q) -> {
                    int paddedWidth = a[1] + b[0] + b[1];
                    // Outputs whose reads, at stride sw from offsets up to maxOffset, start inside the padded row.
                    int maxOffset = Math.min(b[3], paddedWidth - 1);
                    int outWidth = Math.max(1, Math.min(q, (paddedWidth - 1 - maxOffset) / b[2] + 1));
                    return new Layout(a[0], a[1], a[2], a[3], b[0], b[1], b[2], outWidth, maxOffset, 4 << lanePower);
                });
    }

    @Test
    void everyPaddedValueHasItsOwnPlaceAndEveryVectorReadStaysInItsRow() {
        qt().withExamples(2000).forAll(layouts()).checkAssert(c -> {
            var ph = c.phases();
            int rows = c.height() + c.padTop() + c.padBottom();
            assertEquals(rows, ph.rows(), () -> "rows of " + c);
            int paddedWidth = c.inWidth() + c.padLeft() + c.padRight();
            boolean[] taken = new boolean[ph.size()];
            for (int r = 0; r < rows; r++) {
                for (int col = 0; col < paddedWidth; col++) {
                    int at = ph.at(r, col);
                    if (at < 0 || at >= ph.size() || taken[at]) {
                        throw new AssertionError("padded (" + r + ", " + col + ") at " + at + " of " + ph.size()
                                + (at >= 0 && at < ph.size() ? ", taken twice" : ", outside") + ", for " + c);
                    }
                    taken[at] = true;
                }
            }
            int whole = (c.outWidth() + c.lanes() - 1) / c.lanes() * c.lanes();
            for (int q = 0; q < whole; q += c.lanes()) {
                for (int off = 0; off <= c.maxOffset(); off++) {
                    int col = q * c.sw() + off;
                    // Lanes q … q + L − 1 read padded columns col, col + sw, …: positions col/sw … col/sw + L − 1 of phase col % sw.
                    if (col / c.sw() + c.lanes() > ph.width()) {
                        throw new AssertionError("outputs " + q + "… from offset " + off + " read past a row of "
                                + ph.width() + " floats, for " + c);
                    }
                }
            }
        });
    }

    @Test
    void copyInPlacesThePlaneAtItsPaddedColumnsAndCopyOutReadsItBack() {
        qt().withExamples(500).forAll(layouts()).checkAssert(c -> {
            var ph = c.phases();
            int n = c.height() * c.inWidth();
            // Room after the plane (odd widths) lets the last columns of a row go by whole-vector reads.
            float[] in = new float[3 + n + (c.inWidth() % 2 == 1 ? 40 : 0)];
            for (int i = 0; i < in.length; i++) {
                in[i] = i * 0.5f - 7;
            }
            float[] x = new float[ph.size() + 5];
            Arrays.fill(x, Float.NaN);
            ph.copyIn(in, 3, c.height(), c.inWidth(), x);
            for (int h = 0; h < c.height(); h++) {
                for (int w = 0; w < c.inWidth(); w++) {
                    int at = ph.at(h + c.padTop(), w + c.padLeft());
                    String where = "value at (" + h + ", " + w + ") for " + c;
                    assertEquals(in[3 + h * c.inWidth() + w], x[at], where);
                }
            }
            boolean[] interior = new boolean[x.length];
            for (int h = 0; h < c.height(); h++) {
                for (int w = 0; w < c.inWidth(); w++) {
                    interior[ph.at(h + c.padTop(), w + c.padLeft())] = true;
                }
            }
            for (int i = 0; i < x.length; i++) {
                if (!interior[i] && !Float.isNaN(x[i])) {
                    throw new AssertionError("copyIn wrote " + x[i] + " at " + i + ", outside the interior, for " + c);
                }
            }
            float[] out = new float[2 + n];
            ph.copyOut(x, out, 2, c.height(), c.inWidth());
            assertArrayEquals(Arrays.copyOfRange(in, 3, 3 + n), Arrays.copyOfRange(out, 2, 2 + n), () -> c.toString());
        });
    }
}
