package dev.vcnn.engine.kernel.scalar;

import dev.vcnn.engine.kernel.Pool2d;
import dev.vcnn.engine.kernel.Pool2dGeometry;
import dev.vcnn.engine.parallel.Parallelism;
import java.util.Arrays;

/**
 * The reference {@link Pool2d}: one plane (an (n, c) pair, H×W → P×Q) at a time, the defining loops,
 * average sums in double. The per-plane methods are public so the parallel implementation runs
 * exactly this arithmetic, plane by plane.
 */
public final class ScalarPool2d implements Pool2d {
    /** The reference kernels; stateless. */
    public ScalarPool2d() {}

    @Override
    public void maxForward(Pool2dGeometry g, float[] in, int inOff, float[] out, int outOff, int[] indices, int idxOff,
                           Parallelism parallelism) {
        maxForwardPlanes(g, 0, g.batch() * g.channels(), in, inOff, out, outOff, indices, idxOff);
    }

    @Override
    public void maxBackward(Pool2dGeometry g, float[] gradOut, int goOff, int[] indices, int idxOff,
                            float[] gradIn, int giOff, Parallelism parallelism) {
        maxBackwardPlanes(g, 0, g.batch() * g.channels(), gradOut, goOff, indices, idxOff, gradIn, giOff);
    }

    @Override
    public void avgForward(Pool2dGeometry g, boolean countIncludePad, float[] in, int inOff, float[] out, int outOff,
                           Parallelism parallelism) {
        avgForwardPlanes(g, countIncludePad, 0, g.batch() * g.channels(), in, inOff, out, outOff);
    }

    @Override
    public void avgBackward(Pool2dGeometry g, boolean countIncludePad, float[] gradOut, int goOff,
                            float[] gradIn, int giOff, Parallelism parallelism) {
        avgBackwardPlanes(g, countIncludePad, 0, g.batch() * g.channels(), gradOut, goOff, gradIn, giOff);
    }

    @Override
    public void globalAvgForward(int planes, int planeSize, float[] in, int inOff, float[] out, int outOff,
                                 Parallelism parallelism) {
        globalAvgForwardPlanes(0, planes, planeSize, in, inOff, out, outOff);
    }

    @Override
    public void globalAvgBackward(int planes, int planeSize, float[] gradOut, int goOff, float[] gradIn, int giOff,
                                  Parallelism parallelism) {
        globalAvgBackwardPlanes(0, planes, planeSize, gradOut, goOff, gradIn, giOff);
    }

    /** Plane means for planes [plane0, plane1), each summed in double. */
    public static void globalAvgForwardPlanes(int plane0, int plane1, int planeSize, float[] in, int inOff,
                                              float[] out, int outOff) {
        for (int plane = plane0; plane < plane1; plane++) {
            double sum = 0;
            int base = inOff + plane * planeSize;
            for (int i = 0; i < planeSize; i++) {
                sum += in[base + i];
            }
            out[outOff + plane] = (float) (sum / planeSize);
        }
    }

    /** Spreads each plane's gradient evenly over its values, for planes [plane0, plane1). */
    public static void globalAvgBackwardPlanes(int plane0, int plane1, int planeSize, float[] gradOut, int goOff,
                                               float[] gradIn, int giOff) {
        for (int plane = plane0; plane < plane1; plane++) {
            float share = (float) ((double) gradOut[goOff + plane] / planeSize);
            Arrays.fill(gradIn, giOff + plane * planeSize, giOff + (plane + 1) * planeSize, share);
        }
    }

    /** Max pooling of planes [plane0, plane1); {@code indices} may be null when not needed. */
    public static void maxForwardPlanes(Pool2dGeometry g, int plane0, int plane1, float[] in, int inOff,
                                       float[] out, int outOff, int[] indices, int idxOff) {
        int hw = g.height() * g.width();
        int pq = g.outHeight() * g.outWidth();
        for (int plane = plane0; plane < plane1; plane++) {
            int inBase = inOff + plane * hw;
            int o = plane * pq;
            for (int p = 0; p < g.outHeight(); p++) {
                for (int q = 0; q < g.outWidth(); q++, o++) {
                    float best = Float.NEGATIVE_INFINITY;
                    int bestAt = -1;
                    for (int r = 0; r < g.kernelH(); r++) {
                        int h = p * g.strideH() - g.padH() + r * g.dilationH();
                        if (h < 0 || h >= g.height()) {
                            continue;
                        }
                        for (int s = 0; s < g.kernelW(); s++) {
                            int w = q * g.strideW() - g.padW() + s * g.dilationW();
                            if (w < 0 || w >= g.width()) {
                                continue;
                            }
                            float v = in[inBase + h * g.width() + w];
                            if (bestAt < 0 || v > best || Float.isNaN(v)) {
                                best = v;
                                bestAt = h * g.width() + w;
                            }
                        }
                    }
                    out[outOff + o] = best;
                    if (indices != null) {
                        indices[idxOff + o] = bestAt;
                    }
                }
            }
        }
    }

    /** Max-pooling backward over planes [plane0, plane1): zero, then route each gradient to its index. */
    public static void maxBackwardPlanes(Pool2dGeometry g, int plane0, int plane1, float[] gradOut, int goOff,
                                         int[] indices, int idxOff, float[] gradIn, int giOff) {
        int hw = g.height() * g.width();
        int pq = g.outHeight() * g.outWidth();
        Arrays.fill(gradIn, giOff + plane0 * hw, giOff + plane1 * hw, 0f);
        for (int plane = plane0; plane < plane1; plane++) {
            for (int o = plane * pq; o < (plane + 1) * pq; o++) {
                int at = indices[idxOff + o];
                if (at >= 0) { // -1: a dilated window that missed the input took no gradient
                    gradIn[giOff + plane * hw + at] += gradOut[goOff + o];
                }
            }
        }
    }

    /** The window [h0, h1) × [w0, w1) of output (p, q) clipped to the input, and its divisor. */
    private static int window(Pool2dGeometry g, boolean countIncludePad, int p, int q, int[] box) {
        int h0 = p * g.strideH() - g.padH();
        int w0 = q * g.strideW() - g.padW();
        int h1 = Math.min(h0 + g.kernelH(), g.height() + g.padH());
        int w1 = Math.min(w0 + g.kernelW(), g.width() + g.padW());
        int padded = (h1 - h0) * (w1 - w0);
        box[0] = Math.max(h0, 0);
        box[1] = Math.min(h1, g.height());
        box[2] = Math.max(w0, 0);
        box[3] = Math.min(w1, g.width());
        return countIncludePad ? padded : (box[1] - box[0]) * (box[3] - box[2]);
    }

    /** Average pooling of planes [plane0, plane1). */
    public static void avgForwardPlanes(Pool2dGeometry g, boolean countIncludePad, int plane0, int plane1,
                                       float[] in, int inOff, float[] out, int outOff) {
        int hw = g.height() * g.width();
        int pq = g.outHeight() * g.outWidth();
        int[] box = new int[4];
        for (int plane = plane0; plane < plane1; plane++) {
            int inBase = inOff + plane * hw;
            int o = plane * pq;
            for (int p = 0; p < g.outHeight(); p++) {
                for (int q = 0; q < g.outWidth(); q++, o++) {
                    int divisor = window(g, countIncludePad, p, q, box);
                    double sum = 0;
                    for (int h = box[0]; h < box[1]; h++) {
                        for (int w = box[2]; w < box[3]; w++) {
                            sum += in[inBase + h * g.width() + w];
                        }
                    }
                    out[outOff + o] = (float) (sum / divisor);
                }
            }
        }
    }

    /** Average-pooling backward over planes [plane0, plane1). */
    public static void avgBackwardPlanes(Pool2dGeometry g, boolean countIncludePad, int plane0, int plane1,
                                        float[] gradOut, int goOff, float[] gradIn, int giOff) {
        int hw = g.height() * g.width();
        int pq = g.outHeight() * g.outWidth();
        int[] box = new int[4];
        double[] acc = new double[hw];
        for (int plane = plane0; plane < plane1; plane++) {
            Arrays.fill(acc, 0);
            int o = plane * pq;
            for (int p = 0; p < g.outHeight(); p++) {
                for (int q = 0; q < g.outWidth(); q++, o++) {
                    int divisor = window(g, countIncludePad, p, q, box);
                    double share = (double) gradOut[goOff + o] / divisor;
                    for (int h = box[0]; h < box[1]; h++) {
                        for (int w = box[2]; w < box[3]; w++) {
                            acc[h * g.width() + w] += share;
                        }
                    }
                }
            }
            for (int i = 0; i < hw; i++) {
                gradIn[giOff + plane * hw + i] = (float) acc[i];
            }
        }
    }
}
