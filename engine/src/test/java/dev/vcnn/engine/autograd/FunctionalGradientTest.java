package dev.vcnn.engine.autograd;

import static dev.vcnn.engine.autograd.GradCheck.awayFromZero;
import static dev.vcnn.engine.autograd.GradCheck.check;
import static dev.vcnn.engine.autograd.GradCheck.spaced;
import static dev.vcnn.engine.autograd.GradCheck.uniform;

import dev.vcnn.engine.kernel.Conv2dGeometry;
import dev.vcnn.engine.kernel.Losses.Reduction;
import dev.vcnn.engine.kernel.Pool2dGeometry;
import dev.vcnn.engine.tensor.Tensor;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A directional finite-difference check (see {@link GradCheck}) for every differentiable op. */
class FunctionalGradientTest {
    private static final int[] TARGETS = {2, 0, 4, 1, 4};

    @Test
    void linearWithAndWithoutBias() {
        for (long seed = 1; seed <= 3; seed++) {
            check("linear", seed, List.of(uniform(seed, -1, 1, 5, 7), uniform(seed + 10, -1, 1, 3, 7), uniform(seed + 20, -1, 1, 3)),
                    v -> Functional.linear(v.get(0), v.get(1), v.get(2)));
            check("linear 3-d input, no bias", seed, List.of(uniform(seed, -1, 1, 2, 4, 7), uniform(seed + 10, -1, 1, 3, 7)),
                    v -> Functional.linear(v.get(0), v.get(1), null));
        }
    }

    @Test
    void matmul() {
        check("matmul", 4, List.of(uniform(4, -1, 1, 6, 5), uniform(5, -1, 1, 5, 3)),
                v -> Functional.matmul(v.get(0), v.get(1)));
    }

    @Test
    void conv2dOverStridePaddingDilationAndGroups() {
        check("conv2d 3x3 pad 1", 1, List.of(uniform(1, -1, 1, 2, 3, 7, 6), uniform(2, -1, 1, 4, 3, 3, 3), uniform(3, -1, 1, 4)),
                v -> Functional.conv2d(v.get(0), v.get(1), v.get(2), 1, 1));
        check("conv2d stride 2, asymmetric pad, dilation 2, groups 2", 2,
                List.of(uniform(4, -1, 1, 2, 4, 9, 8), uniform(5, -1, 1, 6, 2, 2, 3), uniform(6, -1, 1, 6)),
                v -> Functional.conv2d(v.get(0), v.get(1), v.get(2), 2, 1, 0, 1, 2, 1, 2, 2, 2));
        check("depthwise conv2d without bias", 3, List.of(uniform(7, -1, 1, 1, 3, 6, 5), uniform(8, -1, 1, 3, 1, 3, 3)),
                v -> Functional.conv2d(v.get(0), v.get(1), null,
                        Conv2dGeometry.same(v.get(0).shape(), v.get(1).shape(), 1, 1, 3)));
    }

    @Test
    void conv2dReluOnBothSidesOfTheKink() {
        // Weights of 0.05 keep |conv| <= 27 * 0.05 < 2 = |bias|: channels with bias +2 stay on, -2 off, far from the kink.
        Tensor bias = Tensor.of(new float[] {2f, -2f, 2f, -2f}, 4);
        check("conv2d_relu 3x3 pad 1 stride 2", 6, List.of(uniform(16, -1, 1, 2, 3, 7, 6), uniform(17, -0.05f, 0.05f, 4, 3, 3, 3),
                        Variable.parameter(bias)),
                v -> Functional.conv2dRelu(v.get(0), v.get(1), v.get(2),
                        Conv2dGeometry.of(v.get(0).shape(), v.get(1).shape(), 2, 1, 1, 1)));
    }

    @Test
    void pooling() {
        check("max_pool2d 2x2", 1, List.of(spaced(1, 2, 3, 6, 6)), v -> Functional.maxPool2d(v.get(0), 2, 2, 0));
        check("max_pool2d 3x3 stride 2 pad 1 ceil dilation", 2, List.of(spaced(2, 1, 2, 9, 8)),
                v -> Functional.maxPool2d(v.get(0), new Pool2dGeometry(1, 2, 9, 8, 3, 2, 2, 2, 1, 1, 1, 2, true)));
        check("avg_pool2d pad 1", 3, List.of(uniform(3, -1, 1, 2, 2, 7, 6)), v -> Functional.avgPool2d(v.get(0), 3, 2, 1));
        check("avg_pool2d exclude pad, ceil", 4, List.of(uniform(4, -1, 1, 1, 2, 7, 7)),
                v -> Functional.avgPool2d(v.get(0), new Pool2dGeometry(1, 2, 7, 7, 2, 2, 2, 2, 1, 1, 1, 1, true), false));
        check("global average pool", 5, List.of(uniform(5, -1, 1, 3, 4, 5, 3)), v -> Functional.globalAvgPool2d(v.get(0)));
    }

    @Test
    void activations() {
        check("relu", 1, List.of(awayFromZero(1, 4, 9)), v -> Functional.relu(v.get(0)));
        check("leaky_relu", 2, List.of(awayFromZero(2, 4, 9)), v -> Functional.leakyRelu(v.get(0), 0.1f));
        check("sigmoid", 3, List.of(uniform(3, -4, 4, 4, 9)), v -> Functional.sigmoid(v.get(0)));
        check("tanh", 4, List.of(uniform(4, -3, 3, 4, 9)), v -> Functional.tanh(v.get(0)));
        check("softmax", 5, List.of(uniform(5, -3, 3, 4, 7)), v -> Functional.softmax(v.get(0), 1));
        check("log_softmax", 6, List.of(uniform(6, -3, 3, 4, 7)), v -> Functional.logSoftmax(v.get(0), -1));
    }

    @Test
    void broadcastingArithmetic() {
        check("add [3,1,4] + [2,1]", 1, List.of(uniform(1, -1, 1, 3, 1, 4), uniform(2, -1, 1, 2, 1)),
                v -> Functional.add(v.get(0), v.get(1)));
        check("sub [4] - [2,3,4]", 2, List.of(uniform(3, -1, 1, 4), uniform(4, -1, 1, 2, 3, 4)),
                v -> Functional.sub(v.get(0), v.get(1)));
        check("mul [2,3,4] * [3,1]", 3, List.of(uniform(5, -1, 1, 2, 3, 4), uniform(6, -1, 1, 3, 1)),
                v -> Functional.mul(v.get(0), v.get(1)));
        check("div [2,3] / [2,1] away from 0", 4, List.of(uniform(7, -1, 1, 2, 3), uniform(8, 0.5f, 2, 2, 1)),
                v -> Functional.div(v.get(0), v.get(1)));
        check("scale", 5, List.of(uniform(9, -1, 1, 5)), v -> Functional.scale(v.get(0), -2.5f));
    }

    @Test
    void reductionsAndShapes() {
        check("sum all", 1, List.of(uniform(1, -1, 1, 3, 4)), v -> Functional.sum(v.get(0)));
        check("sum axes 0,2 keepdim", 2, List.of(uniform(2, -1, 1, 3, 4, 5)), v -> Functional.sum(v.get(0), true, 0, 2));
        check("mean axis -1", 3, List.of(uniform(3, -1, 1, 3, 4, 5)), v -> Functional.mean(v.get(0), false, -1));
        check("reshape then flatten", 4, List.of(uniform(4, -1, 1, 2, 3, 4)),
                v -> Functional.flatten(Functional.reshape(v.get(0), 2, 4, 3)));
        check("concat channels", 5, List.of(uniform(5, -1, 1, 2, 1, 3, 3), uniform(6, -1, 1, 2, 3, 3, 3)),
                v -> Functional.concat(1, v.get(0), v.get(1)));
    }

    @Test
    void dropoutAndBatchNorm() {
        check("dropout p=0.3", 1, List.of(uniform(1, -1, 1, 4, 50)), v -> Functional.dropout(v.get(0), 0.3f, true, 77));
        check("batch_norm 2d training", 2, List.of(uniform(2, -1, 1, 3, 2, 4, 3), uniform(3, 0.5f, 1.5f, 2), uniform(4, -1, 1, 2)),
                v -> Functional.batchNorm(v.get(0), v.get(1), v.get(2), null, null, true, 0.1f, 1e-5f));
        check("batch_norm 1d training", 3, List.of(uniform(5, -1, 1, 6, 4), uniform(6, 0.5f, 1.5f, 4), uniform(7, -1, 1, 4)),
                v -> Functional.batchNorm(v.get(0), v.get(1), v.get(2), Tensor.zeros(4), Tensor.ones(4), true, 0.1f, 1e-5f));
        Tensor mean = Tensor.of(new float[] {0.1f, -0.2f}, 2);
        Tensor var = Tensor.of(new float[] {0.5f, 2f}, 2);
        check("batch_norm eval", 4, List.of(uniform(8, -1, 1, 2, 2, 3, 3), uniform(9, 0.5f, 1.5f, 2), uniform(10, -1, 1, 2)),
                v -> Functional.batchNorm(v.get(0), v.get(1), v.get(2), mean, var, false, 0.1f, 1e-5f));
    }

    @Test
    void losses() {
        check("cross_entropy mean", 1, List.of(uniform(1, -2, 2, 5, 6)),
                v -> Functional.crossEntropy(v.get(0), TARGETS));
        check("cross_entropy sum, label smoothing 0.1", 2, List.of(uniform(2, -2, 2, 5, 6)),
                v -> Functional.crossEntropy(v.get(0), TARGETS, Reduction.SUM, 0.1f));
        check("nll_loss of log_softmax", 3, List.of(uniform(3, -2, 2, 5, 6)),
                v -> Functional.nllLoss(Functional.logSoftmax(v.get(0), 1), TARGETS, Reduction.MEAN));
        check("mse_loss, both sides", 4, List.of(uniform(4, -1, 1, 3, 5), uniform(5, -1, 1, 3, 5)),
                v -> Functional.mseLoss(v.get(0), v.get(1), Reduction.MEAN));
        check("bce_with_logits", 5, List.of(uniform(6, -3, 3, 3, 5)),
                v -> Functional.bceWithLogits(v.get(0), Variable.constant(Tensor.uniform(new java.util.SplittableRandom(9), 0, 1, 3, 5)),
                        Reduction.SUM));
    }

    @Test
    void smallCnnEndToEnd() {
        check("conv-relu-pool-linear-cross_entropy", 11,
                List.of(spaced(11, 5, 1, 8, 8), uniform(12, -0.5f, 0.5f, 4, 1, 3, 3), uniform(13, -0.1f, 0.1f, 4),
                        uniform(14, -0.5f, 0.5f, 6, 36), uniform(15, -0.1f, 0.1f, 6)),
                v -> {
                    Variable h = Functional.conv2d(v.get(0), v.get(1), v.get(2), 1, 0);
                    h = Functional.tanh(h); // smooth, so no kink sits near a perturbed point
                    h = Functional.avgPool2d(h, 2, 2, 0);
                    h = Functional.flatten(h);
                    return Functional.crossEntropy(Functional.linear(h, v.get(3), v.get(4)), TARGETS);
                });
    }
}
