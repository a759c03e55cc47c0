package dev.vcnn.engine.kernel.simd;

import static dev.vcnn.engine.kernel.simd.SimdSpecies.F;

import jdk.incubator.vector.FloatVector;

/**
 * A zero-padded plane laid out in {@code sw} column phases: phase j holds padded columns j, j + sw, j + 2·sw, …,
 * so that the columns c, c + sw, c + 2·sw, … a strided window reads for consecutive outputs are one contiguous
 * run, of phase c mod sw from ⌊c / sw⌋ on. Rows are {@code width} floats, room for whole vectors from the
 * largest offset a kernel asks for. Used by the depthwise convolution and the general max pool.
 *
 * @param sw the horizontal stride
 * @param rows padded rows
 * @param width floats per row of one phase
 * @param padTop rows above the input
 * @param padLeft columns left of the input
 */
public record StridePhases(int sw, int rows, int width, int padTop, int padLeft) {
    /**
     * The layout for an input of {@code height × inWidth} padded by the given rows and columns, read at stride
     * {@code sw} for {@code outWidth} outputs from column offsets up to {@code maxOffset}, {@code lanes} at a
     * time.
     */
    public static StridePhases of(int height, int inWidth, int padTop, int padBottom, int padLeft, int padRight, int sw,
                                  int outWidth, int maxOffset, int lanes) {
        int paddedWidth = inWidth + padLeft + padRight;
        int whole = (outWidth + lanes - 1) / lanes * lanes;
        int width = Math.max(whole + maxOffset / sw, (paddedWidth + sw - 1) / sw);
        return new StridePhases(sw, height + padTop + padBottom, width, padTop, padLeft);
    }

    /** Floats of the whole layout. */
    public int size() {
        return sw * rows * width;
    }

    /** Where padded row {@code row}, padded column {@code column} lives. */
    public int at(int row, int column) {
        return (column % sw * rows + row) * width + column / sw;
    }

    /** Copies plane {@code plane} ({@code height × inWidth}) of {@code in} into the interior; the rest is left as is. */
    public void copyIn(float[] in, int plane, int height, int inWidth, float[] x) {
        for (int h = 0; h < height; h++) {
            int src = plane + h * inWidth;
            int row = h + padTop;
            if (sw == 1) {
                copyRow(in, src, inWidth, x, row * width + padLeft);
            } else {
                int w = sw == 2 ? splitPairs(in, src, inWidth, row, x) : 0;
                int phase = (padLeft + w) % sw;
                int t = (padLeft + w) / sw;
                for (; w < inWidth; w++) {
                    x[(phase * rows + row) * width + t] = in[src + w];
                    if (++phase == sw) {
                        phase = 0;
                        t++;
                    }
                }
            }
        }
    }

    /**
     * One row by vectors, the last under a mask so the padding after it keeps its zeros: on planes of 7 to 28
     * columns, {@code System.arraycopy} per row took half a depthwise layer's time.
     */
    private static void copyRow(float[] in, int src, int n, float[] x, int dst) {
        int lanes = F.length();
        int w = 0;
        for (; w + lanes <= n; w += lanes) {
            FloatVector.fromArray(F, in, src + w).intoArray(x, dst + w);
        }
        if (w < n) {
            if (src + w + lanes <= in.length) {
                FloatVector.fromArray(F, in, src + w).intoArray(x, dst + w, F.indexInRange(0, n - w));
            } else {
                System.arraycopy(in, src + w, x, dst + w, n - w);
            }
        }
    }

    /** Copies the interior out into plane {@code plane} ({@code height × inWidth}) of {@code out}. */
    public void copyOut(float[] x, float[] out, int plane, int height, int inWidth) {
        for (int h = 0; h < height; h++) {
            int dst = plane + h * inWidth;
            int row = h + padTop;
            if (sw == 1) {
                System.arraycopy(x, row * width + padLeft, out, dst, inWidth);
            } else {
                int w = sw == 2 ? joinPairs(x, row, out, dst, inWidth) : 0;
                int phase = (padLeft + w) % sw;
                int t = (padLeft + w) / sw;
                for (; w < inWidth; w++) {
                    out[dst + w] = x[(phase * rows + row) * width + t];
                    if (++phase == sw) {
                        phase = 0;
                        t++;
                    }
                }
            }
        }
    }

    /**
     * Stride 2: one row's columns into their two phases (see {@link #splitPairs(float[], int, int, float[], int, int)}).
     * Input column w is padded column padLeft + w: phase (padLeft + w) % 2, position (padLeft + w) / 2.
     */
    private int splitPairs(float[] in, int src, int inWidth, int row, float[] x) {
        int evenAt = ((padLeft % 2) * rows + row) * width + padLeft / 2;
        int oddAt = ((1 - padLeft % 2) * rows + row) * width + (padLeft + 1) / 2;
        return splitPairs(in, src, inWidth, x, evenAt, oddAt);
    }

    /**
     * Stride 2: input columns w … w + 2L − 1 of one row, split into their even and odd columns by two lane
     * permutations and stored as one vector into each phase: the even columns 0, 2, 4, … from {@code evenAt} on,
     * the odd ones from {@code oddAt}. The last, partial group of columns is split the same way and stored under
     * masks, so what lies beside it keeps its values; it reads whole vectors where they end inside {@code in} (a
     * row of 28 columns copied column by column took three quarters of a stride-2 depthwise layer). Returns the
     * first column left to copy.
     */
    public static int splitPairs(float[] in, int src, int inWidth, float[] x, int evenAt, int oddAt) {
        int lanes = F.length();
        int w = 0;
        for (; w + 2 * lanes <= inWidth; w += 2 * lanes) {
            var x0 = FloatVector.fromArray(F, in, src + w);
            var x1 = FloatVector.fromArray(F, in, src + w + lanes);
            Lanes.EVEN_LANES.selectFrom(x0, x1).intoArray(x, evenAt + w / 2);
            Lanes.ODD_LANES.selectFrom(x0, x1).intoArray(x, oddAt + w / 2);
        }
        int left = inWidth - w;
        if (left > 1 && src + w + 2 * lanes <= in.length) {
            var x0 = FloatVector.fromArray(F, in, src + w);
            var x1 = FloatVector.fromArray(F, in, src + w + lanes);
            Lanes.EVEN_LANES.selectFrom(x0, x1).intoArray(x, evenAt + w / 2, F.indexInRange(0, (left + 1) / 2));
            Lanes.ODD_LANES.selectFrom(x0, x1).intoArray(x, oddAt + w / 2, F.indexInRange(0, left / 2));
            w = inWidth;
        }
        return w;
    }

    /** The inverse of {@link #splitPairs}: the two phases' runs interleaved back into a row of {@code out}. */
    private int joinPairs(float[] x, int row, float[] out, int dst, int inWidth) {
        int lanes = F.length();
        int evenAt = ((padLeft % 2) * rows + row) * width + padLeft / 2;
        int oddAt = ((1 - padLeft % 2) * rows + row) * width + (padLeft + 1) / 2;
        int w = 0;
        for (; w + 2 * lanes <= inWidth; w += 2 * lanes) {
            var even = FloatVector.fromArray(F, x, evenAt + w / 2);
            var odd = FloatVector.fromArray(F, x, oddAt + w / 2);
            Lanes.ZIP_LO.selectFrom(even, odd).intoArray(out, dst + w);
            Lanes.ZIP_HI.selectFrom(even, odd).intoArray(out, dst + w + lanes);
        }
        return w;
    }
}
