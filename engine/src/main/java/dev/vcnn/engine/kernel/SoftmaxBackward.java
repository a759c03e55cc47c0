package dev.vcnn.engine.kernel;

/**
 * Backward passes of row-wise softmax and log-softmax over {@code rows} rows of {@code cols} values,
 * given the forward output y and the upstream gradient dy; row sums are taken in double. One
 * implementation serves every kernel set: these are O(rows·cols) next to the layers around them.
 */
public final class SoftmaxBackward {
    private SoftmaxBackward() {}

    /** dx = y ⊙ (dy − Σⱼ dyⱼ·yⱼ), per row; dx is overwritten. */
    public static void softmax(float[] y, int yOff, float[] dy, int dyOff, float[] dx, int dxOff, int rows, int cols) {
        for (int r = 0; r < rows; r++) {
            int base = r * cols;
            double dot = 0;
            for (int j = 0; j < cols; j++) {
                dot += (double) dy[dyOff + base + j] * y[yOff + base + j];
            }
            for (int j = 0; j < cols; j++) {
                dx[dxOff + base + j] = (float) (y[yOff + base + j] * (dy[dyOff + base + j] - dot));
            }
        }
    }

    /** dx = dy − exp(y)·Σⱼ dyⱼ, per row, with y the log-softmax output; dx is overwritten. */
    public static void logSoftmax(float[] y, int yOff, float[] dy, int dyOff, float[] dx, int dxOff, int rows, int cols) {
        for (int r = 0; r < rows; r++) {
            int base = r * cols;
            double sum = 0;
            for (int j = 0; j < cols; j++) {
                sum += dy[dyOff + base + j];
            }
            for (int j = 0; j < cols; j++) {
                dx[dxOff + base + j] = (float) (dy[dyOff + base + j] - Math.exp(y[yOff + base + j]) * sum);
            }
        }
    }
}
