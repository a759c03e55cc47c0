package dev.vcnn.models.data;

import dev.vcnn.engine.tensor.Checks;
import java.util.List;

/**
 * Labelled images held as 8-bit pixels: image i is {@code pixels[i·C·H·W, (i+1)·C·H·W)} in CHW order,
 * its class {@code labels[i]} in [0, classes.size()). Bytes rather than floats keep CIFAR-10 at 150 MB
 * instead of 600; the loader converts a batch at a time.
 *
 * @param name where it came from, for messages ("mnist train")
 * @param pixels unsigned 8-bit values
 * @param labels class indices
 * @param channels C
 * @param height H
 * @param width W
 * @param classes class names
 */
public record Dataset(String name, byte[] pixels, int[] labels, int channels, int height, int width, List<String> classes) {
    public Dataset {
        long expected = (long) labels.length * channels * height * width;
        if (pixels.length != expected) {
            throw Checks.mismatch("dataset " + name, "pixel count", expected + " (" + labels.length + " images of "
                    + channels + "x" + height + "x" + width + ")", pixels.length);
        }
        for (int i = 0; i < labels.length; i++) {
            if (labels[i] < 0 || labels[i] >= classes.size()) {
                throw Checks.mismatch("dataset " + name, "label of image " + i, "in [0, " + classes.size() + ")", labels[i]);
            }
        }
        classes = List.copyOf(classes);
    }

    public int size() {
        return labels.length;
    }

    /** C·H·W. */
    public int imageSize() {
        return channels * height * width;
    }

    /** The images at {@code indices}, as a new dataset. */
    public Dataset subset(String subsetName, int[] indices) {
        int s = imageSize();
        byte[] px = new byte[indices.length * s];
        int[] lb = new int[indices.length];
        for (int i = 0; i < indices.length; i++) {
            System.arraycopy(pixels, indices[i] * s, px, i * s, s);
            lb[i] = labels[indices[i]];
        }
        return new Dataset(subsetName, px, lb, channels, height, width, classes);
    }

    /**
     * The images of the given classes only, relabelled 0..k−1 in the order given (class names follow).
     *
     * @throws IllegalArgumentException naming a class index that does not exist or repeats
     */
    public Dataset selectClasses(List<Integer> keep) {
        int[] newLabel = new int[classes.size()];
        java.util.Arrays.fill(newLabel, -1);
        for (int i = 0; i < keep.size(); i++) {
            int c = keep.get(i);
            if (c < 0 || c >= classes.size() || newLabel[c] >= 0) {
                throw Checks.mismatch("dataset " + name, "class subset entry " + i, "a distinct class index in [0, "
                        + classes.size() + ")", c);
            }
            newLabel[c] = i;
        }
        int count = 0;
        for (int l : labels) {
            count += newLabel[l] >= 0 ? 1 : 0;
        }
        int[] idx = new int[count];
        for (int i = 0, j = 0; i < labels.length; i++) {
            if (newLabel[labels[i]] >= 0) {
                idx[j++] = i;
            }
        }
        Dataset kept = subset(name + " classes " + keep, idx);
        int[] relabelled = new int[count];
        for (int i = 0; i < count; i++) {
            relabelled[i] = newLabel[kept.labels[i]];
        }
        return new Dataset(kept.name, kept.pixels, relabelled, channels, height, width, keep.stream().map(classes::get).toList());
    }

    /** Train and test halves of a source. */
    public record Split(Dataset train, Dataset test) {}
}
