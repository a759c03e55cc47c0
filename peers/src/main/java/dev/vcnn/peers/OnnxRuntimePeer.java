package dev.vcnn.peers;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.vcnn.engine.autograd.Autograd;
import dev.vcnn.engine.autograd.Context;
import dev.vcnn.engine.autograd.Variable;
import dev.vcnn.engine.kernel.Kernels;
import dev.vcnn.engine.nn.Module;
import dev.vcnn.engine.parallel.Parallelism;
import dev.vcnn.engine.tensor.Shape;
import dev.vcnn.engine.tensor.Tensor;
import dev.vcnn.models.Models;
import dev.vcnn.onnx.OnnxExporter;
import dev.vcnn.onnx.OnnxGraph;
import dev.vcnn.onnx.OnnxWriter;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Supplier;

/**
 * vcnn next to ONNX Runtime's Java package, in one JVM. First every built-in model, exported by
 * {@link OnnxExporter} with seeded weights, runs in ONNX Runtime on the input vcnn ran: the largest difference
 * over the largest output must stay within 1e-4. Then ResNet-18 and MobileNetV2 at 224×224 are timed on the
 * same exported file, ONNX Runtime's session against vcnn's {@link OnnxGraph}, runs alternating, median ms.
 * Usage: peers/onnxruntime [SECONDS per row, default 4] [BATCHES, default 1,32]
 */
public final class OnnxRuntimePeer {
    private OnnxRuntimePeer() {}

    public static void main(String[] args) throws Exception {
        double seconds = args.length > 0 ? Double.parseDouble(args[0]) : 4;
        int[] batches = (args.length > 1 ? List.of(args[1].split(",")) : List.of("1", "32")).stream()
                .mapToInt(Integer::parseInt).toArray();
        Path dir = Files.createTempDirectory("vcnn-ort");
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        System.out.println("| model | input | largest difference / largest output |");
        System.out.println("|---|---|---|");
        boolean ok = true;
        for (String[] m : new String[][] {{"mlp", "1", "28"}, {"lenet5", "1", "28"}, {"cifar-cnn-bn", "3", "32"},
                {"vgg11-bn", "3", "32"}, {"resnet18", "3", "32"}, {"resnet50", "3", "64"}, {"mobilenet_v2", "3", "64"},
                {"linear-ae", "1", "28"}, {"conv-ae", "1", "28"}}) {
            int c = Integer.parseInt(m[1]);
            int size = Integer.parseInt(m[2]);
            Module model = Models.build(m[0], c, size, 10, new java.util.Random(5)).eval();
            Shape shape = Shape.of(2, c, size, size);
            Path file = export(model, shape, dir.resolve(m[0] + ".onnx"));
            Tensor x = random(shape, 7);
            Tensor ours = Autograd.noGrad(() -> model.forward(Variable.constant(x)).value());
            float[] theirs;
            try (OrtSession s = env.createSession(file.toString(), options(1))) {
                theirs = run(env, s, x);
            }
            double rel = relative(ours, theirs);
            ok &= rel <= 1e-4;
            System.out.printf("| %s | %s | %.2e |%n", m[0], shape, rel);
        }
        System.out.println();
        System.out.println("| model | batch | threads | vcnn ms | ONNX Runtime ms | vcnn / ONNX Runtime (speed) |");
        System.out.println("|---|---|---|---|---|---|");
        for (String name : List.of("resnet18", "mobilenet_v2")) {
            Module model = Models.build(name, 3, 224, 1000, new java.util.Random(5)).eval();
            Path file = export(model, Shape.of(1, 3, 224, 224), dir.resolve(name + "-224.onnx"));
            OnnxGraph graph = OnnxGraph.read(file);
            graph.eval();
            // vcnn alone first, as long as a row: its kernels for this model compile here, not in the first row
            // (MobileNetV2's first row read 36 ms on one thread against 21 ms once warm).
            Tensor warm = random(Shape.of(1, 3, 224, 224), 11);
            for (long end = System.nanoTime() + (long) (seconds * 1e9); System.nanoTime() < end; ) {
                Autograd.noGrad(() -> graph.forward(Variable.constant(warm)));
            }
            for (int batch : batches) {
                Tensor x = random(Shape.of(batch, 3, 224, 224), 11);
                for (int threads : new int[] {1, 2}) {
                    try (Parallelism par = Parallelism.of(threads);
                         OrtSession s = env.createSession(file.toString(), options(threads))) {
                        Context ctx = new Context(Kernels.defaults(), par);
                        Supplier<Object> vcnn = () -> ctx.call(() -> Autograd.noGrad(() -> graph.forward(Variable.constant(x))));
                        Supplier<Object> ort = () -> {
                            try {
                                return run(env, s, x);
                            } catch (OrtException e) {
                                throw new IllegalStateException(e);
                            }
                        };
                        double[] ms = alternate(vcnn, ort, seconds);
                        System.out.printf("| %s | %d | %d | %.2f | %.2f | %.2f |%n", name, batch, threads, ms[0], ms[1],
                                ms[1] / ms[0]);
                    }
                }
            }
        }
        if (!ok) {
            System.err.println("onnxruntime peer: an exported model's outputs differ from vcnn's by more than 1e-4");
            System.exit(1);
        }
    }

    private static Path export(Module model, Shape input, Path file) throws java.io.IOException {
        OnnxWriter.write(OnnxExporter.export(model, input, file.getFileName().toString()), file);
        return file;
    }

    private static OrtSession.SessionOptions options(int threads) throws OrtException {
        var o = new OrtSession.SessionOptions();
        o.setIntraOpNumThreads(threads);
        o.setInterOpNumThreads(1);
        o.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
        // Its pool threads would otherwise spin after each run, on the cores vcnn's next run needs.
        o.addConfigEntry("session.intra_op.allow_spinning", "0");
        return o;
    }

    private static float[] run(OrtEnvironment env, OrtSession s, Tensor x) throws OrtException {
        long[] dims = new long[x.shape().rank()];
        for (int i = 0; i < dims.length; i++) {
            dims[i] = x.shape().dim(i);
        }
        try (OnnxTensor in = OnnxTensor.createTensor(env, FloatBuffer.wrap(x.data(), x.offset(), x.numel()), dims);
             OrtSession.Result r = s.run(Map.of(s.getInputNames().iterator().next(), in))) {
            FloatBuffer out = ((OnnxTensor) r.get(0)).getFloatBuffer();
            float[] a = new float[out.remaining()];
            out.get(a);
            return a;
        }
    }

    private static Tensor random(Shape shape, long seed) {
        var rng = new SplittableRandom(seed);
        Tensor t = Tensor.zeros(shape.toArray());
        for (int i = 0; i < t.numel(); i++) {
            t.data()[i] = (float) rng.nextGaussian();
        }
        return t;
    }

    private static double relative(Tensor ours, float[] theirs) {
        if (ours.numel() != theirs.length) {
            return Double.POSITIVE_INFINITY;
        }
        double scale = 0;
        double worst = 0;
        for (int i = 0; i < theirs.length; i++) {
            float v = ours.data()[ours.offset() + i];
            scale = Math.max(scale, Math.abs(v));
            worst = Math.max(worst, Math.abs(v - theirs[i]));
        }
        return worst / Math.max(scale, Float.MIN_NORMAL);
    }

    /**
     * Warm-up as long as the timing (the first row also compiles vcnn's kernels), then runs alternating between the
     * two; median ms of each.
     */
    private static double[] alternate(Supplier<Object> a, Supplier<Object> b, double seconds) {
        long warmEnd = System.nanoTime() + (long) (seconds * 1e9);
        for (int i = 0; i < 3 || System.nanoTime() < warmEnd; i++) {
            a.get();
            b.get();
        }
        List<Double> ta = new ArrayList<>();
        List<Double> tb = new ArrayList<>();
        long end = System.nanoTime() + (long) (seconds * 1e9);
        while (ta.size() < 5 || System.nanoTime() < end) {
            long t0 = System.nanoTime();
            a.get();
            long t1 = System.nanoTime();
            b.get();
            long t2 = System.nanoTime();
            ta.add((t1 - t0) / 1e6);
            tb.add((t2 - t1) / 1e6);
        }
        ta.sort(null);
        tb.sort(null);
        return new double[] {ta.get(ta.size() / 2), tb.get(tb.size() / 2)};
    }
}
