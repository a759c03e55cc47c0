package dev.vcnn.engine.kernel.simd.elementwise;

import static dev.vcnn.engine.kernel.simd.SimdSpecies.F;

import dev.vcnn.engine.kernel.Updates;
import dev.vcnn.engine.kernel.scalar.ScalarUpdates;
import jdk.incubator.vector.FloatVector;

/** {@link Updates} on the Vector API: the same operations lane by lane, so bit-identical to the scalar twin. */
public final class SimdUpdates implements Updates {
    private static final int L = F.length();
    private static final Updates TAIL = new ScalarUpdates();

    @Override
    public void sgd(float[] param, int pOff, float[] grad, int gOff, float[] buf, int bOff, int n,
                    float lr, float momentum, float dampening, float weightDecay, boolean nesterov, boolean first) {
        float keep = 1f - dampening;
        var negLr = FloatVector.broadcast(F, -lr);
        var wd = FloatVector.broadcast(F, weightDecay);
        var mom = FloatVector.broadcast(F, momentum);
        int i = 0;
        for (int bound = F.loopBound(n); i < bound; i += L) {
            var p = FloatVector.fromArray(F, param, pOff + i);
            var d = FloatVector.fromArray(F, grad, gOff + i);
            if (weightDecay != 0f) {
                d = p.fma(wd, d);
            }
            if (momentum != 0f) {
                var b = flush(first ? d : FloatVector.fromArray(F, buf, bOff + i).fma(mom, d.mul(keep)));
                b.intoArray(buf, bOff + i);
                d = nesterov ? b.fma(mom, d) : b;
            }
            flush(d.fma(negLr, p)).intoArray(param, pOff + i);
        }
        // The tail is the reference itself, so it cannot drift from the twin.
        TAIL.sgd(param, pOff + i, grad, gOff + i, buf, bOff + i, n - i, lr, momentum, dampening, weightDecay, nesterov, first);
    }

    @Override
    public void adam(float[] param, int pOff, float[] grad, int gOff, float[] m, int mOff, float[] v, int vOff, int n,
                     float lr, float beta1, float beta2, float eps, float weightDecay, boolean decoupled, long step) {
        var k = AdamConstants.of(lr, beta1, beta2, weightDecay, decoupled, step);
        boolean coupledDecay = !decoupled && weightDecay != 0f;
        var b1 = FloatVector.broadcast(F, beta1);
        var b2 = FloatVector.broadcast(F, beta2);
        var negStep = FloatVector.broadcast(F, -k.stepSize());
        var wd = FloatVector.broadcast(F, weightDecay);
        int i = 0;
        for (int bound = F.loopBound(n); i < bound; i += L) {
            var p = FloatVector.fromArray(F, param, pOff + i);
            if (decoupled) {
                p = p.mul(k.decay());
            }
            var g = FloatVector.fromArray(F, grad, gOff + i);
            if (coupledDecay) {
                g = p.fma(wd, g);
            }
            var mi = flush(FloatVector.fromArray(F, m, mOff + i).fma(b1, g.mul(k.oneMinusBeta1())));
            var vi = FloatVector.fromArray(F, v, vOff + i).fma(b2, g.mul(k.oneMinusBeta2()).mul(g));
            mi.intoArray(m, mOff + i);
            vi.intoArray(v, vOff + i);
            var denom = vi.sqrt().div(k.sqrtBias2()).add(eps);
            flush(mi.div(denom).fma(negStep, p)).intoArray(param, pOff + i);
        }
        TAIL.adam(param, pOff + i, grad, gOff + i, m, mOff + i, v, vOff + i, n - i, lr, beta1, beta2, eps, weightDecay,
                decoupled, step);
    }

    /** {@link Updates#flush} lane by lane. */
    private static FloatVector flush(FloatVector x) {
        return x.blend(0f, x.abs().lt(Float.MIN_NORMAL));
    }
}
