package dev.vcnn.engine.kernel;

/** {@link Pool2dContract} on the scalar reference. */
class ScalarPool2dContractTest extends Pool2dContract {
    @Override
    protected Pool2d impl() {
        return Kernels.scalar().pool2d();
    }
}
