package dev.vcnn.engine.kernel;

/** {@link Pool2dContract} on the default (parallel) pooling of the SIMD kernel set. */
class SimdPool2dContractTest extends Pool2dContract {
    private static final Pool2d IMPL = Kernels.simd().pool2d();

    @Override
    protected Pool2d impl() {
        return IMPL;
    }
}
