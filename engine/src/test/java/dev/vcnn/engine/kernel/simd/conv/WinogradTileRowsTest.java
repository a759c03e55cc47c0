package dev.vcnn.engine.kernel.simd.conv;

import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;

import dev.vcnn.engine.kernel.Conv2dGeometry;
import dev.vcnn.engine.parallel.Parallelism;
import dev.vcnn.engine.testing.Gens;
import dev.vcnn.engine.testing.SameBits;
import org.junit.jupiter.api.Test;

/**
 * Winograd with the tiles as the GEMM's rows gives, bit for bit, what the tiles-as-columns layout gives — the same
 * transforms, the same sums over C in the same runs — for planes of 1×1 to 8×8 outputs, padded or not, channel
 * counts off the tile widths, with and without a bias, batch 1 to 4, on one and two threads; and it writes nothing
 * outside its output.
 */
class WinogradTileRowsTest {

    @Test
    void equalsTheColumnsLayoutBitForBit() {
        try (var two = Parallelism.of(2)) {
            qt().withExamples(40)
                    .forAll(integers().between(16, 70).zip(integers().between(16, 70), integers().between(1, 8),
                                    integers().between(1, 8), (cc, kk, h, w) -> new int[] {cc, kk, h, w}),
                            integers().between(1, 4), Gens.seeds())
                    .checkAssert((size, batch, seed) -> {
                        int cc = size[0];
                        int kk = size[1];
                        int h = size[2];
                        int w = size[3];
                        int pad = (int) (seed % 2);
                        var g = new Conv2dGeometry(batch, cc, h + 2 - 2 * pad, w + 2 - 2 * pad, kk, 3, 3, 1, 1, pad,
                                pad, pad, pad, 1, 1, 1);
                        int off = (int) (seed % 5);
                        float[] in = Gens.floats(seed, off, g.inputShape().numel(), 0);
                        float[] weight = Gens.floats(seed + 1, off, g.weightShape().numel(), 0);
                        float[] bias = seed % 3 == 0 ? null : Gens.floats(seed + 2, off, kk, 0);
                        int n = g.outputShape().numel();
                        float[] expected = new float[off + n + 3];
                        java.util.Arrays.fill(expected, Float.NaN);
                        new WinogradConv2d().forwardOnTileColumns(g, in, off, weight, off, bias, off, expected, off,
                                Parallelism.sequential());
                        for (Parallelism par : new Parallelism[] {Parallelism.sequential(), two}) {
                            float[] out = new float[off + n + 3];
                            java.util.Arrays.fill(out, Float.NaN);
                            if (!new WinogradConv2d().forwardOnTileRows(g, in, off, weight, off, bias, off, out, off, par)) {
                                throw new AssertionError("no room kept for the filters of " + g);
                            }
                            SameBits.assertSameBits("the columns layout", expected, out,
                                    g + ", " + par.threads() + " threads");
                        }
                    });
        }
    }
}
