package dev.vcnn.onnx;

import dev.vcnn.engine.autograd.Variable;
import dev.vcnn.engine.tensor.Shape;
import dev.vcnn.engine.tensor.Tensor;
import java.util.Arrays;

/**
 * A value flowing through an ONNX graph: a float tensor, which autograd can differentiate, or an int64 tensor,
 * which shape arithmetic ({@code Shape}, {@code Gather}, {@code Concat}, {@code Reshape}'s shape) works on.
 */
public sealed interface OnnxValue {
    /** The value's dimensions. */
    int[] dims();

    /** ONNX's element type: 1 FLOAT or 7 INT64. */
    int elemType();

    /** A FLOAT value. */
    record Floats(Variable variable) implements OnnxValue {
        @Override
        public int[] dims() {
            return variable.shape().toArray();
        }

        @Override
        public int elemType() {
            return OnnxModel.Tensor.FLOAT;
        }
    }

    /** An INT64 value: row-major data and dimensions. */
    record Ints(long[] data, int[] dims) implements OnnxValue {
        public Ints {
            long n = 1;
            for (int d : dims) {
                n *= d;
            }
            if (n != data.length) {
                throw new IllegalArgumentException("onnx: int64 value of dims " + Arrays.toString(dims) + " must hold "
                        + n + " elements but holds " + data.length);
            }
        }

        /** A 1-d value. */
        public static Ints vector(long... data) {
            return new Ints(data, new int[] {data.length});
        }

        @Override
        public int elemType() {
            return OnnxModel.Tensor.INT64;
        }

        @Override
        public String toString() {
            return "Ints" + Arrays.toString(dims) + Arrays.toString(data);
        }
    }

    /** A float value of a tensor that takes no gradient. */
    static Floats of(Tensor t) {
        return new Floats(Variable.constant(t));
    }

    /** The dims as a shape (for float values). */
    default Shape shape() {
        return Shape.of(dims());
    }
}
