package dev.vcnn.engine.kernel.simd.pool;

/**
 * Where a {@link SimdPool2d} pass sends its planes. The vector paths equal the reference bit for bit, so
 * results cannot show which one ran; tests of the planning rules listen here instead.
 */
interface PlaneRoutes {
    /** Listens to nothing: the engine's pooling. */
    PlaneRoutes NONE = new PlaneRoutes() {
        @Override
        public void chunk(int plane0, int split, int plane1) {}

        @Override
        public void fallback(int plane) {}
    };

    /** One task's planes: [plane0, split) on the 2×2 vector path, [split, plane1) on the other. */
    void chunk(int plane0, int split, int plane1);

    /** The 2×2 max gradient of {@code plane} ran the reference: an index outside its window. */
    void fallback(int plane);
}
