package dev.vcnn.engine.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.OptionalInt;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.parallel.Isolated;

/** The system properties that steer kernel choice: parsed strictly, with errors that name them. */
@Isolated
class KernelSelectionTest {
    private final String savedKernels = System.getProperty(KernelSettings.KERNELS);
    private final String savedBits = System.getProperty(KernelSettings.SIMD_BITS);
    private final String savedWinograd = System.getProperty(KernelSettings.WINOGRAD);

    @AfterEach
    void restore() {
        restore(KernelSettings.KERNELS, savedKernels);
        restore(KernelSettings.SIMD_BITS, savedBits);
        restore(KernelSettings.WINOGRAD, savedWinograd);
    }

    private static void restore(String key, String value) {
        if (value == null) {
            System.clearProperty(key);
        } else {
            System.setProperty(key, value);
        }
    }

    @Test
    void unknownKernelChoiceIsAnErrorNamingPropertyAndValue() {
        System.setProperty(KernelSettings.KERNELS, "gpu");
        var e = assertThrows(IllegalArgumentException.class, KernelSettings::requestedKernels);
        assertEquals("kernels: system property vcnn.kernels must be scalar or simd but was 'gpu'", e.getMessage());
    }

    @Test
    void malformedGemmBlockSizesAreErrorsNamingTheProperty() {
        for (String p : new String[] {KernelSettings.GEMM_KC, KernelSettings.GEMM_MC, KernelSettings.GEMM_NC}) {
            String saved = System.getProperty(p);
            try {
                for (String bad : new String[] {"abc", "0", "-5", "1.5"}) {
                    System.setProperty(p, bad);
                    var e = assertThrows(IllegalArgumentException.class, () -> KernelSettings.gemmBlock(p, 7));
                    assertEquals("kernels: system property " + p + " must be a positive integer but was '" + bad + "'",
                            e.getMessage());
                    var built = assertThrows(IllegalArgumentException.class, Kernels::simd);
                    assertEquals(e.getMessage(), built.getMessage());
                }
                System.setProperty(p, " 48 ");
                assertEquals(48, KernelSettings.gemmBlock(p, 7));
                System.clearProperty(p);
                assertEquals(7, KernelSettings.gemmBlock(p, 7));
            } finally {
                restore(p, saved);
            }
        }
    }

    @Test
    void unknownWidthIsAnErrorNamingPropertyAndValue() {
        System.setProperty(KernelSettings.SIMD_BITS, "1024");
        var e = assertThrows(IllegalArgumentException.class, KernelSettings::requestedSimdBits);
        assertEquals("kernels: system property vcnn.simd.bits must be 128, 256 or 512 but was '1024'", e.getMessage());
    }

    @Test
    void winogradSwitchIsTrueOrFalseAndNamedWhenWrong() {
        System.setProperty(KernelSettings.WINOGRAD, "off");
        var e = assertThrows(IllegalArgumentException.class, KernelSettings::winogradEnabled);
        assertEquals("kernels: system property vcnn.conv.winograd must be true or false but was 'off'", e.getMessage());
        // Building the SIMD kernels reads it: the same error, not an initializer failure.
        var built = assertThrows(IllegalArgumentException.class, Kernels::simd);
        assertEquals(e.getMessage(), built.getMessage());
        System.setProperty(KernelSettings.WINOGRAD, " False ");
        assertEquals(false, KernelSettings.winogradEnabled());
        System.clearProperty(KernelSettings.WINOGRAD);
        assertTrue(KernelSettings.winogradEnabled());
    }

    @Test
    void knownValuesParse() {
        System.setProperty(KernelSettings.KERNELS, " Scalar ");
        assertEquals("scalar", KernelSettings.requestedKernels().orElseThrow());
        System.setProperty(KernelSettings.SIMD_BITS, "256");
        assertEquals(OptionalInt.of(256), KernelSettings.requestedSimdBits());
        System.clearProperty(KernelSettings.SIMD_BITS);
        assertTrue(KernelSettings.requestedSimdBits().isEmpty());
    }

    @Test
    void defaultsPickSimdWhenTheVectorModuleIsReadable() {
        // Surefire starts this JVM with --add-modules jdk.incubator.vector and C2.
        assertTrue(Kernels.simdUnavailableReason().isEmpty(), () -> Kernels.simdUnavailableReason().get());
        String forced = savedKernels;
        String expectedPrefix = "scalar".equals(forced) ? "scalar" : "simd-";
        assertTrue(Kernels.defaults().name().startsWith(expectedPrefix), Kernels.defaults().name());
    }
}
