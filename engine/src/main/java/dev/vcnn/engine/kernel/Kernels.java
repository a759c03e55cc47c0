package dev.vcnn.engine.kernel;

import dev.vcnn.engine.kernel.scalar.ScalarActivations;
import dev.vcnn.engine.kernel.scalar.ScalarBlas1;
import dev.vcnn.engine.kernel.scalar.ScalarConv2d;
import dev.vcnn.engine.kernel.scalar.ScalarGemm;
import dev.vcnn.engine.kernel.scalar.ScalarPool2d;
import dev.vcnn.engine.kernel.scalar.ScalarUpdates;
import dev.vcnn.engine.parallel.Parallelism;
import java.lang.reflect.InvocationTargetException;
import java.util.Optional;

/**
 * One complete set of kernel implementations, chosen once.
 *
 * <p>{@link #defaults()} picks the Vector API kernels when {@code jdk.incubator.vector} is readable
 * and the JVM compiles (not {@code -Xint}); otherwise the scalar reference kernels, with one warning
 * that names the fix. {@code -Dvcnn.kernels=scalar|simd} forces a choice and
 * {@code -Dvcnn.simd.bits=128|256|512} the vector width (see {@link KernelSettings}).
 *
 * @param name what was chosen, e.g. {@code simd-512} or {@code scalar}
 * @param blas1 elementwise and level-1 kernels
 * @param gemm matrix multiply
 * @param conv2d 2-d convolution, forward and backward
 * @param pool2d max and average pooling, forward and backward
 * @param activations activations, their backward passes and softmax
 * @param updates optimizer update steps
 */
public record Kernels(String name, Blas1 blas1, Gemm gemm, Conv2d conv2d, Pool2d pool2d, Activations activations,
                      Updates updates) {
    private static final String SIMD_FACTORY = "dev.vcnn.engine.kernel.simd.SimdKernels";

    /** The kernels every layer uses unless told otherwise; chosen on first use. */
    public static Kernels defaults() {
        return Default.INSTANCE;
    }

    /** The scalar reference kernels: plain loops, reductions in double. */
    public static Kernels scalar() {
        return new Kernels("scalar", new ScalarBlas1(), new ScalarGemm(), new ScalarConv2d(), new ScalarPool2d(), new ScalarActivations(),
                new ScalarUpdates());
    }

    /**
     * The Vector API kernels at the width chosen by {@code vcnn.simd.bits} (else the preferred one).
     *
     * @throws IllegalStateException if the Vector API cannot be used in this JVM, saying how to fix it
     */
    public static Kernels simd() {
        Optional<String> why = simdUnavailableReason();
        if (why.isPresent()) {
            throw new IllegalStateException("kernels: SIMD kernels unavailable: " + why.get());
        }
        try {
            return (Kernels) Class.forName(SIMD_FACTORY).getMethod("create").invoke(null);
        } catch (InvocationTargetException e) {
            if (e.getCause() instanceof RuntimeException re) {
                throw re;
            }
            throw new IllegalStateException("kernels: SIMD kernels failed to start", e.getCause());
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("kernels: SIMD kernels failed to load", e);
        }
    }

    /**
     * Why the Vector API kernels cannot be used here, with the fix; empty when they can.
     */
    public static Optional<String> simdUnavailableReason() {
        if (ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()) {
            return Optional.of("module jdk.incubator.vector is not readable; "
                    + "add '--add-modules jdk.incubator.vector' to the java command line");
        }
        String vmInfo = System.getProperty("java.vm.info", "");
        if (vmInfo.contains("interpreted mode")) {
            return Optional.of("the JVM runs interpreted (-Xint), where the Vector API is far slower than "
                    + "plain loops; drop -Xint");
        }
        return Optional.empty();
    }

    /**
     * {@code C = alpha·op(A)·op(B) + beta·C} (see {@link Gemm}) after validating every argument.
     *
     * @throws IllegalArgumentException naming the dimension, leading dimension or array that is wrong
     */
    public void sgemm(boolean transA, boolean transB, int m, int n, int k,
                      float alpha, float[] a, int aOff, int lda,
                      float[] b, int bOff, int ldb,
                      float beta, float[] c, int cOff, int ldc,
                      Parallelism parallelism) {
        Gemm.check(transA, transB, m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc);
        gemm.sgemm(transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc, parallelism);
    }

    private static Kernels choose() {
        Optional<String> forced = KernelSettings.requestedKernels();
        KernelSettings.requestedSimdBits(); // an unknown width is an error even when it would go unused
        if (forced.isPresent()) {
            return forced.get().equals("scalar") ? scalar() : simd();
        }
        Optional<String> why = simdUnavailableReason();
        if (why.isPresent()) {
            System.getLogger("dev.vcnn.engine").log(System.Logger.Level.WARNING,
                    "vcnn: using the scalar reference kernels (slow) because " + why.get()
                            + "; set -D" + KernelSettings.KERNELS + "=scalar to choose them on purpose");
            return scalar();
        }
        return simd();
    }

    private static final class Default {
        static final Kernels INSTANCE = choose();
    }
}
