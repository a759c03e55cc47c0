package dev.vcnn.peers;

import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Blocks;
import ai.djl.nn.Parameter;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import ai.djl.nn.pooling.Pool;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.GradientCollector;
import ai.djl.training.Trainer;
import ai.djl.training.loss.Loss;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import dev.vcnn.onnx.OnnxExporter;
import dev.vcnn.engine.autograd.Variable;
import java.nio.FloatBuffer;
import java.util.List;

/**
 * A workload on PyTorch (libtorch, CPU) through DJL's PyTorch engine: the operators as DJL's
 * functional calls ({@code Conv2d.conv2d}, {@code Pool.maxPool2d}, {@code Linear.linear}, one libtorch
 * call each; a convolution's backward by DJL's {@code GradientCollector}, libtorch's autograd seeded
 * with a gradient of ones), and LeNet-5 as a DJL {@code SequentialBlock} trained with DJL's
 * {@code Trainer}, SGD with momentum, softmax cross-entropy, and run for inference by
 * {@code Evaluation.of} (no gradient collector). The LeNet-5 starts from vcnn's initial weights, so
 * the two engines' logits can be checked against each other. A {@code Models} network (ResNet-18,
 * MobileNetV2) is vcnn's own model exported to ONNX and run node by node in eager mode by {@link TorchGraph},
 * from the same initial weights; its training step is cross-entropy, libtorch's autograd and DJL's SGD with
 * momentum on every weight.
 */
final class TorchRunner implements Runner {
    private final Workload w;
    private final NDManager manager;
    private final NDArray x;
    private final NDArray weight;
    private final NDArray bias;
    private final Model model;
    private final Trainer trainer;
    private final NDArray labels;
    private final TorchGraph graph;
    private final Optimizer graphSgd;

    /**
     * Sets libtorch's intra-op threads to {@code threads} and its inter-op threads to 1 (the fork is
     * a fresh JVM, so this is the process's only setting).
     */
    TorchRunner(Workload w, int threads) {
        this.w = w;
        System.setProperty("ai.djl.offline", "true");
        System.setProperty("ai.djl.pytorch.num_interop_threads", "1");
        System.setProperty("ai.djl.pytorch.num_threads", String.valueOf(threads));
        Engine engine = Engine.getEngine("PyTorch");
        JniUtils.setNumThreads(threads);
        if (JniUtils.getNumThreads() != threads) {
            throw new IllegalStateException("PyTorch runs " + JniUtils.getNumThreads() + " threads, not " + threads);
        }
        manager = engine.newBaseManager();
        x = manager.create(w.inputData(), new Shape(longs(w.input())));
        if (w.kind().isConv() || w.kind() == Workload.Kind.LINEAR) {
            weight = manager.create(w.weightData(), new Shape(longs(w.weightShape())));
            bias = manager.create(w.biasData());
        } else {
            weight = null;
            bias = null;
        }
        if (w.kind() == Workload.Kind.CONV_BACKWARD) { // gradients accumulate from run to run, as in vcnn's runner
            x.setRequiresGradient(true);
            weight.setRequiresGradient(true);
            bias.setRequiresGradient(true);
        }
        if (w.model() != null) {
            graph = new TorchGraph(OnnxExporter.export(VcnnRunner.network(w), dev.vcnn.engine.tensor.Shape.of(w.input()),
                    w.model()), manager.newSubManager());
            if (w.kind().isTraining()) {
                graph.parameters().forEach(p -> p.setRequiresGradient(true));
                graphSgd = Optimizer.sgd().setLearningRateTracker(Tracker.fixed(0.01f)).optMomentum(0.9f).build();
            } else {
                graphSgd = null;
            }
        } else {
            graph = null;
            graphSgd = null;
        }
        if (w.kind().isLenet5()) {
            model = Model.newInstance("lenet5", "PyTorch");
            model.setBlock(lenet5());
            Optimizer sgd = Optimizer.sgd().setLearningRateTracker(Tracker.fixed(0.01f)).optMomentum(0.9f).build();
            trainer = model.newTrainer(new DefaultTrainingConfig(Loss.softmaxCrossEntropyLoss()).optOptimizer(sgd));
            trainer.initialize(new Shape(longs(w.input())));
            copyWeights(VcnnRunner.lenet5().parameters(), model.getBlock().getParameters().values());
        } else {
            model = null;
            trainer = null;
        }
        if (w.kind().isTraining()) {
            float[] y = new float[w.batch()];
            int[] l = w.labels();
            for (int i = 0; i < y.length; i++) {
                y[i] = l[i];
            }
            labels = manager.create(y);
        } else {
            labels = null;
        }
    }

    /** vcnn's {@code Models.lenet5}: conv 5×5 pad 2 → 6, ReLU, max 2, conv 5×5 → 16, ReLU, max 2, 400-120-84-10. */
    static SequentialBlock lenet5() {
        return new SequentialBlock()
                .add(Conv2d.builder().setKernelShape(new Shape(5, 5)).optPadding(new Shape(2, 2)).setFilters(6).build())
                .add(Activation::relu)
                .add(Pool.maxPool2dBlock(new Shape(2, 2), new Shape(2, 2)))
                .add(Conv2d.builder().setKernelShape(new Shape(5, 5)).setFilters(16).build())
                .add(Activation::relu)
                .add(Pool.maxPool2dBlock(new Shape(2, 2), new Shape(2, 2)))
                .add(Blocks.batchFlattenBlock())
                .add(Linear.builder().setUnits(120).build())
                .add(Activation::relu)
                .add(Linear.builder().setUnits(84).build())
                .add(Activation::relu)
                .add(Linear.builder().setUnits(10).build());
    }

    /** vcnn's parameters into DJL's, in order (weight, bias per layer; same layouts as PyTorch). */
    static void copyWeights(List<Variable> from, List<Parameter> to) {
        if (from.size() != to.size()) {
            throw new IllegalStateException("LeNet-5 has " + from.size() + " parameters in vcnn but " + to.size() + " in DJL");
        }
        for (int i = 0; i < from.size(); i++) {
            NDArray target = to.get(i).getArray();
            float[] data = from.get(i).value().toArray();
            if (target.size() != data.length) {
                throw new IllegalStateException("LeNet-5 parameter " + i + " (" + to.get(i).getName() + "): DJL shape "
                        + target.getShape() + " but vcnn " + from.get(i).value().shape());
            }
            target.set(FloatBuffer.wrap(data));
        }
    }

    /** The operator's output, a new array owned by the base manager: the caller closes it. */
    private NDArray operator() {
        return switch (w.kind()) {
            case CONV, CONV_BACKWARD -> Conv2d.conv2d(x, weight, bias, new Shape(w.stride(), w.stride()),
                    new Shape(w.padding(), w.padding()), new Shape(1, 1), 1).singletonOrThrow();
            case MAX_POOL -> Pool.maxPool2d(x, new Shape(w.kernel(), w.kernel()), new Shape(w.stride(), w.stride()),
                    new Shape(0, 0), false);
            case LINEAR -> Linear.linear(x, weight, bias).singletonOrThrow();
            case LENET5_TRAIN, LENET5_INFER, NET_TRAIN, NET_INFER -> throw new AssertionError("a network is not an operator");
        };
    }

    @Override
    public Object run() {
        if (graph != null) {
            return graph();
        }
        if (w.kind() == Workload.Kind.CONV_BACKWARD) {
            // The gradient of ones that backward(y) creates is attached to y's manager: a per-run one.
            try (NDManager step = manager.newSubManager()) {
                x.tempAttach(step);
                try (GradientCollector collector = Engine.getEngine("PyTorch").newGradientCollector()) {
                    NDArray y = operator();
                    collector.backward(y);
                    return y.size();
                }
            }
        }
        if (trainer == null) {
            try (NDArray y = operator()) {
                return y.size();
            }
        }
        if (w.kind() == Workload.Kind.LENET5_INFER) {
            try (NDManager scope = manager.newSubManager()) {
                x.tempAttach(scope);
                return trainer.evaluate(new NDList(x)).singletonOrThrow().size();
            }
        }
        // Everything the step creates is attached to a per-step manager and freed with it.
        try (NDManager step = manager.newSubManager()) {
            x.tempAttach(step);
            labels.tempAttach(step);
            float loss;
            try (GradientCollector collector = trainer.newGradientCollector()) {
                NDList logits = trainer.forward(new NDList(x));
                NDArray l = trainer.getLoss().evaluate(new NDList(labels), logits);
                collector.backward(l);
                loss = l.getFloat();
            }
            trainer.step();
            return loss;
        }
    }

    /** A network workload: an inference batch, or forward, cross-entropy, backward and an SGD step. */
    private Object graph() {
        try (NDManager step = manager.newSubManager()) {
            x.tempAttach(step);
            if (graphSgd == null) {
                try (var noGrad = new NoGrad()) {
                    return graph.forward(x, false).size();
                }
            }
            labels.tempAttach(step);
            float loss;
            try (GradientCollector collector = Engine.getEngine("PyTorch").newGradientCollector()) {
                NDArray l = LOSS.evaluate(new NDList(labels), new NDList(graph.forward(x, true)));
                collector.backward(l);
                loss = l.getFloat();
            }
            List<NDArray> params = graph.parameters();
            for (int i = 0; i < params.size(); i++) {
                NDArray p = params.get(i);
                try (NDArray g = p.getGradient()) {
                    graphSgd.update(String.valueOf(i), p, g);
                    g.subi(g); // zero_grad: the next backward accumulates into it
                }
            }
            return loss;
        }
    }

    @Override
    public float[] output() {
        if (graph != null) { // logits in evaluation mode, before any timed step
            try (NDManager scope = manager.newSubManager(); var noGrad = new NoGrad()) {
                x.tempAttach(scope);
                return graph.forward(x, false).toFloatArray();
            }
        }
        if (trainer == null) { // a backward workload: its forward's output, without collecting gradients
            try (NDArray y = operator()) {
                return y.toFloatArray();
            }
        }
        try (NDManager scope = manager.newSubManager()) {
            x.tempAttach(scope);
            return trainer.evaluate(new NDList(x)).singletonOrThrow().toFloatArray();
        }
    }

    /** libtorch's grad mode off for a scope, as {@code torch.no_grad()} (DJL's collectors turn it on and restore it). */
    private static final class NoGrad implements AutoCloseable {
        private final boolean was = JniUtils.isGradMode();

        NoGrad() {
            JniUtils.setGradMode(false);
        }

        @Override
        public void close() {
            JniUtils.setGradMode(was);
        }
    }

    private static final Loss LOSS = Loss.softmaxCrossEntropyLoss();

    @Override
    public void close() {
        if (graph != null) {
            graph.close();
        }
        if (trainer != null) {
            trainer.close();
            model.close();
        }
        manager.close();
    }

    private static long[] longs(int[] dims) {
        long[] l = new long[dims.length];
        for (int i = 0; i < dims.length; i++) {
            l[i] = dims[i];
        }
        return l;
    }
}
