package dev.vcnn.engine.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.vcnn.engine.kernel.scalar.ScalarUpdates;
import org.junit.jupiter.api.Test;

/** The scalar update kernels against PyTorch's update rules written out in double, a few steps long. */
class ScalarUpdatesTest {
    private final Updates updates = new ScalarUpdates();

    @Test
    void sgdWithNesterovMomentumAndDecayFollowsTorch() {
        float[] p = {1f, -2f, 0.5f};
        float[] buf = new float[3];
        double[] pd = {1, -2, 0.5};
        double[] bd = new double[3];
        double lr = 0.1, mom = 0.9, wd = 0.01;
        for (int step = 0; step < 4; step++) {
            float[] g = {0.3f * (step + 1), -0.2f, 1f / (step + 2)};
            updates.sgd(p, 0, g, 0, buf, 0, 3, (float) lr, (float) mom, 0f, (float) wd, true, step == 0);
            for (int i = 0; i < 3; i++) {
                double d = g[i] + wd * pd[i];
                bd[i] = step == 0 ? d : mom * bd[i] + d;
                d = d + mom * bd[i];
                pd[i] -= lr * d;
            }
        }
        for (int i = 0; i < 3; i++) {
            assertEquals(pd[i], p[i], 1e-5 * Math.abs(pd[i]) + 1e-6, "param " + i);
        }
    }

    @Test
    void adamAndAdamWFollowTorch() {
        for (boolean decoupled : new boolean[] {false, true}) {
            float[] p = {1f, -2f, 0.5f};
            float[] m = new float[3];
            float[] v = new float[3];
            double[] pd = {1, -2, 0.5};
            double[] md = new double[3];
            double[] vd = new double[3];
            double lr = 0.01, b1 = 0.9, b2 = 0.999, eps = 1e-8, wd = 0.1;
            for (int t = 1; t <= 5; t++) {
                float[] g = {0.3f * t, -0.2f, 1f / (t + 1)};
                updates.adam(p, 0, g, 0, m, 0, v, 0, 3, (float) lr, (float) b1, (float) b2, (float) eps,
                        (float) wd, decoupled, t);
                for (int i = 0; i < 3; i++) {
                    double gi = g[i];
                    if (decoupled) {
                        pd[i] *= 1 - lr * wd;
                    } else {
                        gi += wd * pd[i];
                    }
                    md[i] = b1 * md[i] + (1 - b1) * gi;
                    vd[i] = b2 * vd[i] + (1 - b2) * gi * gi;
                    double mHat = md[i] / (1 - Math.pow(b1, t));
                    double vHat = vd[i] / (1 - Math.pow(b2, t));
                    pd[i] -= lr * mHat / (Math.sqrt(vHat) + eps);
                }
            }
            for (int i = 0; i < 3; i++) {
                assertEquals(pd[i], p[i], 1e-5 * Math.abs(pd[i]) + 1e-6, "decoupled=" + decoupled + " param " + i);
            }
        }
    }
}
