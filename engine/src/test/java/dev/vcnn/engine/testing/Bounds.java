package dev.vcnn.engine.testing;

/** Checks of computed sums against exact (double) sums within the float bound of CONVENTIONS.md. */
public final class Bounds {
    private Bounds() {}

    /**
     * For every i: |got[off + i] − exact[i]| ≤ 2·(terms[i] + 1)·2⁻²⁴·abs[i], where abs[i] is Σ|termⱼ|.
     *
     * @throws AssertionError naming what, the index, both values, the bound and the case
     */
    public static void assertWithin(String what, double[] exact, double[] abs, int[] terms, float[] got, int off,
                                    Object testCase) {
        for (int i = 0; i < exact.length; i++) {
            double bound = 2.0 * (terms[i] + 1) * Gens.U * abs[i];
            double err = Math.abs(got[off + i] - exact[i]);
            if (!(err <= bound)) {
                throw new AssertionError(what + "[" + i + "] = " + got[off + i] + " but exact " + exact[i]
                        + ": error " + err + " > bound " + bound + " for " + testCase);
            }
        }
    }
}
