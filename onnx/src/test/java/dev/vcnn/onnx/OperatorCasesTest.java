package dev.vcnn.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vcnn.engine.autograd.Autograd;
import dev.vcnn.engine.tensor.Tensor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Every operator case under {@code cases/} (made by {@code src/test/python/make_cases.py}: a one-to-eight-node
 * model accepted by {@code onnx.checker}, its inputs, and the outputs ONNX Runtime computed) runs in vcnn to ONNX
 * Runtime's outputs: int64 outputs exactly, float outputs to within 1e-6 of the largest output's magnitude (at
 * least 1): a few float32 roundings of sums accumulated in another order. The worst seen is 1.8e-7 (a strided
 * convolution with SAME padding).
 */
class OperatorCasesTest {
    static final double TOLERANCE = 1e-6;

    static List<Path> folders(String resource) throws Exception {
        try (Stream<Path> s = Files.list(Path.of(OperatorCasesTest.class.getResource(resource).toURI()))) {
            return s.filter(Files::isDirectory).sorted().toList();
        }
    }

    @TestFactory
    Stream<DynamicTest> everyCaseMatchesOnnxRuntime() throws Exception {
        List<Path> dirs = folders("cases");
        assertTrue(dirs.size() >= 70, "cases found: " + dirs.size());
        return dirs.stream().map(d -> DynamicTest.dynamicTest(d.getFileName().toString(), () -> check(d, TOLERANCE)));
    }

    /**
     * Networks exported by PyTorch ({@code torch/}, made by {@code make_torch_models.py}) with both of its
     * exporters, traced at batch 2 and run at batch 3, give PyTorch's outputs to within 1e-5 of the largest (the worst seen is 1.2e-7).
     */
    @TestFactory
    Stream<DynamicTest> modelsExportedByPyTorchMatchPyTorch() throws Exception {
        List<Path> dirs = folders("torch");
        assertTrue(dirs.size() >= 10, "models found: " + dirs.size());
        return dirs.stream().map(d -> DynamicTest.dynamicTest(d.getFileName().toString(), () -> check(d, 1e-5)));
    }

    static Map<String, OnnxValue> values(Path dir, String prefix) throws Exception {
        Map<String, OnnxValue> out = new LinkedHashMap<>();
        for (int k = 0; ; k++) {
            Path p = dir.resolve("test_data_set_0").resolve(prefix + "_" + k + ".pb");
            if (!Files.exists(p)) {
                return out;
            }
            OnnxModel.Tensor t = OnnxModel.parseTensor(p.toString(), Files.readAllBytes(p));
            out.put(t.name(), value(t));
        }
    }

    static OnnxValue value(OnnxModel.Tensor t) {
        int[] dims = new int[t.dims().length];
        for (int i = 0; i < dims.length; i++) {
            dims[i] = (int) t.dims()[i];
        }
        return t.dataType() == OnnxModel.Tensor.INT64 ? new OnnxValue.Ints(t.longs(), dims)
                : OnnxValue.of(Tensor.of(t.floats(), dims));
    }

    private static void check(Path dir, double tolerance) throws Exception {
        OnnxGraph g = OnnxGraph.read(dir.resolve("model.onnx"));
        g.eval();
        Map<String, OnnxValue> expected = values(dir, "output");
        Map<String, OnnxValue> got = Autograd.noGrad(() -> g.run(new LinkedHashMap<>(uncheckedValues(dir))));
        assertEquals(new ArrayList<>(expected.keySet()), new ArrayList<>(got.keySet()));
        for (var e : expected.entrySet()) {
            assertClose(dir.getFileName() + " output '" + e.getKey() + "'", e.getValue(), got.get(e.getKey()), tolerance);
        }
    }

    private static Map<String, OnnxValue> uncheckedValues(Path dir) {
        try {
            return values(dir, "input");
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    /** Equal dims; int64 data equal; float data within {@code tol · max(1, max|expected|)}. */
    static void assertClose(String what, OnnxValue expected, OnnxValue actual, double tol) {
        assertArrayEquals(expected.dims(), actual.dims(), what + " dims");
        if (expected instanceof OnnxValue.Ints ei) {
            assertArrayEquals(ei.data(), ((OnnxValue.Ints) actual).data(), what);
            return;
        }
        float[] e = ((OnnxValue.Floats) expected).variable().value().toArray();
        float[] a = ((OnnxValue.Floats) actual).variable().value().toArray();
        double scale = 1;
        for (float v : e) {
            scale = Math.max(scale, Math.abs(v));
        }
        double worst = 0;
        int at = -1;
        for (int i = 0; i < e.length; i++) {
            double d = Math.abs((double) e[i] - a[i]);
            if (!(d <= worst) || Float.isNaN(a[i]) != Float.isNaN(e[i])) {
                worst = Double.isNaN(d) ? Double.POSITIVE_INFINITY : d;
                at = i;
            }
        }
        assertTrue(worst <= tol * scale, what + ": largest difference " + worst + " at element " + at
                + " (expected " + (at >= 0 ? e[at] : 0) + ", got " + (at >= 0 ? a[at] : 0) + "), allowed " + tol * scale);
    }
}
