package dev.vcnn.peers;

import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.GradientCollector;
import ai.djl.training.Trainer;
import ai.djl.training.loss.Loss;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import dev.vcnn.engine.tensor.SplitMix64;
import dev.vcnn.models.Models;
import dev.vcnn.models.data.Dataset;
import dev.vcnn.models.data.Datasets;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.Locale;

/**
 * PyTorch's reference recipe for LeNet-5 on MNIST, timed from the start of the process to the test
 * accuracy, so that {@code vcnn train}'s wall time can be read against it in the same sitting: Adam
 * with a one-cycle rate (the schedule of PyTorch's {@code OneCycleLR} with its defaults: 30% rising,
 * cosine phases, initial rate max/25, final rate initial/10⁴), batch 64, 10 epochs of the 60,000
 * training images reshuffled every epoch, inputs normalised by the training set's mean and standard
 * deviation, no augmentation. The network is {@link TorchRunner}'s LeNet-5 (libtorch through DJL),
 * starting from vcnn's initial weights for the seed, which follow PyTorch's default initialisation.
 *
 * <p>Run: {@code peers/time-to-accuracy MNIST_DIR [--seed S] [--threads T] [--epochs E] [--max-lr R]}.
 */
public final class TimeToAccuracy {
    private TimeToAccuracy() {}

    /** PyTorch's {@code OneCycleLR} rate at step {@code s} (from 0) of {@code total}, two cosine phases. */
    static float oneCycle(int s, int total, float maxLr) {
        double initial = maxLr / 25.0;
        double last = initial / 1e4;
        double rise = 0.3 * total - 1;
        if (s <= rise) {
            return (float) cosine(initial, maxLr, s / rise);
        }
        return (float) cosine(maxLr, last, (s - rise) / (total - 1 - rise));
    }

    private static double cosine(double from, double to, double fraction) {
        return to + (from - to) / 2 * (Math.cos(Math.PI * fraction) + 1);
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 1) {
            throw new IllegalArgumentException("usage: TimeToAccuracy MNIST_DIR [--seed S] [--threads T] [--epochs E] [--max-lr R]");
        }
        Path dir = Path.of(args[0]);
        long seed = 7;
        int threads = 2;
        int epochs = 10;
        float maxLr = 1e-3f;
        for (int i = 1; i + 1 < args.length; i += 2) {
            switch (args[i]) {
                case "--seed" -> seed = Long.parseLong(args[i + 1]);
                case "--threads" -> threads = Integer.parseInt(args[i + 1]);
                case "--epochs" -> epochs = Integer.parseInt(args[i + 1]);
                case "--max-lr" -> maxLr = Float.parseFloat(args[i + 1]);
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        System.setProperty("ai.djl.offline", "true");
        System.setProperty("ai.djl.pytorch.num_interop_threads", "1");
        System.setProperty("ai.djl.pytorch.num_threads", String.valueOf(threads));
        Engine engine = Engine.getEngine("PyTorch");
        JniUtils.setNumThreads(threads);

        Dataset.Split data = Datasets.load("mnist", dir, 1, 28, seed, 0, 0);
        Dataset train = data.train();
        Dataset test = data.test();
        double[] stats = meanStd(train.pixels());
        float[] trainX = normalise(train.pixels(), stats);
        float[] testX = normalise(test.pixels(), stats);
        int n = train.size();
        int batch = 64;
        int steps = n / batch; // the last partial batch is dropped, as DataLoader(drop_last=True)
        int total = steps * epochs;
        final float peak = maxLr;
        Tracker schedule = update -> oneCycle(Math.min(Math.max(update - 1, 0), total - 1), total, peak);

        try (NDManager manager = engine.newBaseManager();
                Model model = Model.newInstance("lenet5", "PyTorch")) {
            model.setBlock(TorchRunner.lenet5());
            Optimizer adam = Optimizer.adam().optLearningRateTracker(schedule).build();
            try (Trainer trainer = model.newTrainer(
                    new DefaultTrainingConfig(Loss.softmaxCrossEntropyLoss()).optOptimizer(adam))) {
                trainer.initialize(new Shape(batch, 1, 28, 28));
                TorchRunner.copyWeights(Models.build("lenet5", 1, 28, 10, new SplitMix64(seed)).parameters(),
                        model.getBlock().getParameters().values());
                var rng = new SplitMix64(seed ^ 0x5DEECE66DL);
                int[] order = new int[n];
                for (int i = 0; i < n; i++) {
                    order[i] = i;
                }
                float[] xb = new float[batch * 784];
                float[] yb = new float[batch];
                for (int epoch = 0; epoch < epochs; epoch++) {
                    long t0 = System.nanoTime();
                    for (int i = n - 1; i > 0; i--) {
                        int j = rng.nextInt(i + 1);
                        int t = order[i];
                        order[i] = order[j];
                        order[j] = t;
                    }
                    double lossSum = 0;
                    for (int s = 0; s < steps; s++) {
                        for (int b = 0; b < batch; b++) {
                            int k = order[s * batch + b];
                            System.arraycopy(trainX, k * 784, xb, b * 784, 784);
                            yb[b] = train.labels()[k];
                        }
                        try (NDManager step = manager.newSubManager()) {
                            NDArray x = step.create(xb, new Shape(batch, 1, 28, 28));
                            NDArray y = step.create(yb);
                            try (GradientCollector collector = trainer.newGradientCollector()) {
                                NDArray l = trainer.getLoss().evaluate(new NDList(y), trainer.forward(new NDList(x)));
                                collector.backward(l);
                                lossSum += l.getFloat();
                            }
                            trainer.step();
                        }
                    }
                    double sec = (System.nanoTime() - t0) / 1e9;
                    System.out.printf(Locale.ROOT, "epoch %d/%d: train loss %.4f, %.0f img/s, %.1f s%n", epoch + 1, epochs,
                            lossSum / steps, steps * batch / sec, sec);
                }
                int correct = 0;
                int m = test.size();
                for (int from = 0; from < m; from += 1000) {
                    int count = Math.min(1000, m - from);
                    float[] x = new float[count * 784];
                    System.arraycopy(testX, from * 784, x, 0, x.length);
                    try (NDManager scope = manager.newSubManager()) {
                        NDArray logits = trainer.evaluate(new NDList(scope.create(x, new Shape(count, 1, 28, 28))))
                                .singletonOrThrow();
                        long[] predicted = logits.argMax(1).toLongArray();
                        for (int i = 0; i < count; i++) {
                            if (predicted[i] == test.labels()[from + i]) {
                                correct++;
                            }
                        }
                    }
                }
                System.out.printf(Locale.ROOT, "PyTorch %s (DJL), LeNet-5, Adam one-cycle max %s, %d epochs, seed %d, %d threads:"
                                + " test accuracy %.2f%% (%d images), %.1f s wall since the JVM started%n",
                        engine.getVersion(), maxLr, epochs, seed, threads, 100.0 * correct / m, m,
                        ManagementFactory.getRuntimeMXBean().getUptime() / 1e3);
            }
        }
    }

    private static double[] meanStd(byte[] pixels) {
        double s = 0;
        double q = 0;
        for (byte p : pixels) {
            double v = (p & 0xFF) / 255.0;
            s += v;
            q += v * v;
        }
        double mean = s / pixels.length;
        return new double[] {mean, Math.sqrt(q / pixels.length - mean * mean)};
    }

    private static float[] normalise(byte[] pixels, double[] stats) {
        float[] x = new float[pixels.length];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (((pixels[i] & 0xFF) / 255.0 - stats[0]) / stats[1]);
        }
        return x;
    }
}
