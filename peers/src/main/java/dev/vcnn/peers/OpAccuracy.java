package dev.vcnn.peers;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.BatchNorm;
import ai.djl.nn.pooling.Pool;
import ai.djl.training.GradientCollector;
import dev.vcnn.engine.autograd.Context;
import dev.vcnn.engine.autograd.Functional;
import dev.vcnn.engine.autograd.Variable;
import dev.vcnn.engine.kernel.Kernels;
import dev.vcnn.engine.kernel.Pool2dGeometry;
import dev.vcnn.engine.parallel.Parallelism;
import dev.vcnn.engine.tensor.Tensor;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Function;

/**
 * The ops beside convolution that the accuracy claim names — linear, softmax cross-entropy, batch norm in
 * training mode, average and max pooling — on vcnn (its autograd on the SIMD kernels) and on PyTorch, each
 * against a float64 evaluation of the op's definition written here: the largest error of the output and of
 * the input gradient, in ulps of the largest exact value. Printed by {@code peers/accuracy} after the
 * convolutions.
 */
final class OpAccuracy {
    private OpAccuracy() {}

    /** Output and input gradient of one op, as floats, from float inputs. */
    record Result(float[] out, float[] gradIn) {}

    interface Op {
        String name();

        /** The exact output and input gradient, in double, rounded to float once. */
        Result exact(float[] x, float[] go);

        Result vcnn(float[] x, float[] go);

        Result torch(NDManager m, float[] x, float[] go);

        int inputSize();

        int outputSize();
    }

    static Result vcnnRun(Function<Variable, Variable> f, Tensor x, float[] go) {
        Result[] r = new Result[1];
        new Context(Kernels.simd(), Parallelism.sequential()).run(() -> {
            Variable xv = Variable.parameter(x);
            Variable y = f.apply(xv);
            y.backward(Tensor.of(go.clone(), y.shape().toArray()), false);
            r[0] = new Result(y.value().data().clone(), xv.grad().data().clone());
        });
        return r[0];
    }

    static Result torchRun(NDManager m, Function<NDArray, NDArray> f, float[] x, long[] shape,
                           float[] go) {
        try (NDManager scope = m.newSubManager()) {
            NDArray xa = scope.create(x, new Shape(shape));
            xa.setRequiresGradient(true);
            float[] y;
            try (GradientCollector c = Engine.getEngine("PyTorch").newGradientCollector()) {
                NDArray out = f.apply(xa);
                y = out.toFloatArray();
                c.backward(out.mul(scope.create(go, out.getShape())).sum());
            }
            return new Result(y, xa.getGradient().toFloatArray());
        }
    }

    static float[] round(double[] d) {
        float[] f = new float[d.length];
        for (int i = 0; i < d.length; i++) {
            f[i] = (float) d[i];
        }
        return f;
    }

    /** y = x·Wᵀ + b, x [n, in], W [out, in]; the input gradient go·W. */
    record LinearOp(int n, int in, int out, float[] w, float[] b) implements Op {
        LinearOp(int n, int in, int out) {
            this(n, in, out, Accuracy.uniform(11, out * in), Accuracy.uniform(12, out));
        }

        public String name() {
            return "linear " + in + "->" + out + " b" + n;
        }

        public int inputSize() {
            return n * in;
        }

        public int outputSize() {
            return n * out;
        }

        public Result exact(float[] x, float[] go) {
            double[] y = new double[n * out];
            double[] gx = new double[n * in];
            for (int i = 0; i < n; i++) {
                for (int o = 0; o < out; o++) {
                    double s = b[o];
                    for (int k = 0; k < in; k++) {
                        s += (double) x[i * in + k] * w[o * in + k];
                        gx[i * in + k] += (double) go[i * out + o] * w[o * in + k];
                    }
                    y[i * out + o] = s;
                }
            }
            return new Result(round(y), round(gx));
        }

        public Result vcnn(float[] x, float[] go) {
            Variable wv = Variable.constant(Tensor.of(w.clone(), out, in));
            Variable bv = Variable.constant(Tensor.of(b.clone(), out));
            return vcnnRun(xv -> Functional.linear(xv, wv, bv), Tensor.of(x.clone(), n, in), go);
        }

        public Result torch(NDManager m, float[] x, float[] go) {
            return torchRun(m, xa -> Linear.linear(xa, m.create(w, new Shape(out, in)), m.create(b, new Shape(out)))
                    .singletonOrThrow(), x, new long[] {n, in}, go);
        }
    }

    /** Mean softmax cross-entropy of logits [n, c]; the output is the loss, the gradient its gradient. */
    record CrossEntropyOp(int n, int c, int[] targets) implements Op {
        CrossEntropyOp(int n, int c) {
            this(n, c, new SplittableRandom(13).ints(n, 0, c).toArray());
        }

        public String name() {
            return "cross-entropy " + c + " classes b" + n;
        }

        public int inputSize() {
            return n * c;
        }

        public int outputSize() {
            return 1;
        }

        public Result exact(float[] x, float[] go) {
            double loss = 0;
            double[] gx = new double[n * c];
            for (int i = 0; i < n; i++) {
                double max = Double.NEGATIVE_INFINITY;
                for (int j = 0; j < c; j++) {
                    max = Math.max(max, x[i * c + j]);
                }
                double sum = 0;
                for (int j = 0; j < c; j++) {
                    sum += Math.exp(x[i * c + j] - max);
                }
                double lse = max + Math.log(sum);
                loss += (lse - x[i * c + targets[i]]) / n;
                for (int j = 0; j < c; j++) {
                    gx[i * c + j] = go[0] * (Math.exp(x[i * c + j] - lse) - (j == targets[i] ? 1 : 0)) / n;
                }
            }
            return new Result(new float[] {(float) loss}, round(gx));
        }

        public Result vcnn(float[] x, float[] go) {
            return vcnnRun(xv -> Functional.crossEntropy(xv, targets), Tensor.of(x.clone(), n, c), go);
        }

        public Result torch(NDManager m, float[] x, float[] go) {
            float[] oneHot = new float[n * c];
            for (int i = 0; i < n; i++) {
                oneHot[i * c + targets[i]] = -1f / n;
            }
            // PyTorch's cross_entropy is log_softmax then nll_loss, whose gradient is −1/N at each target.
            return torchRun(m, xa -> xa.logSoftmax(1).mul(m.create(oneHot, new Shape(n, c))).sum(), x,
                    new long[] {n, c}, go);
        }
    }

    /** Batch norm in training mode over [n, c, h, w] with γ, β; biased variance, as PyTorch normalises. */
    record BatchNormOp(int n, int c, int h, int w, float[] gamma, float[] beta) implements Op {
        static final float EPS = 1e-5f;

        BatchNormOp(int n, int c, int h, int w) {
            this(n, c, h, w, Accuracy.uniform(14, c), Accuracy.uniform(15, c));
        }

        public String name() {
            return "batch norm " + c + "x" + h + "x" + w + " b" + n;
        }

        public int inputSize() {
            return n * c * h * w;
        }

        public int outputSize() {
            return inputSize();
        }

        public Result exact(float[] x, float[] go) {
            int hw = h * w;
            int count = n * hw;
            double[] y = new double[x.length];
            double[] gx = new double[x.length];
            for (int ch = 0; ch < c; ch++) {
                double mean = 0;
                for (int i = 0; i < n; i++) {
                    for (int p = 0; p < hw; p++) {
                        mean += x[(i * c + ch) * hw + p];
                    }
                }
                mean /= count;
                double var = 0;
                for (int i = 0; i < n; i++) {
                    for (int p = 0; p < hw; p++) {
                        double d = x[(i * c + ch) * hw + p] - mean;
                        var += d * d;
                    }
                }
                var /= count;
                double inv = 1 / Math.sqrt(var + EPS);
                double[] xhat = new double[count];
                double sumGo = 0;
                double sumGoXhat = 0;
                for (int i = 0; i < n; i++) {
                    for (int p = 0; p < hw; p++) {
                        int at = (i * c + ch) * hw + p;
                        double xh = (x[at] - mean) * inv;
                        xhat[i * hw + p] = xh;
                        y[at] = gamma[ch] * xh + beta[ch];
                        sumGo += go[at];
                        sumGoXhat += go[at] * xh;
                    }
                }
                for (int i = 0; i < n; i++) {
                    for (int p = 0; p < hw; p++) {
                        int at = (i * c + ch) * hw + p;
                        gx[at] = gamma[ch] * inv / count * (count * go[at] - sumGo - xhat[i * hw + p] * sumGoXhat);
                    }
                }
            }
            return new Result(round(y), round(gx));
        }

        public Result vcnn(float[] x, float[] go) {
            Variable g = Variable.constant(Tensor.of(gamma.clone(), c));
            Variable b = Variable.constant(Tensor.of(beta.clone(), c));
            return vcnnRun(xv -> Functional.batchNorm(xv, g, b, Tensor.zeros(c), Tensor.ones(c), true, 0.1f, EPS),
                    Tensor.of(x.clone(), n, c, h, w), go);
        }

        public Result torch(NDManager m, float[] x, float[] go) {
            return torchRun(m, xa -> BatchNorm.batchNorm(xa, m.zeros(new Shape(c)), m.ones(new Shape(c)),
                            m.create(gamma, new Shape(c)), m.create(beta, new Shape(c)), 1, 0.1f, EPS, true)
                    .singletonOrThrow(), x, new long[] {n, c, h, w}, go);
        }
    }

    /** Square pooling of [n, c, h, w] with padding counted in the average (PyTorch's default). */
    record PoolOp(boolean max, int n, int c, int h, int w, int k, int s, int p) implements Op {
        public String name() {
            return (max ? "max" : "avg") + " pool " + k + "x" + k + "/" + s + " " + c + "x" + h + "x" + w;
        }

        Pool2dGeometry g() {
            return new Pool2dGeometry(n, c, h, w, k, k, s, s, p, p, 1, 1, false);
        }

        public int inputSize() {
            return n * c * h * w;
        }

        public int outputSize() {
            return g().outputShape().numel();
        }

        public Result exact(float[] x, float[] go) {
            var g = g();
            int pp = g.outHeight();
            int qq = g.outWidth();
            double[] y = new double[outputSize()];
            double[] gx = new double[x.length];
            int[] taps = new int[k * k];
            for (int plane = 0; plane < n * c; plane++) {
                for (int oy = 0; oy < pp; oy++) {
                    for (int ox = 0; ox < qq; ox++) {
                        int o = (plane * pp + oy) * qq + ox;
                        // The taps inside the input, in window order; padding counts in the divisor k².
                        int inside = 0;
                        for (int r = 0; r < k; r++) {
                            for (int t = 0; t < k; t++) {
                                int iy = oy * s - p + r;
                                int ix = ox * s - p + t;
                                if (iy >= 0 && iy < h && ix >= 0 && ix < w) {
                                    taps[inside++] = (plane * h + iy) * w + ix;
                                }
                            }
                        }
                        if (max) {
                            int at = taps[0];
                            for (int j = 1; j < inside; j++) {
                                at = x[taps[j]] > x[at] ? taps[j] : at;
                            }
                            y[o] = x[at];
                            gx[at] += go[o];
                        } else {
                            double sum = 0;
                            for (int j = 0; j < inside; j++) {
                                sum += x[taps[j]];
                                gx[taps[j]] += go[o] / (double) (k * k);
                            }
                            y[o] = sum / (k * k);
                        }
                    }
                }
            }
            return new Result(round(y), round(gx));
        }

        public Result vcnn(float[] x, float[] go) {
            var g = g();
            return vcnnRun(xv -> max ? Functional.maxPool2d(xv, g) : Functional.avgPool2d(xv, g, true),
                    Tensor.of(x.clone(), n, c, h, w), go);
        }

        public Result torch(NDManager m, float[] x, float[] go) {
            return torchRun(m, xa -> max
                    ? Pool.maxPool2d(xa, new Shape(k, k), new Shape(s, s), new Shape(p, p), false)
                    : Pool.avgPool2d(xa, new Shape(k, k), new Shape(s, s), new Shape(p, p), false, true),
                    x, new long[] {n, c, h, w}, go);
        }
    }

    static final List<Op> OPS = List.of(
            new LinearOp(64, 784, 512),
            new LinearOp(64, 4096, 1000),
            new LinearOp(1, 400, 120),
            new CrossEntropyOp(64, 10),
            new CrossEntropyOp(64, 3),
            new CrossEntropyOp(32, 1000),
            new BatchNormOp(64, 16, 32, 32),
            new BatchNormOp(8, 64, 8, 8),
            new PoolOp(false, 8, 16, 28, 28, 2, 2, 0),
            new PoolOp(false, 8, 16, 28, 28, 3, 2, 1),
            new PoolOp(true, 8, 16, 28, 28, 3, 2, 1));

    static void run(NDManager m) {
        System.out.println();
        System.out.println("ulps of the largest exact value, against float64: output / input gradient");
        System.out.printf("%-30s %-16s %-16s%n", "op", "vcnn", "pytorch");
        for (Op op : OPS) {
            float[] x = Accuracy.uniform(21, op.inputSize());
            float[] go = Accuracy.uniform(22, op.outputSize());
            Result exact = op.exact(x, go);
            StringBuilder line = new StringBuilder(String.format("%-30s", op.name()));
            for (Result r : new Result[] {op.vcnn(x, go), op.torch(m, x, go)}) {
                line.append(String.format(" %5.1f /%5.1f    ", Accuracy.ulps(exact.out(), r.out()),
                        Accuracy.ulps(exact.gradIn(), r.gradIn())));
            }
            System.out.println(line);
        }
    }
}
