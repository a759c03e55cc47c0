package dev.vcnn.models.data;

import java.util.random.RandomGenerator;

/**
 * Seeded data augmentation on one CHW float image, in pure Java, as torchvision's transforms:
 * {@link #horizontalFlip}, {@link #randomCrop} with zero padding, and {@link #affine} (small shifts
 * and rotations, nearest pixel, zero fill). Each returns a new array and leaves its input alone.
 *
 * @param flip apply a horizontal flip with probability 1/2
 * @param cropPadding pad by this many zeros and crop back at a random offset (0: off)
 * @param maxShift largest shift in pixels for the affine transform (0 with maxDegrees 0: off)
 * @param maxDegrees largest rotation in degrees
 */
public record Augment(boolean flip, int cropPadding, double maxShift, double maxDegrees) {
    /** No augmentation. */
    public static final Augment NONE = new Augment(false, 0, 0, 0);

    public boolean isNone() {
        return !flip && cropPadding == 0 && maxShift == 0 && maxDegrees == 0;
    }

    /** Applies the configured transforms in torchvision's usual order: crop, flip, affine. */
    public float[] apply(float[] image, int channels, int height, int width, RandomGenerator rng) {
        float[] x = image;
        if (cropPadding > 0) {
            x = randomCrop(x, channels, height, width, cropPadding, rng.nextInt(2 * cropPadding + 1), rng.nextInt(2 * cropPadding + 1));
        }
        if (flip && rng.nextBoolean()) {
            x = horizontalFlip(x, channels, height, width);
        }
        if (maxShift > 0 || maxDegrees > 0) {
            x = affine(x, channels, height, width, rng.nextDouble(-maxDegrees, maxDegrees + 1e-12),
                    rng.nextDouble(-maxShift, maxShift + 1e-12), rng.nextDouble(-maxShift, maxShift + 1e-12));
        }
        return x;
    }

    /** Mirrors every row. Applied twice it is the identity. */
    public static float[] horizontalFlip(float[] x, int channels, int height, int width) {
        float[] out = new float[x.length];
        for (int row = 0; row < channels * height; row++) {
            for (int col = 0; col < width; col++) {
                out[row * width + col] = x[row * width + width - 1 - col];
            }
        }
        return out;
    }

    /**
     * Zero-pads by {@code padding} on every side and takes the height×width window whose top-left
     * corner is (top, left) in the padded image ({@code RandomCrop(size, padding)} at a chosen offset).
     */
    public static float[] randomCrop(float[] x, int channels, int height, int width, int padding, int top, int left) {
        float[] out = new float[x.length];
        for (int c = 0; c < channels; c++) {
            for (int y = 0; y < height; y++) {
                int sy = y + top - padding;
                if (sy < 0 || sy >= height) {
                    continue;
                }
                for (int xx = 0; xx < width; xx++) {
                    int sx = xx + left - padding;
                    if (sx >= 0 && sx < width) {
                        out[(c * height + y) * width + xx] = x[(c * height + sy) * width + sx];
                    }
                }
            }
        }
        return out;
    }

    /**
     * Rotates by {@code degrees} about the centre and shifts by (dx, dy) pixels, taking the nearest
     * source pixel (torchvision's {@code RandomAffine} default: no blur that test images lack); zero
     * outside the image.
     */
    public static float[] affine(float[] x, int channels, int height, int width, double degrees, double dx, double dy) {
        float[] out = new float[x.length];
        double a = Math.toRadians(degrees);
        double cos = Math.cos(a);
        double sin = Math.sin(a);
        double cx = (width - 1) / 2.0;
        double cy = (height - 1) / 2.0;
        for (int y = 0; y < height; y++) {
            for (int xx = 0; xx < width; xx++) {
                // Inverse map: where in the source does this output pixel come from?
                double ux = xx - cx - dx;
                double uy = y - cy - dy;
                int sx = (int) Math.round(cos * ux + sin * uy + cx);
                int sy = (int) Math.round(-sin * ux + cos * uy + cy);
                for (int c = 0; c < channels; c++) {
                    out[(c * height + y) * width + xx] = at(x, c, sy, sx, height, width);
                }
            }
        }
        return out;
    }

    private static float at(float[] x, int c, int y, int xx, int height, int width) {
        return y < 0 || y >= height || xx < 0 || xx >= width ? 0f : x[(c * height + y) * width + xx];
    }
}
