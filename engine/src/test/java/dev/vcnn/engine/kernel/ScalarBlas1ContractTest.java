package dev.vcnn.engine.kernel;

/** {@link Blas1Contract} on the scalar reference. */
class ScalarBlas1ContractTest extends Blas1Contract {
    private static final Blas1 IMPL = Kernels.scalar().blas1();

    @Override
    protected Blas1 impl() {
        return IMPL;
    }
}
