package dev.vcnn.engine.nn;

import dev.vcnn.engine.autograd.Functional;
import dev.vcnn.engine.autograd.Variable;
import dev.vcnn.engine.kernel.Conv2dGeometry;
import dev.vcnn.engine.nn.init.Init;
import dev.vcnn.engine.tensor.Checks;
import dev.vcnn.engine.tensor.Shape;
import dev.vcnn.engine.tensor.Tensor;
import java.util.random.RandomGenerator;

/**
 * 2-d convolution [N, C, H, W] → [N, K, P, Q] with a square kernel, as {@code nn.Conv2d}; padding is
 * a number of zeros on every side, or {@link Padding#SAME} ({@code ceil(H/stride)} outputs, the odd
 * extra row or column at the bottom/right; PyTorch allows it for stride 1 only, this layer for any
 * stride) or {@link Padding#VALID}. Weight [K, C/groups, R, R] and bias [K] start as PyTorch's defaults.
 */
public final class Conv2d extends Module {
    /** String paddings of {@code nn.Conv2d}. */
    public enum Padding { SAME, VALID }

    private final int in;
    private final int out;
    private final int kernel;
    private final int stride;
    private final int padding; // used when mode is null
    private final Padding mode;
    private final int dilation;
    private final int groups;
    private final Variable weight;
    private final Variable bias;

    /** {@code nn.Conv2d(in, out, kernel, stride, padding)} with bias. */
    public Conv2d(int in, int out, int kernel, int stride, int padding, RandomGenerator rng) {
        this(in, out, kernel, stride, padding, null, 1, 1, true, rng);
    }

    /** A convolution with "same" or "valid" padding. */
    public Conv2d(int in, int out, int kernel, int stride, Padding mode, RandomGenerator rng) {
        this(in, out, kernel, stride, 0, mode, 1, 1, true, rng);
    }

    /** Every option. {@code mode} (nullable) overrides {@code padding}. */
    public Conv2d(int in, int out, int kernel, int stride, int padding, Padding mode, int dilation, int groups,
                  boolean bias, RandomGenerator rng) {
        this.in = in;
        this.out = out;
        this.kernel = kernel;
        this.stride = stride;
        this.padding = padding;
        this.mode = mode;
        this.dilation = dilation;
        this.groups = groups;
        if (groups < 1 || in % groups != 0 || out % groups != 0) {
            throw Checks.mismatch("Conv2d", "groups", "a divisor of in_channels=" + in + " and out_channels=" + out, groups);
        }
        Tensor w = Tensor.zeros(out, in / groups, kernel, kernel);
        Tensor b = bias ? Tensor.zeros(out) : null;
        Init.torchDefault(w, b, rng);
        this.weight = registerParameter("weight", w);
        this.bias = bias ? registerParameter("bias", b) : null;
    }

    public Variable weight() {
        return weight;
    }

    /** The bias, or null. */
    public Variable bias() {
        return bias;
    }

    /** The geometry this layer uses for an input shape. */
    public Conv2dGeometry geometry(Shape input) {
        if (input.rank() != 4) {
            throw Checks.mismatch("Conv2d", "input rank", 4, input.rank(), "input", input);
        }
        Shape w = weight.shape();
        if (mode == Padding.SAME) {
            return Conv2dGeometry.same(input, w, stride, dilation, groups);
        }
        if (mode == Padding.VALID) {
            return Conv2dGeometry.valid(input, w, stride, dilation, groups);
        }
        return Conv2dGeometry.of(input, w, stride, stride, padding, padding, padding, padding, dilation, dilation, groups);
    }

    @Override
    public Variable forward(Variable x) {
        return Functional.conv2d(x, weight, bias, geometry(x.shape()));
    }

    /** {@code relu(forward(x))} as one op ({@link Functional#conv2dRelu}); {@link Sequential} uses it for a Conv2d, ReLU pair. */
    public Variable forwardRelu(Variable x) {
        return Functional.conv2dRelu(x, weight, bias, geometry(x.shape()));
    }

    @Override
    public Shape outputShape(Shape input) {
        return geometry(input).outputShape();
    }

    @Override
    public long forwardMacs(Shape input) {
        return geometry(input).forwardMacs();
    }

    @Override
    protected String extraRepr() {
        var sb = new StringBuilder().append(in).append(", ").append(out)
                .append(", kernel_size=").append(pair(kernel, kernel)).append(", stride=").append(pair(stride, stride));
        if (mode != null) {
            sb.append(", padding=").append(mode == Padding.SAME ? "same" : "valid");
        } else if (padding != 0) {
            sb.append(", padding=").append(pair(padding, padding));
        }
        if (dilation != 1) {
            sb.append(", dilation=").append(pair(dilation, dilation));
        }
        if (groups != 1) {
            sb.append(", groups=").append(groups);
        }
        if (bias == null) {
            sb.append(", bias=False");
        }
        return sb.toString();
    }
}
