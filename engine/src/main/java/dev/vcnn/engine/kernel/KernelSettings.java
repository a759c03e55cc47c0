package dev.vcnn.engine.kernel;

import java.util.Locale;
import java.util.OptionalInt;

/**
 * The system properties that steer kernel selection, parsed strictly: an unknown value is an error
 * that names the property and the allowed values.
 *
 * <ul>
 *   <li>{@code vcnn.kernels=scalar|simd} forces an implementation (default: SIMD when available);
 *   <li>{@code vcnn.simd.bits=128|256|512} forces the SIMD vector width (default: the preferred one);
 *   <li>{@code vcnn.conv.winograd=true|false} lets the SIMD kernels use Winograd's F(2×2, 3×3) where
 *       {@link WinogradBound#allowed} (default true; false keeps every convolution on the direct bound);
 *   <li>{@code vcnn.gemm.kc}, {@code vcnn.gemm.mc}, {@code vcnn.gemm.nc} override the SIMD GEMM's block
 *       sizes (positive integers; for tuning experiments);
 *   <li>{@code vcnn.threads=N} sets the default thread count (see the {@code parallel} package).
 * </ul>
 */
public final class KernelSettings {
    public static final String KERNELS = "vcnn.kernels";
    public static final String SIMD_BITS = "vcnn.simd.bits";
    public static final String WINOGRAD = "vcnn.conv.winograd";
    public static final String GEMM_KC = "vcnn.gemm.kc";
    public static final String GEMM_MC = "vcnn.gemm.mc";
    public static final String GEMM_NC = "vcnn.gemm.nc";

    private KernelSettings() {}

    /** The requested implementation, if {@code vcnn.kernels} is set. */
    public static java.util.Optional<String> requestedKernels() {
        String v = System.getProperty(KERNELS);
        if (v == null || v.isBlank()) {
            return java.util.Optional.empty();
        }
        String norm = v.strip().toLowerCase(Locale.ROOT);
        if (!norm.equals("scalar") && !norm.equals("simd")) {
            throw new IllegalArgumentException(
                    "kernels: system property " + KERNELS + " must be scalar or simd but was '" + v + "'");
        }
        return java.util.Optional.of(norm);
    }

    /** The forced SIMD width in bits, if {@code vcnn.simd.bits} is set. */
    public static OptionalInt requestedSimdBits() {
        String v = System.getProperty(SIMD_BITS);
        if (v == null || v.isBlank()) {
            return OptionalInt.empty();
        }
        return switch (v.strip()) {
            case "128" -> OptionalInt.of(128);
            case "256" -> OptionalInt.of(256);
            case "512" -> OptionalInt.of(512);
            default -> throw new IllegalArgumentException(
                    "kernels: system property " + SIMD_BITS + " must be 128, 256 or 512 but was '" + v + "'");
        };
    }

    /** Whether {@code vcnn.conv.winograd} lets kernels use Winograd's algorithm (default true). */
    public static boolean winogradEnabled() {
        String v = System.getProperty(WINOGRAD);
        if (v == null || v.isBlank()) {
            return true;
        }
        return switch (v.strip().toLowerCase(Locale.ROOT)) {
            case "true" -> true;
            case "false" -> false;
            default -> throw new IllegalArgumentException(
                    "kernels: system property " + WINOGRAD + " must be true or false but was '" + v + "'");
        };
    }

    /** A GEMM block size from {@code property} (one of the {@code GEMM_*} names), else {@code otherwise}. */
    public static int gemmBlock(String property, int otherwise) {
        String v = System.getProperty(property);
        if (v == null || v.isBlank()) {
            return otherwise;
        }
        try {
            int n = Integer.parseInt(v.strip());
            if (n >= 1) {
                return n;
            }
        } catch (NumberFormatException e) {
            // reported below, with the property's name
        }
        throw new IllegalArgumentException("kernels: system property " + property + " must be a positive integer but was '"
                + v + "'");
    }
}
