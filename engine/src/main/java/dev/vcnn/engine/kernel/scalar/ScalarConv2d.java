package dev.vcnn.engine.kernel.scalar;

import dev.vcnn.engine.kernel.Conv2d;
import dev.vcnn.engine.kernel.Conv2dGeometry;
import dev.vcnn.engine.parallel.Parallelism;

/**
 * The reference {@link Conv2d}: the defining sums as plain loops, accumulated in double and rounded
 * once per output. Letters: N batch, C in-channels, K out-channels, H/W input, R/S filter, P/Q output,
 * G groups (Cg = C/G and Kg = K/G per group). Runs on the calling thread.
 */
public final class ScalarConv2d implements Conv2d {
    /** The reference kernels; stateless. */
    public ScalarConv2d() {}

    @Override
    public void forward(Conv2dGeometry g, float[] input, int inOff, float[] weight, int wOff,
                        float[] bias, int bOff, float[] out, int outOff, Parallelism parallelism) {
        int cg = g.inChannels() / g.groups();
        int kg = g.outChannels() / g.groups();
        int pp = g.outHeight();
        int qq = g.outWidth();
        for (int n = 0; n < g.batch(); n++) {
            for (int k = 0; k < g.outChannels(); k++) {
                int c0 = (k / kg) * cg;
                for (int p = 0; p < pp; p++) {
                    for (int q = 0; q < qq; q++) {
                        double acc = bias == null ? 0 : bias[bOff + k];
                        for (int c = 0; c < cg; c++) {
                            for (int r = 0; r < g.kernelH(); r++) {
                                int h = p * g.strideH() - g.padTop() + r * g.dilationH();
                                if (h < 0 || h >= g.height()) {
                                    continue;
                                }
                                for (int s = 0; s < g.kernelW(); s++) {
                                    int w = q * g.strideW() - g.padLeft() + s * g.dilationW();
                                    if (w < 0 || w >= g.width()) {
                                        continue;
                                    }
                                    acc += (double) input[inOff + ((n * g.inChannels() + c0 + c) * g.height() + h) * g.width() + w]
                                            * weight[wOff + ((k * cg + c) * g.kernelH() + r) * g.kernelW() + s];
                                }
                            }
                        }
                        out[outOff + ((n * g.outChannels() + k) * pp + p) * qq + q] = (float) acc;
                    }
                }
            }
        }
    }

    @Override
    public void backwardInput(Conv2dGeometry g, float[] gradOut, int goOff, float[] weight, int wOff,
                              float[] gradIn, int giOff, Parallelism parallelism) {
        int cg = g.inChannels() / g.groups();
        int kg = g.outChannels() / g.groups();
        int pp = g.outHeight();
        int qq = g.outWidth();
        double[] acc = new double[g.batch() * g.inChannels() * g.height() * g.width()];
        for (int n = 0; n < g.batch(); n++) {
            for (int k = 0; k < g.outChannels(); k++) {
                int c0 = (k / kg) * cg;
                for (int p = 0; p < pp; p++) {
                    for (int q = 0; q < qq; q++) {
                        double go = gradOut[goOff + ((n * g.outChannels() + k) * pp + p) * qq + q];
                        for (int c = 0; c < cg; c++) {
                            for (int r = 0; r < g.kernelH(); r++) {
                                int h = p * g.strideH() - g.padTop() + r * g.dilationH();
                                if (h < 0 || h >= g.height()) {
                                    continue;
                                }
                                for (int s = 0; s < g.kernelW(); s++) {
                                    int w = q * g.strideW() - g.padLeft() + s * g.dilationW();
                                    if (w < 0 || w >= g.width()) {
                                        continue;
                                    }
                                    acc[((n * g.inChannels() + c0 + c) * g.height() + h) * g.width() + w] +=
                                            go * weight[wOff + ((k * cg + c) * g.kernelH() + r) * g.kernelW() + s];
                                }
                            }
                        }
                    }
                }
            }
        }
        for (int i = 0; i < acc.length; i++) {
            gradIn[giOff + i] = (float) acc[i];
        }
    }

    @Override
    public void backwardWeight(Conv2dGeometry g, float[] input, int inOff, float[] gradOut, int goOff,
                               float[] gradWeight, int gwOff, Parallelism parallelism) {
        int cg = g.inChannels() / g.groups();
        int kg = g.outChannels() / g.groups();
        int pp = g.outHeight();
        int qq = g.outWidth();
        for (int k = 0; k < g.outChannels(); k++) {
            int c0 = (k / kg) * cg;
            for (int c = 0; c < cg; c++) {
                for (int r = 0; r < g.kernelH(); r++) {
                    for (int s = 0; s < g.kernelW(); s++) {
                        double acc = 0;
                        for (int n = 0; n < g.batch(); n++) {
                            for (int p = 0; p < pp; p++) {
                                int h = p * g.strideH() - g.padTop() + r * g.dilationH();
                                if (h < 0 || h >= g.height()) {
                                    continue;
                                }
                                for (int q = 0; q < qq; q++) {
                                    int w = q * g.strideW() - g.padLeft() + s * g.dilationW();
                                    if (w < 0 || w >= g.width()) {
                                        continue;
                                    }
                                    acc += (double) gradOut[goOff + ((n * g.outChannels() + k) * pp + p) * qq + q]
                                            * input[inOff + ((n * g.inChannels() + c0 + c) * g.height() + h) * g.width() + w];
                                }
                            }
                        }
                        gradWeight[gwOff + ((k * cg + c) * g.kernelH() + r) * g.kernelW() + s] = (float) acc;
                    }
                }
            }
        }
    }

    @Override
    public void backwardBias(Conv2dGeometry g, float[] gradOut, int goOff, float[] gradBias, int gbOff,
                             Parallelism parallelism) {
        int pq = g.outHeight() * g.outWidth();
        for (int k = 0; k < g.outChannels(); k++) {
            double acc = 0;
            for (int n = 0; n < g.batch(); n++) {
                int base = goOff + (n * g.outChannels() + k) * pq;
                for (int i = 0; i < pq; i++) {
                    acc += gradOut[base + i];
                }
            }
            gradBias[gbOff + k] = (float) acc;
        }
    }
}
