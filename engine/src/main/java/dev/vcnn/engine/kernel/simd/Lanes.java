package dev.vcnn.engine.kernel.simd;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;

/**
 * Lane permutations shared by the kernels, and deterministic lane reductions. {@code reduceLanes(ADD)} on floats may add the lanes in any order,
 * and does: the interpreter's fallback and C2's intrinsic differ in the last bit, so one program gave
 * different results before and after compilation (found by the conv2d thread-independence test).
 */
public final class Lanes {
    private Lanes() {}

    /** Indexes for {@code ZIP_LO.selectFrom(x, y)}: x[0], y[0], x[1], y[1], … (the low halves interleaved). */
    public static final FloatVector ZIP_LO = zipIndexes(0);
    /** The same from lane L/2: the high halves of x and y interleaved. */
    public static final FloatVector ZIP_HI = zipIndexes(SimdSpecies.F.length() / 2);
    /** Indexes for {@code selectFrom(x, y)}: the even lanes of x then of y (x[0], x[2], …, y[0], y[2], …). */
    public static final FloatVector EVEN_LANES = strided(0);
    /** The same for the odd lanes. */
    public static final FloatVector ODD_LANES = strided(1);

    private static FloatVector zipIndexes(int first) {
        int lanes = SimdSpecies.F.length();
        float[] idx = new float[lanes];
        for (int i = 0; i < lanes; i++) {
            idx[i] = first + i / 2 + (i % 2) * lanes;
        }
        return FloatVector.fromArray(SimdSpecies.F, idx, 0);
    }

    private static FloatVector strided(int first) {
        float[] idx = new float[SimdSpecies.F.length()];
        for (int i = 0; i < idx.length; i++) {
            idx[i] = first + 2 * i;
        }
        return FloatVector.fromArray(SimdSpecies.F, idx, 0);
    }

    /** ((lane 0 + lane 1) + lane 2) + … of doubles in lane order, the same in every execution mode. */
    public static double sum(DoubleVector v) {
        double s = v.lane(0);
        for (int i = 1; i < v.length(); i++) {
            s += v.lane(i);
        }
        return s;
    }

    /** ((lane 0 + lane 1) + lane 2) + … in lane order, the same in every execution mode. */
    public static float sum(FloatVector v) {
        float s = v.lane(0);
        for (int i = 1; i < v.length(); i++) {
            s += v.lane(i);
        }
        return s;
    }
}
