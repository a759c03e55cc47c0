package dev.vcnn.engine.kernel;

/** Prints the default kernels' name; started in a child JVM by {@link ScalarFallbackTest}. */
public final class KernelsProbe {
    private KernelsProbe() {}

    public static void main(String[] args) {
        System.out.println(Kernels.defaults().name());
        System.out.println(Kernels.defaults().name()); // a second look must not warn again
    }
}
