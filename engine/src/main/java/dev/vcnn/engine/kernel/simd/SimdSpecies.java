package dev.vcnn.engine.kernel.simd;

import dev.vcnn.engine.kernel.KernelSettings;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * The one float species every SIMD kernel uses, fixed when this class initialises: the width
 * forced by {@code vcnn.simd.bits}, else the machine's preferred width. A {@code static final} so
 * that C2 folds it into constants.
 */
public final class SimdSpecies {
    public static final VectorSpecies<Float> F = choose();

    private SimdSpecies() {}

    private static VectorSpecies<Float> choose() {
        var bits = KernelSettings.requestedSimdBits();
        if (bits.isEmpty()) {
            return FloatVector.SPECIES_PREFERRED;
        }
        return FloatVector.SPECIES_PREFERRED.withShape(VectorShape.forBitSize(bits.getAsInt()));
    }
}
