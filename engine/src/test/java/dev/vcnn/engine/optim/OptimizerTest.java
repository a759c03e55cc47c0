package dev.vcnn.engine.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vcnn.engine.autograd.Variable;
import dev.vcnn.engine.tensor.Tensor;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Optimizer state round trips, skipping of gradient-less parameters, and the schedules' closed forms. */
class OptimizerTest {
    private static Variable param(float... v) {
        return Variable.parameter(Tensor.of(v, v.length));
    }

    private static void setGrad(Variable p, float... g) {
        p.zeroGrad();
        dev.vcnn.engine.autograd.Functional.sum(dev.vcnn.engine.autograd.Functional.mul(p,
                Variable.constant(Tensor.of(g, g.length)))).backward();
    }

    @Test
    void stateRoundTripsSoThatTwoOptimizersContinueAlike() {
        for (int kind = 0; kind < 2; kind++) {
            Variable a = param(1f, 2f, 3f);
            Variable b = param(1f, 2f, 3f);
            Optimizer oa = kind == 0 ? new Sgd(List.of(a), 0.1f, 0.9f, 0f, 0.01f, true) : Adam.adamW(List.of(a), 0.1f);
            Optimizer ob = kind == 0 ? new Sgd(List.of(b), 0.1f, 0.9f, 0f, 0.01f, true) : Adam.adamW(List.of(b), 0.1f);
            for (int step = 0; step < 3; step++) {
                setGrad(a, 0.5f, -1f, step);
                oa.step();
            }
            b.value().data()[0] = a.value().get(0);
            b.value().data()[1] = a.value().get(1);
            b.value().data()[2] = a.value().get(2);
            ob.loadStateDict(oa.stateDict());
            setGrad(a, 1f, 1f, 1f);
            setGrad(b, 1f, 1f, 1f);
            oa.step();
            ob.step();
            assertArrayEquals(a.value().toArray(), b.value().toArray(), "kind " + kind);
        }
    }

    @Test
    void parametersWithoutGradientsAreLeftAlone() {
        Variable used = param(1f);
        Variable unused = param(5f);
        var opt = Adam.adam(List.of(used, unused), 0.1f);
        setGrad(used, 1f);
        opt.step();
        assertEquals(5f, unused.value().item());
        assertTrue(opt.stateDict().keySet().stream().allMatch(k -> k.startsWith("0.")), opt.stateDict().keySet().toString());
    }

    @Test
    void badStateKeysAreNamed() {
        var opt = new Sgd(List.of(param(1f)), 0.1f, 0.9f, 0f, 0f, false);
        var e = assertThrows(IllegalArgumentException.class, () -> opt.loadStateDict(Map.of("3.momentum_buffer", Tensor.zeros(1))));
        assertTrue(e.getMessage().contains("parameter index of state key 3.momentum_buffer must be in [0, 1)"), e.getMessage());
        var edge = assertThrows(IllegalArgumentException.class, () -> opt.loadStateDict(Map.of("1.momentum_buffer", Tensor.zeros(1))));
        assertTrue(edge.getMessage().contains("must be in [0, 1)"), edge.getMessage());
        assertThrows(IllegalArgumentException.class, () -> opt.loadStateDict(Map.of("-1.momentum_buffer", Tensor.zeros(1))));
        assertThrows(IllegalArgumentException.class, () -> new Sgd(List.of(param(1f)), 0.1f, 0f, 0f, 0f, true));
    }

    @Test
    void schedulesFollowTheirClosedForms() {
        assertEquals(0.1f * 0.1f, LrSchedule.step(30, 0.1f).lr(0.1f, 30), 1e-7);
        assertEquals(0.1f, LrSchedule.step(30, 0.1f).lr(0.1f, 29), 1e-7);
        assertEquals(0.05f, LrSchedule.cosine(10, 0f).lr(0.1f, 5), 1e-7);
        assertEquals(0f, LrSchedule.cosine(10, 0f).lr(0.1f, 12), 1e-7);
        LrSchedule warm = LrSchedule.cosine(10, 0f).withWarmup(5, 0.2f);
        assertEquals(0.02f, warm.lr(0.1f, 0), 1e-7);
        assertEquals(0.084f, warm.lr(0.1f, 4), 1e-7); // LinearLR: 0.2 + 0.8·4/5
        assertEquals(0.1f, warm.lr(0.1f, 5), 1e-7);
    }

    /** A parameter of one value with gradient g, stepped once by the optimizer. */
    private static Variable stepped(Optimizer opt, Variable p, float g) {
        setGrad(p, g);
        opt.step();
        return p;
    }

    @Test
    void hyperparametersAreCheckedAtTheirBounds() {
        var p = List.of(param(1f));
        assertEquals(0f, new Sgd(p, 0f).lr(), "a zero rate is allowed");
        assertThrows(IllegalArgumentException.class, () -> new Sgd(p, -1e-9f));
        assertThrows(IllegalArgumentException.class, () -> new Sgd(p, Float.NaN));
        Adam.adam(p, 0.1f, 0f, 0f, 0f, 0f); // betas and eps of 0 are allowed
        for (float[] bad : new float[][] {{1f, 0.9f}, {0.9f, 1f}, {-1e-9f, 0.9f}, {0.9f, -1e-9f}}) {
            var e = assertThrows(IllegalArgumentException.class, () -> Adam.adam(p, 0.1f, bad[0], bad[1], 1e-8f, 0f));
            assertTrue(e.getMessage().contains("betas"), e.getMessage());
        }
        assertThrows(IllegalArgumentException.class, () -> Adam.adam(p, 0.1f, 0.9f, 0.99f, -1e-9f, 0f));
        var named = assertThrows(IllegalArgumentException.class, () -> Adam.adamW(p, 0.1f, 1f, 0.99f, 1e-8f, 0f));
        assertTrue(named.getMessage().startsWith("AdamW: "), named.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Adam.adamW(p, 0.1f, 0.9f, 0.99f, 1e-8f, -1e-9f));
        assertEquals(0.25f, Adam.adamW(p, 0.1f, 0.9f, 0.99f, 1e-8f, 0.25f).weightDecay());
    }

    @Test
    void adamStepCountsAreCheckedAndRestoredExactlyPastTwoToThe24() {
        var p = param(1f);
        var opt = Adam.adam(List.of(p), 0.1f);
        var m = Tensor.zeros(1);
        for (float[] bad : new float[][] {{0, 0}, {0, 0x1p24f}, {0x1p24f, 1}, {0.5f, 1}, {1, 2.5f}, {-1, 1}, {1, -1}}) {
            var e = assertThrows(IllegalArgumentException.class, () -> opt.loadStateDict(
                    Map.of("0.exp_avg", m, "0.exp_avg_sq", m, "0.step", Tensor.of(bad, 2))));
            assertTrue(e.getMessage().contains("0.step"), e.getMessage());
        }
        var stepShape = assertThrows(IllegalArgumentException.class, () -> opt.loadStateDict(
                Map.of("0.exp_avg", m, "0.exp_avg_sq", m, "0.step", Tensor.of(new float[] {0, 1, 2}, 3))));
        assertTrue(stepShape.getMessage().startsWith("Adam: ") && stepShape.getMessage().contains("0.step"), stepShape.getMessage());
        for (float[] good : new float[][] {{0, 1}, {1, 0}, {0, 0xFFFFFF}}) {
            Adam.adam(List.of(param(1f)), 0.1f).loadStateDict(Map.of("0.exp_avg", m, "0.exp_avg_sq", m, "0.step", Tensor.of(good, 2)));
        }
        var decoupled = assertThrows(IllegalArgumentException.class, () -> Adam.adamW(List.of(p), 0.1f).loadStateDict(
                Map.of("0.exp_avg", m, "0.exp_avg_sq", m, "0.step", Tensor.of(new float[] {0, 0}, 2))));
        assertTrue(decoupled.getMessage().startsWith("AdamW: "), decoupled.getMessage());
        var wrongShape = assertThrows(IllegalArgumentException.class, () -> opt.loadStateDict(
                Map.of("0.exp_avg", Tensor.zeros(2), "0.exp_avg_sq", m, "0.step", Tensor.of(new float[] {0, 1}, 2))));
        assertTrue(wrongShape.getMessage().contains("0.exp_avg"), wrongShape.getMessage());
        var partial = assertThrows(IllegalArgumentException.class, () -> opt.loadStateDict(Map.of("0.exp_avg", m)));
        assertTrue(partial.getMessage().contains("no 0.exp_avg_sq"), partial.getMessage());
        assertTrue(opt.stateDict().isEmpty(), "nothing restored from a dict that failed");
        // 2^24 + 5 steps: the high half matters, and both halves come back as they went in.
        Tensor step = Tensor.of(new float[] {1, 5}, 2);
        opt.loadStateDict(Map.of("0.exp_avg", Tensor.of(new float[] {0.5f}, 1), "0.exp_avg_sq", Tensor.of(new float[] {0.25f}, 1),
                "0.step", step));
        assertArrayEquals(step.toArray(), opt.stateDict().get("0.step").toArray());
        assertArrayEquals(new float[] {0.5f}, opt.stateDict().get("0.exp_avg").toArray());
        stepped(opt, p, 1f);
        assertArrayEquals(new float[] {1, 6}, opt.stateDict().get("0.step").toArray());
    }

    @Test
    void everyTrainableParameterMustHaveStateAfterAStep() {
        var a = param(1f);
        var b = param(2f);
        var opt = new Sgd(List.of(a, b), 0.1f, 0.9f, 0f, 0f, false);
        var e = assertThrows(IllegalArgumentException.class, () -> opt.requireStateForEveryParameter("here"));
        assertTrue(e.getMessage().contains("state of parameter 0 in here"), e.getMessage());
        stepped(opt, a, 1f);
        e = assertThrows(IllegalArgumentException.class, () -> opt.requireStateForEveryParameter("here"));
        assertTrue(e.getMessage().contains("state of parameter 1 in here"), e.getMessage());
        stepped(opt, b, 1f);
        opt.requireStateForEveryParameter("here");
        b.requiresGrad(false);
        new Sgd(List.of(a, b), 0.1f, 0.9f, 0f, 0f, false).loadStateDict(opt.stateDict());
        new Sgd(List.of(a), 0.1f).requireStateForEveryParameter("plain SGD keeps no state");
        var wrong = assertThrows(IllegalArgumentException.class,
                () -> opt.loadStateDict(Map.of("0.momentum_buffer", Tensor.zeros(3))));
        assertTrue(wrong.getMessage().contains("0.momentum_buffer"), wrong.getMessage());
    }

    @Test
    void schedulesChangeExactlyAtTheirBoundaries() {
        LrSchedule step = LrSchedule.step(1, 0.5f);
        assertEquals(0.05f, step.lr(0.1f, 1), 1e-9);
        assertThrows(IllegalArgumentException.class, () -> LrSchedule.step(0, 0.5f));
        LrSchedule cos = LrSchedule.cosine(1, 0.01f);
        assertEquals(0.1f, cos.lr(0.1f, 0), 1e-9);
        assertEquals(0.01f, cos.lr(0.1f, 1), 1e-9);
        assertEquals(0.0325f, LrSchedule.cosine(4, 0.01f).lr(0.1f, 2) - 0.0225f, 1e-7); // 0.01 + 0.09 · (1 + cos(π/2)) / 2
        assertThrows(IllegalArgumentException.class, () -> LrSchedule.cosine(0, 0f));
        LrSchedule none = LrSchedule.constant().withWarmup(0, 0.1f);
        assertEquals(0.1f, none.lr(0.1f, 0), 1e-9, "no warm-up epochs: the rate from the start");
        LrSchedule warm = LrSchedule.constant().withWarmup(1, 0.1f);
        assertEquals(0.01f, warm.lr(0.1f, 0), 1e-9);
        assertEquals(0.1f, warm.lr(0.1f, 1), 1e-9);
        assertThrows(IllegalArgumentException.class, () -> LrSchedule.constant().withWarmup(-1, 0.1f));
    }
}
