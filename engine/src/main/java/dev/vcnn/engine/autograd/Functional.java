package dev.vcnn.engine.autograd;

import dev.vcnn.engine.kernel.BatchNorm;
import dev.vcnn.engine.kernel.Blas1;
import dev.vcnn.engine.kernel.Broadcasting;
import dev.vcnn.engine.kernel.Conv2dGeometry;
import dev.vcnn.engine.kernel.Dropout;
import dev.vcnn.engine.kernel.Kernels;
import dev.vcnn.engine.kernel.Losses.Reduction;
import dev.vcnn.engine.kernel.Pool2dGeometry;
import dev.vcnn.engine.kernel.SoftmaxBackward;
import dev.vcnn.engine.parallel.Parallelism;
import dev.vcnn.engine.tensor.Checks;
import dev.vcnn.engine.tensor.Shape;
import dev.vcnn.engine.tensor.Tensor;
import java.util.Arrays;
import java.util.Objects;

/**
 * Differentiable ops on {@link Variable}s, as {@code torch.nn.functional}: each checks its arguments,
 * runs the forward kernels of the current {@link Context}, and, when recording (see
 * {@link Autograd}) and an input requires a gradient, records how to push the output's gradient back.
 * Forward and backward of an op sit side by side; the arithmetic lives in the kernels.
 */
public final class Functional {
    private Functional() {}

    // ---- recording -----------------------------------------------------------------------------

    private static boolean recording(Variable... inputs) {
        if (!Autograd.isEnabled()) {
            return false;
        }
        for (Variable v : inputs) {
            if (v != null && v.requiresGrad()) {
                return true;
            }
        }
        return false;
    }

    private static Variable result(Tensor out, String op, Node.Backward backward, Variable... inputs) {
        return result(out, op, false, backward, inputs);
    }

    /** @param readsGradientOnly {@code backward} never writes its gradient (see {@link Node#readsGradientOnly}) */
    private static Variable result(Tensor out, String op, boolean readsGradientOnly, Node.Backward backward,
                                   Variable... inputs) {
        if (!recording(inputs)) {
            return Variable.constant(out);
        }
        Variable[] present = Arrays.stream(inputs).filter(Objects::nonNull).toArray(Variable[]::new);
        return Variable.result(out, new Node(op, present, readsGradientOnly, backward));
    }

    /**
     * How a {@link #custom} op pushes its output's gradient back: one gradient per input, each of that input's
     * shape, or null where an input gets none. It may read but must not keep or write {@code gradOut}.
     */
    @FunctionalInterface
    public interface CustomBackward {
        Tensor[] apply(Tensor gradOut);
    }

    /**
     * An op defined outside this class, as {@code torch.autograd.Function}: {@code value} is its output,
     * computed by the caller from the inputs' values, and {@code backward} gives the inputs' gradients. While
     * recording and when an input requires a gradient, the result remembers the inputs like any other op.
     *
     * @throws IllegalArgumentException when backward returns the wrong number of gradients or a gradient of
     *     the wrong shape (raised during the backward pass, naming the op and the input)
     */
    public static Variable custom(String op, Tensor value, CustomBackward backward, Variable... inputs) {
        Objects.requireNonNull(op, "op");
        Objects.requireNonNull(value, "value");
        return result(value, op, true, dy -> {
            Tensor[] grads = backward.apply(dy);
            if (grads == null || grads.length != inputs.length) {
                throw new IllegalArgumentException(op + ": backward must give " + inputs.length
                        + " gradients (one per input) but gave " + (grads == null ? "null" : grads.length));
            }
            for (int i = 0; i < inputs.length; i++) {
                if (inputs[i] == null || grads[i] == null || !inputs[i].requiresGrad()) {
                    continue;
                }
                if (!grads[i].shape().equals(inputs[i].shape())) {
                    throw Checks.mismatch(op, "gradient of input " + i, inputs[i].shape(), grads[i].shape());
                }
                inputs[i].addGrad(grads[i]);
            }
        }, inputs);
    }

    private static Kernels kernels() {
        return Context.current().kernels();
    }

    private static Parallelism threads() {
        return Context.current().parallelism();
    }

    private static void rank(String op, String name, Variable v, int... allowed) {
        for (int r : allowed) {
            if (v.shape().rank() == r) {
                return;
            }
        }
        String expected = allowed.length == 1 ? String.valueOf(allowed[0]) : "one of " + Arrays.toString(allowed);
        throw Checks.mismatch(op, name + " rank", expected, v.shape().rank(), name, v.shape());
    }

    // ---- predictions ---------------------------------------------------------------------------

    /**
     * The index of the largest score in each row of {@code scores} [N, K], K ≥ 1: the first largest, or the first
     * NaN if a row has one, as {@code torch.argmax(scores, dim=1)}. Not differentiable; a class index per image.
     *
     * @throws IllegalArgumentException naming the shape if it is not [N, K] with K ≥ 1
     */
    public static int[] argmax(Tensor scores) {
        if (scores.shape().rank() != 2 || scores.dim(1) == 0 && scores.dim(0) > 0) {
            throw Checks.mismatch("argmax", "scores shape", "[N, K] with K >= 1", scores.shape());
        }
        int n = scores.dim(0);
        int k = scores.dim(1);
        int[] out = new int[n];
        var blas = kernels().blas1();
        for (int i = 0; i < n; i++) {
            out[i] = blas.argmax(scores.data(), scores.offset() + i * k, k);
        }
        return out;
    }

    // ---- linear algebra ------------------------------------------------------------------------

    /**
     * y = x·wᵀ + b, as {@code torch.nn.functional.linear}: x [*, in], w [out, in], b [out] or null →
     * y [*, out].
     *
     * @throws IllegalArgumentException naming the shapes if they disagree
     */
    public static Variable linear(Variable x, Variable w, Variable b) {
        rank("linear", "weight", w, 2);
        if (x.shape().rank() < 1 || x.shape().dim(-1) != w.shape().dim(1)) {
            throw Checks.mismatch("linear", "input features", w.shape().dim(1),
                    x.shape().rank() < 1 ? "a scalar" : x.shape().dim(-1), "input", x.shape(), "weight", w.shape());
        }
        int in = w.shape().dim(1);
        int out = w.shape().dim(0);
        if (b != null && (b.shape().rank() != 1 || b.shape().dim(0) != out)) {
            throw Checks.mismatch("linear", "bias shape", Shape.of(out), b.shape(), "weight", w.shape());
        }
        int n = in == 0 ? 0 : x.value().numel() / in;
        int[] outDims = x.shape().toArray();
        outDims[outDims.length - 1] = out;
        Tensor y = Tensor.zeros(outDims);
        Kernels k = kernels();
        Parallelism par = threads();
        Tensor xv = x.value();
        Tensor wv = w.value();
        k.gemm().sgemm(false, true, n, out, in, 1f, xv.data(), xv.offset(), Math.max(1, in),
                wv.data(), wv.offset(), Math.max(1, in), 0f, y.data(), 0, Math.max(1, out), par);
        if (b != null) {
            k.blas1().addBias(y.data(), 0, n, out, 1, b.value().data(), b.value().offset());
        }
        return result(y, "linear", true, dy -> {
            x.addGrad((dst, off) -> k.gemm().sgemm(false, false, n, in, out, 1f, dy.data(), dy.offset(),
                    Math.max(1, out), wv.data(), wv.offset(), Math.max(1, in), 0f, dst, off, Math.max(1, in), par));
            w.addGrad((dst, off) -> k.gemm().sgemm(true, false, out, in, n, 1f, dy.data(), dy.offset(),
                    Math.max(1, out), xv.data(), xv.offset(), Math.max(1, in), 0f, dst, off, Math.max(1, in), par));
            if (b != null) {
                b.addGrad((dst, off) -> Broadcasting.reduceSum(dy.data(), dy.offset(), Shape.of(n, out), dst, off, Shape.of(out)));
            }
        }, x, w, b);
    }

    /** c = a·b for a [M, K], b [K, N]. */
    public static Variable matmul(Variable a, Variable b) {
        rank("matmul", "a", a, 2);
        rank("matmul", "b", b, 2);
        int m = a.shape().dim(0);
        int kk = a.shape().dim(1);
        int n = b.shape().dim(1);
        if (b.shape().dim(0) != kk) {
            throw Checks.mismatch("matmul", "rows of b", kk, b.shape().dim(0), "a", a.shape(), "b", b.shape());
        }
        Tensor c = Tensor.zeros(m, n);
        Kernels k = kernels();
        Parallelism par = threads();
        Tensor av = a.value();
        Tensor bv = b.value();
        int lda = Math.max(1, kk);
        int ldb = Math.max(1, n);
        k.gemm().sgemm(false, false, m, n, kk, 1f, av.data(), av.offset(), lda, bv.data(), bv.offset(), ldb,
                0f, c.data(), 0, ldb, par);
        return result(c, "matmul", true, dy -> {
            a.addGrad((dst, off) -> k.gemm().sgemm(false, true, m, kk, n, 1f, dy.data(), dy.offset(), ldb,
                    bv.data(), bv.offset(), ldb, 0f, dst, off, lda, par));
            b.addGrad((dst, off) -> k.gemm().sgemm(true, false, kk, n, m, 1f, av.data(), av.offset(), lda,
                    dy.data(), dy.offset(), ldb, 0f, dst, off, ldb, par));
        }, a, b);
    }

    // ---- convolution and pooling -----------------------------------------------------------------

    /** conv2d with symmetric padding, one stride for both axes, no dilation, one group. */
    public static Variable conv2d(Variable x, Variable w, Variable b, int stride, int padding) {
        return conv2d(x, w, b, stride, stride, padding, padding, padding, padding, 1, 1, 1);
    }

    /**
     * 2-d convolution (cross-correlation) as {@code torch.nn.functional.conv2d}: x [N, C, H, W],
     * w [K, C/groups, R, S], b [K] or null → [N, K, P, Q].
     *
     * @throws IllegalArgumentException naming the shapes and numbers when the geometry is invalid
     */
    public static Variable conv2d(Variable x, Variable w, Variable b, int strideH, int strideW,
                                  int padTop, int padBottom, int padLeft, int padRight,
                                  int dilationH, int dilationW, int groups) {
        var g = Conv2dGeometry.of(x.shape(), w.shape(), strideH, strideW, padTop, padBottom, padLeft, padRight,
                dilationH, dilationW, groups);
        return conv2d(x, w, b, g);
    }

    /** conv2d on a geometry made for x's and w's shapes. */
    public static Variable conv2d(Variable x, Variable w, Variable b, Conv2dGeometry g) {
        Tensor y = conv2dForward(x, w, b, g);
        Kernels k = kernels();
        Parallelism par = threads();
        return result(y, "conv2d", true, dy -> conv2dBackward(g, x, w, b, dy, k, par), x, w, b);
    }

    /**
     * relu(conv2d(x, w, b)) as one op, for a convolution followed by a ReLU ({@code Sequential} fuses the
     * pair): the pre-activation never leaves the op, so ReLU runs over it in place instead of into a new
     * tensor, and the backward masks its gradient in place (y &gt; 0 exactly where the pre-activation is).
     * Results are bit for bit those of the two ops. LeNet-5 at batch 64 spent 0.11 ms of a 4.2 ms training
     * step (one core, Zen 4) on the first ReLU's forward, most of it the JVM zeroing its new 1.2 MB output.
     */
    public static Variable conv2dRelu(Variable x, Variable w, Variable b, Conv2dGeometry g) {
        Tensor y = conv2dForward(x, w, b, g);
        Kernels k = kernels();
        Parallelism par = threads();
        elementwise(y.numel(), par, (i0, i1) -> k.blas1().relu(y.data(), i0, y.data(), i0, i1 - i0));
        return result(y, "conv2d_relu", dy -> {
            // dy is this op's own gradient, which backward() no longer holds: masked where it lies.
            elementwise(y.numel(), par, (i0, i1) -> k.blas1().reluBackward(y.data(), i0, dy.data(), dy.offset() + i0,
                    dy.data(), dy.offset() + i0, i1 - i0));
            conv2dBackward(g, x, w, b, dy, k, par);
        }, x, w, b);
    }

    /** The checked shapes and a new output holding conv2d(x, w, b). */
    private static Tensor conv2dForward(Variable x, Variable w, Variable b, Conv2dGeometry g) {
        if (!g.inputShape().equals(x.shape()) || !g.weightShape().equals(w.shape())) {
            throw Checks.mismatch("conv2d", "input and weight shapes", g.inputShape() + " and " + g.weightShape(),
                    x.shape() + " and " + w.shape());
        }
        if (b != null && (b.shape().rank() != 1 || b.shape().dim(0) != g.outChannels())) {
            throw Checks.mismatch("conv2d", "bias shape", Shape.of(g.outChannels()), b.shape(),
                    "input", x.shape(), "weight", w.shape());
        }
        Tensor y = Tensor.zeros(g.outputShape().toArray());
        Tensor xv = x.value();
        Tensor wv = w.value();
        float[] bias = b == null ? null : b.value().data();
        int bOff = b == null ? 0 : b.value().offset();
        kernels().conv2d().forward(g, xv.data(), xv.offset(), wv.data(), wv.offset(), bias, bOff, y.data(), 0, threads());
        return y;
    }

    private static void conv2dBackward(Conv2dGeometry g, Variable x, Variable w, Variable b, Tensor dy, Kernels k,
                                       Parallelism par) {
        Tensor xv = x.value();
        Tensor wv = w.value();
        x.addGrad((dst, off) -> k.conv2d().backwardInput(g, dy.data(), dy.offset(), wv.data(), wv.offset(), dst, off, par));
        // Weight and bias gradients in one call: a kernel may sum the bias while it reads dy for the weights.
        float[] db = b == null ? null : b.spareGrad();
        if (w.requiresGrad()) {
            w.addGrad((dw, wOff) -> k.conv2d().backwardWeightAndBias(g, xv.data(), xv.offset(), dy.data(), dy.offset(),
                    dw, wOff, db, 0, par));
        } else if (db != null) {
            k.conv2d().backwardBias(g, dy.data(), dy.offset(), db, 0, par);
        }
        if (db != null) {
            b.addWritten(db);
        }
    }

    /** Max pooling with a square window, as {@code torch.nn.functional.max_pool2d(x, k, stride, padding)}. */
    public static Variable maxPool2d(Variable x, int kernel, int stride, int padding) {
        rank("max_pool2d", "input", x, 4);
        return maxPool2d(x, Pool2dGeometry.of(x.shape(), kernel, stride, padding));
    }

    /** Max pooling on a geometry for x's shape (any kernel, stride, padding, dilation, ceil mode). */
    public static Variable maxPool2d(Variable x, Pool2dGeometry g) {
        checkPoolInput("max_pool2d", x, g);
        Tensor y = Tensor.zeros(g.outputShape().toArray());
        // Indices only for a backward: without them the kernels take values alone.
        int[] indices = recording(x) ? new int[y.numel()] : null;
        Kernels k = kernels();
        Parallelism par = threads();
        Tensor xv = x.value();
        k.pool2d().maxForward(g, xv.data(), xv.offset(), y.data(), 0, indices, 0, par);
        return result(y, "max_pool2d", true, dy -> x.addGrad((dst, off) ->
                k.pool2d().maxBackward(g, dy.data(), dy.offset(), indices, 0, dst, off, par)), x);
    }

    /** Average pooling with a square window, counting padding (PyTorch's default). */
    public static Variable avgPool2d(Variable x, int kernel, int stride, int padding) {
        rank("avg_pool2d", "input", x, 4);
        return avgPool2d(x, Pool2dGeometry.of(x.shape(), kernel, stride, padding), true);
    }

    /** Average pooling on a geometry for x's shape (dilation must be 1). */
    public static Variable avgPool2d(Variable x, Pool2dGeometry g, boolean countIncludePad) {
        checkPoolInput("avg_pool2d", x, g);
        if (g.dilationH() != 1 || g.dilationW() != 1) {
            throw Checks.mismatch("avg_pool2d", "dilation", "1x1", g.dilationH() + "x" + g.dilationW());
        }
        Tensor y = Tensor.zeros(g.outputShape().toArray());
        Kernels k = kernels();
        Parallelism par = threads();
        Tensor xv = x.value();
        k.pool2d().avgForward(g, countIncludePad, xv.data(), xv.offset(), y.data(), 0, par);
        return result(y, "avg_pool2d", true, dy -> x.addGrad((dst, off) ->
                k.pool2d().avgBackward(g, countIncludePad, dy.data(), dy.offset(), dst, off, par)), x);
    }

    private static void checkPoolInput(String op, Variable x, Pool2dGeometry g) {
        if (!g.inputShape().equals(x.shape())) {
            throw Checks.mismatch(op, "input shape", g.inputShape(), x.shape());
        }
    }

    /** Global average pooling, {@code AdaptiveAvgPool2d(1)}: [N, C, H, W] → [N, C, 1, 1]. */
    public static Variable globalAvgPool2d(Variable x) {
        rank("adaptive_avg_pool2d", "input", x, 4);
        Shape s = x.shape();
        int planes = s.dim(0) * s.dim(1);
        int plane = s.dim(2) * s.dim(3);
        Tensor y = Tensor.zeros(s.dim(0), s.dim(1), 1, 1);
        Kernels k = kernels();
        Parallelism par = threads();
        Tensor xv = x.value();
        k.pool2d().globalAvgForward(planes, plane, xv.data(), xv.offset(), y.data(), 0, par);
        return result(y, "adaptive_avg_pool2d", dy -> x.addGrad((dst, off) ->
                k.pool2d().globalAvgBackward(planes, plane, dy.data(), dy.offset(), dst, off, par)), x);
    }

    // ---- activations ----------------------------------------------------------------------------

    /** max(x, 0). */
    public static Variable relu(Variable x) {
        Kernels k = kernels();
        Tensor xv = x.value();
        Tensor y = Tensor.zeros(x.shape().toArray());
        Parallelism par = threads();
        elementwise(y.numel(), par, (i0, i1) -> k.blas1().relu(xv.data(), xv.offset() + i0, y.data(), i0, i1 - i0));
        return result(y, "relu", dy -> x.addGradOver(dy, (dst, off) -> elementwise(y.numel(), par, (i0, i1) ->
                k.blas1().reluBackward(xv.data(), xv.offset() + i0, dy.data(), dy.offset() + i0, dst, off + i0, i1 - i0))), x);
    }

    /**
     * {@link #relu} written over {@code y}'s own value instead of a new one, bit for bit the same result and
     * gradient: the backward masks by the output, which is positive exactly where the input was. Only for a
     * {@code y} that nothing else reads, its producer's backward included (see {@code nn.Fusion}).
     */
    public static Variable reluOver(Variable y) {
        Kernels k = kernels();
        Tensor v = y.value();
        int n = v.numel();
        Parallelism par = threads();
        elementwise(n, par, (i0, i1) -> k.blas1().relu(v.data(), v.offset() + i0, v.data(), v.offset() + i0, i1 - i0));
        return result(v, "relu", dy -> y.addGradOver(dy, (dst, off) -> elementwise(n, par, (i0, i1) ->
                k.blas1().reluBackward(v.data(), v.offset() + i0, dy.data(), dy.offset() + i0, dst, off + i0, i1 - i0))), y);
    }

    /**
     * {@link #hardtanh} written over {@code y}'s own value, as {@link #reluOver}: the output lies strictly inside
     * (lo, hi) exactly where the input did, so the backward masks by it.
     */
    public static Variable hardtanhOver(Variable y, float lo, float hi) {
        if (!(lo <= hi)) {
            throw Checks.mismatch("hardtanh", "bounds", "lo <= hi", lo + " > " + hi);
        }
        Kernels k = kernels();
        Tensor v = y.value();
        int n = v.numel();
        Parallelism par = threads();
        elementwise(n, par, (i0, i1) -> k.activations().hardtanh(lo, hi, v.data(), v.offset() + i0, v.data(),
                v.offset() + i0, i1 - i0));
        return result(v, "hardtanh", dy -> y.addGradOver(dy, (dst, off) -> elementwise(n, par, (i0, i1) ->
                k.activations().hardtanhBackward(lo, hi, v.data(), v.offset() + i0, dy.data(), dy.offset() + i0, dst,
                        off + i0, i1 - i0))), y);
    }

    /** Fewest elements per task of {@link #elementwise}: 128 KiB of floats. */
    private static final int ELEMENTWISE_TASK = 1 << 15;

    /**
     * An elementwise kernel over [0, n) in chunks over the context's threads (one call below two chunks'
     * worth): each element is computed as on one thread, so the bits do not depend on the thread count.
     * LeNet-5's first ReLU (301k floats) and a CIFAR CNN's (2.1M) ran on one core of two.
     */
    private static void elementwise(int n, Parallelism par, Parallelism.RangeBody body) {
        if (n < 2 * ELEMENTWISE_TASK || par.threads() == 1) {
            body.run(0, n);
        } else {
            par.forRange(n, ELEMENTWISE_TASK, body);
        }
    }

    /**
     * x clamped to [lo, hi] (NaN stays NaN), as {@code nn.Hardtanh(lo, hi)}; {@code nn.ReLU6} is hardtanh(x, 0, 6). The gradient passes
     * where lo &lt; x &lt; hi, as PyTorch's does (0 at the bounds themselves).
     */
    public static Variable hardtanh(Variable x, float lo, float hi) {
        if (!(lo <= hi)) {
            throw Checks.mismatch("hardtanh", "bounds", "lo <= hi", lo + " > " + hi);
        }
        Kernels k = kernels();
        Tensor xv = x.value();
        Tensor y = Tensor.zeros(x.shape().toArray());
        int n = y.numel();
        Parallelism par = threads();
        elementwise(n, par, (i0, i1) -> k.activations().hardtanh(lo, hi, xv.data(), xv.offset() + i0, y.data(), i0, i1 - i0));
        return result(y, "hardtanh", dy -> x.addGradOver(dy, (dst, off) -> elementwise(n, par, (i0, i1) ->
                k.activations().hardtanhBackward(lo, hi, xv.data(), xv.offset() + i0, dy.data(), dy.offset() + i0, dst,
                        off + i0, i1 - i0))), x);
    }

    /** x &gt; 0 ? x : slope·x. */
    public static Variable leakyRelu(Variable x, float slope) {
        Kernels k = kernels();
        Tensor xv = x.value();
        Tensor y = Tensor.zeros(x.shape().toArray());
        k.activations().leakyRelu(slope, xv.data(), xv.offset(), y.data(), 0, y.numel());
        return result(y, "leaky_relu", dy -> x.addGradOver(dy, (dst, off) -> k.activations().leakyReluBackward(slope,
                xv.data(), xv.offset(), dy.data(), dy.offset(), dst, off, y.numel())), x);
    }

    /** 1 / (1 + exp(−x)). */
    public static Variable sigmoid(Variable x) {
        Kernels k = kernels();
        Tensor xv = x.value();
        Tensor y = Tensor.zeros(x.shape().toArray());
        k.activations().sigmoid(xv.data(), xv.offset(), y.data(), 0, y.numel());
        return result(y, "sigmoid", dy -> x.addGradOver(dy, (dst, off) ->
                k.activations().sigmoidBackward(y.data(), 0, dy.data(), dy.offset(), dst, off, y.numel())), x);
    }

    /** tanh(x). */
    public static Variable tanh(Variable x) {
        Kernels k = kernels();
        Tensor xv = x.value();
        Tensor y = Tensor.zeros(x.shape().toArray());
        k.activations().tanh(xv.data(), xv.offset(), y.data(), 0, y.numel());
        return result(y, "tanh", dy -> x.addGradOver(dy, (dst, off) ->
                k.activations().tanhBackward(y.data(), 0, dy.data(), dy.offset(), dst, off, y.numel())), x);
    }

    /** Softmax along {@code axis}, which must be the last axis (the class axis of [N, C] logits). */
    public static Variable softmax(Variable x, int axis) {
        return softmaxRows(x, axis, false);
    }

    /** Log-softmax along {@code axis}, which must be the last axis. */
    public static Variable logSoftmax(Variable x, int axis) {
        return softmaxRows(x, axis, true);
    }

    private static Variable softmaxRows(Variable x, int axis, boolean log) {
        String op = log ? "log_softmax" : "softmax";
        Shape s = x.shape();
        if (s.rank() == 0 || s.normalizeAxis(axis) != s.rank() - 1) {
            throw Checks.mismatch(op, "axis", "the last axis (" + (s.rank() - 1) + ")", axis, "input", s);
        }
        int cols = s.dim(-1);
        int rows = cols == 0 ? 0 : s.numel() / cols;
        Kernels k = kernels();
        Tensor xv = x.value();
        Tensor y = Tensor.zeros(s.toArray());
        k.activations().softmaxRows(log, xv.data(), xv.offset(), y.data(), 0, rows, cols);
        return result(y, op, dy -> x.addGrad((dst, off) -> {
            if (log) {
                SoftmaxBackward.logSoftmax(y.data(), 0, dy.data(), dy.offset(), dst, off, rows, cols);
            } else {
                SoftmaxBackward.softmax(y.data(), 0, dy.data(), dy.offset(), dst, off, rows, cols);
            }
        }), x);
    }

    // ---- elementwise arithmetic with broadcasting -------------------------------------------------

    private enum Arith { ADD, SUB, MUL, DIV }

    /** a + b, broadcasting as PyTorch does. */
    public static Variable add(Variable a, Variable b) {
        return arithmetic("add", Arith.ADD, a, b);
    }

    /** a − b, broadcasting. */
    public static Variable sub(Variable a, Variable b) {
        return arithmetic("sub", Arith.SUB, a, b);
    }

    /** a ⊙ b, broadcasting. */
    public static Variable mul(Variable a, Variable b) {
        return arithmetic("mul", Arith.MUL, a, b);
    }

    /** a / b, broadcasting. */
    public static Variable div(Variable a, Variable b) {
        return arithmetic("div", Arith.DIV, a, b);
    }

    private static Variable arithmetic(String op, Arith kind, Variable a, Variable b) {
        Shape out = Broadcasting.shape(op, a.shape(), b.shape());
        Tensor ae = expanded(a.value(), out);
        Tensor be = expanded(b.value(), out);
        Tensor y = Tensor.zeros(out.toArray());
        Kernels k = kernels();
        int n = y.numel();
        switch (kind) {
            case ADD -> k.blas1().add(ae.data(), ae.offset(), be.data(), be.offset(), y.data(), 0, n);
            case SUB -> k.blas1().sub(ae.data(), ae.offset(), be.data(), be.offset(), y.data(), 0, n);
            case MUL -> k.blas1().mul(ae.data(), ae.offset(), be.data(), be.offset(), y.data(), 0, n);
            case DIV -> k.blas1().div(ae.data(), ae.offset(), be.data(), be.offset(), y.data(), 0, n);
        }
        return result(y, op, dy -> {
            if (a.requiresGrad()) {
                Tensor ga = switch (kind) {
                    case ADD, SUB -> dy;
                    case MUL -> elementwise(k, Arith.MUL, dy, be);
                    case DIV -> elementwise(k, Arith.DIV, dy, be);
                };
                a.addGrad((dst, off) -> reduceTo(ga, a.shape(), dst, off));
            }
            if (b.requiresGrad()) {
                Tensor gb = switch (kind) {
                    case ADD -> dy;
                    case SUB -> scaled(k, -1f, dy);
                    case MUL -> elementwise(k, Arith.MUL, dy, ae);
                    case DIV -> scaled(k, -1f, elementwise(k, Arith.DIV, elementwise(k, Arith.MUL, dy, y), be));
                };
                b.addGrad((dst, off) -> reduceTo(gb, b.shape(), dst, off));
            }
        }, a, b);
    }

    /** x · alpha for a constant alpha. */
    public static Variable scale(Variable x, float alpha) {
        Kernels k = kernels();
        Tensor y = scaled(k, alpha, x.value());
        return result(y, "mul", dy -> x.addGrad((dst, off) ->
                k.blas1().scale(alpha, dy.data(), dy.offset(), dst, off, dy.numel())), x);
    }

    private static Tensor expanded(Tensor t, Shape to) {
        if (t.shape().equals(to)) {
            return t;
        }
        Tensor e = Tensor.zeros(to.toArray());
        Broadcasting.expand(t.data(), t.offset(), t.shape(), e.data(), 0, to);
        return e;
    }

    private static void reduceTo(Tensor g, Shape to, float[] dst, int off) {
        if (g.shape().equals(to)) {
            System.arraycopy(g.data(), g.offset(), dst, off, g.numel());
        } else {
            Broadcasting.reduceSum(g.data(), g.offset(), g.shape(), dst, off, to);
        }
    }

    private static Tensor elementwise(Kernels k, Arith kind, Tensor x, Tensor y) {
        Tensor out = Tensor.zeros(x.shape().toArray());
        int n = out.numel();
        switch (kind) {
            case MUL -> k.blas1().mul(x.data(), x.offset(), y.data(), y.offset(), out.data(), 0, n);
            case DIV -> k.blas1().div(x.data(), x.offset(), y.data(), y.offset(), out.data(), 0, n);
            default -> throw new AssertionError(kind);
        }
        return out;
    }

    private static Tensor scaled(Kernels k, float alpha, Tensor x) {
        Tensor out = Tensor.zeros(x.shape().toArray());
        k.blas1().scale(alpha, x.data(), x.offset(), out.data(), 0, out.numel());
        return out;
    }

    // ---- reductions -------------------------------------------------------------------------------

    /** The sum of all elements, a scalar (shape []). */
    public static Variable sum(Variable x) {
        int[] all = new int[x.shape().rank()];
        Arrays.setAll(all, i -> i);
        return sum(x, false, all);
    }

    /** Sum over {@code axes} (negative axes count from the end), keeping them as size 1 if {@code keepDim}. */
    public static Variable sum(Variable x, boolean keepDim, int... axes) {
        return reduce("sum", x, keepDim, false, axes);
    }

    /** The mean of all elements, a scalar. */
    public static Variable mean(Variable x) {
        int[] all = new int[x.shape().rank()];
        Arrays.setAll(all, i -> i);
        return mean(x, false, all);
    }

    /** Mean over {@code axes}, keeping them as size 1 if {@code keepDim}. */
    public static Variable mean(Variable x, boolean keepDim, int... axes) {
        return reduce("mean", x, keepDim, true, axes);
    }

    private static Variable reduce(String op, Variable x, boolean keepDim, boolean mean, int[] axes) {
        Shape s = x.shape();
        int[] kept = s.toArray();
        boolean[] reduced = new boolean[s.rank()];
        long count = 1;
        for (int axis : axes) {
            int a = s.normalizeAxis(axis);
            if (reduced[a]) {
                throw Checks.mismatch(op, "axes", "distinct", Arrays.toString(axes), "input", s);
            }
            reduced[a] = true;
            count *= s.dim(a);
            kept[a] = 1;
        }
        Shape keptShape = Shape.of(kept);
        int[] outDims = keepDim ? kept : java.util.stream.IntStream.range(0, s.rank())
                .filter(i -> !reduced[i]).map(i -> s.dim(i)).toArray();
        Tensor y = Tensor.zeros(outDims);
        Kernels k = kernels();
        Tensor xv = x.value();
        Broadcasting.reduceSum(xv.data(), xv.offset(), s, y.data(), 0, keptShape);
        // The mean of no elements is NaN (0 · ∞), as torch.mean's.
        float factor = mean ? (float) (1.0 / count) : 1f;
        if (mean) {
            k.blas1().scale(factor, y.data(), 0, y.data(), 0, y.numel());
        }
        return result(y, op, dy -> x.addGrad((dst, off) -> {
            Broadcasting.expand(dy.data(), dy.offset(), keptShape, dst, off, s);
            if (mean) {
                k.blas1().scale(factor, dst, off, dst, off, s.numel());
            }
        }), x);
    }

    // ---- shape ------------------------------------------------------------------------------------

    /** A view with new dimensions (one may be −1); gradients flow back reshaped. */
    public static Variable reshape(Variable x, int... dims) {
        Tensor y = x.value().reshape(dims);
        return result(y, "reshape", dy -> x.addGrad(dy.reshape(x.shape().toArray())), x);
    }

    /** [N, …] → [N, rest], as {@code torch.flatten(x, 1)}. */
    public static Variable flatten(Variable x) {
        if (x.shape().rank() < 1) {
            throw Checks.mismatch("flatten", "input rank", ">= 1", 0, "input", x.shape());
        }
        return reshape(x, x.shape().dim(0), x.shape().dim(0) == 0 ? 0 : -1);
    }

    /**
     * Concatenation along {@code axis}: every input has the same rank and the same dimensions except
     * along {@code axis} ({@code torch.cat}); axis 1 joins channels.
     */
    public static Variable concat(int axis, Variable... xs) {
        if (xs.length == 0) {
            throw new IllegalArgumentException("concat: at least one input is required");
        }
        Shape first = xs[0].shape();
        int a = first.normalizeAxis(axis);
        int total = 0;
        for (Variable v : xs) {
            Shape s = v.shape();
            boolean same = s.rank() == first.rank();
            for (int i = 0; same && i < s.rank(); i++) {
                same = i == a || s.dim(i) == first.dim(i);
            }
            if (!same) {
                throw Checks.mismatch("concat", "input shape", "equal to " + first + " except along axis " + a, s,
                        "inputs", Variable.shapes(xs));
            }
            total += s.dim(a);
        }
        int[] dims = first.toArray();
        dims[a] = total;
        Tensor y = Tensor.zeros(dims);
        int outer = 1;
        for (int i = 0; i < a; i++) {
            outer *= first.dim(i);
        }
        int inner = 1;
        for (int i = a + 1; i < first.rank(); i++) {
            inner *= first.dim(i);
        }
        int[] block = new int[xs.length];
        int rowOut = total * inner;
        int at = 0;
        int[] start = new int[xs.length];
        for (int j = 0; j < xs.length; j++) {
            block[j] = xs[j].shape().dim(a) * inner;
            start[j] = at;
            at += block[j];
        }
        final int outerCount = outer;
        for (int j = 0; j < xs.length; j++) {
            Tensor v = xs[j].value();
            for (int o = 0; o < outerCount; o++) {
                System.arraycopy(v.data(), v.offset() + o * block[j], y.data(), o * rowOut + start[j], block[j]);
            }
        }
        return result(y, "concat", dy -> {
            for (int j = 0; j < xs.length; j++) {
                int jj = j;
                xs[j].addGrad((dst, off) -> {
                    for (int o = 0; o < outerCount; o++) {
                        System.arraycopy(dy.data(), dy.offset() + o * rowOut + start[jj], dst, off + o * block[jj], block[jj]);
                    }
                });
            }
        }, xs);
    }

    // ---- regularisation and normalisation -----------------------------------------------------------

    /**
     * Inverted dropout: in training, each element is zeroed with probability p and the rest scaled by
     * 1/(1−p), the mask drawn from {@code seed} (see {@link Dropout}); otherwise x itself.
     */
    public static Variable dropout(Variable x, float p, boolean training, long seed) {
        if (!(p >= 0f && p <= 1f)) {
            throw Checks.mismatch("dropout", "p", "in [0, 1]", p);
        }
        if (!training || p == 0f) {
            return x;
        }
        Kernels k = kernels();
        int n = x.value().numel();
        float[] mask = new float[n];
        Dropout.mask(seed, p, mask, 0, n, threads());
        Tensor y = Tensor.zeros(x.shape().toArray());
        Tensor xv = x.value();
        k.blas1().mul(xv.data(), xv.offset(), mask, 0, y.data(), 0, n);
        return result(y, "dropout", dy -> x.addGradOver(dy, (dst, off) ->
                k.blas1().mul(dy.data(), dy.offset(), mask, 0, dst, off, n)), x);
    }

    /**
     * Batch normalisation over [N, C] or [N, C, *] per channel C, as
     * {@code torch.nn.functional.batch_norm}. Training uses batch statistics and updates
     * {@code runningMean}/{@code runningVar} in place (when not null); otherwise the running statistics
     * are used. gamma/beta [C] may be null.
     */
    public static Variable batchNorm(Variable x, Variable gamma, Variable beta, Tensor runningMean, Tensor runningVar,
                                     boolean training, float momentum, float eps) {
        return batchNorm(x, gamma, beta, runningMean, runningVar, training, momentum, eps, false);
    }

    /**
     * {@link #batchNorm} outside training, written over {@code x}'s own value when no gradient is recorded (with
     * one, as batchNorm): only for an {@code x} that nothing else reads, such as a convolution's fresh output
     * (see {@code nn.Fusion}). The same values bit for bit, without a new output.
     */
    public static Variable batchNormOver(Variable x, Variable gamma, Variable beta, Tensor runningMean, Tensor runningVar,
                                         float eps) {
        return batchNorm(x, gamma, beta, runningMean, runningVar, false, 0f, eps, true);
    }

    private static Variable batchNorm(Variable x, Variable gamma, Variable beta, Tensor runningMean, Tensor runningVar,
                                      boolean training, float momentum, float eps, boolean overInput) {
        Shape s = x.shape();
        if (s.rank() < 2) {
            throw Checks.mismatch("batch_norm", "input rank", ">= 2", s.rank(), "input", s);
        }
        int n = s.dim(0);
        int c = s.dim(1);
        int spatial = n * c == 0 ? 0 : s.numel() / (n * c);
        for (Object[] p : new Object[][] {{"weight", gamma == null ? null : gamma.shape()},
                {"bias", beta == null ? null : beta.shape()},
                {"running_mean", runningMean == null ? null : runningMean.shape()},
                {"running_var", runningVar == null ? null : runningVar.shape()}}) {
            if (p[1] != null && !p[1].equals(Shape.of(c))) {
                throw Checks.mismatch("batch_norm", p[0] + " shape", Shape.of(c), p[1], "input", s);
            }
        }
        if (!training && (runningMean == null || runningVar == null)) {
            throw new IllegalArgumentException("batch_norm: running statistics are required outside training (input=" + s + ")");
        }
        if (training && n * spatial <= 1) {
            throw Checks.mismatch("batch_norm", "values per channel in training", "> 1", n * spatial, "input", s);
        }
        float[] g = gamma == null ? null : gamma.value().toArray();
        float[] bt = beta == null ? null : beta.value().toArray();
        Tensor xv = x.value();
        Parallelism par = threads();
        if (!training) {
            if (recording(x, gamma, beta)) {
                return batchNormInferenceGraph(x, gamma, beta, runningMean, runningVar, eps);
            }
            Tensor out = overInput ? xv : Tensor.zeros(s.toArray());
            BatchNorm.forwardInference(xv.data(), xv.offset(), n, c, spatial, g, bt, eps,
                    runningMean.toArray(), runningVar.toArray(), out.data(), out.offset(), kernels().blas1(), par);
            return Variable.constant(out);
        }
        Tensor y = Tensor.zeros(s.toArray());
        float[] saveMean = new float[c];
        float[] saveInvStd = new float[c];
        float[] rm = runningMean == null ? null : runningMean.toArray();
        float[] rv = runningVar == null ? null : runningVar.toArray();
        BatchNorm.forwardTraining(xv.data(), xv.offset(), n, c, spatial, g, bt, eps, momentum, rm, rv,
                y.data(), 0, saveMean, saveInvStd, kernels().blas1(), par);
        if (rm != null) {
            System.arraycopy(rm, 0, runningMean.data(), runningMean.offset(), c);
            System.arraycopy(rv, 0, runningVar.data(), runningVar.offset(), c);
        }
        Blas1 blas1 = kernels().blas1();
        return result(y, "batch_norm", dy -> {
            float[] gx = new float[s.numel()];
            float[] gg = new float[c];
            float[] gb = new float[c];
            BatchNorm.backward(xv.data(), xv.offset(), dy.data(), dy.offset(), n, c, spatial, g, saveMean, saveInvStd,
                    gx, 0, gg, gb, blas1, par);
            x.addGrad((dst, off) -> System.arraycopy(gx, 0, dst, off, gx.length));
            if (gamma != null) {
                gamma.addGrad((dst, off) -> System.arraycopy(gg, 0, dst, off, c));
            }
            if (beta != null) {
                beta.addGrad((dst, off) -> System.arraycopy(gb, 0, dst, off, c));
            }
        }, x, gamma, beta);
    }

    /** Inference batch norm built from differentiable ops, for gradients through a layer in eval mode. */
    private static Variable batchNormInferenceGraph(Variable x, Variable gamma, Variable beta,
                                                    Tensor runningMean, Tensor runningVar, float eps) {
        int c = x.shape().dim(1);
        int[] channelDims = new int[x.shape().rank()];
        Arrays.fill(channelDims, 1);
        channelDims[1] = c;
        Tensor invStd = Tensor.zeros(c);
        Tensor mean = runningMean.copy().reshape(channelDims);
        for (int i = 0; i < c; i++) {
            invStd.data()[i] = (float) (1 / Math.sqrt(runningVar.data()[runningVar.offset() + i] + (double) eps));
        }
        Variable out = mul(sub(x, Variable.constant(mean)), Variable.constant(invStd.reshape(channelDims)));
        if (gamma != null) {
            out = mul(out, reshape(gamma, channelDims));
        }
        if (beta != null) {
            out = add(out, reshape(beta, channelDims));
        }
        return out;
    }

    // ---- losses -----------------------------------------------------------------------------------

    /**
     * Cross-entropy of logits [N, C] against class indices, as {@code F.cross_entropy} with
     * {@code label_smoothing}; a scalar.
     *
     * @throws IllegalArgumentException if targets has not N entries or one is outside [0, C)
     */
    public static Variable crossEntropy(Variable logits, int[] targets, Reduction reduction, float labelSmoothing) {
        int[] nc = checkClassTargets("cross_entropy", logits, targets);
        if (!(labelSmoothing >= 0f && labelSmoothing <= 1f)) {
            throw Checks.mismatch("cross_entropy", "label smoothing", "in [0, 1]", labelSmoothing);
        }
        Tensor lv = logits.value();
        boolean rec = recording(logits);
        float[] grad = rec ? new float[lv.numel()] : null;
        float loss = Context.current().losses().softmaxCrossEntropy(lv.data(), lv.offset(), targets, 0, nc[0], nc[1],
                labelSmoothing, reduction, 1f, grad, 0);
        return scaledGradLoss("cross_entropy", loss, grad, logits);
    }

    /** Cross-entropy with mean reduction and no smoothing. */
    public static Variable crossEntropy(Variable logits, int[] targets) {
        return crossEntropy(logits, targets, Reduction.MEAN, 0f);
    }

    /** Negative log-likelihood of log-probabilities [N, C] against class indices, as {@code F.nll_loss}. */
    public static Variable nllLoss(Variable logProb, int[] targets, Reduction reduction) {
        int[] nc = checkClassTargets("nll_loss", logProb, targets);
        Tensor lv = logProb.value();
        boolean rec = recording(logProb);
        float[] grad = rec ? new float[lv.numel()] : null;
        float loss = Context.current().losses().nll(lv.data(), lv.offset(), targets, 0, nc[0], nc[1], reduction, 1f, grad, 0);
        return scaledGradLoss("nll_loss", loss, grad, logProb);
    }

    private static int[] checkClassTargets(String op, Variable scores, int[] targets) {
        rank(op, "input", scores, 2);
        int n = scores.shape().dim(0);
        int c = scores.shape().dim(1);
        if (targets.length != n) {
            throw Checks.mismatch(op, "target count", n, targets.length, "input", scores.shape());
        }
        for (int i = 0; i < n; i++) {
            if (targets[i] < 0 || targets[i] >= c) {
                throw Checks.mismatch(op, "target " + i, "in [0, " + c + ")", targets[i], "input", scores.shape());
            }
        }
        return new int[] {n, c};
    }

    /** Mean (or summed) squared error between x and y of one shape, as {@code F.mse_loss}. */
    public static Variable mseLoss(Variable x, Variable y, Reduction reduction) {
        sameShape("mse_loss", x, y);
        Tensor xv = x.value();
        Tensor yv = y.value();
        boolean rec = recording(x, y);
        float[] grad = rec ? new float[xv.numel()] : null;
        float loss = Context.current().losses().mse(xv.data(), xv.offset(), yv.data(), yv.offset(), xv.numel(),
                reduction, 1f, grad, 0);
        Kernels k = kernels();
        return result(Tensor.full(loss), "mse_loss", dl -> {
            float up = dl.item();
            x.addGrad((dst, off) -> k.blas1().scale(up, grad, 0, dst, off, grad.length));
            y.addGrad((dst, off) -> k.blas1().scale(-up, grad, 0, dst, off, grad.length));
        }, x, y);
    }

    /** Binary cross-entropy on logits x against targets y in [0, 1], as {@code F.binary_cross_entropy_with_logits}. */
    public static Variable bceWithLogits(Variable x, Variable y, Reduction reduction) {
        sameShape("binary_cross_entropy_with_logits", x, y);
        if (recording(y)) {
            throw new IllegalArgumentException("binary_cross_entropy_with_logits: the target must not require a gradient "
                    + "(target op=" + y.op() + "); detach() it");
        }
        Tensor xv = x.value();
        Tensor yv = y.value();
        float[] grad = recording(x) ? new float[xv.numel()] : null;
        float loss = Context.current().losses().bceWithLogits(xv.data(), xv.offset(), yv.data(), yv.offset(), xv.numel(),
                reduction, 1f, grad, 0);
        return scaledGradLoss("binary_cross_entropy_with_logits", loss, grad, x);
    }

    private static void sameShape(String op, Variable x, Variable y) {
        if (!x.shape().equals(y.shape())) {
            throw Checks.mismatch(op, "target shape", x.shape(), y.shape());
        }
    }

    /** A scalar loss whose gradient for {@code input} was computed in the forward pass (for upstream 1). */
    private static Variable scaledGradLoss(String op, float loss, float[] grad, Variable input) {
        Kernels k = kernels();
        return result(Tensor.full(loss), op, dl -> input.addGrad((dst, off) ->
                k.blas1().scale(dl.item(), grad, 0, dst, off, grad.length)), input);
    }
}
