package dev.vcnn.engine.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vcnn.engine.nn.init.Init;
import dev.vcnn.engine.tensor.Shape;
import dev.vcnn.engine.tensor.SplitMix64;
import dev.vcnn.engine.tensor.Tensor;
import org.junit.jupiter.api.Test;

/**
 * Initializers: fans as PyTorch computes them, bounds of the uniform schemes exactly, and the sample
 * standard deviation of the normal schemes within 5 standard errors (n = 64·32·3·3 = 18432 draws:
 * the standard error of a sample std is σ/√(2n) ≈ 0.5%·σ, so 5 of them is 2.6%).
 */
class InitTest {
    @Test
    void fansFollowPyTorch() {
        assertArrayEquals(new int[] {32 * 9, 64 * 9}, Init.fans(Shape.of(64, 32, 3, 3)));
        assertArrayEquals(new int[] {784, 10}, Init.fans(Shape.of(10, 784)));
    }

    @Test
    void uniformSchemesStayInsideTheirBoundAndReachNearIt() {
        Tensor t = Tensor.zeros(64, 32, 3, 3);
        double kaiming = Math.sqrt(2) * Math.sqrt(3.0 / (32 * 9));
        Init.kaimingUniform(t, 0, Init.Mode.FAN_IN, Init.Nonlinearity.RELU, new SplitMix64(1));
        assertBound(t, kaiming);
        double xavier = Math.sqrt(6.0 / (32 * 9 + 64 * 9));
        Init.xavierUniform(t, 1, new SplitMix64(2));
        assertBound(t, xavier);
        Tensor bias = Tensor.zeros(64);
        Init.torchDefault(t, bias, new SplitMix64(3));
        assertBound(t, 1 / Math.sqrt(32 * 9));
        assertTrue(maxAbs(bias) <= 1 / Math.sqrt(32 * 9));
    }

    /** All |x| ≤ bound, and the largest above 0.99·bound: for 18432 uniform draws, P(miss) = 0.99^18432 ≈ e^−185. */
    private static void assertBound(Tensor t, double bound) {
        double max = maxAbs(t);
        assertTrue(max <= bound, "max " + max + " > bound " + bound);
        assertTrue(max > 0.99 * bound, "max " + max + " far below bound " + bound);
    }

    private static double maxAbs(Tensor t) {
        double max = 0;
        for (float v : t.toArray()) {
            max = Math.max(max, Math.abs(v));
        }
        return max;
    }

    @Test
    void normalSchemesHaveTheirStandardDeviation() {
        Tensor t = Tensor.zeros(64, 32, 3, 3);
        Init.kaimingNormal(t, 0, Init.Mode.FAN_OUT, Init.Nonlinearity.RELU, new SplitMix64(4));
        assertStd(t, Math.sqrt(2.0 / (64 * 9)));
        Init.xavierNormal(t, Init.gain(Init.Nonlinearity.TANH, 0), new SplitMix64(5));
        assertStd(t, 5.0 / 3 * Math.sqrt(2.0 / (32 * 9 + 64 * 9)));
    }

    private static void assertStd(Tensor t, double expected) {
        double sum = 0;
        double sq = 0;
        for (float v : t.toArray()) {
            sum += v;
            sq += (double) v * v;
        }
        int n = t.numel();
        double std = Math.sqrt(sq / n - (sum / n) * (sum / n));
        assertEquals(expected, std, 5 * expected / Math.sqrt(2.0 * n));
    }

    @Test
    void sameSeedSameWeights() {
        var a = new Linear(20, 5, new SplitMix64(9));
        var b = new Linear(20, 5, new SplitMix64(9));
        assertArrayEquals(a.weight().value().toArray(), b.weight().value().toArray());
    }
}
