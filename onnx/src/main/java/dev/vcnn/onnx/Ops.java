package dev.vcnn.onnx;

import dev.vcnn.engine.autograd.Functional;
import dev.vcnn.engine.autograd.Variable;
import dev.vcnn.engine.tensor.Shape;
import dev.vcnn.engine.tensor.Tensor;
import java.util.function.DoubleBinaryOperator;

/**
 * The differentiable tensor operations ONNX graphs need beyond {@link Functional}'s: elementwise functions with
 * broadcasting, axis permutation, and one "taps along an axis" primitive from which padding, gathering,
 * resizing, flipping and zero insertion are built. Each is a {@link Functional#custom} op whose backward is the
 * adjoint of its forward (a scatter-add of the same taps), so every one trains. They favour plainness over
 * speed: they move data, and the convolutions and matrix products around them dominate a CNN's time.
 */
final class Ops {
    private Ops() {}

    /** The derivative of y = f(x) with respect to x, given x and y. */
    @FunctionalInterface
    interface Derivative {
        double at(double x, double y);
    }

    /** y = f(x) elementwise, in double then rounded to float. */
    static Variable unary(String op, Variable x, java.util.function.DoubleUnaryOperator f, Derivative d) {
        Tensor xv = x.value();
        float[] xs = xv.data();
        int xo = xv.offset();
        int n = xv.numel();
        Tensor y = Tensor.zeros(xv.shape().toArray());
        float[] ys = y.data();
        for (int i = 0; i < n; i++) {
            ys[i] = (float) f.applyAsDouble(xs[xo + i]);
        }
        return Functional.custom(op, y, dy -> {
            Tensor g = Tensor.zeros(xv.shape().toArray());
            float[] gs = g.data();
            float[] dys = dy.data();
            int dyo = dy.offset();
            for (int i = 0; i < n; i++) {
                gs[i] = (float) (dys[dyo + i] * d.at(xs[xo + i], ys[i]));
            }
            return new Tensor[] {g};
        }, x);
    }

    /**
     * y = f(a, b) elementwise with ONNX's multidirectional (numpy) broadcasting; da and db are ∂f/∂a and ∂f/∂b
     * at (a, b).
     */
    static Variable binary(String op, Variable a, Variable b, DoubleBinaryOperator f, DoubleBinaryOperator da,
                           DoubleBinaryOperator db) {
        Shape out = broadcast(op, a.shape(), b.shape());
        int[] ia = sourceIndex(a.shape(), out);
        int[] ib = sourceIndex(b.shape(), out);
        Tensor av = a.value();
        Tensor bv = b.value();
        float[] as = av.data();
        float[] bs = bv.data();
        int ao = av.offset();
        int bo = bv.offset();
        Tensor y = Tensor.zeros(out.toArray());
        float[] ys = y.data();
        for (int i = 0; i < ys.length; i++) {
            ys[i] = (float) f.applyAsDouble(as[ao + ia[i]], bs[bo + ib[i]]);
        }
        return Functional.custom(op, y, dy -> {
            Tensor ga = Tensor.zeros(a.shape().toArray());
            Tensor gb = Tensor.zeros(b.shape().toArray());
            float[] dys = dy.data();
            int dyo = dy.offset();
            for (int i = 0; i < ys.length; i++) {
                double x1 = as[ao + ia[i]];
                double x2 = bs[bo + ib[i]];
                ga.data()[ia[i]] += (float) (dys[dyo + i] * da.applyAsDouble(x1, x2));
                gb.data()[ib[i]] += (float) (dys[dyo + i] * db.applyAsDouble(x1, x2));
            }
            return new Tensor[] {ga, gb};
        }, a, b);
    }

    /** The broadcast of two shapes, numpy's rule: dimensions aligned from the right, each equal or 1. */
    static Shape broadcast(String op, Shape a, Shape b) {
        int rank = Math.max(a.rank(), b.rank());
        int[] dims = new int[rank];
        for (int i = 0; i < rank; i++) {
            int da = i < rank - a.rank() ? 1 : a.dim(i - (rank - a.rank()));
            int db = i < rank - b.rank() ? 1 : b.dim(i - (rank - b.rank()));
            if (da != db && da != 1 && db != 1) {
                throw new IllegalArgumentException(op + ": shapes " + a + " and " + b + " do not broadcast (axis " + i
                        + ": " + da + " vs " + db + ")");
            }
            dims[i] = da == 1 ? db : da;
        }
        return Shape.of(dims);
    }

    /** For each element of {@code out}, the flat index of the element of {@code src} broadcast to it. */
    static int[] sourceIndex(Shape src, Shape out) {
        int rank = out.rank();
        int[] strides = new int[rank];
        int s = 1;
        for (int i = rank - 1; i >= 0; i--) {
            int j = i - (rank - src.rank());
            if (j >= 0) {
                strides[i] = src.dim(j) == 1 ? 0 : s;
                s *= src.dim(j);
            }
        }
        int n = out.numel();
        int[] index = new int[n];
        int[] coord = new int[rank];
        int at = 0;
        for (int i = 0; i < n; i++) {
            index[i] = at;
            for (int d = rank - 1; d >= 0; d--) {
                coord[d]++;
                at += strides[d];
                if (coord[d] < out.dim(d)) {
                    break;
                }
                at -= strides[d] * coord[d];
                coord[d] = 0;
            }
        }
        return index;
    }

    /** x with its axes reordered: output axis i is input axis perm[i]. */
    static Variable permute(Variable x, int[] perm) {
        Shape s = x.shape();
        int rank = s.rank();
        int[] dims = new int[rank];
        int[] inStrides = s.strides();
        int[] strides = new int[rank];
        for (int i = 0; i < rank; i++) {
            dims[i] = s.dim(perm[i]);
            strides[i] = inStrides[perm[i]];
        }
        Shape out = Shape.of(dims);
        int n = out.numel();
        int[] src = new int[n];
        int[] coord = new int[rank];
        int at = 0;
        for (int i = 0; i < n; i++) {
            src[i] = at;
            for (int d = rank - 1; d >= 0; d--) {
                coord[d]++;
                at += strides[d];
                if (coord[d] < dims[d]) {
                    break;
                }
                at -= strides[d] * coord[d];
                coord[d] = 0;
            }
        }
        Tensor xv = x.value();
        Tensor y = Tensor.zeros(dims);
        for (int i = 0; i < n; i++) {
            y.data()[i] = xv.data()[xv.offset() + src[i]];
        }
        return Functional.custom("transpose", y, dy -> {
            Tensor g = Tensor.zeros(s.toArray());
            for (int i = 0; i < n; i++) {
                g.data()[src[i]] = dy.data()[dy.offset() + i];
            }
            return new Tensor[] {g};
        }, x);
    }

    /**
     * Taps along one axis: output position j along {@code axis} is Σ_t weight[t]·x[…, source[t], …] over the taps
     * {@code start[j] ≤ t < start[j+1]}, or {@code fill} where position j has no taps. The other axes pass through.
     */
    static Variable taps(String op, Variable x, int axis, int outLen, int[] start, int[] source, float[] weight,
                         float fill) {
        Shape s = x.shape();
        int len = s.dim(axis);
        int outer = 1;
        for (int i = 0; i < axis; i++) {
            outer *= s.dim(i);
        }
        int inner = 1;
        for (int i = axis + 1; i < s.rank(); i++) {
            inner *= s.dim(i);
        }
        int[] dims = s.toArray();
        dims[axis] = outLen;
        Tensor xv = x.value();
        float[] xs = xv.data();
        int xo = xv.offset();
        Tensor y = Tensor.zeros(dims);
        float[] ys = y.data();
        for (int o = 0; o < outer; o++) {
            for (int j = 0; j < outLen; j++) {
                int yBase = (o * outLen + j) * inner;
                if (start[j] == start[j + 1]) {
                    java.util.Arrays.fill(ys, yBase, yBase + inner, fill);
                    continue;
                }
                for (int t = start[j]; t < start[j + 1]; t++) {
                    int xBase = xo + (o * len + source[t]) * inner;
                    float w = weight[t];
                    for (int i = 0; i < inner; i++) {
                        ys[yBase + i] += w * xs[xBase + i];
                    }
                }
            }
        }
        final int outerCount = outer;
        final int innerCount = inner;
        return Functional.custom(op, y, dy -> {
            Tensor g = Tensor.zeros(s.toArray());
            float[] gs = g.data();
            float[] dys = dy.data();
            int dyo = dy.offset();
            for (int o = 0; o < outerCount; o++) {
                for (int j = 0; j < outLen; j++) {
                    int yBase = dyo + (o * outLen + j) * innerCount;
                    for (int t = start[j]; t < start[j + 1]; t++) {
                        int gBase = (o * len + source[t]) * innerCount;
                        float w = weight[t];
                        for (int i = 0; i < innerCount; i++) {
                            gs[gBase + i] += w * dys[yBase + i];
                        }
                    }
                }
            }
            return new Tensor[] {g};
        }, x);
    }

    /** Taps of weight 1 from one source each (-1: no source, the fill value). */
    static Variable select(String op, Variable x, int axis, int[] sourceOrMinusOne, float fill) {
        int n = sourceOrMinusOne.length;
        int[] start = new int[n + 1];
        int count = 0;
        for (int j = 0; j < n; j++) {
            start[j] = count;
            if (sourceOrMinusOne[j] >= 0) {
                count++;
            }
        }
        start[n] = count;
        int[] source = new int[count];
        float[] weight = new float[count];
        for (int j = 0, t = 0; j < n; j++) {
            if (sourceOrMinusOne[j] >= 0) {
                source[t] = sourceOrMinusOne[j];
                weight[t++] = 1f;
            }
        }
        return taps(op, x, axis, n, start, source, weight, fill);
    }

    /**
     * ONNX Pad on one axis: {@code before}/{@code after} positions (negative ones crop) in mode "constant",
     * "reflect" (mirror without repeating the edge) or "edge".
     */
    static Variable pad(Variable x, int axis, int before, int after, String mode, float value) {
        int len = x.shape().dim(axis);
        int outLen = len + before + after;
        if (outLen < 0) {
            throw new IllegalArgumentException("Pad: axis " + axis + " of length " + len + " cannot lose "
                    + -(before + after) + " positions");
        }
        if ("reflect".equals(mode) && (before >= len || after >= len)) {
            throw new IllegalArgumentException("Pad: reflect padding of " + Math.max(before, after) + " on axis " + axis
                    + " must be less than its length " + len);
        }
        int[] src = new int[outLen];
        for (int j = 0; j < outLen; j++) {
            int i = j - before;
            if (i < 0 || i >= len) {
                i = switch (mode) {
                    case "constant" -> -1;
                    case "edge" -> i < 0 ? 0 : len - 1;
                    case "reflect" -> i < 0 ? -i : 2 * (len - 1) - i;
                    default -> throw new IllegalArgumentException("Pad: mode '" + mode + "' is not supported");
                };
            }
            src[j] = i;
        }
        return select("pad", x, axis, src, value);
    }

    /** x with {@code stride − 1} zeros between neighbours along an axis: the input of a transposed convolution. */
    static Variable insertZeros(Variable x, int axis, int stride) {
        int len = x.shape().dim(axis);
        if (stride == 1 || len == 0) {
            return x;
        }
        int[] src = new int[(len - 1) * stride + 1];
        for (int j = 0; j < src.length; j++) {
            src[j] = j % stride == 0 ? j / stride : -1;
        }
        return select("insert_zeros", x, axis, src, 0f);
    }

    /** x reversed along an axis. */
    static Variable flip(Variable x, int axis) {
        int len = x.shape().dim(axis);
        int[] src = new int[len];
        for (int j = 0; j < len; j++) {
            src[j] = len - 1 - j;
        }
        return select("flip", x, axis, src, 0f);
    }

    /** Gather along an axis with indices (negative ones count from the end) of any shape. */
    static Variable gather(Variable x, int axis, long[] indices, int[] indexDims) {
        Shape s = x.shape();
        int len = s.dim(axis);
        int[] src = new int[indices.length];
        for (int j = 0; j < src.length; j++) {
            long i = indices[j] < 0 ? indices[j] + len : indices[j];
            if (i < 0 || i >= len) {
                throw new IllegalArgumentException("Gather: index " + indices[j] + " is outside [-" + len + ", " + len
                        + ") on axis " + axis + " of " + s);
            }
            src[j] = (int) i;
        }
        Variable y = select("gather", x, axis, src, 0f);
        int[] dims = new int[s.rank() - 1 + indexDims.length];
        int d = 0;
        for (int i = 0; i < axis; i++) {
            dims[d++] = s.dim(i);
        }
        for (int k : indexDims) {
            dims[d++] = k;
        }
        for (int i = axis + 1; i < s.rank(); i++) {
            dims[d++] = s.dim(i);
        }
        return Functional.reshape(y, dims);
    }

    /** How Resize maps an output coordinate to an input one ({@code coordinate_transformation_mode}). */
    static double sourceCoordinate(String mode, int j, double scale, int inLen, int outLen) {
        return switch (mode) {
            case "half_pixel" -> (j + 0.5) / scale - 0.5;
            case "pytorch_half_pixel" -> outLen > 1 ? (j + 0.5) / scale - 0.5 : 0;
            case "align_corners" -> outLen == 1 ? 0 : j * (inLen - 1.0) / (outLen - 1.0);
            case "asymmetric" -> j / scale;
            case "half_pixel_symmetric" -> {
                double adj = outLen / (scale * inLen);
                double centre = inLen / 2.0;
                double offset = centre * (1 - adj);
                yield offset + (j + 0.5) / scale - 0.5;
            }
            default -> throw new IllegalArgumentException("Resize: coordinate_transformation_mode '" + mode
                    + "' is not supported");
        };
    }

    /**
     * Resize along one axis to {@code outLen}: "nearest" (with {@code nearestMode}) or "linear" (two taps,
     * the coordinate clamped to the input as ONNX Runtime does).
     */
    static Variable resize(Variable x, int axis, int outLen, double scale, String mode, String coordinateMode,
                           String nearestMode) {
        int len = x.shape().dim(axis);
        if (outLen == len && scale == 1.0) {
            return x;
        }
        if ("nearest".equals(mode)) {
            int[] src = new int[outLen];
            for (int j = 0; j < outLen; j++) {
                double c = sourceCoordinate(coordinateMode, j, scale, len, outLen);
                long i = switch (nearestMode) {
                    case "round_prefer_floor" -> c == Math.floor(c) + 0.5 ? (long) Math.floor(c) : Math.round(c);
                    case "round_prefer_ceil" -> Math.round(c);
                    case "floor" -> (long) Math.floor(c);
                    case "ceil" -> (long) Math.ceil(c);
                    default -> throw new IllegalArgumentException("Resize: nearest_mode '" + nearestMode
                            + "' is not supported");
                };
                src[j] = (int) Math.max(0, Math.min(len - 1, i));
            }
            return select("resize", x, axis, src, 0f);
        }
        int[] start = new int[outLen + 1];
        int[] source = new int[2 * outLen];
        float[] weight = new float[2 * outLen];
        for (int j = 0; j < outLen; j++) {
            double c = sourceCoordinate(coordinateMode, j, scale, len, outLen);
            c = Math.max(0, Math.min(len - 1, c));
            int lo = (int) Math.floor(c);
            int hi = Math.min(lo + 1, len - 1);
            double frac = c - lo;
            start[j] = 2 * j;
            source[2 * j] = lo;
            weight[2 * j] = (float) (1 - frac);
            source[2 * j + 1] = hi;
            weight[2 * j + 1] = (float) frac;
        }
        start[outLen] = 2 * outLen;
        return taps("resize", x, axis, outLen, start, source, weight, 0f);
    }

    /**
     * erf(x) from its Maclaurin series 2/√π Σ (−1)ⁿ x²ⁿ⁺¹ / (n! (2n+1)), summed in double for |x| &lt; 4 (the largest
     * term is about 1e5, so cancellation leaves some 1e-11 of absolute error); beyond 4, erf is ±1 to within
     * 1.6e-8, below half a float ulp of 1.
     */
    static double erf(double x) {
        if (Math.abs(x) >= 4) {
            return Math.signum(x);
        }
        double x2 = x * x;
        double term = x; // (−1)ⁿ x²ⁿ⁺¹ / n!
        double sum = x;
        for (int n = 1; n < 200; n++) {
            term *= -x2 / n;
            double add = term / (2 * n + 1);
            sum += add;
            if (Math.abs(add) < 1e-17 * Math.abs(sum)) {
                break;
            }
        }
        return 2 / Math.sqrt(Math.PI) * sum;
    }
}
