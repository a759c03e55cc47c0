package dev.vcnn.engine.kernel.simd;

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
                System.arraycopy(in, src, x, row * width + padLeft, inWidth);
            } else {
                int phase = padLeft % sw;
                int t = padLeft / sw;
                for (int w = 0; w < inWidth; w++) {
                    x[(phase * rows + row) * width + t] = in[src + w];
                    if (++phase == sw) {
                        phase = 0;
                        t++;
                    }
                }
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
                int phase = padLeft % sw;
                int t = padLeft / sw;
                for (int w = 0; w < inWidth; w++) {
                    out[dst + w] = x[(phase * rows + row) * width + t];
                    if (++phase == sw) {
                        phase = 0;
                        t++;
                    }
                }
            }
        }
    }
}
