package dev.vcnn.cli;

import dev.vcnn.engine.autograd.Autograd;
import dev.vcnn.engine.autograd.Context;
import dev.vcnn.engine.autograd.Variable;
import dev.vcnn.engine.io.SafeTensors;
import dev.vcnn.engine.kernel.Kernels;
import dev.vcnn.engine.nn.Module;
import dev.vcnn.engine.parallel.Parallelism;
import dev.vcnn.engine.tensor.Shape;
import dev.vcnn.engine.tensor.Tensor;
import dev.vcnn.models.train.TrainedRun;
import dev.vcnn.onnx.OnnxExporter;
import dev.vcnn.onnx.OnnxGraph;
import dev.vcnn.onnx.OnnxModel;
import dev.vcnn.onnx.OnnxRuns;
import dev.vcnn.onnx.OnnxValue;
import dev.vcnn.onnx.OnnxWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code vcnn onnx}: ONNX files in and out. */
@Command(name = "onnx", mixinStandardHelpOptions = true, description = "Reads, runs, imports and exports ONNX models.",
        subcommands = {OnnxCommand.Info.class, OnnxCommand.Run.class, OnnxCommand.Import.class, OnnxCommand.Export.class})
final class OnnxCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    static String dims(OnnxModel.ValueInfo v) {
        List<String> parts = new ArrayList<>();
        for (int i = 0; i < v.dims().length; i++) {
            String name = i < v.dimNames().size() ? v.dimNames().get(i) : "";
            parts.add(v.dims()[i] >= 0 ? String.valueOf(v.dims()[i]) : name.isEmpty() ? "?" : name);
        }
        String type = switch (v.elemType()) {
            case OnnxModel.Tensor.FLOAT -> "float";
            case OnnxModel.Tensor.INT64 -> "int64";
            default -> "type " + v.elemType();
        };
        return v.name() + ": " + type + "[" + String.join(", ", parts) + "]";
    }

    @Command(name = "info", mixinStandardHelpOptions = true,
            description = "Inputs, outputs, opsets, operator counts, parameters and the nodes vcnn cannot run.")
    static final class Info implements Callable<Integer> {
        @Parameters(paramLabel = "MODEL.onnx")
        Path file;

        @Override
        public Integer call() throws Exception {
            OnnxModel m = OnnxModel.read(file);
            System.out.printf("%s: ir_version %d, producer '%s', opsets %s%n", file, m.irVersion(), m.producer(),
                    new TreeMap<>(m.opsets()));
            Map<String, Integer> ops = new TreeMap<>();
            m.graph().nodes().forEach(n -> ops.merge(n.domain().isEmpty() ? n.opType() : n.domain() + "." + n.opType(), 1,
                    Integer::sum));
            java.util.Set<String> initialized = new java.util.HashSet<>();
            m.graph().initializers().forEach(t -> initialized.add(t.name()));
            System.out.println("inputs:");
            m.graph().inputs().stream().filter(v -> !initialized.contains(v.name()))
                    .forEach(v -> System.out.println("  " + dims(v)));
            System.out.println("outputs:");
            m.graph().outputs().forEach(v -> System.out.println("  " + dims(v)));
            long weights = m.graph().initializers().stream().mapToLong(OnnxModel.Tensor::count).sum();
            System.out.printf("%d nodes, %d model-local functions, %d initializers holding %,d values%n",
                    m.graph().nodes().size(), m.functions().size(), m.graph().initializers().size(), weights);
            System.out.println("operators:");
            ops.forEach((op, n) -> System.out.printf("  %-22s %d%n", op, n));
            try {
                OnnxGraph g = OnnxGraph.of(m);
                System.out.printf("vcnn runs it: %,d parameters, %d buffers, %d nodes after inlining%n", g.parameterCount(),
                        g.namedBuffers().size(), g.nodes().size());
                return 0;
            } catch (IllegalArgumentException e) {
                System.out.println("vcnn cannot run it:");
                System.out.println(e.getMessage().replaceFirst("^onnx: ", "  "));
                return 1;
            }
        }
    }

    @Command(name = "run", mixinStandardHelpOptions = true,
            description = "Runs a graph on tensors named as its inputs and writes every output under its name.")
    static final class Run implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Parameters(paramLabel = "MODEL.onnx")
        Path file;

        @Option(names = "--inputs", required = true, paramLabel = "IN.safetensors",
                description = "one tensor per graph input, by name (int64 inputs may be stored as any dtype holding integers)")
        Path inputs;

        @Option(names = "--out", paramLabel = "OUT.safetensors", description = "where to write the outputs (F32 and I64)")
        Path out;

        @Option(names = "--bench", paramLabel = "SECONDS",
                description = "also run repeatedly for this long after a warm-up and print the median and 10th-percentile ms")
        Double bench;

        @Option(names = "--threads", description = "threads (default: all cores)")
        Integer threads;

        @Override
        public Integer call() throws Exception {
            Usage.require(spec, out != null || bench != null, "give --out, --bench or both");
            Usage.require(spec, bench == null || bench > 0, "--bench must be > 0 seconds but was " + bench);
            int t = Usage.threads(spec, threads);
            OnnxGraph g = OnnxGraph.read(file);
            g.eval();
            Map<String, Tensor> given = SafeTensors.read(inputs);
            Map<String, OnnxValue> in = new LinkedHashMap<>();
            for (OnnxModel.ValueInfo v : g.inputs()) {
                Tensor x = given.get(v.name());
                if (x == null) {
                    throw new IllegalArgumentException("onnx run: " + inputs + " must hold graph input '" + v.name()
                            + "' but holds " + given.keySet());
                }
                in.put(v.name(), v.elemType() == OnnxModel.Tensor.INT64 ? ints(v.name(), x) : new OnnxValue.Floats(Variable.constant(x)));
            }
            try (Parallelism par = Parallelism.of(t)) {
                Context ctx = new Context(Kernels.defaults(), par);
                Map<String, OnnxValue> result = ctx.call(() -> Autograd.noGrad(() -> g.run(in)));
                if (out != null) {
                    write(result);
                }
                if (bench != null) {
                    bench(g, in, ctx, t);
                }
            }
            return 0;
        }

        private static OnnxValue ints(String name, Tensor x) {
            long[] v = new long[x.numel()];
            for (int i = 0; i < v.length; i++) {
                float f = x.data()[x.offset() + i];
                if (f != Math.rint(f) || Math.abs(f) > (1 << 24)) {
                    throw new IllegalArgumentException("onnx run: int64 input '" + name + "' element " + i + " is " + f
                            + ", not an integer within float32's exact range (2^24)");
                }
                v[i] = (long) f;
            }
            return new OnnxValue.Ints(v, x.shape().toArray());
        }

        private void write(Map<String, OnnxValue> result) throws java.io.IOException {
            Map<String, Tensor> floats = new LinkedHashMap<>();
            Map<String, SafeTensors.Int64> ints = new LinkedHashMap<>();
            result.forEach((name, v) -> {
                if (v instanceof OnnxValue.Floats f) {
                    floats.put(name, f.variable().value());
                } else {
                    OnnxValue.Ints i = (OnnxValue.Ints) v;
                    ints.put(name, new SafeTensors.Int64(i.data(), i.dims()));
                }
            });
            SafeTensors.write(out, floats, ints, Map.of("source", file.getFileName().toString()));
            for (var e : result.entrySet()) {
                System.out.printf("%s: %s%s%n", e.getKey(), e.getValue() instanceof OnnxValue.Ints ? "int64" : "float",
                        Arrays.toString(e.getValue().dims()));
            }
            System.out.println("wrote " + out);
        }

        /** Warm-up of a quarter of the time (at least 3 runs), then timed runs; median and 10th percentile. */
        private void bench(OnnxGraph g, Map<String, OnnxValue> in, Context ctx, int t) {
            long budget = (long) (bench * 1e9);
            long warmEnd = System.nanoTime() + budget / 4;
            for (int i = 0; i < 3 || System.nanoTime() < warmEnd; i++) {
                ctx.call(() -> Autograd.noGrad(() -> g.run(in)));
            }
            List<Double> ms = new ArrayList<>();
            long end = System.nanoTime() + budget;
            while (ms.size() < 5 || System.nanoTime() < end) {
                long t0 = System.nanoTime();
                ctx.call(() -> Autograd.noGrad(() -> g.run(in)));
                ms.add((System.nanoTime() - t0) / 1e6);
            }
            ms.sort(null);
            System.out.printf("%s: %d runs on %d thread(s): median %.3f ms, p10 %.3f ms%n", file.getFileName(), ms.size(), t,
                    ms.get(ms.size() / 2), ms.get(ms.size() / 10));
        }
    }

    @Command(name = "import", mixinStandardHelpOptions = true,
            description = "Makes a run directory of an ONNX classifier, which predict, eval, visualize and train --backbone accept.")
    static final class Import implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Parameters(paramLabel = "MODEL.onnx")
        Path file;

        @Option(names = "--out", required = true, paramLabel = "RUN_DIR")
        Path out;

        @Option(names = "--classes", paramLabel = "FILE", description = "class names, one per line (default: 0, 1, …)")
        Path classes;

        @Option(names = "--image-size", description = "input height = width, when the graph's is symbolic")
        Integer imageSize;

        @Option(names = "--mean", split = ",", description = "per-channel mean (default: ImageNet's for 3 channels, 0)")
        float[] mean;

        @Option(names = "--std", split = ",", description = "per-channel std (default: ImageNet's for 3 channels, 1)")
        float[] std;

        @Option(names = "--overwrite", description = "replace the files of an existing --out")
        boolean overwrite;

        @Override
        public Integer call() throws Exception {
            Usage.require(spec, overwrite || !Files.exists(out.resolve("config.json")),
                    "--out " + out + " already holds a run; give --overwrite to replace it");
            List<String> names = null;
            if (classes != null) {
                names = Files.readAllLines(classes).stream().map(String::strip).filter(s -> !s.isEmpty()).toList();
            }
            var r = OnnxRuns.importModel(file, out, names, imageSize, mean, std);
            System.out.printf("imported %s: %dx%dx%d images -> %d classes, %,d parameters, into %s%n", file, r.channels(),
                    r.size(), r.size(), r.classes().size(), r.graph().parameterCount(), out);
            return 0;
        }
    }

    @Command(name = "export", mixinStandardHelpOptions = true, description = "Writes a run's model as an ONNX file.")
    static final class Export implements Callable<Integer> {
        @Option(names = "--run", required = true, paramLabel = "RUN_DIR")
        Path run;

        @Option(names = "--out", required = true, paramLabel = "MODEL.onnx")
        Path out;

        @Override
        public Integer call() throws Exception {
            TrainedRun r = TrainedRun.open(run);
            Module m = r.model();
            m.eval();
            OnnxModel model = OnnxExporter.export(m, Shape.of(1, r.config().channels(), r.config().size(), r.config().size()),
                    r.config().model(), OnnxRuns.metadata(r.classes(), r.mean(), r.std()));
            OnnxWriter.write(model, out);
            System.out.printf("wrote %s: opset %d, %d nodes, %,d parameters, input [N, %d, %d, %d]%n", out,
                    model.opsets().get(""), model.graph().nodes().size(), m.parameterCount(), r.config().channels(),
                    r.config().size(), r.config().size());
            return 0;
        }
    }
}
