package dev.vcnn.onnx;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vcnn.engine.autograd.Autograd;
import dev.vcnn.engine.autograd.Functional;
import dev.vcnn.engine.autograd.Variable;
import dev.vcnn.engine.tensor.Tensor;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The operators vcnn implements for ONNX beyond its layers' own (transposed convolution, padding, resizing,
 * gathering, permuting, elementwise functions and extrema with broadcasting) have gradients that match central
 * differences of L = Σ y·r for a random r, for the graph's inputs and its parameters.
 */
class GradientTest {
    @ParameterizedTest
    @ValueSource(strings = {"conv_transpose_stride_pads_output_padding", "conv_transpose_groups_dilations",
            "pad_reflect", "pad_edge", "pad_negative_crops", "resize_linear_pytorch_half_pixel",
            "resize_linear_align_corners_sizes", "resize_nearest_default_modes", "max_three", "min_three",
            "pow_broadcast", "hardswish", "hardsigmoid", "erf", "sqrt", "exp", "clip_bounds", "transpose_perm",
            "gather_floats_2d_indices", "softmax_opset13_axis1", "log_softmax_opset11_default", "global_max_pool",
            "maxpool_asymmetric_pads", "gemm_trans_alpha_beta", "matmul_3d_2d", "reduce_mean_input_axes",
            "local_function_inlined"})
    void gradientsMatchCentralDifferences(String name) throws Exception {
        Path dir = OperatorCasesTest.folders("cases").stream().filter(d -> d.getFileName().toString().equals(name))
                .findFirst().orElseThrow();
        OnnxGraph g = OnnxGraph.read(dir.resolve("model.onnx"));
        Map<String, Variable> leaves = new LinkedHashMap<>();
        for (var e : OperatorCasesTest.values(dir, "input").entrySet()) {
            leaves.put(e.getKey(), Variable.parameter(((OnnxValue.Floats) e.getValue()).variable().value().copy()));
        }
        g.namedParameters().forEach(leaves::put);
        String out = g.outputNames().get(0);
        Tensor r = random(new SplittableRandom(name.hashCode()),
                ((OnnxValue.Floats) run(g, leaves).get(out)).variable().shape().toArray());

        Variable loss = Functional.sum(Functional.mul(((OnnxValue.Floats) run(g, leaves).get(out)).variable(),
                Variable.constant(r)));
        loss.backward();
        var rng = new SplittableRandom(7);
        for (var e : leaves.entrySet()) {
            Tensor x = e.getValue().value();
            Tensor grad = e.getValue().grad();
            for (int k = 0; k < Math.min(12, x.numel()); k++) {
                int i = x.numel() <= 12 ? k : rng.nextInt(x.numel());
                float keep = x.data()[x.offset() + i];
                double h = 1e-3 * Math.max(1, Math.abs(keep));
                x.data()[x.offset() + i] = (float) (keep + h);
                double up = loss(g, leaves, out, r);
                x.data()[x.offset() + i] = (float) (keep - h);
                double down = loss(g, leaves, out, r);
                x.data()[x.offset() + i] = keep;
                double numeric = (up - down) / (2 * h);
                double analytic = grad == null ? 0 : grad.data()[grad.offset() + i];
                assertTrue(Math.abs(numeric - analytic) <= 1e-2 * Math.max(1, Math.abs(numeric)),
                        name + ": d L / d " + e.getKey() + "[" + i + "] is " + analytic + " but central differences give "
                                + numeric);
            }
        }
    }

    private static Map<String, OnnxValue> run(OnnxGraph g, Map<String, Variable> leaves) {
        Map<String, OnnxValue> in = new LinkedHashMap<>();
        for (var v : g.inputs()) {
            in.put(v.name(), new OnnxValue.Floats(leaves.get(v.name())));
        }
        return g.run(in);
    }

    private static double loss(OnnxGraph g, Map<String, Variable> leaves, String out, Tensor r) {
        return Autograd.noGrad(() -> {
            float[] y = ((OnnxValue.Floats) run(g, leaves).get(out)).variable().value().toArray();
            double s = 0;
            for (int i = 0; i < y.length; i++) {
                s += (double) y[i] * r.data()[i];
            }
            return s;
        });
    }

    private static Tensor random(SplittableRandom rng, int... dims) {
        Tensor t = Tensor.zeros(dims);
        for (int i = 0; i < t.numel(); i++) {
            t.data()[i] = (float) (rng.nextDouble() * 2 - 1);
        }
        return t;
    }

}
