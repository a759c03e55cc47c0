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
}
