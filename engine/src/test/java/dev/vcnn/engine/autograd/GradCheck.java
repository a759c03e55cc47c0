package dev.vcnn.engine.autograd;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vcnn.engine.tensor.Tensor;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Function;

/**
 * Directional finite-difference gradient check in float32. For each input x that requires a gradient,
 * {@link #DIRECTIONS} random directions u of that input alone, and a random output weighting r, it
 * compares the analytic directional derivative ⟨∂L/∂x, u⟩ of L(x) = Σ r ⊙ f(x) (one backward pass with
 * gradient r) with the central difference (L(x + h·u) − L(x − h·u)) / 2h, L summed in double. Each input
 * on its own, so a wrong gradient of one input cannot hide behind a large one of another.
 *
 * <p>Tolerance: the central difference's truncation error is O(h²·|f'''|), covered by a relative
 * 1e-3 at h = 1e-3 for the smooth, O(1)-scaled functions tested (h² = 1e-6); its rounding error is at
 * most the float error of f at both points, 2·Σ|rⱼ·fⱼ|·e / 2h with e = 64·2⁻²⁴ (the kernels' bound for
 * sums of up to ~30 terms, doubled), added as an absolute term.
 */
final class GradCheck {
    static final double H = 1e-3;
    static final int DIRECTIONS = 2;
    private static final double REL = 1e-3;
    private static final double EPS = 64 * Math.pow(2, -24);

    private GradCheck() {}

    static void check(String what, long seed, List<Variable> inputs, Function<List<Variable>, Variable> f) {
        var rng = new SplittableRandom(seed);
        Variable out = f.apply(inputs);
        float[] r = new float[out.value().numel()];
        for (int i = 0; i < r.length; i++) {
            r[i] = (float) rng.nextDouble(-1, 1);
        }
        for (Variable v : inputs) {
            v.zeroGrad();
        }
        out.backward(Tensor.of(r, out.shape().toArray()), false);
        for (int k = 0; k < inputs.size(); k++) {
            Variable v = inputs.get(k);
            if (!v.requiresGrad()) {
                continue;
            }
            Tensor g = v.grad();
            assertTrue(g != null, what + ": input " + k + " received no gradient");
            for (int d = 0; d < DIRECTIONS; d++) {
                float[] u = new float[v.value().numel()];
                for (int i = 0; i < u.length; i++) {
                    u[i] = (float) rng.nextDouble(-1, 1);
                }
                double analytic = 0;
                for (int i = 0; i < u.length; i++) {
                    analytic += (double) g.data()[g.offset() + i] * u[i];
                }
                float[][] directions = new float[inputs.size()][];
                directions[k] = u;
                double[] plus = weighted(inputs, directions, +H, r, f);
                double[] minus = weighted(inputs, directions, -H, r, f);
                double numeric = (plus[0] - minus[0]) / (2 * H);
                double tol = REL * Math.max(Math.abs(analytic), Math.abs(numeric)) + (plus[1] + minus[1]) * EPS / (2 * H) + 1e-6;
                assertTrue(Math.abs(analytic - numeric) <= tol, what + ": input " + k + ", direction " + d + ": analytic "
                        + analytic + " vs numeric " + numeric + " (tolerance " + tol + ", seed " + seed + ")");
            }
        }
    }

    /** {Σ r·f(x + h·u), Σ |r·f(x + h·u)|} in double, with recording off. */
    private static double[] weighted(List<Variable> inputs, float[][] directions, double h, float[] r,
                                     Function<List<Variable>, Variable> f) {
        List<Variable> moved = new java.util.ArrayList<>();
        for (int k = 0; k < inputs.size(); k++) {
            Tensor t = inputs.get(k).value().copy();
            if (directions[k] != null) {
                for (int i = 0; i < t.numel(); i++) {
                    t.data()[i] = (float) (t.data()[i] + h * directions[k][i]);
                }
            }
            moved.add(Variable.constant(t));
        }
        Tensor y = Autograd.noGrad(() -> f.apply(moved)).value();
        double sum = 0;
        double abs = 0;
        for (int i = 0; i < r.length; i++) {
            double term = (double) r[i] * y.data()[y.offset() + i];
            sum += term;
            abs += Math.abs(term);
        }
        return new double[] {sum, abs};
    }

    /** A parameter of uniform values in [-1, 1) with |x| ≥ 0.1, away from the kinks of ReLU-like ops. */
    static Variable awayFromZero(long seed, int... dims) {
        Tensor t = Tensor.uniform(new SplittableRandom(seed), -1f, 1f, dims);
        for (int i = 0; i < t.numel(); i++) {
            float v = t.data()[i];
            t.data()[i] = Math.copySign(0.1f + 0.9f * Math.abs(v), v);
        }
        return Variable.parameter(t);
    }

    /** A parameter of uniform values in [lo, hi). */
    static Variable uniform(long seed, float lo, float hi, int... dims) {
        return Variable.parameter(Tensor.uniform(new SplittableRandom(seed), lo, hi, dims));
    }

    /** Distinct values 0.01 apart in random order, so no max-pool window has a near tie. */
    static Variable spaced(long seed, int... dims) {
        Tensor t = Tensor.zeros(dims);
        int n = t.numel();
        int[] perm = new int[n];
        for (int i = 0; i < n; i++) {
            perm[i] = i;
        }
        var rng = new SplittableRandom(seed);
        for (int i = n - 1; i > 0; i--) {
            int j = rng.nextInt(i + 1);
            int tmp = perm[i];
            perm[i] = perm[j];
            perm[j] = tmp;
        }
        for (int i = 0; i < n; i++) {
            t.data()[i] = (perm[i] - n / 2f) * 0.01f;
        }
        return Variable.parameter(t);
    }
}
