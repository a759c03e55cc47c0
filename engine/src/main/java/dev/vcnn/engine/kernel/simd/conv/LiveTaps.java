package dev.vcnn.engine.kernel.simd.conv;

import dev.vcnn.engine.kernel.Conv2dGeometry;

/**
 * The kernel rows r0 … r1 − 1 and columns s0 … s1 − 1 that read the input for some output, when that is fewer
 * than all of them: a tap outside them reads only padding for every output, so it adds a zero to the forward
 * pass, sends its input gradient into the padding and has a weight gradient of zero. The layer is then the
 * {@link #cropped} one, whose kernel holds only the live taps and whose padding shrinks by the dead taps'
 * span, with the same output. ResNet-18 at CIFAR size runs its last four 3×3 layers on 2×2 and 1×1 planes,
 * where 5 or 8 of the 9 taps are dead (on one core of Zen 4, 72 of a training step's 340 ms).
 *
 * @param cropped the layer with the live taps only: same input, output, strides and dilations
 */
record LiveTaps(int r0, int r1, int s0, int s1, Conv2dGeometry cropped) {

    /** The live taps of {@code g}, or null when every tap is live (or cropping would need negative padding). */
    static LiveTaps of(Conv2dGeometry g) {
        if ((g.padTop() | g.padBottom() | g.padLeft() | g.padRight()) == 0) {
            return null; // without padding every tap reads the input for the first output
        }
        int[] rows = live(g.kernelH(), g.outHeight(), g.strideH(), g.padTop(), g.dilationH(), g.height());
        int[] cols = live(g.kernelW(), g.outWidth(), g.strideW(), g.padLeft(), g.dilationW(), g.width());
        if (rows == null || cols == null || (rows[1] - rows[0] == g.kernelH() && cols[1] - cols[0] == g.kernelW())) {
            return null;
        }
        int padTop = g.padTop() - rows[0] * g.dilationH();
        int padBottom = g.padBottom() - (g.kernelH() - rows[1]) * g.dilationH();
        int padLeft = g.padLeft() - cols[0] * g.dilationW();
        int padRight = g.padRight() - (g.kernelW() - cols[1]) * g.dilationW();
        if (padTop < 0 || padBottom < 0 || padLeft < 0 || padRight < 0) {
            return null;
        }
        var cropped = new Conv2dGeometry(g.batch(), g.inChannels(), g.height(), g.width(), g.outChannels(),
                rows[1] - rows[0], cols[1] - cols[0], g.strideH(), g.strideW(), padTop, padBottom, padLeft, padRight,
                g.dilationH(), g.dilationW(), g.groups());
        return new LiveTaps(rows[0], rows[1], cols[0], cols[1], cropped);
    }

    /**
     * The first and one past the last tap along one axis that reads an input row for some output; null when the
     * live taps are not one run (never for the geometries a layer can have, but then nothing is cropped).
     */
    private static int[] live(int taps, int outputs, int stride, int pad, int dilation, int size) {
        int first = -1;
        int last = -1;
        for (int r = 0; r < taps; r++) {
            boolean reads = false;
            for (int p = 0; p < outputs && !reads; p++) {
                long at = (long) p * stride - pad + (long) r * dilation;
                reads = at >= 0 && at < size;
            }
            if (reads) {
                if (first < 0) {
                    first = r;
                } else if (last != r - 1) {
                    return null;
                }
                last = r;
            }
        }
        return first < 0 ? null : new int[] {first, last + 1};
    }

    /** Floats of the cropped weight: K × C/G × live rows × live columns. */
    int weightFloats() {
        return cropped.outChannels() * cropped.taps();
    }

    /** Filters of the layer: K × C/G. */
    private int filters() {
        return cropped.outChannels() * cropped.inChannelsPerGroup();
    }

    /** The live taps of weight[wOff …] (K × C/G × R × S of the full layer) into dst from 0 on. */
    void crop(int kernelH, int kernelW, float[] weight, int wOff, float[] dst) {
        move(kernelH, kernelW, weight, wOff, dst, true);
    }

    /** The full layer's weight gradient at gradWeight[gwOff …]: zeros at the dead taps, {@code live}'s values at the rest. */
    void expand(int kernelH, int kernelW, float[] live, float[] gradWeight, int gwOff) {
        java.util.Arrays.fill(gradWeight, gwOff, gwOff + filters() * kernelH * kernelW, 0f);
        move(kernelH, kernelW, gradWeight, gwOff, live, false);
    }

    /**
     * Copies the live taps between the full layer's filters at full[fullOff …] and the cropped ones at live[0 …]:
     * into {@code live} when {@code toLive}, back into {@code full} otherwise. A single live tap (the centre of a
     * kernel on a 1×1 plane) moves by a strided loop, one float per filter.
     */
    private void move(int kernelH, int kernelW, float[] full, int fullOff, float[] live, boolean toLive) {
        int rr = r1 - r0;
        int ss = s1 - s0;
        int filters = filters();
        int taps = kernelH * kernelW;
        if (rr * ss == 1) {
            for (int f = 0, at = fullOff + r0 * kernelW + s0; f < filters; f++, at += taps) {
                if (toLive) {
                    live[f] = full[at];
                } else {
                    full[at] = live[f];
                }
            }
            return;
        }
        for (int f = 0; f < filters; f++) {
            for (int r = 0; r < rr; r++) {
                int at = fullOff + (f * kernelH + r0 + r) * kernelW + s0;
                int liveAt = (f * rr + r) * ss;
                if (toLive) {
                    SimdConv2d.copyRun(full, at, live, liveAt, ss);
                } else {
                    SimdConv2d.copyRun(live, liveAt, full, at, ss);
                }
            }
        }
    }
}
