package dev.vcnn.engine.tensor;

import java.util.Arrays;

/**
 * The dimensions of a tensor, outermost first ({@code [N, C, H, W]} for images). Immutable.
 *
 * <p>Every dimension is {@code >= 0} and the element count fits in a Java array (at most {@link
 * #MAX_ELEMENTS}); both are checked when the shape is made, so code holding a {@code Shape} never
 * has to.
 */
public final class Shape {
    /** The largest element count a shape may have: the largest {@code float[]} the JVM allocates. */
    public static final int MAX_ELEMENTS = Integer.MAX_VALUE - 8;

    private static final Shape SCALAR = new Shape(new int[0], 1);

    private final int[] dims;
    private final int numel;

    private Shape(int[] dims, int numel) {
        this.dims = dims;
        this.numel = numel;
    }

    /**
     * A shape with the given dimensions.
     *
     * @throws IllegalArgumentException if a dimension is negative or the element count exceeds
     *     {@link #MAX_ELEMENTS}
     */
    public static Shape of(int... dims) {
        if (dims.length == 0) {
            return SCALAR;
        }
        long count = 1;
        for (int i = 0; i < dims.length; i++) {
            if (dims[i] < 0) {
                throw new IllegalArgumentException(
                        "shape: dimension " + i + " must be >= 0 but was " + dims[i] + " (dims=" + Arrays.toString(dims) + ")");
            }
            count *= dims[i];
            // Once a product passes the array limit it can only grow (or become 0): stop before overflow.
            if (count > MAX_ELEMENTS) {
                boolean hasZero = Arrays.stream(dims).anyMatch(d -> d == 0);
                if (!hasZero) {
                    throw new IllegalArgumentException("shape: element count must be <= " + MAX_ELEMENTS
                            + " but was larger (dims=" + Arrays.toString(dims) + ")");
                }
                count = 0;
                break;
            }
        }
        return new Shape(dims.clone(), (int) count);
    }

    /** The number of dimensions. */
    public int rank() {
        return dims.length;
    }

    /** Dimension {@code axis}; negative axes count from the end, as in PyTorch. */
    public int dim(int axis) {
        return dims[normalizeAxis(axis)];
    }

    /** The product of all dimensions (1 for a scalar). */
    public int numel() {
        return numel;
    }

    /** A copy of the dimensions. */
    public int[] toArray() {
        return dims.clone();
    }

    /**
     * {@code axis} as an index in {@code [0, rank)}, accepting {@code [-rank, rank)}.
     *
     * @throws IllegalArgumentException if the axis is out of range
     */
    public int normalizeAxis(int axis) {
        int a = axis < 0 ? axis + dims.length : axis;
        if (a < 0 || a >= dims.length) {
            throw new IllegalArgumentException("shape: axis must be in [" + (-dims.length) + ", " + dims.length
                    + ") but was " + axis + " (shape=" + this + ")");
        }
        return a;
    }

    /** Row-major strides in elements: the last dimension has stride 1. */
    public int[] strides() {
        int[] strides = new int[dims.length];
        int s = 1;
        for (int i = dims.length - 1; i >= 0; i--) {
            strides[i] = s;
            s *= dims[i];
        }
        return strides;
    }

    /**
     * This shape's element count under new dimensions, where at most one may be {@code -1} to be
     * inferred.
     *
     * @throws IllegalArgumentException if the element counts differ or more than one dimension is -1
     */
    public Shape reshape(int... newDims) {
        int infer = -1;
        long known = 1;
        for (int i = 0; i < newDims.length; i++) {
            if (newDims[i] == -1) {
                if (infer >= 0) {
                    throw new IllegalArgumentException("reshape: at most one dimension may be -1 but was "
                            + Arrays.toString(newDims) + " (shape=" + this + ")");
                }
                infer = i;
            } else if (newDims[i] < 0) {
                throw new IllegalArgumentException("reshape: dimension " + i + " must be >= 0 or -1 but was "
                        + newDims[i] + " (shape=" + this + ")");
            } else {
                known *= newDims[i];
            }
        }
        int[] resolved = newDims.clone();
        if (infer >= 0) {
            if (known == 0 || numel % known != 0) {
                throw new IllegalArgumentException("reshape: element count must be a multiple of " + known
                        + " but was " + numel + " (shape=" + this + ", requested=" + Arrays.toString(newDims) + ")");
            }
            resolved[infer] = (int) (numel / known);
        } else if (known != numel) {
            throw new IllegalArgumentException("reshape: element count must be " + numel + " but was " + known
                    + " (shape=" + this + ", requested=" + Arrays.toString(newDims) + ")");
        }
        return of(resolved);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Shape other && Arrays.equals(dims, other.dims);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(dims);
    }

    /** {@code [N, C, H, W]}. */
    @Override
    public String toString() {
        return Arrays.toString(dims);
    }
}
