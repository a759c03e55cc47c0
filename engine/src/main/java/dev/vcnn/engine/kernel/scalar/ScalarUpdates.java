package dev.vcnn.engine.kernel.scalar;

import dev.vcnn.engine.kernel.Updates;

/** The reference {@link Updates}: one element at a time, exactly the formulas on the interface. */
public final class ScalarUpdates implements Updates {
    @Override
    public void sgd(float[] param, int pOff, float[] grad, int gOff, float[] buf, int bOff, int n,
                    float lr, float momentum, float dampening, float weightDecay, boolean nesterov, boolean first) {
        float keep = 1f - dampening;
        for (int i = 0; i < n; i++) {
            float p = param[pOff + i];
            float d = weightDecay != 0f ? Math.fma(weightDecay, p, grad[gOff + i]) : grad[gOff + i];
            if (momentum != 0f) {
                float b = Updates.flush(first ? d : Math.fma(momentum, buf[bOff + i], keep * d));
                buf[bOff + i] = b;
                d = nesterov ? Math.fma(momentum, b, d) : b;
            }
            param[pOff + i] = Updates.flush(Math.fma(-lr, d, p));
        }
    }

    @Override
    public void adam(float[] param, int pOff, float[] grad, int gOff, float[] m, int mOff, float[] v, int vOff, int n,
                     float lr, float beta1, float beta2, float eps, float weightDecay, boolean decoupled, long step) {
        var k = AdamConstants.of(lr, beta1, beta2, weightDecay, decoupled, step);
        boolean coupledDecay = !decoupled && weightDecay != 0f;
        for (int i = 0; i < n; i++) {
            float p = param[pOff + i];
            if (decoupled) {
                p = p * k.decay();
            }
            float g = coupledDecay ? Math.fma(weightDecay, p, grad[gOff + i]) : grad[gOff + i];
            float mi = Updates.flush(Math.fma(beta1, m[mOff + i], k.oneMinusBeta1() * g));
            float vi = Math.fma(beta2, v[vOff + i], k.oneMinusBeta2() * g * g);
            m[mOff + i] = mi;
            v[vOff + i] = vi;
            float denom = (float) Math.sqrt(vi) / k.sqrtBias2() + eps;
            param[pOff + i] = Updates.flush(Math.fma(-k.stepSize(), mi / denom, p));
        }
    }
}
