package dev.vcnn.models.data;

import dev.vcnn.engine.tensor.SplitMix64;
import java.util.List;
import java.util.stream.IntStream;

/**
 * A built-in dataset that needs no download: ten classes of procedurally drawn shapes and textures
 * (disk, square outline, triangle, plus, cross, horizontal stripes, vertical stripes, ring, filled
 * square, checkerboard) at a random position, size and small rotation, random foreground and
 * background intensity (or colour, for 3 channels) and Gaussian noise. Image i depends only on (seed,
 * i), so any subset is reproducible and generation runs in parallel. Shapes move around the frame, so
 * a convolutional network, which shares weights across positions, beats an MLP on it.
 */
public final class Synthetic {
    public static final List<String> CLASSES = List.of("disk", "square", "triangle", "plus", "cross",
            "h-stripes", "v-stripes", "ring", "block", "checker");

    private Synthetic() {}

    /** {@code trainSize} training and {@code testSize} test images from one seed (disjoint index ranges). */
    public static Dataset.Split generate(long seed, int channels, int size, int trainSize, int testSize) {
        return new Dataset.Split(generate("synthetic train", seed, 0, trainSize, channels, size),
                generate("synthetic test", seed, trainSize, testSize, channels, size));
    }

    /** Images [first, first + count) of the stream for {@code seed}. */
    public static Dataset generate(String name, long seed, int first, int count, int channels, int size) {
        if (channels != 1 && channels != 3) {
            throw new IllegalArgumentException("synthetic: channels must be 1 or 3 but was " + channels);
        }
        if (size < 12) {
            throw new IllegalArgumentException("synthetic: image size must be >= 12 but was " + size);
        }
        int imageSize = channels * size * size;
        byte[] pixels = new byte[count * imageSize];
        int[] labels = new int[count];
        IntStream.range(0, count).parallel().forEach(i -> {
            var rng = new SplitMix64(SplitMix64.mix(seed, first + i));
            labels[i] = rng.nextInt(CLASSES.size());
            draw(labels[i], rng, channels, size, pixels, i * imageSize);
        });
        return new Dataset(name, pixels, labels, channels, size, size, CLASSES);
    }

    private static void draw(int shape, SplitMix64 rng, int channels, int size, byte[] out, int off) {
        double s = size * (0.18 + 0.14 * rng.nextDouble());
        double cx = s + 1 + rng.nextDouble() * (size - 2 * s - 2);
        double cy = s + 1 + rng.nextDouble() * (size - 2 * s - 2);
        double angle = Math.toRadians(rng.nextDouble(-15, 15));
        double cos = Math.cos(angle);
        double sin = Math.sin(angle);
        double[] fg = new double[channels];
        double[] bg = new double[channels];
        for (int c = 0; c < channels; c++) {
            fg[c] = 0.55 + 0.45 * rng.nextDouble();
            bg[c] = 0.3 * rng.nextDouble();
        }
        double line = Math.max(1.0, size / 20.0);
        int plane = size * size;
        for (int y = 0; y < size; y++) {
            for (int x = 0; x < size; x++) {
                double ux = x + 0.5 - cx;
                double uy = y + 0.5 - cy;
                double dx = cos * ux + sin * uy;
                double dy = -sin * ux + cos * uy;
                boolean on = inside(shape, dx, dy, s, line);
                for (int c = 0; c < channels; c++) {
                    double v = (on ? fg[c] : bg[c]) + rng.nextGaussian() * 0.12;
                    out[off + c * plane + y * size + x] = (byte) Math.round(255 * Math.min(1, Math.max(0, v)));
                }
            }
        }
    }

    private static boolean inside(int shape, double dx, double dy, double s, double line) {
        double ax = Math.abs(dx);
        double ay = Math.abs(dy);
        double box = Math.max(ax, ay);
        double r = Math.hypot(dx, dy);
        return switch (shape) {
            case 0 -> r < s;
            case 1 -> box < s && box > s - 1.5 * line;
            case 2 -> dy > -s && dy < s && ax < (dy + s) / 2;
            case 3 -> (ax < line && ay < s) || (ay < line && ax < s);
            case 4 -> Math.abs(ax - ay) < line * 1.2 && box < s;
            case 5 -> box < s && Math.floorMod((int) Math.floor((dy + s) / (1.5 * line)), 2) == 0;
            case 6 -> box < s && Math.floorMod((int) Math.floor((dx + s) / (1.5 * line)), 2) == 0;
            case 7 -> Math.abs(r - s) < line;
            case 8 -> box < s * 0.8;
            case 9 -> box < s && Math.floorMod((int) Math.floor(dx / (1.5 * line)) + (int) Math.floor(dy / (1.5 * line)), 2) == 0;
            default -> throw new AssertionError(shape);
        };
    }
}
