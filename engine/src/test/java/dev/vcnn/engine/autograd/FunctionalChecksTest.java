package dev.vcnn.engine.autograd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vcnn.engine.kernel.Losses.Reduction;
import dev.vcnn.engine.kernel.Pool2dGeometry;
import dev.vcnn.engine.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/** Each functional op refuses bad shapes and arguments with a message naming the op and what is wrong. */
class FunctionalChecksTest {
    private static Variable v(int... dims) {
        return Variable.constant(Tensor.zeros(dims));
    }

    private static void refused(Executable call, String... fragments) {
        var e = assertThrows(IllegalArgumentException.class, call);
        for (String f : fragments) {
            assertTrue(e.getMessage().contains(f), "'" + f + "' missing from: " + e.getMessage());
        }
    }

    @Test
    void argmaxTakesEachRowsFirstLargestOrFirstNaNAndRefusesOtherShapes() {
        Tensor scores = Tensor.of(new float[] {1, 3, 3, -1, /**/ -2, -5, -2, -9, /**/ 0, Float.NaN, 7, Float.NaN}, 3, 4);
        assertArrayEquals(new int[] {1, 0, 1}, Functional.argmax(scores));
        assertArrayEquals(new int[0], Functional.argmax(Tensor.zeros(0, 5)));
        refused(() -> Functional.argmax(Tensor.zeros(3)), "argmax", "scores shape", "[3]");
        refused(() -> Functional.argmax(Tensor.zeros(2, 0)), "argmax", "[2, 0]");
    }

    @Test
    void linearAndMatmulCheckRanksAndInnerSizes() {
        refused(() -> Functional.linear(v(2, 3), v(4, 3, 1), null), "linear", "weight");
        refused(() -> Functional.linear(v(2, 5), v(4, 3), null), "linear", "input=[2, 5]");
        refused(() -> Functional.linear(v(), v(4, 3), null), "a scalar");
        assertArrayEquals(new int[] {4}, Functional.linear(v(3), v(4, 3), null).shape().toArray(), "a vector input");
        refused(() -> Functional.matmul(v(2, 3, 1), v(3, 2)), "matmul", "a");
        refused(() -> Functional.matmul(v(2, 3), v(3)), "matmul", "b");
    }

    @Test
    void poolingChecksRankAndGeometry() {
        refused(() -> Functional.maxPool2d(v(1, 4, 4), 2, 2, 0), "max_pool2d", "input");
        refused(() -> Functional.avgPool2d(v(1, 4, 4), 2, 2, 0), "avg_pool2d", "input");
        var g = new Pool2dGeometry(1, 2, 4, 4, 2, 2, 2, 2, 0, 0, 1, 1, false);
        refused(() -> Functional.maxPool2d(v(1, 3, 4, 4), g), "max_pool2d");
        refused(() -> Functional.avgPool2d(v(1, 3, 4, 4), g, true), "avg_pool2d");
        refused(() -> Functional.globalAvgPool2d(v(3, 4, 4)), "adaptive_avg_pool2d", "input");
        Variable x = Variable.constant(Tensor.of(new float[] {1, 2, 3, 4, 10, 20, 30, 40}, 2, 1, 2, 2));
        assertArrayEquals(new float[] {2.5f, 25f}, Functional.globalAvgPool2d(x).value().toArray(), "one mean per plane");
    }

    @Test
    void elementwiseOpsAndLossesCheckTheirArguments() {
        Variable x = Variable.constant(Tensor.of(new float[] {0f, 2f}, 2));
        assertArrayEquals(new float[] {0.5f, (float) (1 / (1 + Math.exp(-2)))}, Functional.sigmoid(x).value().toArray(), 1e-7f);
        refused(() -> Functional.mseLoss(v(2, 3), v(3, 2), Reduction.MEAN), "mse_loss");
        refused(() -> Functional.bceWithLogits(v(2, 3), v(3, 2), Reduction.MEAN), "binary_cross_entropy_with_logits");
        refused(() -> Functional.nllLoss(v(2, 3, 1), new int[] {0, 1}, Reduction.MEAN), "input");
        refused(() -> Functional.crossEntropy(v(2, 3), new int[] {0, 1}, Reduction.MEAN, -0.1f), "label");
        refused(() -> Functional.crossEntropy(v(2, 3), new int[] {0, 1}, Reduction.MEAN, 1.1f), "label");
        Functional.crossEntropy(v(2, 3), new int[] {0, 1}, Reduction.MEAN, 1f); // the edges are allowed
        Functional.crossEntropy(v(2, 3), new int[] {0, 1}, Reduction.MEAN, 0f);
        refused(() -> Functional.flatten(v()), "flatten");
        assertArrayEquals(new int[] {3, 1}, Functional.flatten(v(3)).shape().toArray());
    }

    @Test
    void dropoutChecksItsProbabilityAndIsTheIdentityOutsideTraining() {
        Variable x = Variable.constant(Tensor.ones(4));
        refused(() -> Functional.dropout(x, -0.01f, true, 1), "dropout");
        refused(() -> Functional.dropout(x, 1.01f, true, 1), "dropout");
        assertSame(x, Functional.dropout(x, 0.5f, false, 1));
        assertSame(x, Functional.dropout(x, 0f, true, 1));
        assertArrayEquals(new float[4], Functional.dropout(x, 1f, true, 1).value().toArray(), "p = 1 drops everything");
    }

    @Test
    void batchNormChecksParameterShapesAndUpdatesRunningStatistics() {
        refused(() -> Functional.batchNorm(v(2, 3, 2, 2), v(2), null, null, null, true, 0.1f, 1e-5f), "weight");
        refused(() -> Functional.batchNorm(v(2, 3, 2, 2), null, v(4), null, null, true, 0.1f, 1e-5f), "bias");
        refused(() -> Functional.batchNorm(v(1, 3, 1, 1), null, null, null, null, true, 0.1f, 1e-5f), "values per channel");
        Functional.batchNorm(v(2, 3, 1, 1), null, null, null, null, true, 0.1f, 1e-5f); // two values per channel suffice
        Tensor mean = Tensor.zeros(1);
        Tensor var = Tensor.ones(1);
        Variable x = Variable.constant(Tensor.of(new float[] {1, 3}, 2, 1));
        Functional.batchNorm(x, null, null, mean, var, true, 0.5f, 0f);
        assertEquals(1f, mean.get(0), 1e-6f, "0.5 · 0 + 0.5 · 2");
        assertEquals(1.5f, var.get(0), 1e-6f, "0.5 · 1 + 0.5 · 2 (unbiased variance of {1, 3})");
    }
}
