package dev.vcnn.engine.kernel;

/** {@link ActivationsContract} on the Vector API kernels, at the width this JVM was started with. */
class SimdActivationsContractTest extends ActivationsContract {
    private static final Activations IMPL = Kernels.simd().activations();

    @Override
    protected Activations impl() {
        return IMPL;
    }
}
