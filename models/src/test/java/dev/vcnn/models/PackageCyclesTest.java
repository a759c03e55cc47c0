package dev.vcnn.models;

import static com.tngtech.archunit.library.Architectures.layeredArchitecture;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/**
 * The packages of vcnn-models and vcnn-engine depend on one another without cycles, so that each can be read,
 * tested and changed from the bottom up (pictures, for instance, use a model and a dataset, not the trainer). A
 * package counts with its sub-packages: the kernel interfaces and their scalar and SIMD implementations are one.
 */
class PackageCyclesTest {
    @Test
    void packagesFormNoCycles() {
        var classes = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages("dev.vcnn.models", "dev.vcnn.engine");
        slices().matching("dev.vcnn.(*).(*)..").should().beFreeOfCycles().check(classes);
    }

    /**
     * The SIMD kernels are grouped by capability, and only the convolutions build on another group (the GEMM's
     * micro-kernel and packing); the shared helpers (species, lanes, scratch, partial sums) use no group, and only
     * the factory that assembles the kernel set sees them all.
     */
    @Test
    void simdCapabilitiesAreLayered() {
        var classes = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages("dev.vcnn.engine.kernel.simd");
        String simd = "dev.vcnn.engine.kernel.simd.";
        layeredArchitecture().consideringOnlyDependenciesInLayers()
                .layer("factory").definedBy(DescribedPredicate.<JavaClass>describe("the factory",
                        c -> c.getName().equals(simd + "SimdKernels")))
                .layer("conv").definedBy(simd + "conv..")
                .layer("gemm").definedBy(simd + "gemm..")
                .layer("pool").definedBy(simd + "pool..")
                .layer("elementwise").definedBy(simd + "elementwise..")
                .layer("shared").definedBy(DescribedPredicate.<JavaClass>describe("the shared helpers",
                        c -> c.getPackageName().equals("dev.vcnn.engine.kernel.simd")
                                && !c.getSimpleName().startsWith("SimdKernels")))
                .whereLayer("factory").mayNotBeAccessedByAnyLayer()
                .whereLayer("conv").mayOnlyBeAccessedByLayers("factory")
                .whereLayer("gemm").mayOnlyBeAccessedByLayers("factory", "conv")
                .whereLayer("pool").mayOnlyBeAccessedByLayers("factory")
                .whereLayer("elementwise").mayOnlyBeAccessedByLayers("factory")
                .check(classes);
    }
}
