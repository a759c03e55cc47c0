package dev.vcnn.engine.kernel;

/** {@link Conv2dContract} on the scalar reference. */
class ScalarConv2dContractTest extends Conv2dContract {
    @Override
    protected Conv2d impl() {
        return Kernels.scalar().conv2d();
    }
}
