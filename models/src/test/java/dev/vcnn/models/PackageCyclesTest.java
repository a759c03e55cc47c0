package dev.vcnn.models;

import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

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
}
