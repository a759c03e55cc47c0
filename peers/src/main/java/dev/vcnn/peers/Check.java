package dev.vcnn.peers;

import dev.vcnn.engine.kernel.Kernels;

/**
 * An engine's output against vcnn's scalar reference kernels on the same data. Convolution and
 * linear outputs are sums of K products plus a bias, each computed in float by both sides in some
 * order, so they may differ by at most {@code 2·γ(K+1)·Σ|terms|} with {@code γ(n) = n·2⁻²⁴/(1 − n·2⁻²⁴)}
 * (a standard summation bound), where Σ|terms| is the same operator on |input|, |weight|, |bias|.
 * A forward-and-backward workload is checked on its forward output. Max pooling is exact. LeNet-5's
 * logits, and a ResNet's or MobileNetV2's, go through many layers and ReLUs, where no such simple bound holds:
 * they must agree to 1e-3 of the largest logit, which catches a wrong layer, not rounding.
 */
final class Check {
    private Check() {}

    /**
     * @throws IllegalStateException naming the workload, engine and first output outside the bound
     */
    static void against(Workload w, String engine, float[] got) {
        float[] ref;
        float[] abs = null;
        // A Models network at 224 pixels and batch 32 would take minutes per trial on the scalar kernels; it is checked
        // against vcnn's default kernels on one thread, which the contract tests hold to the scalar ones.
        Kernels reference = w.model() != null ? Kernels.defaults() : Kernels.scalar();
        try (var r = new VcnnRunner(w, 1, reference, false)) {
            ref = r.output();
        }
        if (w.kind().isConv() || w.kind() == Workload.Kind.LINEAR) {
            try (var r = new VcnnRunner(w, 1, Kernels.scalar(), true)) {
                abs = r.output();
            }
        }
        if (got.length != ref.length) {
            throw new IllegalStateException(w.name() + " on " + engine + ": " + got.length + " outputs but the reference has "
                    + ref.length);
        }
        double largest = 0;
        for (float v : ref) {
            largest = Math.max(largest, Math.abs(v));
        }
        double u = 0x1p-24;
        int n = w.termsPerOutput() + 1;
        double gamma = n * u / (1 - n * u);
        for (int i = 0; i < ref.length; i++) {
            double bound = switch (w.kind()) {
                case CONV, CONV_BACKWARD, LINEAR -> 2 * gamma * abs[i];
                case MAX_POOL -> 0;
                case LENET5_TRAIN, LENET5_INFER, NET_TRAIN, NET_INFER -> 1e-3 * largest;
            };
            if (!(Math.abs((double) got[i] - ref[i]) <= bound)) {
                throw new IllegalStateException(w.name() + " on " + engine + ": output " + i + " is " + got[i]
                        + " but vcnn's reference gives " + ref[i] + " (allowed difference " + bound + ")");
            }
        }
    }
}
