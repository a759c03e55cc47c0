package dev.vcnn.engine.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.quicktheories.QuickTheory.qt;

import dev.vcnn.engine.kernel.scalar.ScalarUpdates;
import dev.vcnn.engine.testing.Gens;
import org.junit.jupiter.api.Test;
import org.quicktheories.generators.Generate;

/**
 * The contract of {@link Updates}: every implementation is bit-identical to {@link ScalarUpdates}
 * (elementwise), over lengths around lane boundaries, unaligned offsets and every hyper-parameter
 * branch (weight decay on/off, momentum, Nesterov, first step, decoupled decay). The scalar twin is
 * itself checked against the textbook formulas in double by {@code ScalarUpdatesContractTest}.
 */
public abstract class UpdatesContract {
    private static final Updates REFERENCE = new ScalarUpdates();

    protected abstract Updates impl();

    record Case(int n, int off, long seed, int flags) {}

    private static org.quicktheories.dsl.TheoryBuilder<Case> cases() {
        return qt().withExamples(200).forAll(
                Gens.lengths(1031).zip(Gens.offsets(), Gens.seeds(), Generate.range(0, 63), Case::new));
    }

    @Test
    void sgdMatchesTheReferenceBitForBit() {
        cases().checkAssert(c -> {
            boolean decay = (c.flags() & 1) != 0;
            boolean momentum = (c.flags() & 2) != 0;
            boolean nesterov = (c.flags() & 4) != 0;
            boolean first = (c.flags() & 8) != 0;
            float dampening = (c.flags() & 16) != 0 && !nesterov ? 0.1f : 0f;
            float[][] expected = state(c, 3);
            float[][] actual = state(c, 3);
            REFERENCE.sgd(expected[0], c.off(), expected[1], c.off(), expected[2], c.off(), c.n(),
                    0.05f, momentum ? 0.9f : 0f, dampening, decay ? 1e-3f : 0f, nesterov && momentum, first);
            impl().sgd(actual[0], c.off(), actual[1], c.off(), actual[2], c.off(), c.n(),
                    0.05f, momentum ? 0.9f : 0f, dampening, decay ? 1e-3f : 0f, nesterov && momentum, first);
            assertSame(expected, actual, c);
        });
    }

    @Test
    void adamMatchesTheReferenceBitForBit() {
        cases().checkAssert(c -> {
            boolean decay = (c.flags() & 1) != 0;
            boolean decoupled = (c.flags() & 2) != 0;
            long step = 1 + (c.flags() >> 2);
            float[][] expected = state(c, 4);
            float[][] actual = state(c, 4);
            for (float[] s : new float[][] {expected[3], actual[3]}) {
                for (int i = 0; i < s.length; i++) {
                    s[i] = Math.abs(s[i]); // the second moment is never negative
                }
            }
            REFERENCE.adam(expected[0], c.off(), expected[1], c.off(), expected[2], c.off(), expected[3], c.off(), c.n(),
                    1e-3f, 0.9f, 0.999f, 1e-8f, decay ? 1e-2f : 0f, decoupled, step);
            impl().adam(actual[0], c.off(), actual[1], c.off(), actual[2], c.off(), actual[3], c.off(), c.n(),
                    1e-3f, 0.9f, 0.999f, 1e-8f, decay ? 1e-2f : 0f, decoupled, step);
            assertSame(expected, actual, c);
        });
    }

    /**
     * Subnormal parameters and momenta come out as +0, in the reference and in the implementation alike,
     * whatever the lane: with a zero gradient every update leaves p and m where they were, or scaled by
     * β₁ or the momentum, so each would stay subnormal without the flush.
     */
    @Test
    void subnormalParametersAndMomentaAreFlushedToZero() {
        for (int n : new int[] {1, 7, 16, 17, 33, 100}) {
            for (Updates u : new Updates[] {REFERENCE, impl()}) {
                float[] p = subnormals(n, 1);
                float[] buf = subnormals(n, 2);
                u.sgd(p, 0, new float[n], 0, buf, 0, n, 0.05f, 0.9f, 0f, 0f, true, false);
                assertAllZero(p, "sgd parameter, n = " + n + ", " + u.getClass().getSimpleName());
                assertAllZero(buf, "sgd momentum buffer, n = " + n + ", " + u.getClass().getSimpleName());
                p = subnormals(n, 3);
                float[] m = subnormals(n, 4);
                float[] v = new float[n];
                u.adam(p, 0, new float[n], 0, m, 0, v, 0, n, 1e-3f, 0.9f, 0.999f, 1e-8f, 0f, false, 5);
                assertAllZero(p, "adam parameter, n = " + n + ", " + u.getClass().getSimpleName());
                assertAllZero(m, "adam first moment, n = " + n + ", " + u.getClass().getSimpleName());
            }
        }
    }

    /** On values near the subnormal range the implementation flushes exactly where the reference does. */
    @Test
    void tinyStateMatchesTheReferenceBitForBit() {
        cases().checkAssert(c -> {
            boolean decay = (c.flags() & 1) != 0;
            boolean decoupled = (c.flags() & 2) != 0;
            float[][] expected = tiny(state(c, 4));
            float[][] actual = tiny(state(c, 4));
            REFERENCE.adam(expected[0], c.off(), expected[1], c.off(), expected[2], c.off(), expected[3], c.off(), c.n(),
                    1e-3f, 0.9f, 0.999f, 1e-8f, decay ? 1e-2f : 0f, decoupled, 3);
            impl().adam(actual[0], c.off(), actual[1], c.off(), actual[2], c.off(), actual[3], c.off(), c.n(),
                    1e-3f, 0.9f, 0.999f, 1e-8f, decay ? 1e-2f : 0f, decoupled, 3);
            assertSame(expected, actual, c);
            expected = tiny(state(c, 3));
            actual = tiny(state(c, 3));
            REFERENCE.sgd(expected[0], c.off(), expected[1], c.off(), expected[2], c.off(), c.n(),
                    0.05f, 0.9f, 0f, decay ? 1e-3f : 0f, decoupled, false);
            impl().sgd(actual[0], c.off(), actual[1], c.off(), actual[2], c.off(), c.n(),
                    0.05f, 0.9f, 0f, decay ? 1e-3f : 0f, decoupled, false);
            assertSame(expected, actual, c);
        });
    }

    /** Scales each array to straddle {@link Float#MIN_NORMAL}: |x| ≤ 4·MIN_NORMAL, many subnormal. */
    private static float[][] tiny(float[][] s) {
        for (float[] a : s) {
            for (int i = 0; i < a.length; i++) {
                a[i] = a[i] * (4 * Float.MIN_NORMAL);
            }
        }
        for (int i = 0; i < s[s.length - 1].length; i++) {
            s[s.length - 1][i] = Math.abs(s[s.length - 1][i]); // Adam's v is never negative
        }
        return s;
    }

    private static float[] subnormals(int n, int seed) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = ((i + seed) % 2 == 0 ? 1 : -1) * Float.MIN_VALUE * (1 + (i * 7919 + seed) % 100_000);
        }
        return a;
    }

    private static void assertAllZero(float[] a, String what) {
        for (int i = 0; i < a.length; i++) {
            assertEquals(Float.floatToIntBits(0f), Float.floatToIntBits(a[i]), what + ": element " + i + " = " + a[i]);
        }
    }

    private static float[][] state(Case c, int arrays) {
        float[][] s = new float[arrays][];
        for (int a = 0; a < arrays; a++) {
            s[a] = Gens.floats(c.seed() + a, c.off(), c.n(), 5);
        }
        return s;
    }

    private static void assertSame(float[][] expected, float[][] actual, Case c) {
        for (int a = 0; a < expected.length; a++) {
            for (int i = 0; i < expected[a].length; i++) {
                assertEquals(Float.floatToIntBits(expected[a][i]), Float.floatToIntBits(actual[a][i]),
                        "array " + a + " element " + i + " for " + c);
            }
        }
    }
}
