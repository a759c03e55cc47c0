package dev.vcnn.engine.kernel.simd.gemm;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;

import dev.vcnn.engine.parallel.Parallelism;
import dev.vcnn.engine.testing.Gens;
import dev.vcnn.engine.testing.SameBits;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.quicktheories.generators.Generate;

/**
 * A·B with A read in place gives, bit for bit, what the panel-by-panel path gives — the same K blocks, runs and
 * FMAs — on one and two threads, with row counts off the tile, one or two panels of columns (the last one partial),
 * K across a block and in uneven runs, alpha, beta, offsets and padded leading dimensions, at every vector width;
 * and it writes nothing outside C's window.
 */
class InPlaceAGemmContractTest {

    @Test
    void equalsThePanelPathBitForBit() {
        try (var two = Parallelism.of(2)) {
            qt().withExamples(60)
                    .forAll(integers().between(5, 300), integers().between(1, 2 * SimdGemm.NR),
                            Generate.pick(List.of(1, 7, 255, 256, 257, 700, 1024, 1025, 2100)), Gens.seeds())
                    .checkAssert((m, n, k, seed) -> {
                        float alpha = seed % 3 == 0 ? 1f : -0.75f;
                        float beta = seed % 2 == 0 ? 0f : 0.5f;
                        int pad = (int) (seed % 5);
                        int lda = k + pad;
                        int ldb = n + 2 * pad;
                        int ldc = n + pad;
                        int off = (int) (seed % 7);
                        float[] a = Gens.floats(seed, off, m * lda, 3);
                        float[] b = Gens.floats(seed + 1, off, k * ldb, 3);
                        float[] c0 = Gens.floats(seed + 2, off, m * ldc, 3);
                        if (beta == 0) {
                            for (int i = 0; i < c0.length; i += 3) {
                                c0[i] = Float.NaN; // overwritten inside the window, kept outside it
                            }
                        }
                        float[] expected = c0.clone();
                        new PanelByPanelGemm().run(false, false, m, n, k, SimdGemm.kcBlock(k), alpha, a, off, lda, b,
                                off, ldb, beta, expected, off, ldc);
                        for (Parallelism par : new Parallelism[] {Parallelism.sequential(), two}) {
                            float[] c = c0.clone();
                            new InPlaceAGemm().run(m, n, k, alpha, a, off, lda, b, off, ldb, beta, c, off, ldc, par);
                            SameBits.assertSameBits("the panel path", expected, c,
                                    "m, n, k = " + m + ", " + n + ", " + k + ", " + par.threads() + " threads");
                        }
                    });
        }
    }

    /** The rule: up to two panels of columns take it (a 7×7 plane at 512 bits), a third panel does not. */
    @Test
    void takesAtMostTwoPanelsOfColumns() {
        assertTrue(SimdGemm.inPlaceA(1));
        assertTrue(SimdGemm.inPlaceA(2 * SimdGemm.NR));
        assertFalse(SimdGemm.inPlaceA(2 * SimdGemm.NR + 1));
        assertFalse(SimdGemm.inPlaceA(196));
    }
}
