package dev.vcnn.models.data;

import dev.vcnn.engine.tensor.Checks;
import dev.vcnn.engine.tensor.SplitMix64;
import dev.vcnn.engine.tensor.Tensor;
import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Batches of a {@link Dataset} as float tensors [B, C, H, W]: pixels scaled to [0, 1], augmented, then
 * normalised per channel, (x − mean[c]) / std[c], as {@code ToTensor → augment → Normalize}. With
 * shuffling, epoch e visits a permutation drawn from (seed, e); augmentation of an image draws from
 * (seed, e, index), so a run is reproducible and resumable at any epoch. The next batch is prepared on
 * a background thread while the caller trains on the current one.
 */
public final class DataLoader implements AutoCloseable {
    /** One batch: images [B, C, H, W] and their labels. */
    public record Batch(Tensor images, int[] labels) {
        public int size() {
            return labels.length;
        }
    }

    private final Dataset data;
    private final int batchSize;
    private final boolean shuffle;
    private final long seed;
    private final float[] mean;
    private final float[] std;
    private final Augment augment;
    private final ExecutorService prefetch;

    public DataLoader(Dataset data, int batchSize, boolean shuffle, long seed, float[] mean, float[] std, Augment augment) {
        if (batchSize < 1) {
            throw Checks.mismatch("data loader", "batch size", ">= 1", batchSize);
        }
        if (mean.length != data.channels() || std.length != data.channels()) {
            throw Checks.mismatch("data loader", "mean/std length", data.channels() + " (channels)", mean.length + "/" + std.length);
        }
        this.data = data;
        this.batchSize = batchSize;
        this.shuffle = shuffle;
        this.seed = seed;
        this.mean = mean.clone();
        this.std = std.clone();
        this.augment = augment;
        this.prefetch = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "vcnn-data-loader");
            t.setDaemon(true);
            return t;
        });
    }

    /** Every image of a (small) dataset, in order, as one batch normalised with {@code mean} and {@code std}. */
    public static Tensor all(Dataset data, float[] mean, float[] std) {
        try (var loader = new DataLoader(data, Math.max(1, data.size()), false, 0, mean, std, Augment.NONE)) {
            return loader.epoch(0).next().images();
        }
    }

    /** Per-channel mean and standard deviation of a dataset's pixels scaled to [0, 1]: {mean, std}. */
    public static float[][] channelStats(Dataset d) {
        int c = d.channels();
        int plane = d.height() * d.width();
        double[] sum = new double[c];
        double[] sq = new double[c];
        byte[] px = d.pixels();
        for (int i = 0; i < d.size(); i++) {
            for (int ch = 0; ch < c; ch++) {
                int base = (i * c + ch) * plane;
                for (int j = 0; j < plane; j++) {
                    double v = (px[base + j] & 0xFF) / 255.0;
                    sum[ch] += v;
                    sq[ch] += v * v;
                }
            }
        }
        float[] mean = new float[c];
        float[] std = new float[c];
        double n = (double) d.size() * plane;
        for (int ch = 0; ch < c; ch++) {
            double m = sum[ch] / n;
            mean[ch] = (float) m;
            std[ch] = (float) Math.max(1e-3, Math.sqrt(Math.max(0, sq[ch] / n - m * m)));
        }
        return new float[][] {mean, std};
    }

    public Dataset dataset() {
        return data;
    }

    /** Batches per epoch (the last one may be smaller). */
    public int batches() {
        return (data.size() + batchSize - 1) / batchSize;
    }

    /** The batches of epoch {@code epoch} (0-based), in order. */
    public Iterator<Batch> epoch(int epoch) {
        return epoch(epoch, 0);
    }

    /**
     * The batches of epoch {@code epoch} from batch {@code first} on: the same batches, bit for bit, that
     * {@link #epoch(int)} yields from that point (a resumed run's position).
     */
    public Iterator<Batch> epoch(int epoch, int first) {
        if (first < 0 || first > batches()) {
            throw Checks.mismatch("data loader", "first batch", "in [0, " + batches() + "]", first);
        }
        int[] order = order(epoch);
        long epochSeed = SplitMix64.mix(seed, epoch);
        return new Iterator<>() {
            private int next = first;
            private Future<Batch> pending = submit(first);

            private Future<Batch> submit(int b) {
                return b < batches() ? prefetch.submit(() -> make(order, b * batchSize,
                        Math.min(order.length, (b + 1) * batchSize), epochSeed)) : null;
            }

            @Override
            public boolean hasNext() {
                return pending != null;
            }

            @Override
            public Batch next() {
                if (pending == null) {
                    throw new NoSuchElementException();
                }
                Batch b;
                try {
                    b = pending.get();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("data loader: interrupted", e);
                } catch (ExecutionException e) {
                    if (e.getCause() instanceof RuntimeException re) {
                        throw re;
                    }
                    throw new IllegalStateException("data loader: batch failed", e.getCause());
                }
                pending = submit(++next);
                return b;
            }
        };
    }

    /**
     * Rows {@code [from, to)} of batch {@code batch} of epoch {@code epoch}: the same images, bit for bit, as those rows
     * of the batch {@link #epoch(int, int)} yields (augmentation is seeded by epoch and sample, not by position), for a
     * data-parallel worker that computes only its share of a batch.
     */
    public Batch rows(int epoch, int batch, int from, int to) {
        if (batch < 0 || batch >= batches()) {
            throw Checks.mismatch("data loader", "batch", "in [0, " + batches() + ")", batch);
        }
        int size = Math.min(batchSize, data.size() - batch * batchSize);
        if (from < 0 || to > size || from > to) {
            throw Checks.mismatch("data loader", "rows", "within [0, " + size + "] of batch " + batch, "[" + from + ", " + to + ")");
        }
        int[] order = cachedOrder(epoch);
        return make(order, batch * batchSize + from, batch * batchSize + to, SplitMix64.mix(seed, epoch));
    }

    /** The dataset indices of batch {@code batch} of epoch {@code epoch}, in the batch's row order. */
    public int[] indices(int epoch, int batch) {
        if (batch < 0 || batch >= batches()) {
            throw Checks.mismatch("data loader", "batch", "in [0, " + batches() + ")", batch);
        }
        int[] order = cachedOrder(epoch);
        return java.util.Arrays.copyOfRange(order, batch * batchSize, Math.min(order.length, (batch + 1) * batchSize));
    }

    private int cachedEpoch = -1;
    private int[] cachedOrder;

    private synchronized int[] cachedOrder(int epoch) {
        if (epoch != cachedEpoch) {
            cachedOrder = order(epoch);
            cachedEpoch = epoch;
        }
        return cachedOrder;
    }

    private int[] order(int epoch) {
        int n = data.size();
        int[] order = new int[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        if (shuffle) {
            var rng = new SplitMix64(SplitMix64.mix(seed ^ 0x5DEECE66DL, epoch));
            for (int i = n - 1; i > 0; i--) {
                int j = rng.nextInt(i + 1);
                int t = order[i];
                order[i] = order[j];
                order[j] = t;
            }
        }
        return order;
    }

    /** The images at positions [from, to) of an epoch's order, as a batch. */
    private Batch make(int[] order, int from, int to, long epochSeed) {
        int c = data.channels();
        int h = data.height();
        int w = data.width();
        int size = data.imageSize();
        int plane = h * w;
        Tensor x = Tensor.zeros(to - from, c, h, w);
        int[] y = new int[to - from];
        float[] image = new float[size];
        byte[] px = data.pixels();
        for (int i = from; i < to; i++) {
            int idx = order[i];
            y[i - from] = data.labels()[idx];
            if (augment.isNone()) { // one pass, the same float operations as the two below
                int base = (i - from) * size;
                for (int ch = 0; ch < c; ch++) {
                    float m = mean[ch];
                    float inv = 1f / std[ch];
                    int src = idx * size + ch * plane;
                    for (int j = 0; j < plane; j++) {
                        x.data()[base + ch * plane + j] = ((px[src + j] & 0xFF) / 255f - m) * inv;
                    }
                }
                continue;
            }
            for (int j = 0; j < size; j++) {
                image[j] = (px[idx * size + j] & 0xFF) / 255f;
            }
            float[] img = augment.apply(image, c, h, w, new SplitMix64(SplitMix64.mix(epochSeed, idx)));
            int base = (i - from) * size;
            for (int ch = 0; ch < c; ch++) {
                float m = mean[ch];
                float inv = 1f / std[ch];
                for (int j = 0; j < plane; j++) {
                    x.data()[base + ch * plane + j] = (img[ch * plane + j] - m) * inv;
                }
            }
        }
        return new Batch(x, y);
    }

    @Override
    public void close() {
        prefetch.shutdownNow();
    }
}
