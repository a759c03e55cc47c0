package dev.vcnn.engine.kernel.simd;

import dev.vcnn.engine.kernel.Pool2d;
import dev.vcnn.engine.kernel.Pool2dGeometry;
import dev.vcnn.engine.kernel.scalar.ScalarPool2d;
import dev.vcnn.engine.parallel.Parallelism;

/**
 * {@link Pool2d} split over planes ((n, c) pairs) on the engine's threads, each plane computed by the
 * reference arithmetic of {@link ScalarPool2d}, so results equal the reference bit for bit. Pooling
 * is memory-bound; vector fast paths for common windows are left for when a benchmark shows the
 * plane loops are the bottleneck.
 */
final class ParallelPool2d implements Pool2d {
    /** Planes per chunk, from the plane size only: about 64 Ki input values per chunk. */
    private static int grain(Pool2dGeometry g) {
        return Math.max(1, (1 << 16) / (g.height() * g.width()));
    }

    @Override
    public void maxForward(Pool2dGeometry g, float[] in, int inOff, float[] out, int outOff, int[] indices, int idxOff,
                           Parallelism parallelism) {
        parallelism.forRange(g.batch() * g.channels(), grain(g),
                (a, b) -> ScalarPool2d.maxForwardPlanes(g, a, b, in, inOff, out, outOff, indices, idxOff));
    }

    @Override
    public void maxBackward(Pool2dGeometry g, float[] gradOut, int goOff, int[] indices, int idxOff,
                            float[] gradIn, int giOff, Parallelism parallelism) {
        parallelism.forRange(g.batch() * g.channels(), grain(g),
                (a, b) -> ScalarPool2d.maxBackwardPlanes(g, a, b, gradOut, goOff, indices, idxOff, gradIn, giOff));
    }

    @Override
    public void avgForward(Pool2dGeometry g, boolean countIncludePad, float[] in, int inOff, float[] out, int outOff,
                           Parallelism parallelism) {
        parallelism.forRange(g.batch() * g.channels(), grain(g),
                (a, b) -> ScalarPool2d.avgForwardPlanes(g, countIncludePad, a, b, in, inOff, out, outOff));
    }

    @Override
    public void avgBackward(Pool2dGeometry g, boolean countIncludePad, float[] gradOut, int goOff,
                            float[] gradIn, int giOff, Parallelism parallelism) {
        parallelism.forRange(g.batch() * g.channels(), grain(g),
                (a, b) -> ScalarPool2d.avgBackwardPlanes(g, countIncludePad, a, b, gradOut, goOff, gradIn, giOff));
    }
}
