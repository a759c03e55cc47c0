package dev.vcnn.engine.testing;

/** Checks of computed sums against exact (double) sums within the float bound of CONVENTIONS.md. */
public final class Bounds {
    /** Most products the GEMM kernels sum from zero in one run; a K block's runs are at least half as long. */
    public static final int RUN = 256;

    /**
     * The error bound of a sum of {@code terms} products taken in runs of at most {@link #RUN}, over
     * Σ|products|: one run's roundings, one per run, and two for the write-back.
     */
    public static double inRuns(int terms) {
        return (Math.min(terms, RUN) + (terms + RUN / 2 - 1) / (RUN / 2) + 2) * Gens.U;
    }

    private Bounds() {}

    /**
     * For every i: |got[off + i] − exact[i]| ≤ 2·(terms[i] + 1)·2⁻²⁴·abs[i], where abs[i] is Σ|termⱼ|.
     *
     * @throws AssertionError naming what, the index, both values, the bound and the case
     */
    public static void assertWithin(String what, double[] exact, double[] abs, int[] terms, float[] got, int off,
                                    Object testCase) {
        assertWithin(what, exact, abs, terms, null, got, off, testCase);
    }

    /**
     * As {@link #assertWithin(String, double[], double[], int[], float[], int, Object)}, with the bound the larger of
     * that one and {@code looser.applyAsDouble(i)} when {@code looser} is not null (an algorithm with its own
     * derived bound, such as Winograd's).
     */
    public static void assertWithin(String what, double[] exact, double[] abs, int[] terms,
                                    java.util.function.IntToDoubleFunction looser, float[] got, int off,
                                    Object testCase) {
        for (int i = 0; i < exact.length; i++) {
            double direct = 2.0 * (terms[i] + 1) * Gens.U * abs[i];
            double bound = looser == null ? direct : Math.max(direct, looser.applyAsDouble(i));
            double err = Math.abs(got[off + i] - exact[i]);
            if (!(err <= bound)) {
                throw new AssertionError(what + "[" + i + "] = " + got[off + i] + " but exact " + exact[i]
                        + ": error " + err + " > bound " + bound + " for " + testCase);
            }
        }
    }
}
