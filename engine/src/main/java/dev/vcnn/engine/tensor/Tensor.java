package dev.vcnn.engine.tensor;

import java.util.Arrays;
import java.util.Locale;
import java.util.random.RandomGenerator;

/**
 * A contiguous, row-major float32 tensor: a {@code float[]}, an offset into it and a {@link Shape}.
 * Images are NCHW.
 *
 * <p>Tensors made by {@link #reshape} share their data with the original (they are views), so a
 * write through one is seen through the other. Everything else returns new storage.
 */
public final class Tensor {
    private final float[] data;
    private final int offset;
    private final Shape shape;

    private Tensor(float[] data, int offset, Shape shape) {
        this.data = data;
        this.offset = offset;
        this.shape = shape;
    }

    // ---- factories ----------------------------------------------------------------------------

    /** A tensor of zeros. */
    public static Tensor zeros(int... dims) {
        Shape s = Shape.of(dims);
        return new Tensor(new float[s.numel()], 0, s);
    }

    /** A tensor of ones. */
    public static Tensor ones(int... dims) {
        return full(1f, dims);
    }

    /** A tensor with every element {@code value}. */
    public static Tensor full(float value, int... dims) {
        Tensor t = zeros(dims);
        Arrays.fill(t.data, value);
        return t;
    }

    /** {@code [0, 1, …, n-1]} as a 1-d tensor. */
    public static Tensor arange(int n) {
        return arange(0, n, 1);
    }

    /**
     * {@code start, start+step, …} up to but excluding {@code end}, as in {@code torch.arange}.
     *
     * @throws IllegalArgumentException if {@code step == 0}
     */
    public static Tensor arange(float start, float end, float step) {
        if (step == 0 || !Float.isFinite(step)) {
            throw Checks.mismatch("arange", "step", "finite and non-zero", step);
        }
        double count = Math.ceil(((double) end - start) / step);
        int n = (int) Math.max(0, Math.min(count, Shape.MAX_ELEMENTS));
        Tensor t = zeros(n);
        for (int i = 0; i < n; i++) {
            t.data[i] = (float) (start + (double) i * step);
        }
        return t;
    }

    /**
     * A tensor holding a copy of {@code values} with the given dimensions.
     *
     * @throws IllegalArgumentException if {@code values.length} is not the shape's element count
     */
    public static Tensor of(float[] values, int... dims) {
        Shape s = Shape.of(dims);
        if (values.length != s.numel()) {
            throw Checks.mismatch("Tensor.of", "values length", s.numel(), values.length, "shape", s);
        }
        return new Tensor(values.clone(), 0, s);
    }

    /**
     * A tensor over {@code data[offset, offset + numel)} without copying: writes go to {@code data}.
     *
     * @throws IllegalArgumentException if the range is not inside {@code data}
     */
    public static Tensor wrap(float[] data, int offset, Shape shape) {
        Checks.range("Tensor.wrap", "data", data.length, offset, shape.numel());
        return new Tensor(data, offset, shape);
    }

    /** Uniform samples in {@code [low, high)} drawn in row-major order from {@code rng}. */
    public static Tensor uniform(RandomGenerator rng, float low, float high, int... dims) {
        if (!(low <= high) || !Float.isFinite(low) || !Float.isFinite(high)) {
            throw Checks.mismatch("uniform", "range [low, high)", "finite with low <= high", "[" + low + ", " + high + ")");
        }
        Tensor t = zeros(dims);
        for (int i = 0; i < t.data.length; i++) {
            t.data[i] = low == high ? low : rng.nextFloat(low, high);
        }
        return t;
    }

    /** Normal samples with the given mean and standard deviation, in row-major order from {@code rng}. */
    public static Tensor normal(RandomGenerator rng, float mean, float std, int... dims) {
        if (!(std >= 0) || !Float.isFinite(std) || !Float.isFinite(mean)) {
            throw Checks.mismatch("normal", "std", "finite and >= 0", std, "mean", mean);
        }
        Tensor t = zeros(dims);
        for (int i = 0; i < t.data.length; i++) {
            t.data[i] = (float) rng.nextGaussian(mean, std);
        }
        return t;
    }

    // ---- structure ----------------------------------------------------------------------------

    public Shape shape() {
        return shape;
    }

    public int rank() {
        return shape.rank();
    }

    public int dim(int axis) {
        return shape.dim(axis);
    }

    public int numel() {
        return shape.numel();
    }

    /** The backing array; elements live at {@code [offset(), offset() + numel())}. */
    public float[] data() {
        return data;
    }

    public int offset() {
        return offset;
    }

    /**
     * A view with the same elements and new dimensions (one may be {@code -1}); shares the data.
     *
     * @throws IllegalArgumentException if the element counts differ
     */
    public Tensor reshape(int... dims) {
        return new Tensor(data, offset, shape.reshape(dims));
    }

    /** A tensor with its own copy of the elements. */
    public Tensor copy() {
        return new Tensor(Arrays.copyOfRange(data, offset, offset + numel()), 0, shape);
    }

    /** The elements as a new array. */
    public float[] toArray() {
        return Arrays.copyOfRange(data, offset, offset + numel());
    }

    // ---- elements -----------------------------------------------------------------------------

    /** The element at a full index (one coordinate per dimension). */
    public float get(int... index) {
        return data[offset + flatIndex("get", index)];
    }

    /** Writes the element at a full index. */
    public void set(float value, int... index) {
        data[offset + flatIndex("set", index)] = value;
    }

    /**
     * The single element of a one-element tensor.
     *
     * @throws IllegalArgumentException if the tensor does not hold exactly one element
     */
    public float item() {
        if (numel() != 1) {
            throw Checks.mismatch("item", "element count", 1, numel(), "shape", shape);
        }
        return data[offset];
    }

    private int flatIndex(String op, int[] index) {
        if (index.length != shape.rank()) {
            throw Checks.mismatch(op, "index length", shape.rank(), index.length,
                    "index", Arrays.toString(index), "shape", shape);
        }
        int flat = 0;
        for (int i = 0; i < index.length; i++) {
            int d = shape.dim(i);
            if (index[i] < 0 || index[i] >= d) {
                throw Checks.mismatch(op, "index " + i, "in [0, " + d + ")", index[i],
                        "index", Arrays.toString(index), "shape", shape);
            }
            flat = flat * d + index[i];
        }
        return flat;
    }

    // ---- printing -----------------------------------------------------------------------------

    /** Beyond this many elements, {@link #toString} shows only the first and last three per axis. */
    private static final int SUMMARIZE_ABOVE = 1000;
    private static final int EDGE_ITEMS = 3;

    /**
     * PyTorch-like text: {@code tensor([[1.0000, 2.0000], [3.0000, 4.0000]])}, abbreviated with
     * {@code ...} when the tensor has more than 1000 elements; the shape follows when abbreviated.
     */
    @Override
    public String toString() {
        boolean summarize = numel() > SUMMARIZE_ABOVE;
        Formatter fmt = Formatter.of(data, offset, numel());
        var sb = new StringBuilder("tensor(");
        if (shape.rank() == 0) {
            sb.append(fmt.format(data[offset]).strip());
        } else {
            appendAxis(sb, 0, 0, fmt, summarize, "tensor(".length() + 1);
        }
        if (summarize || numel() == 0) {
            sb.append(", shape=").append(shape);
        }
        return sb.append(')').toString();
    }

    private void appendAxis(StringBuilder sb, int axis, int base, Formatter fmt, boolean summarize, int indent) {
        int n = shape.dim(axis);
        int stride = shape.numel() == 0 ? 0 : shape.numel() / productUpTo(axis + 1);
        sb.append('[');
        boolean cut = summarize && n > 2 * EDGE_ITEMS;
        for (int i = 0; i < n; i++) {
            if (cut && i == EDGE_ITEMS) {
                sb.append("...");
                i = n - EDGE_ITEMS;
                sb.append(axis == shape.rank() - 1 ? ", " : ",\n" + " ".repeat(indent));
            }
            if (axis == shape.rank() - 1) {
                sb.append(fmt.format(data[offset + base + i]));
            } else {
                appendAxis(sb, axis + 1, base + i * stride, fmt, summarize, indent + 1);
            }
            if (i < n - 1) {
                sb.append(axis == shape.rank() - 1 ? ", " : "," + "\n".repeat(shape.rank() - 1 - axis) + " ".repeat(indent));
            }
        }
        sb.append(']');
    }

    private int productUpTo(int axisEnd) {
        int p = 1;
        for (int i = 0; i < axisEnd; i++) {
            p *= shape.dim(i);
        }
        return p;
    }

    /** One number format for a whole tensor, as PyTorch chooses it: integer, fixed or scientific. */
    private record Formatter(String pattern, boolean integral, int width) {
        static Formatter of(float[] data, int offset, int n) {
            boolean integral = true;
            double maxAbs = 0;
            double minAbs = Double.POSITIVE_INFINITY;
            for (int i = 0; i < n; i++) {
                float v = data[offset + i];
                if (!Float.isFinite(v)) {
                    continue;
                }
                integral &= v == Math.rint(v);
                double a = Math.abs(v);
                maxAbs = Math.max(maxAbs, a);
                if (a > 0) {
                    minAbs = Math.min(minAbs, a);
                }
            }
            boolean scientific = maxAbs >= 1e8 || (!integral && minAbs < 1e-4) || (maxAbs / minAbs > 1000 && !integral);
            String pattern = integral && maxAbs < 1e8 ? "%.0f." : scientific ? "%.4e" : "%.4f";
            int width = 0;
            for (int i = 0; i < n; i++) {
                width = Math.max(width, raw(pattern, data[offset + i]).length());
            }
            return new Formatter(pattern, integral, width);
        }

        private static String raw(String pattern, float v) {
            if (Float.isNaN(v)) {
                return "nan";
            }
            if (Float.isInfinite(v)) {
                return v > 0 ? "inf" : "-inf";
            }
            return String.format(Locale.ROOT, pattern, v);
        }

        String format(float v) {
            String s = raw(pattern, v);
            return " ".repeat(Math.max(0, width - s.length())) + s;
        }
    }
}
