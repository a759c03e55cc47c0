package dev.vcnn.engine.kernel;

/** {@link ActivationsContract} on the scalar reference. */
class ScalarActivationsContractTest extends ActivationsContract {
    @Override
    protected Activations impl() {
        return Kernels.scalar().activations();
    }
}
