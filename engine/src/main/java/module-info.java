/**
 * vcnn's engine: tensors, kernels with scalar reference twins and Vector API implementations, and
 * the engine's own ForkJoin parallelism. Depends on nothing but the JDK.
 */
module dev.vcnn.engine {
    requires jdk.incubator.vector;

    exports dev.vcnn.engine.tensor;
    exports dev.vcnn.engine.kernel;
    exports dev.vcnn.engine.kernel.scalar;
    exports dev.vcnn.engine.parallel;
    exports dev.vcnn.engine.autograd;
    exports dev.vcnn.engine.nn;
    exports dev.vcnn.engine.nn.init;
    exports dev.vcnn.engine.optim;
    exports dev.vcnn.engine.loss;
    exports dev.vcnn.engine.io;
    // The register tile on its own, for its benchmark only: not API.
    exports dev.vcnn.engine.kernel.simd.gemm to dev.vcnn.bench;
}
