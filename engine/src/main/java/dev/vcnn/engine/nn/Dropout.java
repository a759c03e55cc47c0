package dev.vcnn.engine.nn;

import dev.vcnn.engine.autograd.Functional;
import dev.vcnn.engine.autograd.Variable;
import dev.vcnn.engine.tensor.Checks;
import dev.vcnn.engine.tensor.Shape;
import dev.vcnn.engine.tensor.SplitMix64;

/**
 * {@code nn.Dropout(p)}: in training, zeroes each element with probability p and scales the rest by
 * 1/(1−p); identity in eval mode. The mask of the k-th training call is drawn from mix(seed, k), so a
 * run is reproducible and, with {@link #calls()} restored, resumable.
 */
public final class Dropout extends Module {
    private final float p;
    private final long seed;
    private long calls;

    public Dropout(float p, long seed) {
        if (!(p >= 0f && p <= 1f)) {
            throw Checks.mismatch("Dropout", "p", "in [0, 1]", p);
        }
        this.p = p;
        this.seed = seed;
    }

    @Override
    public Variable forward(Variable x) {
        if (!isTraining() || p == 0f) {
            return x;
        }
        return Functional.dropout(x, p, true, SplitMix64.mix(seed, calls++));
    }

    /** Training calls so far: the position in this layer's random stream. */
    /** The probability of zeroing an element in training. */
    public float p() {
        return p;
    }

    public long calls() {
        return calls;
    }

    /** Moves the random stream to a position saved by {@link #calls()}. */
    public void calls(long position) {
        this.calls = position;
    }

    @Override
    public Shape outputShape(Shape input) {
        return input;
    }

    @Override
    protected String extraRepr() {
        return "p=" + py(p) + ", inplace=False";
    }
}
