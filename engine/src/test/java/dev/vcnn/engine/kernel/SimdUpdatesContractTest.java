package dev.vcnn.engine.kernel;

/** {@link UpdatesContract} on the Vector API kernels, at the width this JVM was started with. */
class SimdUpdatesContractTest extends UpdatesContract {
    private static final Kernels SIMD = Kernels.simd();

    @Override
    protected Updates impl() {
        return SIMD.updates();
    }
}
