package dev.vcnn.engine.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.booleans;
import static org.quicktheories.generators.SourceDSL.integers;

import dev.vcnn.engine.parallel.Parallelism;
import dev.vcnn.engine.testing.Bounds;
import dev.vcnn.engine.testing.Gens;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.quicktheories.core.Gen;
import org.quicktheories.generators.Generate;

/**
 * The contract of {@link Gemm}, run against every implementation and every forced vector width.
 * Each C(i, j) must lie within {@code 2·(K+1)·2⁻²⁴·(|alpha|·Σ|A(i,p)·B(p,j)| + |beta·C(i,j)|)} of the
 * exact value (computed in double), elements of C outside the M×N window must not change, and with
 * {@code beta = 0} NaNs in the old C must not propagate.
 */
public abstract class GemmContract {
    private static final Parallelism TWO_THREADS = Parallelism.of(2);

    protected abstract Gemm impl();

    /** Whether the implementation cuts problems of 8 MFLOP and more (more than 4 rows) over the threads. */
    protected boolean splitsLargeProblems() {
        return false;
    }

    /** Dimensions around tile (8 rows; 8/16/32 columns), row-block (96) and lane boundaries, up to 300. */
    private static Gen<Integer> dim() {
        return Generate.pick(List.of(0, 1, 2, 3, 4, 5, 7, 8, 9, 11, 12, 13, 15, 16, 17, 23, 24, 25, 31, 32, 33, 47, 48,
                49, 63, 64, 65, 95, 96, 97, 143, 144, 145, 191, 192, 193, 200, 255, 256, 257, 289, 300))
                .mix(integers().between(0, 300), 25);
    }

    private static Gen<Float> scalars(float... picks) {
        Float[] boxed = new Float[picks.length];
        for (int i = 0; i < picks.length; i++) {
            boxed[i] = picks[i];
        }
        return Generate.pick(List.of(boxed));
    }

    record Case(boolean transA, boolean transB, int m, int n, int k, float alpha, float beta,
                int ldPad, int off, long seed) {}

    private static Gen<Case> cases() {
        Gen<boolean[]> trans = booleans().all().zip(booleans().all(), (x, y) -> new boolean[] {x, y});
        Gen<int[]> mnk = dim().zip(dim(), dim(), (m, n, k) -> new int[] {m, n, k});
        Gen<float[]> ab = scalars(1f, 1f, -1f, 0f, 0.5f, -2.25f).zip(scalars(0f, 0f, 1f, -1f, 0.75f),
                (al, be) -> new float[] {al, be});
        Gen<int[]> layout = Generate.pick(List.of(0, 0, 1, 3, 16, 17)).zip(Gens.offsets(), (p, o) -> new int[] {p, o});
        return trans.zip(mnk, ab, layout, Gens.seeds(), (t, d, s, l, seed) ->
                new Case(t[0], t[1], d[0], d[1], d[2], s[0], s[1], l[0], l[1], seed));
    }

    @Test
    void matchesTheExactProductWithinTheFloatBound() {
        qt().withExamples(160).forAll(cases()).checkAssert(this::checkCase);
    }

    /**
     * Few rows and very many columns (an im2col GEMM over a batch), with M above the unpacked-path limit:
     * on two threads, column chunks computed panel by panel.
     */
    @Test
    void wideProblemsCrossColumnBlocks() {
        qt().withExamples(6).forAll(Generate.pick(List.of(28319, 28320, 28321, 30001, 56700)), integers().between(5, 12),
                        booleans().all(), Gens.seeds())
                .checkAssert((n, m, transB, seed) -> checkCase(new Case(false, transB, m, n, 37, 1f, 0.5f, 3, 5, seed)));
    }

    /**
     * A linear layer over a batch (M ≤ 256, 512 ≤ N < 1024, B transposed or not): on two threads, two
     * or three column chunks of at least 256 columns, the last one short.
     */
    @Test
    void batchLinearLayersCrossNarrowColumnChunks() {
        qt().withExamples(6).forAll(Generate.pick(List.of(512, 520, 600, 785, 1000)), integers().between(33, 80),
                        booleans().all(), Gens.seeds())
                .checkAssert((n, m, transB, seed) -> checkCase(new Case(false, transB, m, n, 70, 1f, 0.5f, 3, 5, seed)));
    }

    /**
     * A linear layer with a weight of over 4 Mi floats (x·Wᵀ, 2050 × 2049, at batch 40): B read in place, its
     * last row tile short, C computed transposed and written back into its window.
     */
    @Test
    void linearLayersWithLargeWeightsReadThemInPlace() {
        checkCase(new Case(false, true, 40, 2050, 2049, 1f, 0.5f, 3, 5, 73));
        checkCase(new Case(false, true, 9, 2049, 2051, -1f, 0f, 1, 3, 74));
    }

    /**
     * M past the panel-by-panel limit (256) and N beyond the column block (for K = 341 the packed-B
     * budget of 2²⁰ floats leaves the 3072-column minimum), so the shared packed B is used block by block.
     */
    @Test
    void tallProblemsCrossColumnBlocks() {
        for (boolean transB : new boolean[] {false, true}) {
            checkCase(new Case(!transB, transB, 260, 3100, 341, 1f, 0.5f, 3, 5, transB ? 71 : 72));
        }
    }

    /** K beyond the K block (1024 deep), so partial sums are written back and resumed. */
    @Test
    void deepProblemsCrossKBlocks() {
        qt().withExamples(6).forAll(Generate.pick(List.of(1025, 2048, 2051, 3000)), integers().between(1, 20),
                        booleans().all(), Gens.seeds())
                .checkAssert((k, m, transA, seed) -> checkCase(new Case(transA, !transA, m, 40, k, -1f, 0.75f, 1, 3, seed)));
    }

    /**
     * The dot-product regime (A·Bᵀ with few outputs and long rows, as a conv weight gradient) with K
     * across its 4096-float blocks and row and column counts that leave partial 4×4 blocks.
     */
    @Test
    void longDotProductsCrossTheirKBlocks() {
        qt().withExamples(8).forAll(Generate.pick(List.of(4095, 4096, 4097, 8200, 9001)), integers().between(5, 14),
                        integers().between(1, 14), Gens.seeds())
                .checkAssert((k, m, n, seed) -> checkCase(new Case(false, true, m, n, k, 1f, seed % 2 == 0 ? 0f : -0.5f, 2, 1, seed)));
    }

    /**
     * Long reductions sum in runs of at most {@value Bounds#RUN} products, each from zero: one product of 1, then K − 1
     * products of 2⁻²⁴, each a tie that a float sum holding 1 rounds away. One float chain over K loses all but
     * one of them, (K − 1)·2⁻²⁴; runs lose at most one run's worth and one rounding per run, the bound here. For
     * every implementation and every row and column of tiles, transposed or not, across K blocks.
     */
    @Test
    void longReductionsSumInRuns() {
        for (int k : new int[] {300, 577, 1024, 1500, 3000}) {
            for (boolean trans : new boolean[] {false, true}) {
                int m = 21;
                int n = 40;
                float[] a = new float[m * k];
                float[] b = new float[k * n];
                java.util.Arrays.fill(a, 0x1p-12f);
                java.util.Arrays.fill(b, 0x1p-12f);
                for (int i = 0; i < m; i++) {
                    a[trans ? i : i * k] = 1f; // A(i, 0), stored K×M when transposed
                }
                for (int j = 0; j < n; j++) {
                    b[trans ? j * k : j] = 1f; // B(0, j), stored N×K when transposed
                }
                float[] c = new float[m * n];
                impl().sgemm(trans, trans, m, n, k, 1f, a, 0, trans ? m : k, b, 0, trans ? k : n, 0f, c, 0, n,
                        TWO_THREADS);
                double exact = 1 + (k - 1) * 0x1p-24;
                double bound = Bounds.inRuns(k) * exact;
                for (int i = 0; i < m * n; i++) {
                    double err = Math.abs(c[i] - exact);
                    assertTrue(err <= bound, "C(" + i / n + ", " + i % n + ") = " + c[i] + " for K = " + k
                            + (trans ? " transposed" : "") + ": error " + err / Gens.U + "·2⁻²⁴ > "
                            + bound / Gens.U + "·2⁻²⁴, the bound of runs of " + Bounds.RUN);
                }
            }
        }
    }

    /** The case on uniform data against the float bound, then on quarters against the exact product, bit for bit. */
    private void checkCase(Case cs) {
        checkCase(cs, false);
        checkCase(cs, true);
    }

    private void checkCase(Case cs, boolean exactData) {
        int aRows = cs.transA() ? cs.k() : cs.m();
        int aCols = cs.transA() ? cs.m() : cs.k();
        int bRows = cs.transB() ? cs.n() : cs.k();
        int bCols = cs.transB() ? cs.k() : cs.n();
        int lda = Math.max(1, aCols + cs.ldPad());
        int ldb = Math.max(1, bCols + cs.ldPad());
        int ldc = Math.max(1, cs.n() + cs.ldPad());
        float[] a = exactData ? Gens.dyadic(cs.seed(), cs.off(), aRows * lda, 7) : Gens.floats(cs.seed(), cs.off(), aRows * lda, 7);
        float[] b = exactData ? Gens.dyadic(cs.seed() + 1, cs.off() + 1, bRows * ldb, 7)
                : Gens.floats(cs.seed() + 1, cs.off() + 1, bRows * ldb, 7);
        float[] c = exactData ? Gens.dyadic(cs.seed() + 2, cs.off() + 2, cs.m() * ldc, 7)
                : Gens.floats(cs.seed() + 2, cs.off() + 2, cs.m() * ldc, 7);
        if (cs.beta() == 0) {
            var rng = new SplittableRandom(cs.seed());
            for (int i = 0; i < c.length; i += 1 + rng.nextInt(5)) {
                c[i] = Float.NaN; // must be overwritten, not propagated, inside the window
            }
        }
        float[] before = c.clone();
        impl().sgemm(cs.transA(), cs.transB(), cs.m(), cs.n(), cs.k(), cs.alpha(), a, cs.off(), lda,
                b, cs.off() + 1, ldb, cs.beta(), c, cs.off() + 2, ldc, TWO_THREADS);
        boolean[] inWindow = new boolean[c.length];
        for (int i = 0; i < cs.m(); i++) {
            for (int j = 0; j < cs.n(); j++) {
                int ci = cs.off() + 2 + i * ldc + j;
                inWindow[ci] = true;
                double exact = 0;
                double abs = 0;
                for (int p = 0; p < cs.k(); p++) {
                    float av = cs.transA() ? a[cs.off() + p * lda + i] : a[cs.off() + i * lda + p];
                    float bv = cs.transB() ? b[cs.off() + 1 + j * ldb + p] : b[cs.off() + 1 + p * ldb + j];
                    exact += (double) av * bv;
                    abs += Math.abs((double) av * bv);
                }
                double old = cs.beta() == 0 ? 0 : (double) cs.beta() * before[ci];
                exact = cs.alpha() * exact + old;
                double bound = 2.0 * (cs.k() + 1) * Gens.U * (Math.abs(cs.alpha()) * abs + Math.abs(old));
                if (exactData && !Gens.sameValue(c[ci], (float) exact)) {
                    throw new AssertionError("C(" + i + ", " + j + ") = " + c[ci] + " but exactly " + exact
                            + " on quarter-valued data for " + cs);
                }
                double err = Math.abs(c[ci] - exact);
                if (!(err <= bound)) {
                    throw new AssertionError("C(" + i + ", " + j + ") = " + c[ci] + " but exact " + exact
                            + ": error " + err + " > bound " + bound + " for " + cs);
                }
            }
        }
        for (int i = 0; i < c.length; i++) {
            if (!inWindow[i] && Float.floatToIntBits(c[i]) != Float.floatToIntBits(before[i])) {
                throw new AssertionError("element " + i + " outside C's window changed for " + cs);
            }
        }
    }

    @Test
    void resultsAreBitIdenticalForOneAndTwoThreadsInEveryTransposition() {
        // {200, 150, 1500}: one thread packs per run (the panel path), two per K block (the packed path).
        int[][] shapes = {{300, 500, 400}, {7, 2000, 300}, {500, 13, 200}, {1, 3100, 50}, {149, 145, 193}, {64, 600, 300},
            {200, 150, 1500}};
        try (var one = Parallelism.of(1)) {
            for (int[] s : shapes) {
                for (int op = 0; op < 4; op++) {
                    boolean transA = (op & 1) != 0;
                    boolean transB = (op & 2) != 0;
                    int m = s[0];
                    int n = s[1];
                    int k = s[2];
                    float[] a = Gens.floats(1, 0, m * k, 0);
                    float[] b = Gens.floats(2, 0, k * n, 0);
                    float[] c1 = Gens.floats(3, 0, m * n, 0);
                    float[] c2 = c1.clone();
                    int lda = transA ? m : k;
                    int ldb = transB ? k : n;
                    long split;
                    try (var two = Parallelism.of(2)) {
                        impl().sgemm(transA, transB, m, n, k, 1.5f, a, 0, lda, b, 0, ldb, 0.5f, c1, 0, n, one);
                        impl().sgemm(transA, transB, m, n, k, 1.5f, a, 0, lda, b, 0, ldb, 0.5f, c2, 0, n, two);
                        split = two.splitChunks();
                    }
                    String where = "M, N, K = " + m + ", " + n + ", " + k + ", transA=" + transA + ", transB=" + transB;
                    // Problems of 8 MFLOP and more with more than 4 rows are cut over the threads.
                    if (2.0 * m * n * k >= 8e6 && m > 4 && splitsLargeProblems()) {
                        assertTrue(split >= 2, "no split for " + where);
                    }
                    for (int i = 0; i < c1.length; i++) {
                        int at = i;
                        assertEquals(Float.floatToRawIntBits(c1[i]), Float.floatToRawIntBits(c2[i]),
                                () -> "element " + at + " differs between 1 and 2 threads for " + where);
                    }
                }
            }
        }
    }

    /** The dot-product regime splits its columns over threads: each output must not notice. */
    @Test
    void longDotProductsAreBitIdenticalForOneAndTwoThreads() {
        int m = 6;
        int n = 650;
        int k = 16 * n + 5;
        float[] a = Gens.floats(1, 0, m * k, 0);
        float[] b = Gens.floats(2, 0, n * k, 0);
        float[] c1 = Gens.floats(3, 0, m * n, 0);
        float[] c2 = c1.clone();
        try (var one = Parallelism.of(1)) {
            impl().sgemm(false, true, m, n, k, 1f, a, 0, k, b, 0, k, 1f, c1, 0, n, one);
        }
        impl().sgemm(false, true, m, n, k, 1f, a, 0, k, b, 0, k, 1f, c2, 0, n, TWO_THREADS);
        for (int i = 0; i < c1.length; i++) {
            int at = i;
            assertEquals(Float.floatToRawIntBits(c1[i]), Float.floatToRawIntBits(c2[i]),
                    () -> "element " + at + " of A·Bᵀ (6 × 650, K = 10405) differs between 1 and 2 threads");
        }
    }

    @Test
    void alphaZeroReadsNeitherANorB() {
        float[] a = {Float.NaN, Float.NaN, Float.NaN, Float.NaN};
        float[] b = {Float.NaN, Float.NaN, Float.NaN, Float.NaN};
        float[] c = {1, 2, 3, 4};
        impl().sgemm(false, false, 2, 2, 2, 0f, a, 0, 2, b, 0, 2, 2f, c, 0, 2, TWO_THREADS);
        assertEquals(List.of(2f, 4f, 6f, 8f), List.of(c[0], c[1], c[2], c[3]));
    }

    @Test
    void badArgumentsAreRejectedWithTheirNames() {
        float[] x = new float[100];
        var negative = assertThrows(IllegalArgumentException.class,
                () -> Gemm.check(false, false, -1, 2, 2, x, 0, 2, x, 0, 2, x, 0, 2));
        assertEquals("sgemm: M must be >= 0 but was -1", negative.getMessage());
        var lda = assertThrows(IllegalArgumentException.class,
                () -> Gemm.check(false, false, 3, 4, 5, x, 0, 4, x, 0, 4, x, 0, 4));
        assertEquals("sgemm: lda must be >= 5 but was 4 (M=3, N=4, K=5, transA=false)", lda.getMessage());
        var ldbT = assertThrows(IllegalArgumentException.class,
                () -> Gemm.check(false, true, 3, 4, 5, x, 0, 5, x, 0, 4, x, 0, 4));
        assertEquals("sgemm: ldb must be >= 5 but was 4 (M=3, N=4, K=5, transB=true)", ldbT.getMessage());
        var shortC = assertThrows(IllegalArgumentException.class,
                () -> Gemm.check(false, false, 10, 10, 2, x, 0, 2, x, 0, 10, new float[99], 0, 10));
        assertEquals("sgemm: C array length must be >= 100 but was 99 (C offset=0, ldc=10, C rows=10, C cols=10)",
                shortC.getMessage());
        var offset = assertThrows(IllegalArgumentException.class,
                () -> Gemm.check(false, false, 2, 2, 2, x, -1, 2, x, 0, 2, x, 0, 2));
        assertEquals("sgemm: A offset must be >= 0 but was -1", offset.getMessage());
        // Zero-sized problems need no storage at all, and run.
        float[] empty = new float[0];
        Gemm.check(false, false, 0, 0, 0, empty, 0, 1, empty, 0, 1, empty, 0, 1);
        impl().sgemm(false, false, 0, 0, 0, 1f, empty, 0, 1, empty, 0, 1, 0f, empty, 0, 1, TWO_THREADS);
        assertEquals(0, empty.length);
    }
}
