package dev.vcnn.models.data;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import javax.imageio.ImageIO;

/**
 * A folder of images with one sub-folder per class ({@code torchvision.datasets.ImageFolder}); class
 * indices follow the sorted sub-folder names. PNG, JPEG, BMP and GIF are decoded with ImageIO and
 * resized (bilinear) to the model's input; 1 channel means luminance, 3 means RGB. An image's size is
 * read from its header before it is decoded, and one over {@link #MAX_PIXELS} is refused, as is a dataset
 * over {@link #MAX_BYTES}: a small file that claims a huge picture cannot exhaust the heap.
 */
public final class ImageFolder {
    private static final List<String> EXTENSIONS = List.of(".png", ".jpg", ".jpeg", ".bmp", ".gif");
    /** The most pixels one image may have before decoding: 64 Mi (8192 × 8192). */
    public static final long MAX_PIXELS = 1L << 26;
    /** The most bytes of resized pixels a folder may produce: 2³¹ − 2¹⁶, under Java's largest array. */
    public static final long MAX_BYTES = (1L << 31) - (1L << 16);

    private ImageFolder() {}

    /**
     * All images under {@code dir}/&lt;class&gt;/.
     *
     * @throws IllegalArgumentException if the folder has no class sub-folders or images, or an image does not decode
     */
    public static Dataset read(String name, Path dir, int channels, int height, int width) throws IOException {
        List<Path> classDirs = classDirs(dir);
        return read(name, classDirs.stream().map(p -> p.getFileName().toString()).toList(), classDirs, channels, height, width);
    }

    /**
     * The class sub-folders of a folder, sorted by name.
     *
     * @throws IllegalArgumentException if it has none
     */
    static List<Path> classDirs(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            throw new IllegalArgumentException("image folder: path must be a directory but was missing (dir=" + dir + ")");
        }
        List<Path> classDirs;
        try (Stream<Path> s = Files.list(dir)) {
            classDirs = s.filter(Files::isDirectory).sorted().toList();
        }
        if (classDirs.isEmpty()) {
            throw new IllegalArgumentException("image folder: must hold one sub-folder per class but had none (dir=" + dir + ")");
        }
        return classDirs;
    }

    /** Images of the given class folders, labelled by position in {@code classes}. */
    static Dataset read(String name, List<String> classes, List<Path> classDirs, int channels, int height, int width)
            throws IOException {
        return read(name, classes, list(classes, classDirs), channels, height, width, 0, -1);
    }

    /** The image files of class folders in reading order (by class, then by name), with their labels. */
    record Listing(List<Path> files, int[] labels) {}

    /**
     * Lists the images of the given class folders, labelled by position in {@code classes}.
     *
     * @throws IllegalArgumentException if a class folder is missing or none holds an image
     */
    static Listing list(List<String> classes, List<Path> classDirs) throws IOException {
        List<Path> files = new ArrayList<>();
        List<Integer> labels = new ArrayList<>();
        for (int c = 0; c < classDirs.size(); c++) {
            if (!Files.isDirectory(classDirs.get(c))) {
                throw new IllegalArgumentException("image folder: must have a sub-folder for class '" + classes.get(c)
                        + "' (as the training folder does) but it was missing (dir=" + classDirs.get(c) + ")");
            }
            try (Stream<Path> s = Files.list(classDirs.get(c))) {
                for (Path f : s.filter(ImageFolder::isImage).sorted().toList()) {
                    files.add(f);
                    labels.add(c);
                }
            }
        }
        if (files.isEmpty()) {
            throw new IllegalArgumentException("image folder: must contain images (" + String.join(", ", EXTENSIONS)
                    + ") but had none (dirs=" + classDirs + ")");
        }
        return new Listing(files, labels.stream().mapToInt(Integer::intValue).toArray());
    }

    /**
     * Images [from, to) of a listing ({@code to} = −1 for all), decoding only those.
     *
     * @throws IllegalArgumentException for a range outside the listing, pixels past {@link #MAX_BYTES}, or an
     *     image that does not decode
     */
    static Dataset read(String name, List<String> classes, Listing listing, int channels, int height, int width,
                        int from, int to) throws IOException {
        int total = listing.files().size();
        int end = to < 0 ? total : to;
        Datasets.checkRange("image folder", from, end, total, "first=" + listing.files().get(0));
        int size = channels * height * width;
        long bytes = (long) (end - from) * size;
        if (bytes > MAX_BYTES) {
            throw new IllegalArgumentException("image folder: resized pixels must fit in " + MAX_BYTES + " bytes but "
                    + (end - from) + " images of " + channels + "x" + height + "x" + width + " take " + bytes + " (first="
                    + listing.files().get(from) + ")");
        }
        byte[] pixels = new byte[(int) bytes];
        for (int i = from; i < end; i++) {
            toPixels(load(listing.files().get(i)), channels, height, width, pixels, (i - from) * size);
        }
        return new Dataset(name, pixels, java.util.Arrays.copyOfRange(listing.labels(), from, end), channels, height, width,
                classes);
    }

    private static boolean isImage(Path p) {
        String n = p.getFileName().toString().toLowerCase(Locale.ROOT);
        return Files.isRegularFile(p) && EXTENSIONS.stream().anyMatch(n::endsWith);
    }

    /**
     * Decodes one image.
     *
     * @throws IllegalArgumentException naming the file if it does not decode
     */
    public static BufferedImage load(Path file) throws IOException {
        return load(file, MAX_PIXELS);
    }

    /**
     * Decodes one image held in memory (a file's bytes read elsewhere, such as Spark's {@code binaryFile} source);
     * {@code name} names it in errors.
     *
     * @throws IllegalArgumentException naming it if it does not decode or claims more than {@link #MAX_PIXELS} pixels
     */
    public static BufferedImage load(byte[] bytes, String name) throws IOException {
        try (var in = ImageIO.createImageInputStream(new java.io.ByteArrayInputStream(bytes))) {
            return decode(in, name, MAX_PIXELS);
        }
    }

    /** Decodes one image of at most {@code maxPixels} pixels, checked from its header before decoding. */
    static BufferedImage load(Path file, long maxPixels) throws IOException {
        try (var in = ImageIO.createImageInputStream(file.toFile())) {
            return decode(in, file.toString(), maxPixels);
        }
    }

    private static BufferedImage decode(javax.imageio.stream.ImageInputStream in, String file, long maxPixels) {
        var readers = in == null ? java.util.Collections.<javax.imageio.ImageReader>emptyIterator() : ImageIO.getImageReaders(in);
        if (!readers.hasNext()) {
            throw new IllegalArgumentException("image: file must be a PNG, JPEG, BMP or GIF but no decoder recognised it (file="
                    + file + ")");
        }
        javax.imageio.ImageReader reader = readers.next();
        try {
            long w;
            long h;
            try {
                reader.setInput(in, true, true);
                w = reader.getWidth(0);
                h = reader.getHeight(0);
            } catch (IOException | RuntimeException e) {
                throw undecodable(file, e);
            }
            if (w < 1 || h < 1 || w * h > maxPixels) {
                throw new IllegalArgumentException("image: picture must have 1 to " + maxPixels + " pixels but its header "
                        + "claims " + w + "x" + h + " (file=" + file + ")");
            }
            BufferedImage img;
            try {
                img = reader.read(0);
            } catch (IOException | RuntimeException e) {
                throw undecodable(file, e);
            }
            if (img == null) {
                throw new IllegalArgumentException("image: file must hold a picture but decoded to none (file=" + file + ")");
            }
            return img;
        } finally {
            reader.dispose();
        }
    }

    private static IllegalArgumentException undecodable(String file, Exception e) {
        return new IllegalArgumentException("image: file must be a readable PNG, JPEG, BMP or GIF but did not decode: " + e
                + " (file=" + file + ")");
    }

    /** Resizes an image to width×height (bilinear) and writes CHW bytes: luminance for 1 channel, RGB for 3. */
    public static void toPixels(BufferedImage img, int channels, int height, int width, byte[] out, int off) {
        BufferedImage scaled = height == width && height >= IMAGENET_SIZE ? resizeAndCentreCrop(img, height)
                : resize(img, width, height);
        int plane = height * width;
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                int rgb = scaled.getRGB(x, y);
                int r = (rgb >> 16) & 0xFF;
                int gr = (rgb >> 8) & 0xFF;
                int b = rgb & 0xFF;
                int at = off + y * width + x;
                if (channels == 1) {
                    out[at] = (byte) Math.round(0.299 * r + 0.587 * gr + 0.114 * b); // ITU-R BT.601 luma, as PIL's "L"
                } else {
                    out[at] = (byte) r;
                    out[at + plane] = (byte) gr;
                    out[at + 2 * plane] = (byte) b;
                }
            }
        }
    }

    /** Square sizes from this one up take ImageNet's evaluation preprocessing ({@link #resizeAndCentreCrop}). */
    public static final int IMAGENET_SIZE = 224;

    /**
     * torchvision's ImageNet evaluation transform, {@code Resize(256)} then {@code CenterCrop(224)}, scaled to
     * {@code size}: the shorter side resized to round(size·256/224) keeping the aspect ratio (bilinear), then the
     * centre size×size kept.
     */
    public static BufferedImage resizeAndCentreCrop(BufferedImage img, int size) {
        int shorter = (int) Math.round(size * 256.0 / 224.0);
        double scale = (double) shorter / Math.min(img.getWidth(), img.getHeight());
        int w = Math.max(size, (int) Math.round(img.getWidth() * scale));
        int h = Math.max(size, (int) Math.round(img.getHeight() * scale));
        BufferedImage scaled = resize(img, w, h);
        int left = (int) Math.round((w - size) / 2.0);
        int top = (int) Math.round((h - size) / 2.0);
        var out = new BufferedImage(size, size, BufferedImage.TYPE_INT_RGB);
        var g = out.createGraphics();
        g.drawImage(scaled, -left, -top, null);
        g.dispose();
        return out;
    }

    /** Resized to w×h with bilinear interpolation, as an RGB image. */
    public static BufferedImage resize(BufferedImage img, int w, int h) {
        var out = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        var g = out.createGraphics();
        g.setRenderingHint(java.awt.RenderingHints.KEY_INTERPOLATION, java.awt.RenderingHints.VALUE_INTERPOLATION_BILINEAR);
        g.drawImage(img, 0, 0, w, h, null);
        g.dispose();
        return out;
    }
}