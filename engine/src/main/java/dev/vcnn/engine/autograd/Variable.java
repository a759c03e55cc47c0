package dev.vcnn.engine.autograd;

import dev.vcnn.engine.tensor.Checks;
import dev.vcnn.engine.tensor.Shape;
import dev.vcnn.engine.tensor.Tensor;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * A tensor in the autograd graph: its value, and, when it requires a gradient, where it came from.
 * Leaves are made by {@link #constant} and {@link #parameter}; every op in {@link Functional} returns
 * a new variable that remembers its inputs while recording is on (see {@link Autograd#noGrad}).
 *
 * <p>{@link #backward()} walks the recorded graph once, in reverse topological order, and adds
 * ∂output/∂leaf into each leaf's {@link #grad()} (gradients accumulate across calls until
 * {@link #zeroGrad()}). Intermediate gradients are dropped as soon as they have been pushed on, and
 * the graph's saved tensors are freed unless the pass is asked to retain them.
 */
public final class Variable {
    private final Tensor value;
    private final Node node; // null for leaves
    private boolean requiresGrad;
    private Tensor grad;

    private Variable(Tensor value, Node node, boolean requiresGrad) {
        this.value = value;
        this.node = node;
        this.requiresGrad = requiresGrad;
    }

    /** A leaf that never receives a gradient (inputs, targets). */
    public static Variable constant(Tensor value) {
        return new Variable(value, null, false);
    }

    /** A leaf that receives a gradient (weights). */
    public static Variable parameter(Tensor value) {
        return new Variable(value, null, true);
    }

    /** The output of a recorded op. */
    static Variable result(Tensor value, Node node) {
        return new Variable(value, node, true);
    }

    public Tensor value() {
        return value;
    }

    public Shape shape() {
        return value.shape();
    }

    /** The accumulated gradient, the shape of {@link #value()}, or null if none has arrived. */
    public Tensor grad() {
        return grad;
    }

    public boolean requiresGrad() {
        return requiresGrad;
    }

    /** True for variables not produced by a recorded op. */
    public boolean isLeaf() {
        return node == null;
    }

    /** The op that produced this variable ({@code "leaf"} for leaves), for messages and debugging. */
    public String op() {
        return node == null ? "leaf" : node.op;
    }

    /**
     * Turns gradient tracking on or off for a leaf (freezing a parameter).
     *
     * @throws IllegalStateException on a non-leaf, whose tracking follows from its inputs
     */
    public void requiresGrad(boolean on) {
        if (node != null) {
            throw new IllegalStateException("requiresGrad: only leaves can be switched, but this variable was made by '"
                    + node.op + "'; call detach() first");
        }
        requiresGrad = on;
    }

    /** A leaf sharing this value that records nothing. */
    public Variable detach() {
        return constant(value);
    }

    /**
     * Sets a leaf's gradient to one computed elsewhere (data-parallel training adds the workers' gradients and hands
     * the sum to the optimizer this way), as assigning {@code param.grad} does in PyTorch.
     *
     * @throws IllegalArgumentException when the gradient's shape is not the value's
     * @throws IllegalStateException on a non-leaf
     */
    public void grad(Tensor gradient) {
        if (node != null) {
            throw new IllegalStateException("grad: only a leaf's gradient can be set, but this variable was made by '"
                    + node.op + "'");
        }
        if (gradient != null && !gradient.shape().equals(value.shape())) {
            throw new IllegalArgumentException("grad: the gradient must have the value's shape " + value.shape()
                    + " but has " + gradient.shape());
        }
        grad = gradient;
    }

    /** Forgets the accumulated gradient (PyTorch's {@code zero_grad(set_to_none=True)}). */
    public void zeroGrad() {
        grad = null;
    }

    /** The single element of a one-element value. */
    public float item() {
        return value.item();
    }

    /** Backward from a one-element output (a loss): as {@code backward(ones)}, freeing the graph. */
    public void backward() {
        backward(null, false);
    }

    /**
     * Backpropagates {@code gradient} (∂L/∂this, this variable's shape; null means 1 for a one-element
     * output) through the recorded graph into every leaf that requires a gradient.
     *
     * @param retainGraph keep the graph's saved tensors so that backward can run through it again
     * @throws IllegalStateException if this variable does not require a gradient, if {@code gradient}
     *     is null but the output has more than one element, or if the graph was freed by an earlier pass
     * @throws IllegalArgumentException if {@code gradient} has the wrong shape
     */
    public void backward(Tensor gradient, boolean retainGraph) {
        if (!requiresGrad) {
            throw new IllegalStateException("backward: this variable does not require a gradient "
                    + "(it is a constant, detached, frozen, or was made under noGrad)");
        }
        Tensor seed;
        if (gradient == null) {
            if (value.numel() != 1) {
                throw new IllegalStateException("backward: a gradient argument is required for a non-scalar output "
                        + "(shape=" + shape() + "); pass backward(gradient, retainGraph) or reduce to a scalar first");
            }
            seed = Tensor.ones(shape().toArray());
        } else {
            if (!gradient.shape().equals(shape())) {
                throw Checks.mismatch("backward", "gradient shape", shape(), gradient.shape());
            }
            seed = gradient;
        }
        List<Variable> order = topologicalOrder();
        // The caller's gradient goes in as it is to an op that only reads it (a convolution's 8 MB output
        // gradient cost a copy the size of the backward's input otherwise); any other op may write over
        // its gradient, or an input take the buffer over, so gets a copy.
        boolean borrowed = gradient != null && node != null && node.readsGradientOnly && grad == null;
        if (borrowed) {
            grad = gradient;
        } else {
            addGrad(seed);
        }
        for (int i = order.size() - 1; i >= 0; i--) {
            Variable v = order.get(i);
            if (v.node == null || v.grad == null) {
                continue;
            }
            Tensor g = v.grad;
            v.grad = null; // intermediate gradients are not kept
            v.node.apply(g);
            if (!takenOver(v.node, g) && !(borrowed && v == this)) {
                buffers().give(g.data());
            }
            if (!retainGraph) {
                v.node.free();
            }
        }
    }

    /** Variables reachable from this one through inputs that require a gradient, inputs before users. */
    private List<Variable> topologicalOrder() {
        List<Variable> order = new ArrayList<>();
        Map<Variable, Boolean> seen = new IdentityHashMap<>();
        // Iterative post-order DFS: a frame is (variable, next input index).
        ArrayDeque<Object[]> stack = new ArrayDeque<>();
        stack.push(new Object[] {this, 0});
        seen.put(this, true);
        while (!stack.isEmpty()) {
            Object[] frame = stack.peek();
            Variable v = (Variable) frame[0];
            int next = (int) frame[1];
            Variable[] inputs = v.node == null ? new Variable[0] : v.node.inputs;
            while (next < inputs.length && (!inputs[next].requiresGrad || seen.containsKey(inputs[next]))) {
                next++;
            }
            if (next < inputs.length) {
                frame[1] = next + 1;
                seen.put(inputs[next], true);
                stack.push(new Object[] {inputs[next], 0});
            } else {
                stack.pop();
                order.add(v);
            }
        }
        return order;
    }

    // ---- gradient accumulation, for ops --------------------------------------------------------

    /** Writes a gradient contribution into {@code dst[off, off + numel)}, overwriting all of it. */
    @FunctionalInterface
    interface GradWriter {
        void write(float[] dst, int off);
    }

    private static GradBuffers buffers() {
        return Context.current().gradBuffers();
    }

    /** Whether an input of {@code node} took {@code g}'s buffer as its gradient ({@link #addGradOver}). */
    private static boolean takenOver(Node node, Tensor g) {
        for (Variable in : node.inputs) {
            if (in.grad != null && in.grad.data() == g.data()) {
                return true;
            }
        }
        return false;
    }

    /** Adds {@code g} (this variable's shape) to the gradient; no-op when no gradient is wanted. */
    void addGrad(Tensor g) {
        addGrad((dst, off) -> System.arraycopy(g.data(), g.offset(), dst, off, g.numel()));
    }

    /**
     * Adds what {@code writer} writes to the gradient, the one way an op hands its inputs their gradients:
     * the first contribution is written straight into a buffer that becomes the gradient, a later one into
     * a spare buffer that is then added in. No-op when no gradient is wanted.
     */
    void addGrad(GradWriter writer) {
        float[] written = spareGrad();
        if (written != null) {
            writer.write(written, 0);
            addWritten(written);
        }
    }

    /** A buffer of this variable's size for one kernel call to fill, then {@link #addWritten}; null if none is wanted. */
    float[] spareGrad() {
        return requiresGrad ? buffers().take(value.numel()) : null;
    }

    /** Adds a {@link #spareGrad} buffer, just written: the gradient the first time, else added to it and kept. */
    void addWritten(float[] written) {
        if (grad == null) {
            grad = Tensor.wrap(written, 0, shape());
        } else {
            Context ctx = Context.current();
            ctx.kernels().blas1().add(grad.data(), grad.offset(), written, 0, grad.data(), grad.offset(), written.length);
            ctx.gradBuffers().give(written);
        }
    }

    /**
     * {@link #addGrad(GradWriter)} for an elementwise backward whose writer may write its result over
     * {@code gradOut} (same element count, same index in and out): the first gradient of this variable then
     * takes over gradOut's buffer. Kept beside addGrad because it is faster: writing over the gradient just
     * read keeps one buffer in cache instead of two, in an op bound by memory traffic. {@code gradOut} must
     * be the gradient an op's backward was given: {@link #backward} drops its own reference to it before the
     * op runs, and nothing else holds it.
     */
    void addGradOver(Tensor gradOut, GradWriter writer) {
        if (requiresGrad && grad == null && gradOut.numel() == value.numel()) {
            writer.write(gradOut.data(), gradOut.offset());
            grad = Tensor.wrap(gradOut.data(), gradOut.offset(), shape());
        } else {
            addGrad(writer);
        }
    }

    @Override
    public String toString() {
        String v = value.toString();
        String suffix = node != null ? ", op=" + node.op : requiresGrad ? ", requiresGrad=true" : "";
        return suffix.isEmpty() ? v : v.substring(0, v.length() - 1) + suffix + ")";
    }

    /** For messages: the shapes of several variables. */
    static String shapes(Variable... vs) {
        return Arrays.toString(Arrays.stream(vs).map(Variable::shape).toArray());
    }
}
