package dev.vcnn.engine.kernel.simd;

import jdk.incubator.vector.FloatVector;

/**
 * Deterministic lane reductions. {@code reduceLanes(ADD)} on floats may add the lanes in any order,
 * and does: the interpreter's fallback and C2's intrinsic differ in the last bit, so one program gave
 * different results before and after compilation (found by the conv2d thread-independence test).
 */
final class Lanes {
    private Lanes() {}

    /** ((lane 0 + lane 1) + lane 2) + … in lane order, the same in every execution mode. */
    static float sum(FloatVector v) {
        float s = v.lane(0);
        for (int i = 1; i < v.length(); i++) {
            s += v.lane(i);
        }
        return s;
    }
}
