package dev.vcnn.engine.nn.init;

import dev.vcnn.engine.tensor.Checks;
import dev.vcnn.engine.tensor.Shape;
import dev.vcnn.engine.tensor.Tensor;
import java.util.Locale;
import java.util.random.RandomGenerator;

/**
 * Weight initialisation as {@code torch.nn.init}, in place, from an explicit seeded generator.
 * Fans follow PyTorch: for a weight [out, in, *kernel], fanIn = in·∏kernel and fanOut = out·∏kernel.
 */
public final class Init {
    private Init() {}

    /** Which fan scales a Kaiming initialisation. */
    public enum Mode { FAN_IN, FAN_OUT }

    /** The non-linearity a Kaiming or Xavier gain is computed for, as {@code calculate_gain}. */
    public enum Nonlinearity { LINEAR, SIGMOID, TANH, RELU, LEAKY_RELU }

    /** PyTorch's recommended gain: 1, 1, 5/3, √2, √(2/(1+slope²)). */
    public static double gain(Nonlinearity nonlinearity, double negativeSlope) {
        return switch (nonlinearity) {
            case LINEAR, SIGMOID -> 1;
            case TANH -> 5.0 / 3;
            case RELU -> Math.sqrt(2);
            case LEAKY_RELU -> Math.sqrt(2 / (1 + negativeSlope * negativeSlope));
        };
    }

    /** {fanIn, fanOut} of a weight shape of rank ≥ 2. */
    public static int[] fans(Shape shape) {
        if (shape.rank() < 2) {
            throw Checks.mismatch("init", "weight rank", ">= 2 to compute fans", shape.rank(), "shape", shape);
        }
        int receptive = shape.numel() == 0 ? 0 : shape.numel() / (shape.dim(0) * shape.dim(1));
        return new int[] {shape.dim(1) * receptive, shape.dim(0) * receptive};
    }

    public static void zeros(Tensor t) {
        constant(t, 0f);
    }

    public static void constant(Tensor t, float value) {
        java.util.Arrays.fill(t.data(), t.offset(), t.offset() + t.numel(), value);
    }

    /** U(low, high), drawn in row-major order. */
    public static void uniform(Tensor t, float low, float high, RandomGenerator rng) {
        if (!(low <= high)) {
            throw Checks.mismatch("init.uniform", "range", "low <= high", "[" + low + ", " + high + ")");
        }
        for (int i = 0; i < t.numel(); i++) {
            t.data()[t.offset() + i] = low == high ? low : rng.nextFloat(low, high);
        }
    }

    /** N(mean, std²), drawn in row-major order. */
    public static void normal(Tensor t, float mean, float std, RandomGenerator rng) {
        if (!(std >= 0)) {
            throw Checks.mismatch("init.normal", "std", ">= 0", std);
        }
        for (int i = 0; i < t.numel(); i++) {
            t.data()[t.offset() + i] = (float) rng.nextGaussian(mean, std);
        }
    }

    /** Glorot/Xavier uniform: U(−a, a), a = gain·√(6/(fanIn + fanOut)). */
    public static void xavierUniform(Tensor t, double gain, RandomGenerator rng) {
        int[] f = fans(t.shape());
        float a = (float) (gain * Math.sqrt(6.0 / (f[0] + f[1])));
        uniform(t, -a, a, rng);
    }

    /** Glorot/Xavier normal: N(0, σ²), σ = gain·√(2/(fanIn + fanOut)). */
    public static void xavierNormal(Tensor t, double gain, RandomGenerator rng) {
        int[] f = fans(t.shape());
        normal(t, 0f, (float) (gain * Math.sqrt(2.0 / (f[0] + f[1]))), rng);
    }

    /** He/Kaiming uniform: U(−b, b), b = gain·√(3/fan), gain for {@code nonlinearity} with slope {@code a}. */
    public static void kaimingUniform(Tensor t, double a, Mode mode, Nonlinearity nonlinearity, RandomGenerator rng) {
        float bound = (float) (gain(nonlinearity, a) * Math.sqrt(3.0 / fan(t, mode)));
        uniform(t, -bound, bound, rng);
    }

    /** He/Kaiming normal: N(0, σ²), σ = gain/√fan. */
    public static void kaimingNormal(Tensor t, double a, Mode mode, Nonlinearity nonlinearity, RandomGenerator rng) {
        normal(t, 0f, (float) (gain(nonlinearity, a) / Math.sqrt(fan(t, mode))), rng);
    }

    private static int fan(Tensor t, Mode mode) {
        int[] f = fans(t.shape());
        int fan = mode == Mode.FAN_IN ? f[0] : f[1];
        if (fan == 0) {
            throw Checks.mismatch("init", mode.name().toLowerCase(Locale.ROOT), "> 0", 0, "shape", t.shape());
        }
        return fan;
    }

    /**
     * PyTorch's default for {@code nn.Linear} and {@code nn.Conv2d}: the weight by
     * {@code kaiming_uniform_(a=√5)}, which is U(−1/√fanIn, 1/√fanIn), and the bias U(−1/√fanIn, 1/√fanIn).
     */
    public static void torchDefault(Tensor weight, Tensor bias, RandomGenerator rng) {
        kaimingUniform(weight, Math.sqrt(5), Mode.FAN_IN, Nonlinearity.LEAKY_RELU, rng);
        if (bias != null) {
            int fanIn = fans(weight.shape())[0];
            float bound = fanIn > 0 ? (float) (1 / Math.sqrt(fanIn)) : 0f;
            uniform(bias, -bound, bound, rng);
        }
    }
}
