package dev.vcnn.engine.autograd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vcnn.engine.kernel.Kernels;
import dev.vcnn.engine.parallel.Parallelism;
import dev.vcnn.engine.tensor.Tensor;
import org.junit.jupiter.api.Test;

/** Graph recording, backward's walk and accumulation, and misuse in time. */
class VariableTest {
    private static Variable param(float... values) {
        return Variable.parameter(Tensor.of(values, values.length));
    }

    @Test
    void sharedSubexpressionsAccumulateGradients() {
        Variable x = param(2f, -3f);
        Variable y = Functional.mul(x, x); // d/dx Σ(x² + x) = 2x + 1
        Variable loss = Functional.sum(Functional.add(y, x));
        loss.backward();
        assertArrayEquals(new float[] {5f, -5f}, x.grad().toArray());
    }

    @Test
    void gradientsAccumulateAcrossBackwardCallsUntilZeroGrad() {
        Variable x = param(1f, 2f);
        Functional.sum(Functional.scale(x, 3f)).backward();
        Functional.sum(Functional.scale(x, 3f)).backward();
        assertArrayEquals(new float[] {6f, 6f}, x.grad().toArray());
        x.zeroGrad();
        assertNull(x.grad());
    }

    /**
     * An op that only reads its gradient (linear here) is handed the caller's gradient itself: that array
     * must come back unchanged and must not join the recycled buffers, which a later pass writes into.
     */
    @Test
    void aGradientLentToAReadingOpStaysTheCallers() {
        Variable x = Variable.parameter(Tensor.of(new float[] {1f, 2f, 3f, 4f, 5f, 6f}, 2, 3));
        Variable w = Variable.parameter(Tensor.of(new float[] {1f, 0f, 0f, 0f, 1f, 0f, 0f, 0f, 1f, 1f, 1f, 1f}, 4, 3));
        Variable y = Functional.linear(x, w, null);
        float[] values = {1f, 2f, 3f, 4f, 5f, 6f, 7f, 8f};
        Tensor g = Tensor.of(values.clone(), 2, 4);
        y.backward(g, false);
        // dx = g·w: row 0 = (1 + 4, 2 + 4, 3 + 4), row 1 = (5 + 8, 6 + 8, 7 + 8).
        assertArrayEquals(new float[] {5f, 6f, 7f, 13f, 14f, 15f}, x.grad().toArray());
        // A second graph whose intermediate gradients have g's 8 elements, each a recycled buffer if any.
        Variable u = param(1f, -2f, 3f, -4f, 5f, -6f, 7f, -8f);
        Functional.sum(Functional.scale(Functional.relu(Functional.scale(u, 2f)), 3f)).backward();
        assertArrayEquals(new float[] {6f, 0f, 6f, 0f, 6f, 0f, 6f, 0f}, u.grad().toArray());
        assertArrayEquals(values, g.toArray(), "the caller's gradient");
    }

    /**
     * Elementwise backwards (ReLU here) write over the gradient they are given when their input has no
     * gradient yet, and the input keeps that buffer: the caller's gradient, a second retained pass and an
     * input with two uses must come out as without the reuse.
     */
    @Test
    void elementwiseBackwardsReuseOnlyGradientsNobodyElseHolds() {
        Variable x = param(1f, -2f, 3f);
        Variable h = Functional.relu(x);
        Tensor g = Tensor.of(new float[] {5f, 6f, 7f}, 3);
        h.backward(g, true);
        assertArrayEquals(new float[] {5f, 6f, 7f}, g.toArray(), "the caller's gradient");
        assertArrayEquals(new float[] {5f, 0f, 7f}, x.grad().toArray());
        h.backward(g, false);
        assertArrayEquals(new float[] {10f, 0f, 14f}, x.grad().toArray());
        // Used by ReLU and by a scale: d/dz Σ(relu(z) + 3z) = [z > 0] + 3, whichever backward runs first.
        Variable z = param(1f, -2f);
        Functional.sum(Functional.add(Functional.relu(z), Functional.scale(z, 3f))).backward();
        assertArrayEquals(new float[] {4f, 3f}, z.grad().toArray());
        Variable u = param(1f, -2f);
        Functional.sum(Functional.add(Functional.scale(u, 3f), Functional.tanh(Functional.relu(u)))).backward();
        float t = (float) Math.tanh(1);
        assertEquals(3f + (1 - t * t), u.grad().toArray()[0], 1e-6f);
        assertEquals(3f, u.grad().toArray()[1]);
    }

    @Test
    void secondBackwardThroughAFreedGraphIsAnIllegalState() {
        Variable x = param(1f, 2f);
        Variable loss = Functional.sum(Functional.mul(x, x));
        loss.backward();
        var e = assertThrows(IllegalStateException.class, loss::backward);
        assertTrue(e.getMessage().contains("already freed"), e.getMessage());
    }

    @Test
    void retainedGraphAllowsASecondPass() {
        Variable x = param(1f, 2f);
        Variable loss = Functional.sum(Functional.mul(x, x));
        loss.backward(null, true);
        loss.backward(null, false);
        assertArrayEquals(new float[] {4f, 8f}, x.grad().toArray());
    }

    @Test
    void nonScalarBackwardNeedsAGradient() {
        Variable y = Functional.scale(param(1f, 2f), 2f);
        var e = assertThrows(IllegalStateException.class, y::backward);
        assertTrue(e.getMessage().contains("non-scalar"), e.getMessage());
    }

    @Test
    void noGradRecordsNothingAndEndsWithItsScope() {
        Variable x = param(1f, 2f);
        Variable y = Autograd.noGrad(() -> Functional.scale(x, 2f));
        assertFalse(y.requiresGrad());
        assertTrue(y.isLeaf());
        assertThrows(IllegalStateException.class, y::backward);
        assertTrue(Autograd.isEnabled());
        assertTrue(Functional.scale(x, 2f).requiresGrad());
    }

    @Test
    void detachedAndFrozenInputsGetNoGradient() {
        Variable x = param(1f, 2f);
        Variable frozen = param(3f, 4f);
        frozen.requiresGrad(false);
        Functional.sum(Functional.add(Functional.mul(x, frozen), x.detach())).backward();
        assertArrayEquals(new float[] {3f, 4f}, x.grad().toArray());
        assertNull(frozen.grad());
        assertThrows(IllegalStateException.class, () -> Functional.scale(x, 1f).requiresGrad(false));
    }

    @Test
    void deepChainsDoNotOverflowTheStack() {
        Variable x = param(1f);
        Variable y = x;
        for (int i = 0; i < 20_000; i++) {
            y = Functional.add(y, x);
        }
        Functional.sum(y).backward();
        assertEquals(20_001f, x.grad().item());
    }

    @Test
    void badShapesNameTheOp() {
        var e = assertThrows(IllegalArgumentException.class,
                () -> Functional.linear(Variable.constant(Tensor.zeros(2, 5)), Variable.constant(Tensor.zeros(3, 4)), null));
        assertEquals("linear: input features must be 4 but was 5 (input=[2, 5], weight=[3, 4])", e.getMessage());
        var t = assertThrows(IllegalArgumentException.class,
                () -> Functional.crossEntropy(Variable.constant(Tensor.zeros(2, 3)), new int[] {0, 3}));
        assertEquals("cross_entropy: target 1 must be in [0, 3) but was 3 (input=[2, 3])", t.getMessage());
    }

    /**
     * ReLU over more elements than one task takes runs in chunks over the context's threads: on two threads
     * every element of the output and of the input gradient is what the definition gives (a chunk computed
     * from the wrong offset, or not at all, differs), for a view that does not start at its array's 0.
     */
    @Test
    void reluInChunksOverThreadsIsElementwiseExact() {
        int n = 3 * (1 << 15) + 77;
        float[] data = new float[n + 5];
        float[] dy = new float[n];
        var rng = new java.util.SplittableRandom(4);
        for (int i = 0; i < data.length; i++) {
            data[i] = (float) rng.nextDouble(-1, 1);
        }
        for (int i = 0; i < n; i++) {
            dy[i] = (float) rng.nextDouble(-1, 1);
        }
        try (var two = Parallelism.of(2)) {
            new Context(Kernels.defaults(), two).run(() -> {
                Variable x = Variable.parameter(Tensor.wrap(data, 5, dev.vcnn.engine.tensor.Shape.of(n)));
                Variable y = Functional.relu(x);
                y.backward(Tensor.of(dy.clone(), n), false);
                float[] out = y.value().toArray();
                float[] grad = x.grad().toArray();
                for (int i = 0; i < n; i++) {
                    float v = data[5 + i];
                    assertEquals(Math.max(v, 0f), out[i], "relu output " + i);
                    assertEquals(v > 0 ? dy[i] : 0f, grad[i], "relu input gradient " + i);
                }
            });
        }
    }

    /**
     * A convolution whose weight is frozen still gives its bias a gradient (Σ over images and positions of
     * the output gradient), and one whose bias is frozen gives the weight its gradient alone: the weight and
     * bias gradients come from one call, which must not skip either side.
     */
    @Test
    void convolutionGradientsReachABiasBehindAFrozenWeightAndTheReverse() {
        var rng = new java.util.SplittableRandom(9);
        float[] xs = new float[2 * 3 * 6 * 5];
        float[] ws = new float[4 * 3 * 3 * 3];
        float[] dys = new float[2 * 4 * 6 * 5];
        for (float[] a : new float[][] {xs, ws, dys}) {
            for (int i = 0; i < a.length; i++) {
                a[i] = (float) rng.nextDouble(-1, 1);
            }
        }
        Tensor x = Tensor.of(xs, 2, 3, 6, 5);
        Tensor dy = Tensor.of(dys, 2, 4, 6, 5);
        Variable frozenW = Variable.constant(Tensor.of(ws.clone(), 4, 3, 3, 3));
        Variable b = Variable.parameter(Tensor.of(new float[4], 4));
        Functional.conv2d(Variable.constant(x), frozenW, b, 1, 1).backward(dy, false);
        for (int k = 0; k < 4; k++) {
            double sum = 0;
            for (int n = 0; n < 2; n++) {
                for (int i = 0; i < 30; i++) {
                    sum += dys[(n * 4 + k) * 30 + i];
                }
            }
            assertEquals(sum, b.grad().toArray()[k], 1e-5, "bias gradient " + k);
        }
        assertNull(frozenW.grad());

        Variable w = Variable.parameter(Tensor.of(ws.clone(), 4, 3, 3, 3));
        Variable frozenB = Variable.constant(Tensor.of(new float[4], 4));
        Functional.conv2d(Variable.constant(x), w, frozenB, 1, 1).backward(dy, false);
        Variable w2 = Variable.parameter(Tensor.of(ws.clone(), 4, 3, 3, 3));
        Functional.conv2d(Variable.constant(x), w2, null, 1, 1).backward(dy, false);
        assertArrayEquals(w2.grad().toArray(), w.grad().toArray(), "weight gradient with a frozen bias");
        assertNull(frozenB.grad());
    }

    @Test
    void concatKeepsEveryInputWhenTheFirstIsEmptyAlongTheAxis() {
        Variable empty = Variable.constant(Tensor.zeros(2, 0, 3));
        Variable x = Variable.constant(Tensor.of(new float[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, 2, 2, 3));
        Variable y = Functional.concat(1, empty, x);
        assertArrayEquals(new int[] {2, 2, 3}, y.shape().toArray());
        assertArrayEquals(x.value().toArray(), y.value().toArray());
    }

    @Test
    void aMeanOverNoElementsIsNaNAsInPyTorch() {
        assertTrue(Float.isNaN(Functional.mean(Variable.constant(Tensor.zeros(0, 3)), false, 0).value().get(0)));
        assertTrue(Float.isNaN(Functional.crossEntropy(Variable.constant(Tensor.zeros(0, 4)), new int[0]).item()));
        assertEquals(0f, Functional.crossEntropy(Variable.constant(Tensor.zeros(0, 4)), new int[0],
                dev.vcnn.engine.kernel.Losses.Reduction.SUM, 0f).item());
    }

    /** A custom op's gradients go to its inputs as it gives them, added to what other uses contribute. */
    @Test
    void aCustomOpPushesTheGradientsItGives() {
        Variable x = param(1f, -2f, 3f);
        Tensor xv = x.value();
        Tensor cube = Tensor.of(new float[] {1f, -8f, 27f}, 3);
        Variable y = Functional.custom("cube", cube, dy -> {
            float[] g = new float[3];
            for (int i = 0; i < 3; i++) {
                g[i] = 3f * xv.data()[i] * xv.data()[i] * dy.data()[dy.offset() + i];
            }
            return new Tensor[] {Tensor.of(g, 3)};
        }, x);
        Functional.sum(Functional.add(y, x)).backward();
        assertArrayEquals(new float[] {4f, 13f, 28f}, x.grad().toArray());
    }

    /** A custom backward giving a gradient of the wrong shape is an error naming the op and the input. */
    @Test
    void aCustomOpsWrongGradientShapeIsNamed() {
        Variable x = param(1f, 2f);
        Variable y = Functional.custom("bad", Tensor.of(new float[] {1f, 2f}, 2),
                dy -> new Tensor[] {Tensor.of(new float[] {1f, 2f, 3f}, 3)}, x);
        var e = assertThrows(IllegalArgumentException.class, () -> Functional.sum(y).backward());
        assertTrue(e.getMessage().contains("bad") && e.getMessage().contains("input 0"), e.getMessage());
    }

    /** Spare gradient buffers belong to the context the backward pass ran on, within its capacity. */
    @Test
    void gradientBuffersAreKeptByTheContextTheyRanOn() {
        GradBuffers none = new GradBuffers(0);
        GradBuffers some = new GradBuffers(1 << 10);
        for (GradBuffers pool : new GradBuffers[] {none, some}) {
            new Context(Kernels.defaults(), Parallelism.sequential(), pool).run(() -> {
                Variable x = param(1f, -2f, 3f, -4f);
                Functional.sum(Functional.relu(Functional.scale(Functional.scale(x, 2f), 3f))).backward();
                assertArrayEquals(new float[] {6f, 0f, 6f, 0f}, x.grad().toArray());
            });
        }
        assertEquals(0, none.keptFloats());
        assertTrue(some.keptFloats() > 0, "the context's pool keeps the intermediates' buffers");
        some.clear();
        assertEquals(0, some.keptFloats());
        assertThrows(IllegalArgumentException.class, () -> new Context(Kernels.defaults(), Parallelism.sequential(), null));
    }
}
