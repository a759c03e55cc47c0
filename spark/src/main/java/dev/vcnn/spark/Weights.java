package dev.vcnn.spark;

import dev.vcnn.engine.nn.Module;
import dev.vcnn.engine.tensor.Tensor;
import java.util.Map;

/** A model's state as plain arrays in its state-dict order: what the driver broadcasts and the workers load. */
final class Weights {
    private Weights() {}

    /** Every parameter and buffer, in {@link Module#stateDict()} order. */
    static float[][] of(Module m) {
        return m.stateDict().values().stream().map(Tensor::toArray).toArray(float[][]::new);
    }

    /** Copies arrays from {@link #of} into the model's live tensors. */
    static void load(Module m, float[][] state) {
        Map<String, Tensor> own = m.stateDict();
        if (own.size() != state.length) {
            throw new IllegalStateException("spark: the broadcast state holds " + state.length + " tensors but the model "
                    + own.size());
        }
        int i = 0;
        for (var e : own.entrySet()) {
            Tensor t = e.getValue();
            if (t.numel() != state[i].length) {
                throw new IllegalStateException("spark: broadcast tensor " + e.getKey() + " holds " + state[i].length
                        + " values but the model's holds " + t.numel());
            }
            System.arraycopy(state[i], 0, t.data(), t.offset(), state[i].length);
            i++;
        }
    }

    /** The buffers (batch norm's running statistics), in {@link Module#namedBuffers()} order. */
    static float[][] buffers(Module m) {
        return m.namedBuffers().values().stream().map(Tensor::toArray).toArray(float[][]::new);
    }

    /** A tensor as plain values and dimensions, to ship between driver and executors. */
    record Flat(float[] values, int[] dims) implements java.io.Serializable {
        static Flat of(Tensor t) {
            return new Flat(t.toArray(), t.shape().toArray());
        }

        Tensor tensor() {
            return Tensor.of(values.clone(), dims);
        }
    }

    /** An optimizer's state dict, shippable. */
    static Map<String, Flat> of(dev.vcnn.engine.optim.Optimizer o) {
        Map<String, Flat> out = new java.util.LinkedHashMap<>();
        o.stateDict().forEach((k, v) -> out.put(k, Flat.of(v)));
        return out;
    }

    /** Restores a state dict from {@link #of(dev.vcnn.engine.optim.Optimizer)} (nothing when it is empty). */
    static void load(dev.vcnn.engine.optim.Optimizer o, Map<String, Flat> state) {
        if (!state.isEmpty()) {
            Map<String, Tensor> live = new java.util.LinkedHashMap<>();
            state.forEach((k, v) -> live.put(k, v.tensor()));
            o.loadStateDict(live);
        }
    }
}
