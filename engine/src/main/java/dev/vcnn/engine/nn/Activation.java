package dev.vcnn.engine.nn;

import dev.vcnn.engine.autograd.Functional;
import dev.vcnn.engine.autograd.Variable;
import dev.vcnn.engine.tensor.Shape;

/** Elementwise activation layers: shape in = shape out. */
public abstract sealed class Activation extends Module
        permits Activation.ReLU, Activation.ReLU6, Activation.LeakyReLU, Activation.Sigmoid, Activation.Tanh {

    @Override
    public Shape outputShape(Shape input) {
        return input;
    }

    /** {@code nn.ReLU}. */
    public static final class ReLU extends Activation {
        @Override
        public Variable forward(Variable x) {
            return Functional.relu(x);
        }

        @Override
        public String typeName() {
            return "ReLU";
        }
    }

    /** {@code nn.ReLU6}: min(max(x, 0), 6), MobileNet's activation. */
    public static final class ReLU6 extends Activation {
        @Override
        public Variable forward(Variable x) {
            return Functional.hardtanh(x, 0f, 6f);
        }

        @Override
        public String typeName() {
            return "ReLU6";
        }
    }

    /** {@code nn.LeakyReLU(negative_slope)}; PyTorch's default slope is 0.01. */
    public static final class LeakyReLU extends Activation {
        private final float slope;

        public LeakyReLU(float slope) {
            this.slope = slope;
        }

        /** The slope for negative inputs. */
        public float slope() {
            return slope;
        }

        public LeakyReLU() {
            this(0.01f);
        }

        @Override
        public Variable forward(Variable x) {
            return Functional.leakyRelu(x, slope);
        }

        @Override
        public String typeName() {
            return "LeakyReLU";
        }

        @Override
        protected String extraRepr() {
            return "negative_slope=" + py(slope);
        }
    }

    /** {@code nn.Sigmoid}. */
    public static final class Sigmoid extends Activation {
        @Override
        public Variable forward(Variable x) {
            return Functional.sigmoid(x);
        }
    }

    /** {@code nn.Tanh}. */
    public static final class Tanh extends Activation {
        @Override
        public Variable forward(Variable x) {
            return Functional.tanh(x);
        }
    }
}
