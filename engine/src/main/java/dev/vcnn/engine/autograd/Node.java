package dev.vcnn.engine.autograd;

/**
 * One recorded op: its inputs and how to push the gradient of its output back into them. The backward
 * closure holds what the forward saved; {@link #free} drops it after a backward pass that does not
 * retain the graph.
 */
final class Node {
    /** Pushes {@code gradOut} (the gradient of the node's output) into the inputs' gradients. */
    @FunctionalInterface
    interface Backward {
        void apply(dev.vcnn.engine.tensor.Tensor gradOut);
    }

    final String op;
    final Variable[] inputs;
    /**
     * The backward only reads the gradient it is given (no in-place masking, no input taking its buffer
     * over), so a caller's gradient can be handed to it as it is (see {@link Variable#backward}).
     */
    final boolean readsGradientOnly;
    private Backward backward;

    Node(String op, Variable[] inputs, Backward backward) {
        this(op, inputs, false, backward);
    }

    Node(String op, Variable[] inputs, boolean readsGradientOnly, Backward backward) {
        this.op = op;
        this.inputs = inputs;
        this.readsGradientOnly = readsGradientOnly;
        this.backward = backward;
    }

    void apply(dev.vcnn.engine.tensor.Tensor gradOut) {
        if (backward == null) {
            throw new IllegalStateException("backward: the graph through '" + op + "' was already freed by an earlier "
                    + "backward(); call backward(gradient, true) the first time to keep it for a second pass");
        }
        backward.apply(gradOut);
    }

    void free() {
        backward = null;
    }
}
