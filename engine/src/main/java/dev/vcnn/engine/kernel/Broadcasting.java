package dev.vcnn.engine.kernel;

import dev.vcnn.engine.tensor.Checks;
import dev.vcnn.engine.tensor.Shape;

/**
 * NumPy/PyTorch broadcasting between row-major shapes: dimensions are matched from the right, and a
 * dimension of 1 (or a missing one) stretches to the other's size. {@link #expand} copies a small
 * tensor out to a broadcast shape; {@link #reduceSum} is its adjoint, summing a gradient back to the
 * small shape (in double, in one fixed order, so the result does not depend on threads).
 *
 * <p>These are data-movement and small-reduction loops with one implementation for every kernel set.
 */
public final class Broadcasting {
    private Broadcasting() {}

    /**
     * The broadcast of two shapes, as {@code torch.broadcast_shapes}.
     *
     * @throws IllegalArgumentException naming both shapes if a dimension pair is neither equal nor 1
     */
    public static Shape shape(String op, Shape a, Shape b) {
        int rank = Math.max(a.rank(), b.rank());
        int[] dims = new int[rank];
        for (int i = 0; i < rank; i++) {
            int da = dimFromRight(a, rank - 1 - i);
            int db = dimFromRight(b, rank - 1 - i);
            if (da != db && da != 1 && db != 1) {
                throw Checks.mismatch(op, "dimension " + i + " of the broadcast", "equal or 1 in both", da + " vs " + db,
                        "a", a, "b", b);
            }
            dims[i] = da == 1 ? db : da;
        }
        return Shape.of(dims);
    }

    private static int dimFromRight(Shape s, int fromRight) {
        int axis = s.rank() - 1 - fromRight;
        return axis < 0 ? 1 : s.dim(axis);
    }

    /** Strides of {@code small} laid out over {@code big}'s axes, 0 where {@code small} is broadcast. */
    private static int[] broadcastStrides(Shape small, Shape big) {
        int rank = big.rank();
        int[] own = small.strides();
        int[] strides = new int[rank];
        for (int i = 0; i < rank; i++) {
            int axis = small.rank() - rank + i;
            strides[i] = axis < 0 || small.dim(axis) == 1 ? 0 : own[axis];
        }
        return strides;
    }

    /** dst (shape {@code big}) = src (shape {@code small}) broadcast; {@code small} must broadcast to {@code big}. */
    public static void expand(float[] src, int srcOff, Shape small, float[] dst, int dstOff, Shape big) {
        int n = big.numel();
        if (n == 0) {
            return;
        }
        int rank = big.rank();
        int[] strides = broadcastStrides(small, big);
        int inner = rank == 0 ? 1 : big.dim(rank - 1);
        int innerStride = rank == 0 ? 0 : strides[rank - 1];
        int[] index = new int[rank];
        int s = srcOff;
        for (int d = dstOff, end = dstOff + n; d < end; d += inner) {
            if (innerStride == 1) {
                System.arraycopy(src, s, dst, d, inner);
            } else {
                java.util.Arrays.fill(dst, d, d + inner, src[s]);
            }
            s = advance(index, big, strides, rank - 2, s);
        }
    }

    /**
     * dst (shape {@code small}) = Σ of src (shape {@code big}) over the broadcast axes; dst is overwritten.
     */
    public static void reduceSum(float[] src, int srcOff, Shape big, float[] dst, int dstOff, Shape small) {
        double[] acc = new double[small.numel()];
        int n = big.numel();
        int rank = big.rank();
        if (n > 0) {
            int[] strides = broadcastStrides(small, big);
            int inner = rank == 0 ? 1 : big.dim(rank - 1);
            int innerStride = rank == 0 ? 0 : strides[rank - 1];
            int[] index = new int[rank];
            int s = 0;
            for (int b = srcOff, end = srcOff + n; b < end; b += inner) {
                if (innerStride == 1) {
                    for (int j = 0; j < inner; j++) {
                        acc[s + j] += src[b + j];
                    }
                } else {
                    double sum = 0;
                    for (int j = 0; j < inner; j++) {
                        sum += src[b + j];
                    }
                    acc[s] += sum;
                }
                s = advance(index, big, strides, rank - 2, s);
            }
        }
        for (int i = 0; i < acc.length; i++) {
            dst[dstOff + i] = (float) acc[i];
        }
    }

    /** Steps a row-major index over {@code big}'s axes [0, last] and returns the matching small offset. */
    private static int advance(int[] index, Shape big, int[] strides, int last, int s) {
        for (int axis = last; axis >= 0; axis--) {
            index[axis]++;
            s += strides[axis];
            if (index[axis] < big.dim(axis)) {
                return s;
            }
            s -= strides[axis] * index[axis];
            index[axis] = 0;
        }
        return s;
    }
}
