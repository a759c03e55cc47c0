package dev.vcnn.engine.kernel.simd.pool;

import static dev.vcnn.engine.kernel.simd.Lanes.EVEN_LANES;
import static dev.vcnn.engine.kernel.simd.Lanes.ODD_LANES;
import static dev.vcnn.engine.kernel.simd.Lanes.ZIP_HI;
import static dev.vcnn.engine.kernel.simd.Lanes.ZIP_LO;

import dev.vcnn.engine.kernel.Pool2d;
import dev.vcnn.engine.kernel.Pool2dGeometry;
import dev.vcnn.engine.kernel.scalar.ScalarPool2d;
import dev.vcnn.engine.kernel.simd.Lanes;
import dev.vcnn.engine.kernel.simd.Scratch;
import dev.vcnn.engine.kernel.simd.SimdSpecies;
import dev.vcnn.engine.kernel.simd.StridePhases;
import dev.vcnn.engine.parallel.Parallelism;
import java.util.Arrays;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link Pool2d} split over planes ((n, c) pairs) on the engine's threads. The 2×2 stride-2 window (the
 * one every classic CNN uses) has vector paths, forward and backward, equal to the reference bit for bit; the
 * other max windows' forward has a general vector path, equally exact. The rest runs the reference plane
 * loops of {@link ScalarPool2d}.
 */
public final class SimdPool2d implements Pool2d {
    private static final VectorSpecies<Float> F = SimdSpecies.F;
    /** Per-thread planes of {@link #maxWindowPlanes}. */
    private static final Scratch PHASES = new Scratch();
    private static final VectorSpecies<Integer> I = F.withLanes(int.class);
    private static final int L = F.length();
    /** Lanes L/2 … L − 1. */
    private static final VectorMask<Float> HIGH_HALF = VectorMask.fromLong(F, (1L << L) - (1L << (L / 2)));
    /** 0, 2, 4, …: the input column of each output lane. */
    private static final int[] EVEN = evenIndices();

    /** Told where each pass sends its planes; a no-op but in tests of the planning rules. */
    private final PlaneRoutes routes;

    /** The engine's pooling. */
    public SimdPool2d() {
        this(PlaneRoutes.NONE);
    }

    /** Pooling that tells {@code routes} where each pass sends its planes. */
    SimdPool2d(PlaneRoutes routes) {
        this.routes = routes;
    }

    private static int[] evenIndices() {
        int[] even = new int[L];
        for (int i = 0; i < L; i++) {
            even[i] = 2 * i;
        }
        return even;
    }

    /** Planes per chunk, from the plane size only: about 64 Ki input values per chunk. */
    private static int grain(int planeSize) {
        return Math.max(1, (1 << 16) / Math.max(1, planeSize));
    }

    @Override
    public void maxForward(Pool2dGeometry g, float[] in, int inOff, float[] out, int outOff, int[] indices, int idxOff,
                           Parallelism parallelism) {
        planes(g, isTwoByTwo(g), in.length - inOff,
                Math.min(out.length - outOff, indices == null ? Integer.MAX_VALUE : indices.length - idxOff),
                (a, b) -> max2x2Planes(g, a, b, in, inOff, out, outOff, indices, idxOff),
                (a, b) -> maxWindowPlanes(g, a, b, in, inOff, out, outOff, indices, idxOff), parallelism);
    }

    /**
     * Any other max window (ResNet's 3×3 stride-2 stem pool, 3×3 stride 1, dilations, padding, ceil mode), L outputs
     * of a row at a time from the plane in {@link StridePhases} (each tap one contiguous load), lanes whose tap
     * lies outside the input masked off, and the
     * reference's rule in masks: a lane takes its first tap inside the input, then any later one that is larger
     * or NaN. Lanes whose window misses the input keep −∞ and index −1, as the reference. ResNet's stem pool
     * (64 planes, 112×112 → 56×56) ran the scalar reference: a fifth of ResNet-18's batch-1 inference samples.
     */
    private static void maxWindowPlanes(Pool2dGeometry g, int plane0, int plane1, float[] in, int inOff,
                                        float[] out, int outOff, int[] indices, int idxOff) {
        int hh = g.height();
        int ww = g.width();
        int pp = g.outHeight();
        int qq = g.outWidth();
        int sw = g.strideW();
        var ph = StridePhases.of(hh, ww, g.padH(), g.padH(), g.padW(), g.padW(), sw, qq, (g.kernelW() - 1) * g.dilationW(), L);
        int[] columns = new int[L];
        for (int i = 0; i < L; i++) {
            columns[i] = i * sw;
        }
        // Where column tap s of output (row 0, column 0) lies; output column q adds q, padded row h adds h·width.
        int[] tapAt = new int[g.kernelW()];
        for (int s = 0; s < tapAt.length; s++) {
            tapAt[s] = ph.at(0, s * g.dilationW());
        }
        if (indices == null) {
            maxWindowValues(g, plane0, plane1, in, inOff, out, outOff, ph, tapAt);
            return;
        }
        var lane = IntVector.fromArray(I, columns, 0);
        var none = IntVector.broadcast(I, -1);
        var lowest = FloatVector.broadcast(F, Float.NEGATIVE_INFINITY);
        float[] x = PHASES.take(ph.size());
        try {
            for (int plane = plane0; plane < plane1; plane++) {
                ph.copyIn(in, inOff + plane * hh * ww, hh, ww, x);
                int o = plane * pp * qq;
                for (int p = 0; p < pp; p++, o += qq) {
                    for (int q = 0; q < qq; q += L) {
                        var rowLanes = F.indexInRange(q, qq);
                        var best = lowest;
                        var at = none;
                        var have = F.maskAll(false);
                        for (int r = 0; r < g.kernelH(); r++) {
                            int h = p * g.strideH() - g.padH() + r * g.dilationH();
                            if (h < 0 || h >= hh) {
                                continue;
                            }
                            int row = (h + g.padH()) * ph.width() + q;
                            for (int s = 0; s < g.kernelW(); s++) {
                                var w = lane.add(q * sw + s * g.dilationW() - g.padW());
                                var inside = w.compare(VectorOperators.GE, 0).and(w.compare(VectorOperators.LT, ww))
                                        .cast(F).and(rowLanes);
                                var v = FloatVector.fromArray(F, x, tapAt[s] + row);
                                var take = inside.and(have.not().or(v.compare(VectorOperators.GT, best))
                                        .or(v.test(VectorOperators.IS_NAN)));
                                best = best.blend(v, take);
                                at = at.blend(w.add(h * ww), take.cast(I));
                                have = have.or(inside);
                            }
                        }
                        best.intoArray(out, outOff + o + q, rowLanes);
                        if (indices != null) {
                            at.intoArray(indices, idxOff + o + q, rowLanes.cast(I));
                        }
                    }
                }
            }
        } finally {
            PHASES.give(x);
        }
    }

    /**
     * {@link #maxWindowPlanes} without indices (inference): the phases' padding holds −∞, so every tap is one
     * load and one compare, no lane masks. A lane takes a tap that is larger or NaN; starting from −∞, that is
     * the reference's value bit for bit (a first tap of −∞ or −0 leaves the same bits as taking it). ResNet's
     * stem pool spent as long on the indices and masks as the 7×7 convolution before it spent on its copies.
     */
    private static void maxWindowValues(Pool2dGeometry g, int plane0, int plane1, float[] in, int inOff, float[] out,
                                        int outOff, StridePhases ph, int[] tapAt) {
        int hh = g.height();
        int ww = g.width();
        int pp = g.outHeight();
        int qq = g.outWidth();
        var lowest = FloatVector.broadcast(F, Float.NEGATIVE_INFINITY);
        var tail = F.indexInRange(qq / L * L, qq);
        float[] x = PHASES.take(ph.size());
        try {
            Arrays.fill(x, 0, ph.size(), Float.NEGATIVE_INFINITY);
            for (int plane = plane0; plane < plane1; plane++) {
                ph.copyIn(in, inOff + plane * hh * ww, hh, ww, x);
                int o = outOff + plane * pp * qq;
                for (int p = 0; p < pp; p++, o += qq) {
                    for (int q = 0; q < qq; q += L) {
                        var best = lowest;
                        for (int r = 0; r < g.kernelH(); r++) {
                            int h = p * g.strideH() - g.padH() + r * g.dilationH();
                            if (h < 0 || h >= hh) {
                                continue;
                            }
                            int row = (h + g.padH()) * ph.width() + q;
                            for (int s = 0; s < tapAt.length; s++) {
                                var v = FloatVector.fromArray(F, x, tapAt[s] + row);
                                best = best.blend(v, v.compare(VectorOperators.GT, best).or(v.test(VectorOperators.IS_NAN)));
                            }
                        }
                        if (q + L <= qq) {
                            best.intoArray(out, o + q);
                        } else {
                            best.intoArray(out, o + q, tail);
                        }
                    }
                }
            }
        } finally {
            PHASES.give(x);
        }
    }

    /** Plane range [plane0, plane1) of a pooling pass. */
    @FunctionalInterface
    private interface PlaneRange {
        void run(int plane0, int plane1);
    }

    /**
     * Splits the planes over the threads; of each range, the planes the 2×2 vector path may take (see
     * {@link #vectorEnd}; none when {@code vector} is false) go to {@code vectorPath}, the rest to
     * {@code reference}.
     */
    private void planes(Pool2dGeometry g, boolean vector, int planeRoom, int outputRoom, PlaneRange vectorPath,
                        PlaneRange reference, Parallelism parallelism) {
        parallelism.forRange(g.batch() * g.channels(), grain(g.height() * g.width()), (a, b) -> {
            int split = vector ? vectorEnd(g, a, b, planeRoom, outputRoom) : a;
            routes.chunk(a, split, b);
            vectorPath.run(a, split);
            reference.run(split, b);
        });
    }

    /** The classic window: 2×2, stride 2, no padding or dilation, every output's window inside the input. */
    private static boolean isTwoByTwo(Pool2dGeometry g) {
        return g.kernelH() == 2 && g.kernelW() == 2 && g.strideH() == 2 && g.strideW() == 2
                && g.padH() == 0 && g.padW() == 0 && g.dilationH() == 1 && g.dilationW() == 1
                && g.outHeight() == g.height() / 2 && g.outWidth() == g.width() / 2;
    }

    /**
     * The end of the planes in [a, b) that the 2×2 vector paths may take. Their whole-vector loads and
     * masked stores run past a plane's end; the planes where that would leave an array (the last one
     * or few) run the reference loop instead. (Loads masked at the array's end, tried first, made the
     * (64, 16, 30, 30) max pool 0.7 ms, not 0.2.) {@code planeRoom}: floats from the input-sized array's
     * offset to its end; {@code outputRoom}: the least of the output-sized arrays'.
     */
    private static int vectorEnd(Pool2dGeometry g, int a, int b, int planeRoom, int outputRoom) {
        long hw = (long) g.height() * g.width();
        long pq = (long) g.outHeight() * g.outWidth();
        long byIn = (planeRoom - 2L * L) / hw;
        long byOut = (outputRoom - (long) L) / pq;
        return (int) Math.max(a, Math.min(b, Math.min(byIn, byOut)));
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
        // Rows of fewer than L outputs stay on the reference loop: its scatter beat a vector a row (with
        // the index check) 0.09 ms to 0.3 on a (64, 64, 8, 8) pool, and 0.03 to 0.09 on LeNet's (64, 16, 10, 10).
        planes(g, isTwoByTwo(g) && g.outWidth() >= L, gradIn.length - giOff,
                Math.min(gradOut.length - goOff, indices.length - idxOff), (a, b) -> {
                    for (int plane = a; plane < b; plane++) {
                        if (!max2x2BackwardPlane(g, plane, gradOut, goOff, indices, idxOff, gradIn, giOff)) {
                            routes.fallback(plane);
                            ScalarPool2d.maxBackwardPlanes(g, plane, plane + 1, gradOut, goOff, indices, idxOff,
                                    gradIn, giOff);
                        }
                    }
                }, (a, b) -> ScalarPool2d.maxBackwardPlanes(g, a, b, gradOut, goOff, indices, idxOff, gradIn, giOff),
                parallelism);
    }

    /**
     * One plane of the 2×2 max pool's gradient, written row pair by row pair (no zeroing pass, no
     * scatter): each output's gradient goes to the tap its index names and zeros to the other three,
     * interleaved into the two input rows by permutes. As the reference, 0 + g (so −0 becomes +0).
     * Returns false, having written garbage, when an index is not one of its window's four taps (not
     * from {@link #maxForward}): the caller then runs the reference on the plane.
     */
    private static boolean max2x2BackwardPlane(Pool2dGeometry g, int plane, float[] gradOut, int goOff,
                                               int[] indices, int idxOff, float[] gradIn, int giOff) {
        int w = g.width();
        int hw = g.height() * w;
        int pp = g.outHeight();
        int qq = g.outWidth();
        int giBase = giOff + plane * hw;
        if (g.height() % 2 != 0 || w % 2 != 0) {
            Arrays.fill(gradIn, giBase, giBase + hw, 0f); // the last row or column is in no window
        }
        var evenColumns = IntVector.fromArray(I, EVEN, 0);
        var zero = FloatVector.zero(F);
        int o = plane * pp * qq;
        for (int p = 0; p < pp; p++, o += qq) {
            int rowAt = 2 * p * w;
            for (int q = 0; q < qq; q += L) {
                var grad = FloatVector.fromArray(F, gradOut, goOff + o + q).add(0f);
                var at = IntVector.fromArray(I, indices, idxOff + o + q);
                var first = evenColumns.add(rowAt + 2 * q);
                var t00 = at.compare(VectorOperators.EQ, first).cast(F);
                var t01 = at.compare(VectorOperators.EQ, first.add(1)).cast(F);
                var t10 = at.compare(VectorOperators.EQ, first.add(w)).cast(F);
                var t11 = at.compare(VectorOperators.EQ, first.add(w + 1)).cast(F);
                var valid = F.indexInRange(q, qq);
                if (!t00.or(t01).or(t10).or(t11).or(valid.not()).allTrue()) {
                    return false;
                }
                var g00 = zero.blend(grad, t00);
                var g01 = zero.blend(grad, t01);
                var g10 = zero.blend(grad, t10);
                var g11 = zero.blend(grad, t11);
                int to = giBase + rowAt + 2 * q;
                int cols = 2 * Math.min(L, qq - q);
                storeColumns(ZIP_LO.selectFrom(g00, g01), ZIP_HI.selectFrom(g00, g01), gradIn, to, cols);
                storeColumns(ZIP_LO.selectFrom(g10, g11), ZIP_HI.selectFrom(g10, g11), gradIn, to + w, cols);
            }
        }
        return true;
    }

    /**
     * The first {@code cols} ≤ 2L of lo's and hi's lanes to {@code to}: whole vectors where they fit the
     * row, a mask only on a partial one, and no store at all past the row. (A store under an all-false
     * mask is the Vector API's slow path: with it, the gradient of a (64, 64, 8, 8) max pool took 0.34 ms
     * against the reference loop's 0.09.)
     */
    private static void storeColumns(FloatVector lo, FloatVector hi, float[] a, int to, int cols) {
        if (cols >= 2 * L) {
            lo.intoArray(a, to);
            hi.intoArray(a, to + L);
        } else if (cols > L) {
            lo.intoArray(a, to);
            hi.intoArray(a, to + L, F.indexInRange(L, cols));
        } else if (cols == L) {
            lo.intoArray(a, to);
        } else {
            lo.intoArray(a, to, F.indexInRange(0, cols));
        }
    }

    @Override
    public void avgForward(Pool2dGeometry g, boolean countIncludePad, float[] in, int inOff, float[] out, int outOff,
                           Parallelism parallelism) {
        planes(g, isTwoByTwo(g), in.length - inOff, out.length - outOff,
                (a, b) -> avg2x2Planes(g, a, b, in, inOff, out, outOff),
                (a, b) -> ScalarPool2d.avgForwardPlanes(g, countIncludePad, a, b, in, inOff, out, outOff), parallelism);
    }

    /**
     * The 2×2 stride-2 average, L outputs of a row at a time, the columns split as in {@link #max2x2Planes},
     * with the reference's arithmetic: the four values summed in double in window order, +0 (the
     * reference's sum starts at 0, so four −0 give +0), times 1/4 (exact, as its division by 4), rounded
     * to float. (64, 32, 32, 32) on one core (Zen 4): 5.6 ms on the reference loop, 0.43 ms so (0.3 summed
     * in float, which PoolBench's exact check rejected).
     */
    private static void avg2x2Planes(Pool2dGeometry g, int plane0, int plane1, float[] in, int inOff,
                                     float[] out, int outOff) {
        int w = g.width();
        int hw = g.height() * w;
        int pp = g.outHeight();
        int qq = g.outWidth();
        for (int plane = plane0; plane < plane1; plane++) {
            int inBase = inOff + plane * hw;
            int o = outOff + plane * pp * qq;
            for (int p = 0; p < pp; p++, o += qq) {
                for (int q = 0; q < qq; q += L) {
                    int at = inBase + 2 * p * w + 2 * q;
                    var x0 = FloatVector.fromArray(F, in, at);
                    var x1 = FloatVector.fromArray(F, in, at + L);
                    var y0 = FloatVector.fromArray(F, in, at + w);
                    var y1 = FloatVector.fromArray(F, in, at + w + L);
                    var a = EVEN_LANES.selectFrom(x0, x1);
                    var b = ODD_LANES.selectFrom(x0, x1);
                    var c = EVEN_LANES.selectFrom(y0, y1);
                    var d = ODD_LANES.selectFrom(y0, y1);
                    var low = mean(a, b, c, d, 0).convert(VectorOperators.D2F, 0);
                    var high = mean(a, b, c, d, 1).convert(VectorOperators.D2F, -1);
                    var mean = ((FloatVector) low).blend((FloatVector) high, HIGH_HALF);
                    if (q + L <= qq) {
                        mean.intoArray(out, o + q);
                    } else {
                        mean.intoArray(out, o + q, F.indexInRange(q, qq));
                    }
                }
            }
        }
    }

    /** Lanes [part·L/2, (part + 1)·L/2) of ((a + b) + c) + d in double, +0, times 1/4. */
    private static DoubleVector mean(FloatVector a, FloatVector b, FloatVector c, FloatVector d, int part) {
        var sum = (DoubleVector) a.convert(VectorOperators.F2D, part);
        sum = sum.add((DoubleVector) b.convert(VectorOperators.F2D, part));
        sum = sum.add((DoubleVector) c.convert(VectorOperators.F2D, part));
        sum = sum.add((DoubleVector) d.convert(VectorOperators.F2D, part));
        return sum.add(0.0).mul(0.25);
    }

    @Override
    public void avgBackward(Pool2dGeometry g, boolean countIncludePad, float[] gradOut, int goOff,
                            float[] gradIn, int giOff, Parallelism parallelism) {
        planes(g, isTwoByTwo(g), gradIn.length - giOff, gradOut.length - goOff,
                (a, b) -> avg2x2BackwardPlanes(g, a, b, gradOut, goOff, gradIn, giOff),
                (a, b) -> ScalarPool2d.avgBackwardPlanes(g, countIncludePad, a, b, gradOut, goOff, gradIn, giOff),
                parallelism);
    }

    /**
     * The 2×2 stride-2 average's gradient: each output's g/4 (+0, as the reference's 0 + g/4) to its four
     * taps, duplicated into the two input rows by permutes. Equal to the reference bit for bit: g/4 is
     * exact in double, and its rounding to float is the float product g·0.25.
     */
    private static void avg2x2BackwardPlanes(Pool2dGeometry g, int plane0, int plane1, float[] gradOut, int goOff,
                                             float[] gradIn, int giOff) {
        int w = g.width();
        int hw = g.height() * w;
        int pp = g.outHeight();
        int qq = g.outWidth();
        for (int plane = plane0; plane < plane1; plane++) {
            int giBase = giOff + plane * hw;
            if (g.height() % 2 != 0 || w % 2 != 0) {
                Arrays.fill(gradIn, giBase, giBase + hw, 0f); // the last row or column is in no window
            }
            int o = goOff + plane * pp * qq;
            for (int p = 0; p < pp; p++, o += qq) {
                for (int q = 0; q < qq; q += L) {
                    var share = FloatVector.fromArray(F, gradOut, o + q).mul(0.25f).add(0f);
                    var lo = ZIP_LO.selectFrom(share, share);
                    var hi = ZIP_HI.selectFrom(share, share);
                    int to = giBase + 2 * p * w + 2 * q;
                    int cols = 2 * Math.min(L, qq - q);
                    storeColumns(lo, hi, gradIn, to, cols);
                    storeColumns(lo, hi, gradIn, to + w, cols);
                }
            }
        }
    }

    @Override
    public void globalAvgForward(int planes, int planeSize, float[] in, int inOff, float[] out, int outOff,
                                 Parallelism parallelism) {
        parallelism.forRange(planes, grain(planeSize), (a, b) -> {
            routes.chunk(a, a, b);
            ScalarPool2d.globalAvgForwardPlanes(a, b, planeSize, in, inOff, out, outOff);
        });
    }

    @Override
    public void globalAvgBackward(int planes, int planeSize, float[] gradOut, int goOff, float[] gradIn, int giOff,
                                  Parallelism parallelism) {
        parallelism.forRange(planes, grain(planeSize), (a, b) -> {
            routes.chunk(a, a, b);
            ScalarPool2d.globalAvgBackwardPlanes(a, b, planeSize, gradOut, goOff, gradIn, giOff);
        });
    }
}
