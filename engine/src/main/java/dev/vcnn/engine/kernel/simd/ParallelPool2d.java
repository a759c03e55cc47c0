package dev.vcnn.engine.kernel.simd;

import dev.vcnn.engine.kernel.Pool2d;
import dev.vcnn.engine.kernel.Pool2dGeometry;
import dev.vcnn.engine.kernel.scalar.ScalarPool2d;
import dev.vcnn.engine.parallel.Parallelism;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link Pool2d} split over planes ((n, c) pairs) on the engine's threads, each plane computed by the
 * reference arithmetic of {@link ScalarPool2d}, so results equal the reference bit for bit. The 2×2
 * stride-2 max pool (the one every classic CNN uses) has a vector path; the other windows run the
 * reference plane loops.
 */
final class ParallelPool2d implements Pool2d {
    private static final VectorSpecies<Float> F = SimdSpecies.F;
    private static final VectorSpecies<Integer> I = F.withLanes(int.class);
    private static final int L = F.length();
    /** 0, 2, 4, …: the input column of each output lane. */
    private static final int[] EVEN = evenIndices();

    /** Indexes for {@code selectFrom(x, y)}: lanes 0, 2, 4, … and 1, 3, 5, … of x then y. */
    private static final FloatVector EVEN_LANES = FloatVector.fromArray(F, floats(EVEN, 0), 0);
    private static final FloatVector ODD_LANES = FloatVector.fromArray(F, floats(EVEN, 1), 0);

    private static float[] floats(int[] values, int plus) {
        float[] f = new float[values.length];
        for (int i = 0; i < f.length; i++) {
            f[i] = values[i] + plus;
        }
        return f;
    }

    private static int[] evenIndices() {
        int[] even = new int[L];
        for (int i = 0; i < L; i++) {
            even[i] = 2 * i;
        }
        return even;
    }

    /** Planes per chunk, from the plane size only: about 64 Ki input values per chunk. */
    private static int grain(Pool2dGeometry g) {
        return Math.max(1, (1 << 16) / (g.height() * g.width()));
    }

    @Override
    public void maxForward(Pool2dGeometry g, float[] in, int inOff, float[] out, int outOff, int[] indices, int idxOff,
                           Parallelism parallelism) {
        boolean twoByTwo = g.kernelH() == 2 && g.kernelW() == 2 && g.strideH() == 2 && g.strideW() == 2
                && g.padH() == 0 && g.padW() == 0 && g.dilationH() == 1 && g.dilationW() == 1
                && g.outHeight() == g.height() / 2 && g.outWidth() == g.width() / 2;
        parallelism.forRange(g.batch() * g.channels(), grain(g), (a, b) -> {
            if (twoByTwo) {
                // Whole-vector loads and masked stores run past a plane's end; the planes where that
                // would leave an array (the last one or few) run the reference loop instead. (Loads
                // masked at the array's end, tried first, made the (64, 16, 30, 30) pool 0.7 ms, not 0.2.)
                int vectorEnd = Math.min(b, vectorPlanes(g, in.length - inOff, out.length - outOff,
                        indices == null ? Integer.MAX_VALUE : indices.length - idxOff));
                int split = Math.max(a, vectorEnd);
                max2x2Planes(g, a, split, in, inOff, out, outOff, indices, idxOff);
                ScalarPool2d.maxForwardPlanes(g, split, b, in, inOff, out, outOff, indices, idxOff);
            } else {
                ScalarPool2d.maxForwardPlanes(g, a, b, in, inOff, out, outOff, indices, idxOff);
            }
        });
    }

    /** Planes [0, result) whose vector loads (2L past the plane's end) and stores (L past) stay in the arrays. */
    private static int vectorPlanes(Pool2dGeometry g, int inRoom, int outRoom, int idxRoom) {
        long hw = (long) g.height() * g.width();
        long pq = (long) g.outHeight() * g.outWidth();
        long byIn = (inRoom - 2L * L) / hw;
        long byOut = (Math.min(outRoom, idxRoom) - (long) L) / pq;
        return (int) Math.max(0, Math.min(Math.min(byIn, byOut), g.batch() * (long) g.channels()));
    }

    /**
     * The classic 2×2 stride-2 window, L outputs of a row at a time: two vectors of each input row split
     * into their even and odd columns by two-vector permutes, taps taken with lane masks, not branches
     * (on random data "larger?" mispredicts half the time). (64, 32, 32, 32) on one core (Zen 4):
     * reference loop 15.7 ms, unrolled with ?: 8.1 ms, with int masks 2.7 ms, a gather per tap 2.3 ms,
     * permutes 0.5 ms. A row's last, partial block (LeNet's 14- and 5-wide rows are nothing else) is
     * computed in whole vectors, reading past the row, and stored under a mask. Same
     * rule as the reference: first tap, then any later tap that is larger or NaN.
     */
    private static void max2x2Planes(Pool2dGeometry g, int plane0, int plane1, float[] in, int inOff,
                                     float[] out, int outOff, int[] indices, int idxOff) {
        int w = g.width();
        int hw = g.height() * w;
        int pp = g.outHeight();
        int qq = g.outWidth();
        var evenColumns = IntVector.fromArray(I, EVEN, 0);
        for (int plane = plane0; plane < plane1; plane++) {
            int inBase = inOff + plane * hw;
            int o = plane * pp * qq;
            for (int p = 0; p < pp; p++, o += qq) {
                int rowAt = 2 * p * w;
                for (int q = 0; q < qq; q += L) {
                    int at = inBase + rowAt + 2 * q;
                    var x0 = FloatVector.fromArray(F, in, at);
                    var x1 = FloatVector.fromArray(F, in, at + L);
                    var best = EVEN_LANES.selectFrom(x0, x1);
                    var bestAt = evenColumns.add(rowAt + 2 * q);
                    var v = ODD_LANES.selectFrom(x0, x1);
                    var take = v.compare(VectorOperators.GT, best).or(v.test(VectorOperators.IS_NAN));
                    best = best.blend(v, take);
                    bestAt = bestAt.blend(bestAt.add(1), take.cast(I));
                    x0 = FloatVector.fromArray(F, in, at + w);
                    x1 = FloatVector.fromArray(F, in, at + w + L);
                    v = EVEN_LANES.selectFrom(x0, x1);
                    take = v.compare(VectorOperators.GT, best).or(v.test(VectorOperators.IS_NAN));
                    best = best.blend(v, take);
                    bestAt = bestAt.blend(evenColumns.add(rowAt + 2 * q + w), take.cast(I));
                    v = ODD_LANES.selectFrom(x0, x1);
                    take = v.compare(VectorOperators.GT, best).or(v.test(VectorOperators.IS_NAN));
                    best = best.blend(v, take);
                    bestAt = bestAt.blend(evenColumns.add(rowAt + 2 * q + w + 1), take.cast(I));
                    if (o + q + L <= plane1 * pp * qq) {
                        best.intoArray(out, outOff + o + q);
                        if (indices != null) {
                            bestAt.intoArray(indices, idxOff + o + q);
                        }
                    } else {
                        var m = F.indexInRange(q, qq);
                        best.intoArray(out, outOff + o + q, m);
                        if (indices != null) {
                            bestAt.intoArray(indices, idxOff + o + q, m.cast(I));
                        }
                    }
                }
            }
        }
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

    @Override
    public void globalAvgForward(int planes, int planeSize, float[] in, int inOff, float[] out, int outOff,
                                 Parallelism parallelism) {
        parallelism.forRange(planes, Math.max(1, (1 << 16) / Math.max(1, planeSize)),
                (a, b) -> ScalarPool2d.globalAvgForwardPlanes(a, b, planeSize, in, inOff, out, outOff));
    }

    @Override
    public void globalAvgBackward(int planes, int planeSize, float[] gradOut, int goOff, float[] gradIn, int giOff,
                                  Parallelism parallelism) {
        parallelism.forRange(planes, Math.max(1, (1 << 16) / Math.max(1, planeSize)),
                (a, b) -> ScalarPool2d.globalAvgBackwardPlanes(a, b, planeSize, gradOut, goOff, gradIn, giOff));
    }
}
